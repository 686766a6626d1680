import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HearthError, isHearthError } from '../errors.js';
import { noteAnsweredError } from './metrics.js';

/**
 * Three branches: our error (its code, status and details), a framework error we recognise
 * (body parser: malformed JSON, too large, bad encoding), anything else → 500 `internal` with
 * nothing internal in the body; the real error goes to the log with the request id.
 */
export function toHearthError(err: unknown): HearthError | undefined {
  if (isHearthError(err)) return err;
  const e = err as { type?: string; status?: number; expose?: boolean } | undefined;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new HearthError('invalid_request', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new HearthError('payload_too_large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HearthError('unsupported_media_type', 'The request body encoding or charset is not supported.');
    case 'request.aborted':
      return new HearthError('invalid_request', 'The request was aborted.');
    default:
      if (e?.status === 400 && e.expose) return new HearthError('invalid_request');
      if (e?.status === 413) return new HearthError('payload_too_large');
      if (e?.status === 415) return new HearthError('unsupported_media_type');
      return undefined;
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = toHearthError(err);
    const error = known ?? new HearthError('internal');
    if (!known) {
      logger.error({ err, requestId: req.ctx?.requestId }, 'unhandled error');
    } else if (error.status >= 500) {
      logger.warn({ err, requestId: req.ctx?.requestId, code: error.code }, 'dependency error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    noteAnsweredError(res, error.code, error.details?.reason);
    for (const [k, v] of Object.entries(error.headers ?? {})) res.setHeader(k, v);
    res.status(error.status).json(error.toBody());
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HearthError('not_found', `No route for ${req.method} ${req.path}.`));
};
