import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../collections/support.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * "Also seen" in the security probe: /metrics was public. With METRICS_TOKEN set, it answers
 * only `Authorization: Bearer <token>`; without it, it stays public (as documented).
 */
describe('/metrics with METRICS_TOKEN', () => {
  let h: Harness;
  const token = 'metrics-token-0123456789';
  beforeAll(async () => {
    h = await startHarness('sqlite', { metricsToken: token });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses requests without the token, or with another one, with 401 unauthorized', async () => {
    const none = await h.http.get('/metrics');
    expectError(none, 401, 'unauthorized');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expectError(await h.http.get('/metrics').set('Authorization', `Bearer ${token}x`), 401, 'unauthorized');
    expectError(await h.http.get('/metrics').set('Authorization', token), 401, 'unauthorized');
  });

  it('serves the metrics with the token', async () => {
    const res = await h.http.get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.text).toContain('hearth_http_requests_total');
  });

  it('is public without a token configured', async () => {
    const open = await startHarness('sqlite');
    try {
      await open.http.get('/metrics').expect(200);
    } finally {
      await open.close();
    }
  });
});
