import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe.each(ENGINES)('apps and keys [%s]', (engine) => {
  let h: Harness;
  let ctx: Awaited<ReturnType<typeof withAdminAndApp>>;
  beforeEach(async () => {
    h = await startHarness(engine);
    ctx = await withAdminAndApp(h);
  });
  afterEach(async () => {
    await h.close();
  });

  it('creating an app returns its keys once; lists never show them; they are hashed at rest', async () => {
    expect(ctx.publicKey).toMatch(/^pk_/);
    expect(ctx.secretKey).toMatch(/^sk_/);
    const keys = await h.http.get(`/v1/admin/apps/${ctx.appId}/keys`).set(bearer(ctx.adminToken)).expect(200);
    expect(keys.body.items).toHaveLength(2);
    const body = JSON.stringify(keys.body);
    expect(body).not.toContain(ctx.secretKey);
    expect(body).not.toContain(ctx.publicKey);
    const app = await h.http.get(`/v1/admin/apps/${ctx.appId}`).set(bearer(ctx.adminToken)).expect(200);
    expect(JSON.stringify(app.body)).not.toContain(ctx.secretKey);
    // at rest: the raw key appears nowhere in the system store
    const stored = await h.store.forApp('_system').find('keys', { limit: 100 });
    expect(JSON.stringify(stored.items)).not.toContain(ctx.secretKey);
  });

  it("a key of this app opens its routes; wrong, missing and other apps' keys get invalid_api_key", async () => {
    const ok = await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', ctx.publicKey).expect(200);
    expect(ok.body).toMatchObject({ id: ctx.appId, name: 'Todos', access: { via: 'key', kind: 'public' } });
    const sk = await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', ctx.secretKey).expect(200);
    expect(sk.body.access.kind).toBe('secret');

    const other = await h.http.post('/v1/admin/apps').set(bearer(ctx.adminToken)).send({ name: 'Other' }).expect(201);
    for (const key of [other.body.keys.secret, other.body.keys.public, 'sk_wrongwrongwrongwrongwrong', 'garbage', '']) {
      const res = await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', key);
      expect(res.status, key).toBe(401);
      expect(res.body.error.code, key).toBe('invalid_api_key');
    }
    const none = await h.http.get(`/v1/apps/${ctx.appId}`).expect(401);
    expect(none.body.error.code).toBe('invalid_api_key');
    const admin = await h.http.get(`/v1/apps/${ctx.appId}`).set(bearer(ctx.adminToken)).expect(200);
    expect(admin.body.access.via).toBe('admin');
    await h.http.get('/v1/apps/doesnotexist').set('X-Hearth-Key', ctx.publicKey).expect(404);
    await h.http.get('/v1/apps/..%2F..%2Fetc').set('X-Hearth-Key', ctx.publicKey).expect(404);
  });

  it('revoked keys stop working; rotation issues a new key and retires the old one', async () => {
    const list = await h.http.get(`/v1/admin/apps/${ctx.appId}/keys`).set(bearer(ctx.adminToken)).expect(200);
    const secretKeyId = list.body.items.find((k: { kind: string }) => k.kind === 'secret').id;
    const rotated = await h.http
      .post(`/v1/admin/apps/${ctx.appId}/keys/${secretKeyId}/rotate`)
      .set(bearer(ctx.adminToken))
      .send({ graceSeconds: 0 })
      .expect(201);
    expect(rotated.body.key).toMatch(/^sk_/);
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', rotated.body.key).expect(200);
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', ctx.secretKey).expect(401);

    const scoped = await h.http
      .post(`/v1/admin/apps/${ctx.appId}/keys`)
      .set(bearer(ctx.adminToken))
      .send({ kind: 'secret', name: 'push only', scopes: ['push:send'] })
      .expect(201);
    const info = await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', scoped.body.key).expect(200);
    expect(info.body.access.scopes).toEqual(['push:send']);
    await h.http.delete(`/v1/admin/apps/${ctx.appId}/keys/${scoped.body.id}`).set(bearer(ctx.adminToken)).expect(200);
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', scoped.body.key).expect(401);
  });

  it('rotation with a grace period keeps the old key valid until it ends', async () => {
    let now = Date.now();
    await h.close();
    h = await startHarness(engine, { now: () => new Date(now) });
    ctx = await withAdminAndApp(h);
    const list = await h.http.get(`/v1/admin/apps/${ctx.appId}/keys`).set(bearer(ctx.adminToken)).expect(200);
    const pubId = list.body.items.find((k: { kind: string }) => k.kind === 'public').id;
    await h.http
      .post(`/v1/admin/apps/${ctx.appId}/keys/${pubId}/rotate`)
      .set(bearer(ctx.adminToken))
      .send({ graceSeconds: 60 })
      .expect(201);
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', ctx.publicKey).expect(200);
    now += 61_000;
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', ctx.publicKey).expect(401);
  });

  it('a key stops working at its expiresAt even while its lookup is cached', async () => {
    let now = Date.now();
    await h.close();
    h = await startHarness(engine, { now: () => new Date(now) });
    ctx = await withAdminAndApp(h);
    const created = await h.http
      .post(`/v1/admin/apps/${ctx.appId}/keys`)
      .set(bearer(ctx.adminToken))
      .send({ kind: 'public', name: 'short', expiresAt: new Date(now + 3_000).toISOString() })
      .expect(201);
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', created.body.key).expect(200);
    now += 2_000;
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', created.body.key).expect(200);
    now += 1_500; // past expiresAt, inside the lookup cache's lifetime
    const res = await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', created.body.key).expect(401);
    expect(res.body.error.code).toBe('invalid_api_key');
  });

  it('key and app input is validated', async () => {
    const auth = bearer(ctx.adminToken);
    const bad = await h.http
      .post(`/v1/admin/apps/${ctx.appId}/keys`)
      .set(auth)
      .send({ kind: 'root', scopes: ['ALL'] })
      .expect(400);
    expect(bad.body.error.details.fields).toHaveProperty('kind');
    expect(bad.body.error.details.fields).toHaveProperty('scopes.0');
    const noName = await h.http.post('/v1/admin/apps').set(auth).send({ name: '' }).expect(400);
    expect(noName.body.error.code).toBe('validation_failed');
    const badOrigin = await h.http
      .patch(`/v1/admin/apps/${ctx.appId}`)
      .set(auth)
      .send({ settings: { corsOrigins: ['javascript:alert(1)'] } })
      .expect(400);
    expect(badOrigin.body.error.details.fields).toHaveProperty('settings.corsOrigins.0');
    await h.http.post('/v1/admin/apps/nope/keys').set(auth).send({ kind: 'public' }).expect(404);
    await h.http.get('/v1/admin/apps').expect(401);
    await h.http.get('/v1/admin/apps').set('X-Hearth-Key', ctx.secretKey).expect(401);
  });

  it('apps: list, rename, CORS per app, delete removes keys and data', async () => {
    const auth = bearer(ctx.adminToken);
    const list = await h.http.get('/v1/admin/apps').set(auth).expect(200);
    expect(list.body).toMatchObject({ items: [{ id: ctx.appId, name: 'Todos' }], next: null });
    await h.http
      .patch(`/v1/admin/apps/${ctx.appId}`)
      .set(auth)
      .send({ name: 'Tasks', settings: { corsOrigins: ['https://tasks.example.com'] } })
      .expect(200);
    const allowed = await h.http
      .options(`/v1/apps/${ctx.appId}`)
      .set('Origin', 'https://tasks.example.com')
      .set('Access-Control-Request-Method', 'GET')
      .expect(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://tasks.example.com');
    // A browser tus client (tus-js-client, Uppy) may send its headers and read the offsets back.
    const tus = await h.http
      .options(`/v1/apps/${ctx.appId}/files/tus`)
      .set('Origin', 'https://tasks.example.com')
      .set('Access-Control-Request-Method', 'HEAD')
      .set('Access-Control-Request-Headers', 'tus-resumable, upload-offset')
      .expect(204);
    expect(tus.headers['access-control-allow-methods']).toMatch(/\bHEAD\b/);
    expect(tus.headers['access-control-allow-headers']).toMatch(/Upload-Offset/);
    expect(tus.headers['access-control-expose-headers']).toMatch(/Upload-Offset/);
    const denied = await h.http
      .options(`/v1/apps/${ctx.appId}`)
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'GET')
      .expect(403);
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();

    await h.store.forApp(ctx.appId).create('todos', { data: { title: 'x' } });
    await h.http.delete(`/v1/admin/apps/${ctx.appId}`).set(auth).expect(204);
    await h.http.get(`/v1/admin/apps/${ctx.appId}`).set(auth).expect(404);
    await h.http.get(`/v1/apps/${ctx.appId}`).set('X-Hearth-Key', ctx.secretKey).expect(404);
    expect(await h.store.forApp(ctx.appId).count('todos')).toBe(0);
    const keys = await h.store
      .forApp('_system')
      .find('keys', { limit: 10, filter: { op: 'field', path: 'appId', conds: [{ op: 'eq', value: ctx.appId }] } });
    expect(keys.items).toHaveLength(0);
  });
});
