import type { Request } from 'express';
import type { RequestContext, RequestMeta } from '../principals.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      ctx: RequestContext;
    }
  }
}

export function requestMeta(req: Request): RequestMeta {
  return {
    adminId: req.ctx.admin?.id ?? null,
    requestId: req.ctx.requestId,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
  };
}
