import express from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, HearthError, type ErrorCode } from '../errors.js';
import { errorHandler } from './error-handler.js';

/** One test per row of the error table, through the real error handler. */
function appThrowing(make: () => unknown) {
  const app = express();
  app.use((req, _res, next) => {
    req.ctx = { requestId: 'test-request' };
    next();
  });
  app.get('/boom', () => {
    throw make();
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  return app;
}

const EXPECTED: Record<ErrorCode, number> = {
  invalid_request: 400,
  validation_failed: 400,
  invalid_api_key: 401,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

describe('error table', () => {
  it('has exactly the contract codes', () => {
    expect(Object.keys(ERROR_TABLE).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED) as [ErrorCode, number][])('%s → %i with the error shape', async (code, status) => {
    const res = await request(appThrowing(() => new HearthError(code, undefined, { field: 'x' }))).get('/boom');
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code, message: ERROR_TABLE[code].message, details: { field: 'x' } } });
  });

  it('rate_limited carries Retry-After', async () => {
    const res = await request(
      appThrowing(() => new HearthError('rate_limited', undefined, undefined, { headers: { 'Retry-After': '7' } })),
    ).get('/boom');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('an unknown error is a 500 internal with nothing internal in the body', async () => {
    const res = await request(appThrowing(() => new Error('SQLITE_CORRUPT at /var/lib/secret/path.db'))).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: ERROR_TABLE.internal.message } });
    expect(JSON.stringify(res.body)).not.toContain('SQLITE');
  });

  it("the router's URIError (a path that is not valid percent-encoding) is 400 invalid_request", async () => {
    const res = await request(
      appThrowing(() => Object.assign(new URIError("Failed to decode param '%ZZ'"), { status: 400 })),
    ).get('/boom');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  });

  it('a thrown non-error value is internal too', async () => {
    const res = await request(appThrowing(() => 'a string')).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal');
  });
});

describe('JSON bodies the parser refuses', () => {
  const app = express();
  app.use((req, _res, next) => {
    req.ctx = { requestId: 'test-request' };
    next();
  });
  app.use(express.json({ strict: true, type: () => true }));
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  const post = (body: string) => request(app).post('/echo').set('Content-Type', 'application/json').send(body);

  it('says "not valid JSON" only for text that is not JSON', async () => {
    const res = await post('{"a":');
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'invalid_request',
      message: 'The request body is not valid JSON.',
      details: { reason: 'invalid_json' },
    });
  });

  it.each(['null', '3', '"text"', 'true'])('says a JSON %s is not an object or array', async (body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'invalid_request',
      message: 'The request body must be a JSON object or array.',
      details: { reason: 'body_not_object' },
    });
  });
});
