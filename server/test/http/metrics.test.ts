import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * /metrics keeps its label sets bounded: a route label is the template the request matched
 * (never its URL, so no app id, document id or token), requests that reach no route share
 * `unmatched`, and Hearth's own counters (errors by code and reason, store latency by operation)
 * use fixed sets too. Each test starts its own app, so each can run alone.
 */
describe.each(ENGINES)('metrics labels [%s]', (engine) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const metrics = async () => (await h.http.get('/metrics').expect(200)).text;
  /** The sample lines of one metric, e.g. `name{labels} 2`. */
  const samples = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

  it('mail-link and OAuth pages count under their route template: one series for two apps', async () => {
    h = await startHarness(engine);
    const { adminToken, appId: first } = await withAdminAndApp(h);
    const second = (
      await h.http
        .post('/v1/admin/apps')
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ name: 'Second' })
        .expect(201)
    ).body.id as string;
    for (const appId of [first, second]) {
      await h.http.get(`/v1/apps/${appId}/auth/links/verify?token=t0k3n`).expect(200);
      // No redirectTo: the route itself refuses (400 invalid_request).
      await h.http.get(`/v1/apps/${appId}/auth/oauth/google`).expect(400);
      await h.http.get(`/v1/apps/${appId}/auth/oauth/google/callback?state=s`).expect(400);
    }
    const text = await metrics();
    const requests = samples(text, 'hearth_http_requests_total');
    expect(requests.filter((l) => l.includes('/auth/links/verify'))).toEqual([
      'hearth_http_requests_total{method="GET",route="/v1/apps/:appId/auth/links/verify",status="200"} 2',
    ]);
    expect(requests.filter((l) => l.includes('/auth/oauth/'))).toEqual([
      'hearth_http_requests_total{method="GET",route="/v1/apps/:appId/auth/oauth/:provider",status="400"} 2',
      'hearth_http_requests_total{method="GET",route="/v1/apps/:appId/auth/oauth/:provider/callback",status="400"} 2',
    ]);
    expect(text).toContain(
      'hearth_http_errors_total{code="invalid_request",reason="none",route="/v1/apps/:appId/auth/oauth/:provider"} 2',
    );
    for (const id of [first, second]) expect(text).not.toContain(id);
    expect(text).not.toContain('google');
  });

  it('routes of the main router are templates; unknown paths are "unmatched"; the dashboard is a template', async () => {
    h = await startHarness(engine);
    await h.http.get('/v1/admin/apps/abc').expect(401);
    await h.http.get('/v1/nothing-here/xyz42').expect(404);
    await h.http.get('/dashboard/apps/qqq99').expect(503); // not built in tests: the fallback page
    const text = await metrics();
    expect(text).toContain('hearth_http_requests_total{method="GET",route="/v1/admin/apps/:appId",status="401"} 1');
    expect(text).toContain('hearth_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toContain('hearth_http_requests_total{method="GET",route="/dashboard{/*path}",status="503"} 1');
    for (const raw of ['/abc', 'xyz42', 'qqq99', 'nothing-here', 'regexp']) expect(text).not.toContain(raw);
  });

  it('no route is declared with a regular expression (it would have no template)', async () => {
    h = await startHarness(engine);
    type Entry = { path: unknown; router?: { listRoutes(): Entry[] } };
    const paths: unknown[] = [];
    const visit = (entries: Entry[]) => {
      for (const e of entries) {
        paths.push(e.path);
        if (e.router) visit(e.router.listRoutes());
      }
    };
    visit((h.app.router as unknown as { listRoutes(): Entry[] }).listRoutes());
    expect(paths.length).toBeGreaterThan(50);
    expect(paths.filter((p) => typeof p !== 'string')).toEqual([]);
  });

  it('failed sign-ins and rate-limit hits are counted by code, reason and route', async () => {
    h = await startHarness(engine);
    const login = () =>
      h.http.post('/v1/admin/login').send({ email: 'nobody@example.com', password: 'wrong password' });
    let status = 0;
    let tries = 0;
    while (status !== 429 && tries < 30) {
      status = (await login()).status;
      tries++;
    }
    expect(status).toBe(429);
    const text = await metrics();
    expect(samples(text, 'hearth_http_errors_total').sort()).toEqual([
      `hearth_http_errors_total{code="rate_limited",reason="none",route="/v1/admin/login"} 1`,
      expect.stringMatching(
        new RegExp(
          `^hearth_http_errors_total\\{code="unauthorized",reason="[a-z_]+",route="/v1/admin/login"\\} ${tries - 1}$`,
        ),
      ),
    ]);
  });

  it('store calls are timed by engine and port operation', async () => {
    h = await startHarness(engine);
    await withAdminAndApp(h);
    const text = await metrics();
    const count = (operation: string) =>
      Number(
        new RegExp(
          `^hearth_store_operation_seconds_count\\{engine="${engine}",operation="${operation}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    expect(count('create')).toBeGreaterThan(0); // the admin, the app, its keys
    expect(count('get')).toBeGreaterThan(0);
    // Labels are the port's operations only: nothing per app or collection.
    const labels = new Set(
      samples(text, 'hearth_store_operation_seconds_count').map((l) => /operation="([^"]+)"/.exec(l)![1]),
    );
    for (const op of labels)
      expect(op).toMatch(
        /^(create|get|update|replace|delete|find|count|aggregate|ensureIndex|dropIndex|listIndexes|batch|dropCollection|dropApp|ping)$/,
      );
  });
});
