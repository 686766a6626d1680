import type { DocumentStore } from '../../ports/document-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { CollectionsModule } from '../collections/index.js';
import type { FilesModule } from '../files/index.js';
import type { HearthModule } from '../module.js';
import { statsRoutes } from './stats.routes.js';
import { StatsService } from './stats.service.js';
import { Traffic } from './traffic.js';

/**
 * The stats module: an app's overview for the dashboard (GET /v1/admin/apps/:appId/stats) —
 * requests and errors counted per app by its app middleware (traffic.ts: this process, a day,
 * one-minute buckets), users signed in within the window, estimated documents per collection,
 * file storage, and the app's jobs by state.
 */
export type { AppStats } from './stats.service.js';

export interface StatsModule extends HearthModule {
  services: { stats: StatsService; traffic: Traffic };
}

export function createStatsModule(deps: {
  store: DocumentStore;
  jobs: JobQueue;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  collections: Pick<CollectionsModule, 'services'>;
  files: Pick<FilesModule, 'services'>;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  now: () => Date;
}): StatsModule {
  const traffic = new Traffic(deps.now);
  const stats = new StatsService({
    store: deps.store,
    jobs: deps.jobs,
    traffic,
    collections: async (appId) => (await deps.collections.services.registry.list(appId)).map((c) => c.name),
    storage: (appId) => deps.files.services.files.usage(appId),
    now: deps.now,
  });
  deps.apps.onRemove((appId) => traffic.forget(appId));
  return {
    name: 'stats',
    services: { stats, traffic },
    appMiddleware: [traffic.middleware()],
    routes: statsRoutes({
      stats,
      requireApp: (appId) => deps.apps.services.apps.get(appId),
      requireAdmin: deps.guards.requireAdmin,
    }),
  };
}
