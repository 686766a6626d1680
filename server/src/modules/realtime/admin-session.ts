import type { Request, RequestHandler, Response } from 'express';
import { HearthError, isError } from '../../errors.js';
import type { RequestContext } from '../../principals.js';

/**
 * Admin (dashboard) connections: an admin access token in the handshake (`auth.adminToken`) or
 * in `auth {adminToken}`. The token is checked by the admin REST API's own guard (`requireAdmin`:
 * HS256 only, the admin audience and issuer, `typ: admin`, the admin active and the session not
 * revoked), run on a bare request that carries only the Authorization header, so both paths
 * accept exactly the same tokens.
 */
export interface AdminIdentity {
  id: string;
  email: string;
  sessionId: string;
}

export type VerifyAdmin = (token: string) => Promise<AdminIdentity | null>;

/** A JWT's shape, before any check (the guard checks everything else). */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function adminVerifier(requireAdmin: RequestHandler): VerifyAdmin {
  return (token) => {
    if (token.length > 4096 || !JWT.test(token)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const ctx = {} as RequestContext;
      const req = { headers: { authorization: `Bearer ${token}` }, ctx } as unknown as Request;
      const res = {} as Response;
      requireAdmin(req, res, (err?: unknown) => {
        if (err) return isError(err, 'unauthorized') ? resolve(null) : reject(asUnavailable(err));
        resolve(ctx.admin && ctx.adminSessionId ? { ...ctx.admin, sessionId: ctx.adminSessionId } : null);
      });
    });
  };
}

/** The store failed while checking: the client gets `unavailable`, never the driver's text. */
function asUnavailable(err: unknown): HearthError {
  return err instanceof HearthError ? err : new HearthError('unavailable', 'Admin sessions cannot be checked now.');
}
