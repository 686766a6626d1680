import type { Request, RequestHandler } from 'express';
import { errors } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsService } from '../apps/index.js';
import type { Actor } from './auth-audit.js';

/**
 * Guards of the management routes: an admin token on /v1/admin/apps/{app}/…, or the secret key
 * (or an admin token) on /v1/apps/{app}/users… — a scoped key needs the users scope.
 */
/** The OpenAPI tag of the admin routes of an app's auth. */
export const ADMIN_AUTH_TAG = 'Admin: auth';

export type UsersScope = 'users:read' | 'users:write';

/** Who a management request acts as (for the audit log). */
export function actorOf(req: Request): Actor {
  return { ...requestMeta(req), keyId: req.ctx.key?.id ?? null };
}

/** Secret key (or admin token) on /v1/apps/{app}; scoped keys need `scope` or `users:*`. */
export function requireSecret(scope: UsersScope): RequestHandler {
  return (req, _res, next) => {
    const key = req.ctx.key;
    if (!key && req.ctx.admin) return next();
    if (key?.kind !== 'secret' || req.ctx.user) return next(errors.secretKeyRequired());
    if (key.scopes.length && !key.scopes.includes(scope) && !key.scopes.includes('users:*'))
      return next(errors.scopeMissing(scope));
    next();
  };
}

export interface ManagementGuards {
  /** An admin token, on an app that exists. */
  admin: { security: ['adminBearer']; before: RequestHandler[] };
  /** The secret key with the scope, on /v1/apps/{app}. */
  key(scope: UsersScope): { security: ['appKey']; before: RequestHandler[] };
}

export function managementGuards(deps: { adminAuth: AdminAuth; apps: AppsService }): ManagementGuards {
  const appExists: RequestHandler = (req, _res, next) => {
    deps.apps.get(String(req.params.appId)).then(() => next(), next);
  };
  return {
    admin: { security: ['adminBearer'], before: [deps.adminAuth.requireAdmin, appExists] },
    key: (scope) => ({ security: ['appKey'], before: [requireSecret(scope)] }),
  };
}
