import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * Requests that carry `X-Forwarded-For` came through a proxy. Without TRUST_PROXY Hearth then
 * sees the proxy's address for every client, so the per-IP limits (admin login, app sign-in,
 * data routes) count all clients together. Says so once per process, at the first such request.
 */
export function warnForwardedWithoutTrustProxy(deps: {
  logger: Logger;
  trustProxy?: string | undefined;
}): RequestHandler {
  let warned = Boolean(deps.trustProxy);
  return (req, _res, next) => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined) {
      warned = true;
      deps.logger.warn(
        { remoteAddress: req.socket.remoteAddress },
        "requests arrive with X-Forwarded-For but TRUST_PROXY is not set: every client gets the proxy's IP, so per-IP rate limits (admin login, sign-in, data routes) count all clients together. Set TRUST_PROXY (docs/deployment.md).",
      );
    }
    next();
  };
}
