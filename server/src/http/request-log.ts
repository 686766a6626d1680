import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Request id (from X-Request-Id when well-formed, else new), echoed back, on every log line. */
export function requestLog(logger: Logger): RequestHandler[] {
  const assignId: RequestHandler = (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.ctx = { requestId };
    res.setHeader('X-Request-Id', requestId);
    next();
  };
  const log = pinoHttp({
    logger,
    genReqId: (req) => (req as unknown as { ctx: { requestId: string } }).ctx.requestId,
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return [assignId, log as unknown as RequestHandler];
}
