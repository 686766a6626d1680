import express, { type RequestHandler } from 'express';
import { HearthError } from '../errors.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * JSON bodies only (routes that take multipart opt out by path later): a body with another
 * content type is 415, a malformed one 400, an oversized one 413 — before any handler runs.
 */
export function jsonBody(options: { limit: string; except?: (path: string) => boolean }): RequestHandler[] {
  const parse = express.json({ limit: options.limit, strict: true, type: () => true });
  // One layer (one router step per request): the media type check, then the parser.
  const jsonOnly: RequestHandler = (req, res, next) => {
    if (!METHODS_WITH_BODY.has(req.method) || options.except?.(req.path)) return next();
    const hasBody =
      (req.headers['content-length'] && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'];
    if (hasBody && !req.is('application/json') && !req.is('application/*+json')) {
      return next(new HearthError('unsupported_media_type', 'Send the request body as application/json.'));
    }
    parse(req, res, next);
  };
  return [jsonOnly];
}
