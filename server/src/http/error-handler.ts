import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HearthError, isHearthError } from '../errors.js';
import { noteAnsweredError } from './metrics.js';

/**
 * Three branches: our error (its code, status and details), a framework error we recognise
 * (body parser: malformed JSON, too large, bad encoding; the router: a path that is not valid
 * percent-encoding, e.g. `/v1/apps/%E0%A4%A`), anything else → 500 `internal` with
 * nothing internal in the body; the real error goes to the log with the request id.
 */
export function toHearthError(err: unknown): HearthError | undefined {
  if (isHearthError(err)) return err;
  // The router decodes path parameters with decodeURIComponent and passes its URIError on.
  if (err instanceof URIError) return new HearthError('invalid_request', 'The URL is not valid percent-encoding.');
  const e = err as { type?: string; status?: number; expose?: boolean; body?: unknown } | undefined;
  switch (e?.type) {
    case 'entity.parse.failed':
      // Strict parsing also refuses valid JSON that is not an object or array (`null`, `3`).
      return isJsonScalar(e.body)
        ? new HearthError('invalid_request', 'The request body must be a JSON object or array.', {
            reason: 'body_not_object',
          })
        : new HearthError('invalid_request', 'The request body is not valid JSON.', { reason: 'invalid_json' });
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

function isJsonScalar(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    const value: unknown = JSON.parse(body);
    return value === null || typeof value !== 'object';
  } catch {
    return false;
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
