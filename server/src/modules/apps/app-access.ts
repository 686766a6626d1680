import type { RequestHandler } from 'express';
import { HearthError, reasonError } from '../../errors.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type { AppsService } from './apps.service.js';
import type { KeysService } from './keys.service.js';

/**
 * Everything under /v1/apps/{appId}: resolve the app, answer CORS from the app's own allowed
 * origins, then resolve the caller: an `X-Hearth-Key` of this app (a key of another app is
 * `invalid_api_key`, the same answer as an unknown key), or an admin bearer token (secret-key
 * power, used by the dashboard).
 */
export function appAccess(deps: {
  apps: AppsService;
  keys: KeysService;
  /** The admin module's guard and its test for "this bearer token is an admin's". */
  requireAdmin: RequestHandler;
  isAdminBearer: (authorization: string) => boolean;
}): RequestHandler[] {
  const resolveApp: RequestHandler = async (req, _res, next) => {
    const appId = String(req.params.appId ?? '');
    if (!appId || !ID_PATTERN.test(appId)) return next(new HearthError('not_found', 'No such app.'));
    const app = await deps.apps.find(appId);
    if (!app) return next(new HearthError('not_found', 'No such app.'));
    req.ctx.app = { id: app.id, name: app.name, settings: app.settings };
    next();
  };

  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    const allowed = req.ctx.app!.settings.corsOrigins;
    const ok = origin !== undefined && (allowed.includes('*') || allowed.includes(origin));
    if (origin !== undefined) res.vary('Origin');
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader(
        'Access-Control-Expose-Headers',
        // The tus headers let browser tus clients (tus-js-client, Uppy) read offsets and locations.
        'X-Request-Id, ETag, Retry-After, Location, Hearth-File-Id, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Upload-Offset, Upload-Length, Upload-Expires',
      );
    }
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      if (!ok) return next(reasonError('forbidden', 'origin_not_allowed', 'This origin is not allowed for this app.'));
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        'Authorization, Content-Type, X-Hearth-Key, X-Hearth-Installation, If-Match, Idempotency-Key, X-Request-Id, Tus-Resumable, Upload-Length, Upload-Offset, Upload-Metadata, Upload-Defer-Length, Upload-Concat, X-HTTP-Method-Override',
      );
      res.setHeader('Access-Control-Max-Age', '600');
      return res.status(204).end();
    }
    next();
  };

  const resolveCaller: RequestHandler = async (req, res, next) => {
    const raw = req.get('x-hearth-key');
    if (raw !== undefined) {
      const key = await deps.keys.resolve(raw);
      if (!key || key.appId !== req.ctx.app!.id) {
        return next(new HearthError('invalid_api_key', 'The API key is not valid for this app.'));
      }
      req.ctx.key = { id: key.id, kind: key.kind, scopes: key.scopes };
    }
    const bearer = req.get('authorization');
    if (bearer && !req.ctx.key && deps.isAdminBearer(bearer)) {
      // An admin token has secret-key power on every app (the dashboard). App user tokens are
      // resolved after this, by the auth module's middleware, and always come with the app's key.
      return deps.requireAdmin(req, res, next);
    }
    if (!req.ctx.key)
      return next(
        new HearthError(
          'invalid_api_key',
          bearer
            ? "This route needs an X-Hearth-Key header with this app's key (a user's access token goes with it)."
            : "This route needs an X-Hearth-Key header with this app's key.",
        ),
      );
    next();
  };

  return [resolveApp, cors, resolveCaller];
}
