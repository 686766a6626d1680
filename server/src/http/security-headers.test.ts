import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { helmetHeaders, securityHeaders } from './security-headers.js';

/** The precomputed headers are exactly what helmet itself sends. */
describe('security headers', () => {
  const options = { crossOriginResourcePolicy: { policy: 'cross-origin' as const } };

  it('match what helmet sets per request', async () => {
    const app = (use: express.RequestHandler) =>
      express()
        .disable('x-powered-by')
        .use(use)
        .get('/', (_req, res) => res.json({ ok: true }));
    const [viaHelmet, viaList] = await Promise.all([
      request(app(helmet(options))).get('/'),
      request(app(securityHeaders(options))).get('/'),
    ]);
    const pick = (h: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'etag', 'content-length'].includes(k)));
    expect(pick(viaList.headers)).toEqual(pick(viaHelmet.headers));
    expect(viaList.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(viaList.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('are a fixed list', () => {
    const names = helmetHeaders(options).map(([n]) => n.toLowerCase());
    expect(names).toContain('strict-transport-security');
    expect(names).toContain('x-content-type-options');
  });
});
