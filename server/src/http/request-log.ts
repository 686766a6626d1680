import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
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
  // One listener function for every response (no closure and no `once` wrapper per request).
  function onFinish(this: Response): void {
    const level = levelOf(this.statusCode);
    if (!logger.isLevelEnabled(level)) return;
    const req = this.req;
    const q = req.originalUrl.indexOf('?');
    logger[level](
      {
        req: { id: req.ctx.requestId, method: req.method, url: q < 0 ? req.originalUrl : req.originalUrl.slice(0, q) },
        res: { statusCode: this.statusCode },
        responseTime: Date.now() - (this as TimedResponse)[STARTED],
      },
      'request completed',
    );
  }
  const logRequest: RequestHandler = (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.ctx = { requestId };
    res.setHeader('X-Request-Id', requestId);
    (res as TimedResponse)[STARTED] = Date.now();
    res.on('finish', onFinish);
    next();
  };
  return [logRequest];
}

const STARTED = Symbol('request started');
type TimedResponse = Response & { [STARTED]: number };
