import { SYSTEM_APP, type DocumentStore } from '../../ports/document-store.js';
import type { LimiterFactory } from '../../ports/rate-limits.js';
import type { AuditLog } from '../audit/index.js';
import type { HearthModule } from '../module.js';
import { createAdminAuth, type AdminAuth } from './admin-auth.js';
import { AdminTokens } from './admin-tokens.js';
import { adminAccountRoutes } from './admins.routes.js';
import { AdminsService } from './admins.service.js';

/**
 * The admin module: admin accounts (setup, login, invitations), their rotating tokens and
 * sessions, and the admin guard (`guards.requireAdmin`) every admin route sits behind.
 */
export type { AdminAuth } from './admin-auth.js';
export type { AdminsService } from './admins.service.js';

export interface AdminModule extends HearthModule {
  services: { admins: AdminsService; tokens: AdminTokens };
  /** Express guards: require an admin bearer token, read one when present, limit sign-in attempts. */
  guards: AdminAuth;
}

export function createAdminModule(deps: {
  store: DocumentStore;
  limits: LimiterFactory;
  audit: AuditLog;
  /** Token signing secret. */
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  now: () => Date;
}): AdminModule {
  const system = deps.store.forApp(SYSTEM_APP);
  const tokens = new AdminTokens({
    system,
    secret: deps.secret,
    accessTtlSeconds: deps.accessTtlSeconds,
    refreshTtlSeconds: deps.refreshTtlSeconds,
    now: deps.now,
  });
  const admins = new AdminsService({ system, tokens, audit: deps.audit });
  const guards = createAdminAuth({ secret: deps.secret, admins, tokens, limiters: deps.limits });
  return {
    name: 'admin',
    services: { admins, tokens },
    guards,
    routes: adminAccountRoutes({ admins, auth: guards }),
    init: () => admins.init(),
  };
}
