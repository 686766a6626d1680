import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SYSTEM_APP, type DocumentStore } from '../../ports/document-store.js';
import type { LeasedCounters } from '../../ports/leased-counters.js';
import type { PubSub, SocketAdapter } from '../../ports/pubsub.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import type { AuthModule } from '../auth/index.js';
import type { CollectionsModule } from '../collections/index.js';
import type { HearthModule } from '../module.js';
import { adminVerifier } from './admin-session.js';
import { ChannelRulesService } from './channels.js';
import { channelRoutes } from './channels.routes.js';
import { RealtimeServer } from './server.js';
import { statsRoutes } from './stats.routes.js';
import { DEFAULT_REALTIME_SETTINGS, realtimeMetrics, type RealtimeSettings } from './settings.js';

/**
 * The realtime module: socket.io on the API's HTTP server (`attach`), query subscriptions on the
 * collections' document events with each subscriber's rules, channels with presence, and the
 * admin API of channel rules. Protocol: docs/realtime.md.
 */
export type { RealtimeSettings } from './settings.js';
export { DEFAULT_REALTIME_SETTINGS } from './settings.js';

export interface RealtimeModule extends HearthModule {
  services: { channels: ChannelRulesService; server: RealtimeServer };
}

export function createRealtimeModule(deps: {
  store: DocumentStore;
  pubsub?: PubSub | undefined;
  socketAdapter?: SocketAdapter | undefined;
  leases?: LeasedCounters | undefined;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  auth: Pick<AuthModule, 'verifyToken'>;
  collections: Pick<CollectionsModule, 'services' | 'events'>;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  audit: AuditLog;
  metrics: Registry | null;
  settings?: Partial<RealtimeSettings> | undefined;
  logger: Logger;
  now: () => Date;
}): RealtimeModule {
  const settings = { ...DEFAULT_REALTIME_SETTINGS, ...deps.settings };
  const channels = new ChannelRulesService({ system: deps.store.forApp(SYSTEM_APP), now: deps.now });
  let server: RealtimeServer | null = null;
  const metrics = realtimeMetrics(deps.metrics, {
    connections: () => server?.sockets.size ?? 0,
    subscriptions: () => server?.index.size ?? 0,
  });
  server = new RealtimeServer({
    apps: deps.apps,
    verifyToken: (appId, token) => deps.auth.verifyToken(appId, token),
    verifyAdmin: adminVerifier(deps.guards.requireAdmin),
    registry: deps.collections.services.registry,
    channels,
    pubsub: deps.pubsub,
    socketAdapter: deps.socketAdapter,
    leases: deps.leases,
    settings,
    metrics,
    logger: deps.logger,
    now: deps.now,
  });
  const rt = server;
  deps.collections.events.on('*', (event) => rt.publish(event));
  deps.apps.onRemove(async (appId) => {
    // This server's connections of a deleted app end now (other servers' at their next key check).
    rt.namespace(appId)?.disconnectSockets(true);
    rt.activity.forget(appId);
    await channels.remove(appId);
  });
  return {
    name: 'realtime',
    services: { channels, server: rt },
    routes: [
      ...channelRoutes({ channels, apps: deps.apps.services.apps, auth: deps.guards, audit: deps.audit }),
      ...statsRoutes({ server: rt, apps: deps.apps.services.apps, auth: deps.guards }),
    ],
    init: () => rt.start(),
    attach: (http: HttpServer) => rt.attach(http),
  };
}
