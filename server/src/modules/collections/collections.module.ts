import type { RouteSpec } from '../../http/route.js';
import type { LimiterFactory } from '../../ports/rate-limits.js';
import { SYSTEM_APP, type DocumentStore } from '../../ports/document-store.js';
import type { AdminAuth } from '../admin/admin-auth.js';
import type { AppsService } from '../admin/apps.service.js';
import type { AuditLog } from '../admin/audit.service.js';
import { AggregateService } from './aggregate.js';
import { BatchService } from './batch.service.js';
import { DEFAULT_DATA_LIMITS, dataRateLimit, type DataLimitSettings } from './data-limits.js';
import { DocumentsReader } from './documents.read.js';
import { documentRoutes } from './documents.routes.js';
import { DocumentsWriter } from './documents.write.js';
import { DocumentEvents, type DocumentEvent } from './events.js';
import { IdempotencyStore } from './idempotency.js';
import { CollectionRegistry } from './registry.js';
import { schemaRoutes } from './schemas.routes.js';
import { SchemasService } from './schemas.service.js';

/**
 * The collections module wired together: one place builds its services from the ports, so
 * app.ts only mounts the routes and exposes `events` (realtime, webhooks) and `registry`.
 */
export interface CollectionsModule {
  registry: CollectionRegistry;
  schemas: SchemasService;
  reader: DocumentsReader;
  writer: DocumentsWriter;
  batch: BatchService;
  aggregate: AggregateService;
  events: DocumentEvents;
  idempotency: IdempotencyStore;
  init(): Promise<void>;
  adminRoutes(deps: { apps: AppsService; auth: AdminAuth }): RouteSpec[];
  appRoutes(): RouteSpec[];
}

export function createCollectionsModule(deps: {
  store: DocumentStore;
  audit: AuditLog;
  now: () => Date;
  onListenerError?: (err: unknown, event: DocumentEvent) => void;
  /** Rate limits on the document routes for public keys (data-limits.ts). */
  limits?: { limiters: LimiterFactory; settings?: DataLimitSettings };
}): CollectionsModule {
  const system = deps.store.forApp(SYSTEM_APP);
  const registry = new CollectionRegistry(system, deps.now);
  const events = new DocumentEvents(deps.onListenerError);
  const schemas = new SchemasService(deps.store, system, registry, deps.audit);
  const reader = new DocumentsReader({ store: deps.store, registry, now: deps.now });
  const writer = new DocumentsWriter({ store: deps.store, registry, events, now: deps.now });
  const batch = new BatchService(writer);
  const aggregate = new AggregateService({ store: deps.store, registry, now: deps.now });
  const idempotency = new IdempotencyStore(system, deps.now);
  return {
    registry,
    schemas,
    reader,
    writer,
    batch,
    aggregate,
    events,
    idempotency,
    init: async () => {
      await registry.init();
      await idempotency.init();
    },
    adminRoutes: ({ apps, auth }) => schemaRoutes({ schemas, apps, auth }),
    appRoutes: () => {
      const limit = deps.limits
        ? dataRateLimit({ limiters: deps.limits.limiters, settings: deps.limits.settings ?? DEFAULT_DATA_LIMITS })
        : null;
      const routes = documentRoutes({ reader, writer, batch, aggregate, idempotency });
      return limit ? routes.map((r) => ({ ...r, before: [limit, ...(r.before ?? [])] })) : routes;
    },
  };
}
