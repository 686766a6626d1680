import type { Logger } from 'pino';
import type { RouteSpec } from '../../http/route.js';
import { SYSTEM_APP, type DocumentStore } from '../../ports/document-store.js';
import type { LimiterFactory } from '../../ports/rate-limits.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import type { HearthModule } from '../module.js';
import { AggregateService } from './aggregate.js';
import { BatchService } from './batch.service.js';
import { DEFAULT_DATA_LIMITS, dataRateLimit, type DataLimitSettings } from './data-limits.js';
import { DocumentsReader } from './documents.read.js';
import { documentRoutes } from './documents.routes.js';
import { DocumentsWriter } from './documents.write.js';
import { DocumentEvents, type DocumentEvent } from './events.js';
import { FileFields, type FileReferences } from './file-fields.js';
import type { WriteOutbox } from './outbox.js';
import { syncDerivedIndexes } from './index-sync.js';
import { IdempotencyStore } from './idempotency.js';
import { CollectionRegistry } from './registry.js';
import { playgroundRoutes } from './playground.routes.js';
import { schemaRoutes } from './schemas.routes.js';
import { appOpenApiRoute } from './openapi.routes.js';
import type { OpenApiDocument } from '../../http/openapi.js';
import { SchemasService } from './schemas.service.js';

/**
 * The collections module: schemas (admin), documents, batch and aggregate (app routes), rules
 * compiled into queries. Other modules use `services` (e.g. auth deletes a user's documents) and
 * `events` (documents.create/update/delete after commit: realtime, webhooks).
 */
export type { DocumentEvent, DocumentEvents } from './events.js';
export type { CollectionRegistry } from './registry.js';
export { SCHEMAS, schemaDocId } from './registry.js';
export type { Caller } from './access.js';
export type { DataLimitSettings } from './data-limits.js';
export type { RuleUser } from './rules.compile.js';
export type { FileReferences } from './file-fields.js';
export type { OutboxEvent, WriteOutbox } from './outbox.js';
// Field definitions and validation, reused by auth for the app's custom user fields.
export { fieldDef } from './collection.schema.js';
export { validateTouched, type FieldErrors } from './validate.js';
// For realtime: the same rules, filter checks and document views as the REST reads.
export type { CompiledCollection } from './collection.compile.js';
export { assertTextAllowed, assertVisiblePaths, requireScope, visibleTo } from './access.js';
export { collectionErrors } from './collections.errors.js';
export { compileRule, ruleFilter, MATCH_NONE } from './rules.compile.js';
export { ruleDef } from './collection.schema.js';
// How a document is shown to a caller (hidden fields removed): realtime and webhooks show documents the same way.
export { toClientDocument } from './view.js';

export interface CollectionsModule extends HearthModule {
  services: {
    registry: CollectionRegistry;
    schemas: SchemasService;
    reader: DocumentsReader;
    writer: DocumentsWriter;
    batch: BatchService;
    aggregate: AggregateService;
    idempotency: IdempotencyStore;
  };
  events: DocumentEvents;
  /** The files module registers how `file` fields are checked and cascaded (file-fields.ts). */
  useFiles(refs: FileReferences): void;
  /** The webhooks module registers its transactional outbox for document events (outbox.ts). */
  useOutbox(outbox: WriteOutbox): void;
}

export function createCollectionsModule(deps: {
  store: DocumentStore;
  audit: AuditLog;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  /** Rate limits on the document routes for public keys (data-limits.ts). */
  limits: { limiters: LimiterFactory; settings?: DataLimitSettings };
  logger: Logger;
  now: () => Date;
  /** The server's OpenAPI document, the base of each app's typed one (openapi.app.ts). */
  openapi?: () => OpenApiDocument;
}): CollectionsModule {
  const system = deps.store.forApp(SYSTEM_APP);
  const registry = new CollectionRegistry({ system, now: deps.now });
  const events = new DocumentEvents((err: unknown, event: DocumentEvent) =>
    deps.logger.error({ err, type: event.type, collection: event.collection }, 'document event listener failed'),
  );
  const schemas = new SchemasService({ store: deps.store, system, registry, audit: deps.audit });
  const fileFields = new FileFields();
  const reader = new DocumentsReader({ store: deps.store, registry, now: deps.now, fileFields });
  fileFields.cascadeOnDelete({ events, registry, logger: deps.logger, store: deps.store });
  const writer = new DocumentsWriter({ store: deps.store, registry, events, now: deps.now, fileFields });
  const batch = new BatchService({ writer });
  const aggregate = new AggregateService({ store: deps.store, registry, now: deps.now });
  const idempotency = new IdempotencyStore({
    system,
    now: deps.now,
    onSweepError: (err) => deps.logger.warn({ err }, 'collections: sweeping expired idempotency records failed'),
  });
  const dataLimit = dataRateLimit({
    limiters: deps.limits.limiters,
    settings: deps.limits.settings ?? DEFAULT_DATA_LIMITS,
  });
  const withDataLimit = (routes: RouteSpec[]) =>
    routes.map((r) => ({ ...r, before: [dataLimit, ...(r.before ?? [])] }));
  deps.apps.onRemove((appId) => schemas.removeAllForApp(appId));
  return {
    name: 'collections',
    services: { registry, schemas, reader, writer, batch, aggregate, idempotency },
    events,
    useFiles: (refs) => fileFields.use(refs),
    useOutbox: (outbox) => {
      writer.outbox = outbox;
    },
    routes: [
      ...schemaRoutes({ schemas, apps: deps.apps.services.apps, auth: deps.guards }),
      ...playgroundRoutes({ reader, registry, now: deps.now, apps: deps.apps.services.apps, auth: deps.guards }),
      ...withDataLimit(documentRoutes({ reader, writer, batch, aggregate, idempotency })),
      ...(deps.openapi ? [appOpenApiRoute({ registry, document: deps.openapi })] : []),
    ],
    init: async () => {
      await registry.init();
      await idempotency.init();
      await syncDerivedIndexes(deps.store, deps.logger);
    },
  };
}
