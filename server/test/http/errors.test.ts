import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, startHarness, type Harness } from '../support/harness.js';

/** Bad input at the HTTP edge gets the contract's error shape and status, and changes nothing. */
describe.each(ENGINES)('http edge errors [%s]', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(engine, { bodyLimit: '64kb' });
  });
  afterAll(async () => {
    await h.close();
  });

  const expectError = (res: { status: number; body: unknown }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  };

  it('malformed JSON → 400 invalid_request', async () => {
    const res = await h.http.post('/v1/admin/setup').set('Content-Type', 'application/json').send('{"email": ');
    expectError(res, 400, 'invalid_request');
  });

  it('oversized body → 413 payload_too_large', async () => {
    const res = await h.http
      .post('/v1/admin/setup')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'x'.repeat(200_000) }));
    expectError(res, 413, 'payload_too_large');
  });

  it('wrong content type → 415 unsupported_media_type', async () => {
    const res = await h.http.post('/v1/admin/setup').set('Content-Type', 'text/plain').send('email=a');
    expectError(res, 415, 'unsupported_media_type');
    const form = await h.http.post('/v1/admin/login').type('form').send({ email: 'a@b.c', password: 'x' });
    expectError(form, 415, 'unsupported_media_type');
  });

  it('unknown route → 404 not_found', async () => {
    expectError(await h.http.get('/v1/nothing-here'), 404, 'not_found');
    expectError(await h.http.delete('/v1/admin'), 404, 'not_found');
  });

  it('JSON that is not an object → validation_failed', async () => {
    const res = await h.http.post('/v1/admin/setup').set('Content-Type', 'application/json').send('[1,2,3]');
    expectError(res, 400, 'validation_failed');
  });

  it('bad setup bodies create no admin; a good one does', async () => {
    // A harness of its own: the check must not depend on what other tests sent (or on their order).
    const fresh = await startHarness(engine, { bodyLimit: '64kb' });
    try {
      const json = (body: string) =>
        fresh.http.post('/v1/admin/setup').set('Content-Type', 'application/json').send(body);
      expect((await json('{"email": ')).status).toBe(400);
      expect((await json(JSON.stringify({ email: 'x'.repeat(200_000) }))).status).toBe(413);
      expect((await fresh.http.post('/v1/admin/setup').set('Content-Type', 'text/plain').send('email=a')).status).toBe(
        415,
      );
      expect((await json('[1,2,3]')).status).toBe(400);
      expect((await json(JSON.stringify({ email: 'a@example.com', password: 'short' }))).status).toBe(400);
      expect((await fresh.http.get('/v1/admin/setup')).body).toEqual({ needed: true });
      // The same check sees a change when there is one.
      await json(JSON.stringify({ email: 'a@example.com', password: 'correct horse battery' })).expect(201);
      expect((await fresh.http.get('/v1/admin/setup')).body).toEqual({ needed: false });
    } finally {
      await fresh.close();
    }
  });

  it('every response carries a request id; a well-formed incoming one is echoed', async () => {
    const res = await h.http.get('/healthz').set('X-Request-Id', 'abc12345-req');
    expect(res.headers['x-request-id']).toBe('abc12345-req');
    const bad = await h.http.get('/healthz').set('X-Request-Id', '<script>');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
