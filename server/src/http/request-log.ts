import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

type Level = 'error' | 'info' | 'debug';

/** 5xx: error; 4xx: info; the rest: debug (so production logs only failures). */
const levelOf = (status: number): Level => (status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug');

/**
 * Request id (from X-Request-Id when well-formed, else new), echoed back, and one log line per
 * answered request: `{req: {id, method, url (no query)}, res: {statusCode}, responseTime}`,
 * "request completed", at the level its status gives (`levelOf`). The line is built only when that
 * level is enabled: a successful request at the default level (info) costs one listener and a
 * level check, no serializers, no child logger.
 */
export function requestLog(logger: Logger): RequestHandler[] {
  const logRequest: RequestHandler = (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.ctx = { requestId };
    res.setHeader('X-Request-Id', requestId);
    const start = Date.now();
    res.once('finish', () => {
      const level = levelOf(res.statusCode);
      if (!logger.isLevelEnabled(level)) return;
      const q = req.originalUrl.indexOf('?');
      logger[level](
        {
          req: { id: requestId, method: req.method, url: q < 0 ? req.originalUrl : req.originalUrl.slice(0, q) },
          res: { statusCode: res.statusCode },
          responseTime: Date.now() - start,
        },
        'request completed',
      );
    });
    next();
  };
  return [logRequest];
}
