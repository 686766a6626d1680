import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * Finding 6 of the security probe (issue 9): a path that is not valid percent-encoding reached
 * the router's decodeURIComponent and came back as 500 `internal`, without any credentials.
 * It is a client error: 400 `invalid_request`, whoever asks, and nothing is stored.
 */
const MALFORMED = ['%E0%A4%A', '%ZZ', '%', '%C0%AF', '%ED%A0%80'];

describe.each(ENGINES)('malformed percent-encoding in the path [%s]', (engine) => {
  let h: Harness;
  let ctx: Awaited<ReturnType<typeof withAdminAndApp>>;
  beforeAll(async () => {
    h = await startHarness(engine);
    ctx = await withAdminAndApp(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const expectInvalidRequest = (res: { status: number; body: unknown }, url: string) => {
    expect(res.status, url).toBe(400);
    expect(res.body, url).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  };

  it.each(['/v1/apps/%E0%A4%A', '/v1/admin/apps/%ZZ', '/dashboard/%E0%A4%A'])(
    'GET %s (the probe’s URLs) → 400 invalid_request, not 500',
    async (url) => {
      expectInvalidRequest(await h.http.get(url), url);
    },
  );

  it('every kind of caller gets 400 on app, admin, document and dashboard paths (or 401 first when it may not call the app)', async () => {
    const callers: Record<string, Record<string, string>> = {
      anonymous: {},
      publicKey: { 'X-Hearth-Key': ctx.publicKey },
      admin: { Authorization: `Bearer ${ctx.adminToken}` },
    };
    for (const bad of MALFORMED) {
      const urls = [
        `/v1/apps/${bad}`,
        `/v1/admin/apps/${bad}`,
        `/v1/admin/apps/${ctx.appId}/keys/${bad}`,
        `/v1/apps/${ctx.appId}/collections/${bad}/documents`,
        `/v1/apps/${ctx.appId}/collections/todos/documents/${bad}`,
        `/v1/apps/${bad}/auth/links/verify`,
        `/dashboard/${bad}`,
      ];
      for (const url of urls) {
        for (const [who, headers] of Object.entries(callers)) {
          const res = await h.http.get(url).set(headers);
          // The app's key check runs before the route decodes its own parameters.
          if (who === 'anonymous' && url.startsWith(`/v1/apps/${ctx.appId}/`)) {
            expect(res.status, url).toBe(401);
            expect(res.body.error.code, url).toBe('invalid_api_key');
          } else expectInvalidRequest(res, `${who} GET ${url}`);
        }
        expectInvalidRequest(await h.http.delete(url).set(callers.admin!), `admin DELETE ${url}`);
      }
    }
    // Nothing was deleted or created by any of it.
    const apps = await h.http.get('/v1/admin/apps').set(callers.admin!).expect(200);
    expect(apps.body.items.map((a: { id: string }) => a.id)).toEqual([ctx.appId]);
    const keys = await h.http.get(`/v1/admin/apps/${ctx.appId}/keys`).set(callers.admin!).expect(200);
    expect(keys.body.items).toHaveLength(2);
  });
});
