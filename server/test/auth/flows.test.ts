import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld } from './support.js';

/** Email + password accounts, sessions, profile, anonymous users and upgrade (issue 5). */
describe.each(ENGINES)('auth flows [%s]', (engine) => {
  let w: AuthWorld;
  beforeAll(async () => {
    w = await openAuthWorld(engine);
  });
  afterAll(async () => {
    await w?.close();
  });

  it('signs up, signs in and answers /auth/me', async () => {
    const up = await w.signUp('Alice@Example.com');
    expect(up.user).toMatchObject({ email: 'alice@example.com', anonymous: false, emailVerified: false, roles: [] });
    expect(up.expiresIn).toBe(900);
    expect(up.user).not.toHaveProperty('passwordHash');
    const me = await w.h.http.get(w.auth('/me')).set(w.as(up.accessToken)).expect(200);
    expect(me.body.id).toBe(up.user.id);
    expect(JSON.stringify(me.body)).not.toMatch(/argon2|passwordHash|login/);
    const again = await w.login('alice@example.com');
    expect(again.user.id).toBe(up.user.id);
    expect(again.user.lastSignInAt).toBeTruthy();
  });

  it('stores the password with argon2id at OWASP parameters', async () => {
    const res = await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'hash@example.com', password: PASSWORD })
      .expect(201);
    const doc = await w.h.store.forApp(w.appId).get('_users', res.body.user.id);
    expect(String(doc?.passwordHash)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('refuses a second account for the same email (any case) with conflict', async () => {
    await w.signUp('dup@example.com');
    expectError(
      await w.h.http.post(w.auth('/signup')).set(w.pk).send({ email: 'DUP@example.com', password: PASSWORD }),
      409,
      'conflict',
    );
  });

  it('applies the per-app password policy', async () => {
    const weak = await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'weak@example.com', password: 'short' });
    expect(expectError(weak, 400, 'validation_failed').fields).toEqual({ password: 'must be at least 10 characters' });
    await w.patchSettings({ passwordPolicy: { minLength: 12, requireDigit: true, requireSymbol: true } });
    const res = await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'weak@example.com', password: 'only letters here' });
    expect(expectError(res, 400, 'validation_failed').fields).toEqual({
      password: 'must contain a digit; must contain a symbol',
    });
    await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'weak@example.com', password: 'letters and 1 digit!' })
      .expect(201);
    await w.patchSettings({ passwordPolicy: { minLength: 10, requireDigit: false, requireSymbol: false } });
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    await w.signUp('enum@example.com');
    const wrong = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'enum@example.com', password: 'not the password' });
    const unknown = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'nobody@example.com', password: 'not the password' });
    expectError(wrong, 401, 'unauthorized');
    expectError(unknown, 401, 'unauthorized');
    expect(wrong.body).toEqual(unknown.body);
  });

  it('rejects bad input with validation_failed', async () => {
    for (const body of [
      {},
      { email: 'not-an-email', password: PASSWORD },
      { email: 'a@example.com' },
      { email: 'a@example.com', password: PASSWORD, role: 'admin' },
    ]) {
      expectError(await w.h.http.post(w.auth('/signup')).set(w.pk).send(body), 400, 'validation_failed');
    }
    expectError(
      await w.h.http
        .post(w.auth('/login'))
        .set(w.pk)
        .send({ email: ['a@example.com'], password: PASSWORD }),
      400,
      'validation_failed',
    );
  });

  it('needs the app key on every auth route', async () => {
    expectError(
      await w.h.http.post(w.auth('/signup')).send({ email: 'nokey@example.com', password: PASSWORD }),
      401,
      'invalid_api_key',
    );
  });

  it('rotates refresh tokens; a reused one ends the session', async () => {
    const s = await w.signUp('refresh@example.com');
    const r1 = await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: s.refreshToken }).expect(200);
    expect(r1.body.refreshToken).not.toBe(s.refreshToken);
    expect(r1.body.user.id).toBe(s.user.id);
    await w.h.http.get(w.auth('/me')).set(w.as(r1.body.accessToken)).expect(200);
    // The old token again: theft. The session ends, so the new tokens stop working too.
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: s.refreshToken }),
      401,
      'unauthorized',
    );
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: r1.body.refreshToken }),
      401,
      'unauthorized',
    );
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(r1.body.accessToken)), 401, 'unauthorized');
  });

  it('lets exactly one of two concurrent refreshes with one token win, and then ends the session', async () => {
    const s = await w.signUp('race@example.com');
    const [a, b] = await Promise.all([
      w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: s.refreshToken }),
      w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: s.refreshToken }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    const winner = a.status === 200 ? a : b;
    // The loser was a reuse: the session is gone, so the winner's tokens stop too.
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(winner.body.accessToken)), 401, 'unauthorized');
  });

  it('refuses malformed refresh tokens', async () => {
    for (const refreshToken of ['x', 'a.b.c', '.', 'nosuchsession.secret', `${'a'.repeat(65)}.b`]) {
      expectError(await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken }), 401, 'unauthorized');
    }
  });

  it('logs out (the access token stops working at once) and lists and revokes sessions', async () => {
    const a = await w.signUp('sessions@example.com');
    const b = await w.login('sessions@example.com');
    const list = await w.h.http.get(w.auth('/sessions')).set(w.as(a.accessToken)).expect(200);
    expect(list.body.items).toHaveLength(2);
    expect(list.body.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const other = list.body.items.find((s: { current: boolean }) => !s.current);
    await w.h.http
      .delete(w.auth(`/sessions/${other.id}`))
      .set(w.as(a.accessToken))
      .expect(204);
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(b.accessToken)), 401, 'unauthorized');
    expectError(await w.h.http.delete(w.auth(`/sessions/${other.id}`)).set(w.as(a.accessToken)), 404, 'not_found');
    await w.h.http.post(w.auth('/logout')).set(w.as(a.accessToken)).expect(204);
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(a.accessToken)), 401, 'unauthorized');
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: a.refreshToken }),
      401,
      'unauthorized',
    );
  });

  it("cannot revoke another user's session", async () => {
    const a = await w.signUp('mine@example.com');
    const b = await w.signUp('theirs@example.com');
    const bs = await w.h.http.get(w.auth('/sessions')).set(w.as(b.accessToken)).expect(200);
    expectError(
      await w.h.http.delete(w.auth(`/sessions/${bs.body.items[0].id}`)).set(w.as(a.accessToken)),
      404,
      'not_found',
    );
    await w.h.http.get(w.auth('/me')).set(w.as(b.accessToken)).expect(200);
  });

  it('changes the password (needs the current one; other sessions end)', async () => {
    const a = await w.signUp('pw@example.com');
    const b = await w.login('pw@example.com');
    expectError(
      await w.h.http
        .post(w.auth('/password'))
        .set(w.as(a.accessToken))
        .send({ currentPassword: 'wrong wrong wrong', newPassword: 'another good password 2' }),
      401,
      'unauthorized',
    );
    await w.h.http
      .post(w.auth('/password'))
      .set(w.as(a.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'another good password 2' })
      .expect(204);
    await w.h.http.get(w.auth('/me')).set(w.as(a.accessToken)).expect(200);
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(b.accessToken)), 401, 'unauthorized');
    expectError(
      await w.h.http.post(w.auth('/login')).set(w.pk).send({ email: 'pw@example.com', password: PASSWORD }),
      401,
      'unauthorized',
    );
    await w.login('pw@example.com', 'another good password 2');
  });

  it("validates the profile against the app's profile fields", async () => {
    await w.patchSettings({
      profileFields: [
        { name: 'displayName', type: 'string', maxLength: 40 },
        { name: 'age', type: 'integer', min: 0 },
        { name: 'plan', type: 'string', enum: ['free', 'pro'], default: 'free' },
      ],
    });
    const a = await w.signUp('profile@example.com');
    expect(a.user.profile).toEqual({ plan: 'free' });
    const ok = await w.h.http
      .patch(w.auth('/me'))
      .set(w.as(a.accessToken))
      .send({ profile: { displayName: 'Alice', age: 30 } })
      .expect(200);
    expect(ok.body.profile).toEqual({ plan: 'free', displayName: 'Alice', age: 30 });
    const bad = await w.h.http
      .patch(w.auth('/me'))
      .set(w.as(a.accessToken))
      .send({ profile: { age: -1, plan: 'gold', nope: 1 } });
    expect(Object.keys(expectError(bad, 400, 'validation_failed').fields as object).sort()).toEqual([
      'profile.age',
      'profile.nope',
      'profile.plan',
    ]);
    const removed = await w.h.http
      .patch(w.auth('/me'))
      .set(w.as(a.accessToken))
      .send({ profile: { age: null } })
      .expect(200);
    expect(removed.body.profile).toEqual({ plan: 'free', displayName: 'Alice' });
    await w.patchSettings({ profileFields: [] });
  });

  it('needs a user token for /auth/me', async () => {
    expectError(await w.h.http.get(w.auth('/me')).set(w.pk), 401, 'unauthorized');
    expectError(await w.h.http.get(w.auth('/me')).set(w.sk), 401, 'unauthorized');
  });

  it('signs in anonymously and upgrades to an email account keeping the id and the data', async () => {
    const created = await w.h.http
      .post(`/v1/admin/apps/${w.appId}/collections`)
      .set(w.admin)
      .send({ name: 'notes', fields: [{ name: 'title', type: 'string' }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const anon = (await w.h.http.post(w.auth('/anonymous')).set(w.pk).send({}).expect(201)).body;
    expect(anon.user).toMatchObject({ anonymous: true, email: null });
    const note = await w.h.http
      .post(`/v1/apps/${w.appId}/collections/notes/documents`)
      .set(w.as(anon.accessToken))
      .send({ title: 'mine' })
      .expect(201);
    expect(note.body.owner).toBe(anon.user.id);
    expectError(
      await w.h.http
        .post(w.auth('/password'))
        .set(w.as(anon.accessToken))
        .send({ newPassword: 'another good password 2' }),
      403,
      'forbidden',
    );
    const up = await w.h.http
      .post(w.auth('/upgrade'))
      .set(w.as(anon.accessToken))
      .send({ email: 'upgraded@example.com', password: PASSWORD })
      .expect(200);
    expect(up.body.user).toMatchObject({ id: anon.user.id, anonymous: false, email: 'upgraded@example.com' });
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(anon.accessToken)), 401, 'unauthorized');
    const mine = await w.h.http
      .get(`/v1/apps/${w.appId}/collections/notes/documents`)
      .set(w.as(up.body.accessToken))
      .expect(200);
    expect(mine.body.items.map((d: { id: string }) => d.id)).toEqual([note.body.id]);
    const again = await w.login('upgraded@example.com');
    expect(again.user.id).toBe(anon.user.id);
    expectError(
      await w.h.http
        .post(w.auth('/upgrade'))
        .set(w.as(again.accessToken))
        .send({ email: 'x@example.com', password: PASSWORD }),
      409,
      'conflict',
    );
  });

  it('refuses an upgrade to an email that is taken', async () => {
    await w.signUp('taken@example.com');
    const anon = (await w.h.http.post(w.auth('/anonymous')).set(w.pk).send({}).expect(201)).body;
    expectError(
      await w.h.http
        .post(w.auth('/upgrade'))
        .set(w.as(anon.accessToken))
        .send({ email: 'TAKEN@example.com', password: PASSWORD }),
      409,
      'conflict',
    );
    await w.h.http.get(w.auth('/me')).set(w.as(anon.accessToken)).expect(200);
  });

  it('closes sign-up and anonymous sign-in when the app says so', async () => {
    await w.patchSettings({ allowSignup: false, allowAnonymous: false });
    expectError(
      await w.h.http.post(w.auth('/signup')).set(w.pk).send({ email: 'closed@example.com', password: PASSWORD }),
      403,
      'forbidden',
    );
    expectError(await w.h.http.post(w.auth('/anonymous')).set(w.pk).send({}), 403, 'forbidden');
    await w.patchSettings({ allowSignup: true, allowAnonymous: true });
  });

  it("uses the app's access-token lifetime", async () => {
    await w.patchSettings({ accessTokenTtl: 120 });
    const s = await w.signUp('ttl@example.com');
    expect(s.expiresIn).toBe(120);
    const payload = JSON.parse(Buffer.from(s.accessToken.split('.')[1]!, 'base64url').toString());
    expect(payload.exp - payload.iat).toBe(120);
    await w.patchSettings({ accessTokenTtl: 900 });
  });
});
