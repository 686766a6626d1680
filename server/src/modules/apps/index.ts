import { SYSTEM_APP, type DocumentStore } from '../../ports/document-store.js';
import type { AdminAuth } from '../admin/index.js';
import type { AuditLog } from '../audit/index.js';
import type { HearthModule } from '../module.js';
import { appAccess } from './app-access.js';
import { appInfoRoutes } from './app-info.routes.js';
import { appRoutes } from './apps.routes.js';
import { AppsService } from './apps.service.js';
import { KeysService } from './keys.service.js';

/**
 * The apps module: apps (create, settings, delete with everything in them), their API keys
 * (scoped, expiring, rotatable), and the access check in front of every app route (resolve the
 * app, answer CORS, resolve the key or the admin token).
 */
export type { AppsService, AppView } from './apps.service.js';
export type { KeysService } from './keys.service.js';

export interface AppsModule extends HearthModule {
  services: { apps: AppsService; keys: KeysService };
  /** Other modules keep per-app state; they drop it here when an app is deleted. */
  onRemove(hook: (appId: string) => Promise<void> | void): void;
}

export function createAppsModule(deps: {
  store: DocumentStore;
  audit: AuditLog;
  guards: Pick<AdminAuth, 'requireAdmin' | 'isAdminBearer'>;
  now: () => Date;
}): AppsModule {
  const system = deps.store.forApp(SYSTEM_APP);
  const keys = new KeysService({ system, audit: deps.audit, now: deps.now });
  const apps = new AppsService({ store: deps.store, system, keys, audit: deps.audit, now: deps.now });
  const { requireAdmin, isAdminBearer } = deps.guards;
  return {
    name: 'apps',
    services: { apps, keys },
    onRemove: (hook) => apps.onRemove(async (appId) => hook(appId)),
    appMiddleware: appAccess({ apps, keys, requireAdmin, isAdminBearer }),
    routes: [...appRoutes({ apps, keys, requireAdmin }), ...appInfoRoutes()],
    init: () => keys.init(),
  };
}
