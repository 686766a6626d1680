import type { RequestHandler } from 'express';
import type { HearthModule } from '../module.js';
import { auditRoutes } from './audit.routes.js';
import { AuditLog } from './audit.service.js';

/**
 * The audit module: every admin action (and admin-power action on app data) leaves an entry;
 * `GET /v1/admin/audit` lists them. Other modules record through `AuditLog` (this module's
 * export); the log is made first (`createAuditLog`) because the admin module records into it
 * while the audit routes sit behind the admin guard.
 */
export { AuditLog, auditMeta, type AuditEntry, type AuditEntryInput } from './audit.service.js';

export interface AuditModule extends HearthModule {
  services: { log: AuditLog };
}

export function createAuditLog(deps: { system: ConstructorParameters<typeof AuditLog>[0]['system'] }): AuditLog {
  return new AuditLog({ system: deps.system });
}

export function createAuditModule(deps: { log: AuditLog; requireAdmin: RequestHandler }): AuditModule {
  return {
    name: 'audit',
    services: { log: deps.log },
    routes: auditRoutes({ audit: deps.log, requireAdmin: deps.requireAdmin }),
    init: () => deps.log.init(),
  };
}
