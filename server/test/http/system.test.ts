import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HearthError } from '../../src/errors.js';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

describe.each(ENGINES)('system routes [%s]', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(engine);
  });
  afterAll(async () => {
    await h.close();
  });

  it('/healthz and /readyz answer 200 with the engine named', async () => {
    expect((await h.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await h.http.get('/readyz').expect(200);
    expect(ready.body).toEqual({
      status: 'ok',
      engines: {
        documentStore: { engine, ok: true },
        fileStore: { engine: 'disk', ok: true },
        jobQueue: { engine: 'sqlite', ok: true },
      },
    });
  });

  it("JSON replies carry the API's six security headers; HTML pages and the dashboard helmet's full set", async () => {
    const api = [
      await h.http.get('/healthz'),
      await h.http.get('/v1/nothing-here'),
      await h.http.get('/v1/apps/x/documents'),
    ];
    for (const res of api) {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
      expect(res.headers['x-xss-protection']).toBeUndefined();
    }
    const pages = [
      await h.http.get(`/v1/apps/${(await withAdminAndApp(h)).appId}/auth/links/verify?token=nope`),
      await h.http.get('/dashboard/'),
    ];
    for (const res of pages) {
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('/metrics counts requests by route template', async () => {
    // Its own requests, so the test does not lean on what earlier tests asked.
    await h.http.get('/healthz').expect(200);
    await h.http.get('/readyz').expect(200);
    await h.http.get('/v1/admin/apps/abc').expect(401);
    const res = await h.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/^hearth_http_requests_total\{method="GET",route="\/readyz",status="200"\} [1-9]/m);
    expect(res.text).toMatch(/^hearth_http_request_duration_seconds_bucket\{.*route="\/healthz"/m);
    expect(res.text).toMatch(
      /^hearth_http_requests_total\{method="GET",route="\/v1\/admin\/apps\/:appId",status="401"\} [1-9]/m,
    );
    expect(res.text).toContain('hearth_process_cpu_user_seconds_total');
    expect(res.text).not.toContain('/v1/admin/apps/abc');
  });

  it('/openapi.json is OpenAPI 3.1 with every route and its request schema', async () => {
    const doc = (await h.http.get('/openapi.json').expect(200)).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/admin/setup', '/v1/admin/apps/{appId}/keys', '/readyz', '/v1/apps/{appId}']),
    );
    const setup = doc.paths['/v1/admin/setup'].post;
    expect(setup.requestBody.content['application/json'].schema.properties).toHaveProperty('email');
    expect(setup.requestBody.content['application/json'].schema.required).toEqual(['email', 'password']);
    const keys = doc.paths['/v1/admin/apps/{appId}/keys'].get;
    expect(keys.parameters).toEqual([
      expect.objectContaining({ name: 'appId', in: 'path', required: true }),
      { $ref: '#/components/parameters/XRequestId' },
    ]);
    expect(keys.security).toEqual([{ adminBearer: [] }]);
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain('rate_limited');
  });

  it('/readyz is 503 unavailable when the store cannot be reached', async () => {
    const broken = await startHarness(engine);
    const original = broken.store.ping.bind(broken.store);
    broken.store.ping = () => Promise.reject(new HearthError('unavailable'));
    const res = await broken.http.get('/readyz').expect(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(res.body.error.details.engines.documentStore.ok).toBe(false);
    broken.store.ping = original;
    await broken.close();
  });

  it('security headers are set', async () => {
    const res = await h.http.get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
