import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openWorld, otherApp, TODOS, type CollectionsWorld } from '../collections/support.js';

/** GET /v1/admin/apps/:appId/stats: the app overview's numbers, counted for this app only. */
describe.each(ENGINES)('app stats [%s]', (engine) => {
  let w: CollectionsWorld;
  let other: Awaited<ReturnType<typeof otherApp>>;
  const stats = (query = '') => w.h.http.get(`/v1/admin/apps/${w.appId}/stats${query}`).set(w.admin);
  beforeAll(async () => {
    w = await openWorld(engine);
    other = await otherApp(w);
    await w.createCollection(TODOS);
    await w.createCollection({ ...TODOS, name: 'notes' });
    for (let i = 0; i < 3; i++)
      await w.h.http
        .post(w.docs('todos'))
        .set(w.sk)
        .send({ title: `t${i}` })
        .expect(201);
    await w.h.http.post(w.docs('notes')).set(w.sk).send({ title: 'n' }).expect(201);
    await w.h.http.get(w.docs('nope')).set(w.sk).expect(404);
    await w.h.http
      .post(`/v1/apps/${w.appId}/auth/signup`)
      .set(w.pk)
      .send({ email: 'ada@example.com', password: 'a long enough password 123' })
      .expect(201);
    const queue = w.h.modules.jobs.services.queue;
    await queue.add('stats-test', { appId: w.appId }, { delay: 3600_000 });
    await queue.add('stats-test', { appId: other.appId }, { delay: 3600_000 });
  });
  afterAll(async () => w?.close());

  it("counts this app's requests and errors, users, documents, storage and jobs", async () => {
    const res = await stats().expect(200);
    const body = res.body;
    expect(body.window).toBe('24h');
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(24 * 3600_000);
    // 4 creates, the 404 and the sign-up, at least (the collection definitions are admin routes).
    expect(body.traffic.requests).toBeGreaterThanOrEqual(6);
    expect(body.traffic.clientErrors).toBeGreaterThanOrEqual(1);
    expect(body.traffic.serverErrors).toBe(0);
    expect(body.traffic.series).toHaveLength(24);
    expect(body.users).toEqual({ active: 1, total: 1 });
    expect(body.documents.total).toBe(4);
    expect(body.documents.collections).toEqual(
      expect.arrayContaining([
        { name: 'todos', count: 3 },
        { name: 'notes', count: 1 },
      ]),
    );
    expect(body.storage).toEqual({ files: 0, bytes: 0 });
    expect(body.jobs).toMatchObject({ delayed: 1, failed: 0, capped: false });
  });

  it('another app starts from nothing', async () => {
    const res = await w.h.http.get(`/v1/admin/apps/${other.appId}/stats?window=1h`).set(w.admin).expect(200);
    expect(res.body.traffic.requests).toBe(0);
    expect(res.body.traffic.series).toHaveLength(12);
    expect(res.body.documents.total).toBe(0);
    expect(res.body.users).toEqual({ active: 0, total: 0 });
    expect(res.body.jobs.delayed).toBe(1);
  });

  it('is in /openapi.json with its schema, as is the push audience preview', async () => {
    const doc = (await w.h.http.get('/openapi.json').expect(200)).body;
    const stats = doc.paths['/v1/admin/apps/{appId}/stats'].get;
    expect(stats.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['appId', 'window']));
    expect(stats.responses['200'].content['application/json'].schema).toBeDefined();
    expect(doc.paths['/v1/admin/apps/{appId}/push/audience'].post.requestBody).toBeDefined();
  });

  it('refuses a bad window, an unknown app, and callers who are not admins', async () => {
    expectError(await stats('?window=7y'), 400, 'invalid_request');
    expectError(await w.h.http.get('/v1/admin/apps/nope/stats').set(w.admin), 404, 'not_found');
    expectError(await w.h.http.get(`/v1/admin/apps/${w.appId}/stats`), 401, 'unauthorized');
    expectError(await w.h.http.get(`/v1/admin/apps/${w.appId}/stats`).set(w.sk), 401, 'unauthorized');
  });
});
