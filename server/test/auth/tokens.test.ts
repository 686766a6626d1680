import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSigningKey } from '../../src/modules/auth/signing-keys.js';
import { ENGINES, TEST_SECRET } from '../support/harness.js';
import { expectError, openAuthWorld, type AuthWorld, type SignInBody } from './support.js';

/** Access tokens under attack: forged, expired, alg none, other apps, rotation (issue 5). */
describe.each(ENGINES)('access tokens [%s]', (engine) => {
  let w: AuthWorld;
  let alice: SignInBody;
  let header: { kid: string; alg: string };
  let payload: Record<string, unknown>;
  let other: { appId: string; publicKey: string };

  beforeAll(async () => {
    w = await openAuthWorld(engine);
    alice = await w.signUp('alice@example.com');
    const decoded = jwt.decode(alice.accessToken, { complete: true })!;
    header = decoded.header as { kid: string; alg: string };
    payload = decoded.payload as Record<string, unknown>;
    const res = await w.h.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
    other = { appId: res.body.id, publicKey: res.body.keys.public };
  });
  afterAll(async () => {
    await w?.close();
  });

  const me = (token: string, key = w.publicKey, appId = w.appId) =>
    w.h.http.get(`/v1/apps/${appId}/auth/me`).set({ 'X-Hearth-Key': key, Authorization: `Bearer ${token}` });
  const keyOf = (appId: string, kid: string) => deriveSigningKey(TEST_SECRET, appId, kid);
  const sign = (claims: Record<string, unknown>, options: jwt.SignOptions = {}, key = keyOf(w.appId, header.kid)) =>
    jwt.sign(claims, key, { algorithm: 'HS256', keyid: header.kid, ...options });

  it('carries kid, audience, session and type; nothing secret', () => {
    expect(header.alg).toBe('HS256');
    expect(header.kid).toMatch(/^k/);
    expect(payload).toMatchObject({
      sub: alice.user.id,
      typ: 'user',
      app: w.appId,
      aud: `hearth:app:${w.appId}`,
      iss: 'hearth',
    });
    expect(payload.sid).toEqual(expect.any(String));
  });

  it('accepts a token signed with the right key (the test forges correctly)', async () => {
    const { iat: _i, exp: _e, ...claims } = payload;
    await me(sign(claims, { expiresIn: 60 })).expect(200);
  });

  it('refuses a token signed with another secret', async () => {
    const { iat: _i, exp: _e, ...claims } = payload;
    expectError(await me(sign(claims, { expiresIn: 60 }, Buffer.from('x'.repeat(32)))), 401, 'unauthorized');
    expectError(
      await me(jwt.sign(claims, TEST_SECRET, { algorithm: 'HS256', keyid: header.kid, expiresIn: 60 })),
      401,
      'unauthorized',
    );
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = alice.accessToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url');
    expectError(await me(`${h}.${forged}.${s}`), 401, 'unauthorized');
  });

  it('refuses an expired token', async () => {
    const { iat: _i, exp: _e, ...claims } = payload;
    const expired = sign({
      ...claims,
      iat: Math.floor(Date.now() / 1000) - 3600,
      exp: Math.floor(Date.now() / 1000) - 60,
    });
    expectError(await me(expired), 401, 'unauthorized');
  });

  it('refuses alg none and other algorithms', async () => {
    const none = jwt.sign(payload, '', { algorithm: 'none', keyid: header.kid } as jwt.SignOptions);
    expectError(await me(none), 401, 'unauthorized');
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expectError(await me(`${enc({ alg: 'none', typ: 'JWT', kid: header.kid })}.${enc(payload)}.`), 401, 'unauthorized');
    const { iat: _i, exp: _e, ...claims } = payload;
    const hs512 = jwt.sign(claims, keyOf(w.appId, header.kid), {
      algorithm: 'HS512',
      keyid: header.kid,
      expiresIn: 60,
    });
    expectError(await me(hs512), 401, 'unauthorized');
  });

  it('refuses unknown kids and no kid', async () => {
    const { iat: _i, exp: _e, ...claims } = payload;
    expectError(await me(sign(claims, { expiresIn: 60, keyid: 'knope' })), 401, 'unauthorized');
    expectError(
      await me(jwt.sign(claims, keyOf(w.appId, header.kid), { algorithm: 'HS256', expiresIn: 60 })),
      401,
      'unauthorized',
    );
  });

  it("refuses app A's token on app B, even with B's key and a key derived for B", async () => {
    expectError(await me(alice.accessToken, other.publicKey, other.appId), 401, 'unauthorized');
    const { iat: _i, exp: _e, ...claims } = payload;
    // Same claims signed with B's derivation of the kid: the audience/app still name A.
    expectError(
      await me(sign(claims, { expiresIn: 60 }, keyOf(other.appId, header.kid)), other.publicKey, other.appId),
      401,
      'unauthorized',
    );
  });

  it("refuses A's token presented with B's key on A's routes", async () => {
    expectError(await me(alice.accessToken, other.publicKey), 401, 'invalid_api_key');
  });

  it('refuses tokens of other kinds: admin tokens, refresh tokens, garbage', async () => {
    expectError(await me(w.adminToken), 401, 'unauthorized');
    expectError(await me(alice.refreshToken), 401, 'unauthorized');
    for (const junk of ['x', 'a.b.c', '', '....']) {
      const res = await w.h.http.get(w.auth('/me')).set({ ...w.pk, Authorization: `Bearer ${junk}` });
      expect(res.status).toBe(401);
    }
    expectError(
      await w.h.http
        .get(w.auth('/me'))
        .set({ ...w.pk, Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
      401,
      'unauthorized',
    );
  });

  it("refuses a token with a session that is not the user's, or with the wrong type", async () => {
    const bob = await w.signUp('bob@example.com');
    const bobSid = (jwt.decode(bob.accessToken) as { sid: string }).sid;
    const { iat: _i, exp: _e, ...claims } = payload;
    expectError(await me(sign({ ...claims, sid: bobSid }, { expiresIn: 60 })), 401, 'unauthorized');
    expectError(await me(sign({ ...claims, typ: 'admin' }, { expiresIn: 60 })), 401, 'unauthorized');
  });

  it('rotates the signing key: old tokens verify during the grace period, then stop', async () => {
    const before = await w.signUp('rotate@example.com');
    const rotated = await w.h.http
      .post(`/v1/admin/apps/${w.appId}/auth/keys/rotate`)
      .set(w.admin)
      .send({ graceSeconds: 0 })
      .expect(200);
    expect(rotated.body.items.filter((k: { current: boolean }) => k.current)).toHaveLength(1);
    w.h.modules.auth.services.keys.forget(w.appId);
    expectError(await me(before.accessToken), 401, 'unauthorized');
    const after = await w.login('rotate@example.com');
    const kid = (jwt.decode(after.accessToken, { complete: true })!.header as { kid: string }).kid;
    expect(kid).not.toBe(header.kid);
    await me(after.accessToken).expect(200);
    // A refresh token outlives rotation: it is not a JWT.
    const refreshed = await w.h.http
      .post(w.auth('/refresh'))
      .set(w.pk)
      .send({ refreshToken: before.refreshToken })
      .expect(200);
    await me(refreshed.body.accessToken).expect(200);

    await w.h.http
      .post(`/v1/admin/apps/${w.appId}/auth/keys/rotate`)
      .set(w.admin)
      .send({ graceSeconds: 600 })
      .expect(200);
    w.h.modules.auth.services.keys.forget(w.appId);
    await me(after.accessToken).expect(200);
    const keys = await w.h.http.get(`/v1/admin/apps/${w.appId}/auth/keys`).set(w.admin).expect(200);
    expect(keys.body.items).toHaveLength(3);
    expect(JSON.stringify(keys.body)).not.toMatch(/secret|key"/i);
  });

  it('verifies tokens outside HTTP the same way (realtime handshakes)', async () => {
    const auth = w.h.modules.auth;
    const dave = await w.signUp('dave@example.com');
    expect(await auth.verifyToken(w.appId, dave.accessToken)).toMatchObject({ id: dave.user.id, anonymous: false });
    expect(await auth.verifyToken(other.appId, dave.accessToken)).toBeNull();
    expect(await auth.verifyToken(w.appId, 'garbage')).toBeNull();
    const none = jwt.sign(jwt.decode(dave.accessToken) as object, '', { algorithm: 'none' } as jwt.SignOptions);
    expect(await auth.verifyToken(w.appId, none)).toBeNull();
    await w.h.http.post(w.auth('/logout')).set(w.as(dave.accessToken)).expect(204);
    expect(await auth.verifyToken(w.appId, dave.accessToken)).toBeNull();
  });

  it('stops a disabled user at once', async () => {
    const carol = await w.signUp('carol@example.com');
    await me(carol.accessToken).expect(200);
    await w.h.http
      .patch(`/v1/admin/apps/${w.appId}/users/${carol.user.id}`)
      .set(w.admin)
      .send({ disabled: true })
      .expect(200);
    expectError(await me(carol.accessToken), 401, 'unauthorized');
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: carol.refreshToken }),
      401,
      'unauthorized',
    );
    expectError(
      await w.h.http
        .post(w.auth('/login'))
        .set(w.pk)
        .send({ email: 'carol@example.com', password: 'a long enough password 1!' }),
      403,
      'forbidden',
    );
  });
});
