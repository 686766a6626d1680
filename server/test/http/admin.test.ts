import jwt from 'jsonwebtoken';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, ENGINES, startHarness, TEST_SECRET, withAdminAndApp, type Harness } from '../support/harness.js';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe.each(ENGINES)('admins and sessions [%s]', (engine) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(engine);
  });
  afterEach(async () => {
    await h.close();
  });

  it('setup creates the first admin once, then refuses', async () => {
    expect((await h.http.get('/v1/admin/setup')).body).toEqual({ needed: true });
    const res = await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
    expect(res.body).toMatchObject({ user: { email: ADMIN.email }, expiresIn: 900 });
    expect(typeof res.body.accessToken).toBe('string');
    expect(res.body.user).not.toHaveProperty('passwordHash');
    const again = await h.http
      .post('/v1/admin/setup')
      .send({ email: 'other@example.com', password: 'another password' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect((await h.http.get('/v1/admin/setup')).body).toEqual({ needed: false });
    // the refused attempt created nothing
    const list = await h.http.get('/v1/admin/admins').set(bearer(res.body.accessToken)).expect(200);
    expect(list.body.items.map((a: { email: string }) => a.email)).toEqual([ADMIN.email]);
  });

  it('concurrent setups create exactly one admin', async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        h.http.post('/v1/admin/setup').send({ email: `a${i}@example.com`, password: 'long enough pw' }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(3);
  });

  it('setup validates each field', async () => {
    const res = await h.http.post('/v1/admin/setup').send({ email: 'nope', password: 'short', extra: 1 }).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual(['(body)', 'email', 'password'].sort());
    expect((await h.http.get('/v1/admin/setup')).body).toEqual({ needed: true });
  });

  it('login: right password signs in; wrong password and unknown email get the same answer', async () => {
    await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
    const ok = await h.http
      .post('/v1/admin/login')
      .send({ email: 'OWNER@example.com', password: ADMIN.password })
      .expect(200);
    expect(ok.body.user.email).toBe(ADMIN.email);
    const wrong = await h.http
      .post('/v1/admin/login')
      .send({ email: ADMIN.email, password: 'wrong password' })
      .expect(401);
    const unknown = await h.http
      .post('/v1/admin/login')
      .send({ email: 'ghost@example.com', password: 'wrong password' })
      .expect(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('unauthorized');
  });

  it('login limits: failures lock one client out, not the admin; successful logins do not count', async () => {
    const proxied = await startHarness(engine, { trustProxy: 'loopback' });
    try {
      await proxied.http.post('/v1/admin/setup').send(ADMIN).expect(201);
      const login = (ip: string, password: string) =>
        proxied.http.post('/v1/admin/login').set('X-Forwarded-For', ip).send({ email: ADMIN.email, password });
      // 15 successful logins from one client: none counts against it.
      for (let i = 0; i < 15; i++) expect((await login('203.0.113.1', ADMIN.password)).status).toBe(200);
      // An attacker naming the admin's email from one client: 10 failures, then rate_limited…
      const attacker: number[] = [];
      for (let i = 0; i < 12; i++) attacker.push((await login('198.51.100.7', `wrong ${i}`)).status);
      expect(attacker).toEqual([...Array(10).fill(401), 429, 429]);
      // …even with the right password from that client now,
      expect((await login('198.51.100.7', ADMIN.password)).status).toBe(429);
      // while the admin, elsewhere, still signs in.
      expect((await login('203.0.113.1', ADMIN.password)).status).toBe(200);
    } finally {
      await proxied.close();
    }
  });

  it('refresh rotates; reusing an old refresh token ends the session', async () => {
    const setup = await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
    const first = setup.body.refreshToken;
    const r1 = await h.http.post('/v1/admin/refresh').send({ refreshToken: first }).expect(200);
    expect(r1.body.refreshToken).not.toBe(first);
    await h.http.get('/v1/admin/me').set(bearer(r1.body.accessToken)).expect(200);
    // replaying the first token: refused, and the session (with its newest tokens) is revoked
    const replay = await h.http.post('/v1/admin/refresh').send({ refreshToken: first }).expect(401);
    expect(replay.body.error.code).toBe('unauthorized');
    await h.http.post('/v1/admin/refresh').send({ refreshToken: r1.body.refreshToken }).expect(401);
    await h.http.get('/v1/admin/me').set(bearer(r1.body.accessToken)).expect(401);
  });

  it('refresh rejects garbage', async () => {
    for (const refreshToken of ['x', 'a.b.c', `${'a'.repeat(100)}.b`, '.']) {
      const res = await h.http.post('/v1/admin/refresh').send({ refreshToken });
      expect(res.status).toBe(401);
    }
    const missing = await h.http.post('/v1/admin/refresh').send({}).expect(400);
    expect(missing.body.error.code).toBe('validation_failed');
  });

  it('a guessed secret for a known session id gets 401 and leaves the session alive', async () => {
    const setup = await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
    const sessionId = String(setup.body.refreshToken).split('.')[0];
    await h.http
      .post('/v1/admin/refresh')
      .send({ refreshToken: `${sessionId}.guessed-secret` })
      .expect(401);
    await h.http.get('/v1/admin/me').set('Authorization', `Bearer ${setup.body.accessToken}`).expect(200);
    await h.http.post('/v1/admin/refresh').send({ refreshToken: setup.body.refreshToken }).expect(200);
  });

  it('logout ends the session at once', async () => {
    const setup = await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
    await h.http.post('/v1/admin/logout').set(bearer(setup.body.accessToken)).expect(204);
    await h.http.get('/v1/admin/me').set(bearer(setup.body.accessToken)).expect(401);
    await h.http.post('/v1/admin/refresh').send({ refreshToken: setup.body.refreshToken }).expect(401);
  });

  it('forged, expired, alg:none and wrong-audience tokens are refused', async () => {
    const setup = await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
    const decoded = jwt.decode(setup.body.accessToken) as { sub: string; sid: string };
    const claims = { sub: decoded.sub, sid: decoded.sid, typ: 'admin', email: ADMIN.email };
    const tokens = {
      forged: jwt.sign(claims, 'another-secret-another-secret-another', { audience: 'hearth:admin', issuer: 'hearth' }),
      expired: jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_SECRET, {
        audience: 'hearth:admin',
        issuer: 'hearth',
      }),
      none: jwt.sign(claims, '', { algorithm: 'none', audience: 'hearth:admin', issuer: 'hearth' } as jwt.SignOptions),
      audience: jwt.sign(claims, TEST_SECRET, { audience: 'hearth:app', issuer: 'hearth' }),
      notAdmin: jwt.sign({ ...claims, typ: 'user' }, TEST_SECRET, { audience: 'hearth:admin', issuer: 'hearth' }),
      garbage: 'not.a.jwt',
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await h.http.get('/v1/admin/me').set(bearer(token));
      expect(res.status, name).toBe(401);
      expect(res.body.error.code, name).toBe('unauthorized');
    }
    await h.http.get('/v1/admin/me').expect(401);
  });

  it('admins can add and remove admins, not themselves; all audited', async () => {
    const setup = await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
    const auth = bearer(setup.body.accessToken);
    const added = await h.http
      .post('/v1/admin/admins')
      .set(auth)
      .send({ email: 'second@example.com', password: 'second password' })
      .expect(201);
    const dup = await h.http
      .post('/v1/admin/admins')
      .set(auth)
      .send({ email: 'SECOND@example.com', password: 'second password' })
      .expect(409);
    expect(dup.body.error.code).toBe('conflict');
    await h.http.post('/v1/admin/login').send({ email: 'second@example.com', password: 'second password' }).expect(200);
    await h.http.delete(`/v1/admin/admins/${setup.body.user.id}`).set(auth).expect(409);
    await h.http.delete(`/v1/admin/admins/${added.body.id}`).set(auth).expect(204);
    await h.http.delete(`/v1/admin/admins/${added.body.id}`).set(auth).expect(404);
    const audit = await h.http.get('/v1/admin/audit').set(auth).expect(200);
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['admin.setup', 'admin.create', 'admin.delete', 'admin.login']));
    // newest first
    expect(actions[0]).toBe('admin.delete');
    const filtered = await h.http.get('/v1/admin/audit?action=admin.create').set(auth).expect(200);
    expect(filtered.body.items).toHaveLength(1);
    expect(filtered.body.items[0]).toMatchObject({
      adminId: setup.body.user.id,
      target: { type: 'admin', id: added.body.id },
    });
  });

  it('audit pages with a cursor and refuses a forged cursor', async () => {
    const { adminToken } = await withAdminAndApp(h);
    const auth = bearer(adminToken);
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; next: string | null } } = await h.http
        .get(`/v1/admin/audit?limit=2${next ? `&after=${next}` : ''}`)
        .set(auth)
        .expect(200);
      seen.push(...res.body.items.map((e: { id: string }) => e.id));
      next = res.body.next;
    } while (next);
    // setup, app.create, key.create ×2
    expect(seen.length).toBe(4);
    expect(new Set(seen).size).toBe(4);
    const forged = await h.http.get('/v1/admin/audit?after=eyJmb3JnZWQiOnRydWV9').set(auth).expect(400);
    expect(forged.body.error.code).toBe('invalid_request');
    const badLimit = await h.http.get('/v1/admin/audit?limit=1e9').set(auth).expect(400);
    expect(badLimit.body.error.code).toBe('invalid_request');
  });
});
