import jwt from 'jsonwebtoken';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import { ADMIN, TEST_SECRET } from '../support/harness.js';
import {
  ask,
  collect,
  connect,
  connectError,
  createCollection,
  docs,
  sleep,
  startWorld,
  subscribe,
  user,
  type Change,
  type RealtimeWorld,
} from './support.js';

/**
 * Admin (dashboard) connections: `auth.adminToken` at the handshake; documents as the admin REST
 * API shows them (rules bypassed, hidden fields shown); `subscribe {collection: '*'}` tails every
 * collection; forged, expired, revoked and wrong-purpose tokens are refused. One process.
 */
type ConnectErr = { message: string; data?: { code: string; details?: { reason?: string } } };

describe('realtime admin connections', () => {
  let w: RealtimeWorld;
  let alice: TestUser;

  const asAdmin = (adminToken: unknown, extra: Record<string, unknown> = {}): Promise<Socket> => {
    const socket = io(`${w.url}/apps/${w.appId}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { adminToken, ...extra },
    });
    w.sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => {
        socket.disconnect();
        reject(err);
      });
    });
  };
  const refused = async (adminToken: unknown): Promise<ConnectErr['data']> => {
    try {
      (await asAdmin(adminToken)).disconnect();
    } catch (e) {
      return (e as ConnectErr).data;
    }
    throw new Error('expected the handshake to fail');
  };
  /** The admin token with its claims changed, signed with `secret` (the server's by default). */
  const adminTokenWith = (claims: Record<string, unknown>, secret = TEST_SECRET): string => {
    const payload = { ...(jwt.decode(w.adminToken) as Record<string, unknown>), ...claims };
    return jwt.sign(payload, secret, { algorithm: 'HS256' });
  };

  beforeAll(async () => {
    w = await startWorld('sqlite', { realtime: { sessionCheckMs: 200 } });
    await createCollection(w);
    await createCollection(w, { name: 'other', fields: [{ name: 'text', type: 'string' }] });
    alice = await user(w, 'alice@example.com');
  });
  afterAll(() => w.close());

  it('sees documents as the admin REST API does: every document, hidden fields shown', async () => {
    const admin = await asAdmin(w.adminToken);
    const changes = collect(admin);
    const sub = await subscribe(admin, { collection: 'notes', filter: { secret: 's1' } });
    const created = await w.http.post(docs(w)).set(alice.headers).send({ text: 'private', secret: 's1' }).expect(201);
    const [change] = await changes.next(1);
    const rest = await w.http
      .get(`${docs(w)}/${created.body.id}`)
      .set(w.admin)
      .expect(200);
    expect(change).toMatchObject({ subscription: sub, collection: 'notes', type: 'create' });
    expect(change!.document).toEqual(rest.body);
    expect(change!.document.secret).toBe('s1');
    // A user subscribing the same way is refused: hidden fields are not filterable for it.
    const a = await connect(w.url, w.appId, { key: w.publicKey, token: alice.token }, w.sockets);
    const answer = await ask(a, 'subscribe', { collection: 'notes', filter: { secret: 's1' } });
    expect(answer.error?.code).toBe('invalid_request');
    admin.disconnect();
    a.disconnect();
  });

  it('tails every collection of the app with collection "*"; "*" is for admins only and takes no filter', async () => {
    const admin = await asAdmin(w.adminToken);
    const changes = collect(admin);
    await subscribe(admin, { collection: '*' });
    await w.http.post(docs(w)).set(alice.headers).send({ text: 'one' }).expect(201);
    await w.http.post(docs(w, 'other')).set({ 'X-Hearth-Key': w.secretKey }).send({ text: 'two' }).expect(201);
    const got = await changes.next(2);
    expect(got.map((c: Change & { collection?: string }) => [c.collection, c.type, c.document.text])).toEqual([
      ['notes', 'create', 'one'],
      ['other', 'create', 'two'],
    ]);
    expect((await ask(admin, 'subscribe', { collection: '*', filter: { text: 'x' } })).error?.code).toBe(
      'invalid_request',
    );
    expect((await ask(admin, 'subscribe', { collection: '*', since: Date.now() })).error?.code).toBe('invalid_request');
    const s = await connect(w.url, w.appId, { key: w.secretKey }, w.sockets);
    expect((await ask(s, 'subscribe', { collection: '*' })).error?.code).toBe('forbidden');
    const stats = await w.http.get(`/v1/admin/apps/${w.appId}/realtime/stats`).set(w.admin).expect(200);
    expect(stats.body).toMatchObject({ connections: 2, adminConnections: 1 });
    admin.disconnect();
    s.disconnect();
  });

  it('refuses forged, expired and malformed admin tokens', async () => {
    const invalid = { code: 'unauthorized', details: { reason: 'invalid_token' } };
    expect(await refused(adminTokenWith({}, 'another-secret-0123456789-0123456789'))).toMatchObject(invalid);
    const unsigned = `${jwt.sign({ ...(jwt.decode(w.adminToken) as object) }, '', { algorithm: 'none' })}`;
    expect(await refused(unsigned)).toMatchObject(invalid);
    expect(await refused(adminTokenWith({ exp: Math.floor(Date.now() / 1000) - 10 }))).toMatchObject({
      code: 'unauthorized',
      details: { reason: 'token_expired' },
    });
    expect(await refused(adminTokenWith({ sid: 'no-such-session' }))).toMatchObject(invalid);
    for (const bad of ['', 'x'.repeat(5000), 42, { token: w.adminToken }])
      expect(await refused(bad)).toMatchObject(invalid);
  });

  it('refuses tokens made for another purpose, and an admin token where a user token goes', async () => {
    const invalid = { code: 'unauthorized', details: { reason: 'invalid_token' } };
    // A user's access token, an admin refresh token, an admin token not typed admin, another audience.
    expect(await refused(alice.token)).toMatchObject(invalid);
    const login = await w.http.post('/v1/admin/login').send(ADMIN).expect(200);
    expect(await refused(login.body.refreshToken)).toMatchObject(invalid);
    expect(await refused(adminTokenWith({ typ: 'refresh' }))).toMatchObject(invalid);
    expect(await refused(adminTokenWith({ aud: 'hearth:app' }))).toMatchObject(invalid);
    // The admin token as a user's token.
    expect((await connectError(w.url, w.appId, { key: w.publicKey, token: w.adminToken })).data).toMatchObject(invalid);
    // On a user connection, auth {adminToken} does not make it an admin connection.
    const a = await connect(w.url, w.appId, { key: w.publicKey, token: alice.token }, w.sockets);
    expect((await ask(a, 'auth', { adminToken: w.adminToken })).error?.code).toBe('invalid_request');
    expect((await ask(a, 'subscribe', { collection: '*' })).error?.code).toBe('forbidden');
    a.disconnect();
  });

  it('refreshes with auth {adminToken}; a logged-out session ends the connection', async () => {
    const login = await w.http.post('/v1/admin/login').send(ADMIN).expect(200);
    const admin = await asAdmin(login.body.accessToken);
    const refreshed = await w.http
      .post('/v1/admin/refresh')
      .send({ refreshToken: login.body.refreshToken })
      .expect(200);
    const answer = await ask(admin, 'auth', { adminToken: refreshed.body.accessToken });
    expect(answer).toMatchObject({ admin: { email: ADMIN.email } });
    expect((await ask(admin, 'auth', { adminToken: 'nope' })).error?.details?.reason).toBe('invalid_token');
    expect((await ask(admin, 'auth', { token: alice.token })).error?.code).toBe('invalid_request');
    const sub = await subscribe(admin, { collection: 'notes' });
    const ended = collect<{ subscription: string; error: { details: { reason: string } } }>(admin, 'ended');
    const session = collect<{ state: string }>(admin, 'session');
    const gone = new Promise<string>((r) => admin.once('disconnect', r));
    await w.http.post('/v1/admin/logout').set('Authorization', `Bearer ${refreshed.body.accessToken}`).expect(204);
    await session.next(1);
    expect(ended.items[0]).toMatchObject({ subscription: sub, error: { details: { reason: 'session_revoked' } } });
    expect(session.items[0]).toMatchObject({ state: 'revoked' });
    expect(await gone).toBe('io server disconnect');
    // A token of the logged-out session no longer connects.
    expect(await refused(refreshed.body.accessToken)).toMatchObject({ code: 'unauthorized' });
  });

  it('an admin token expiring while connected ends the connection with token_expired', async () => {
    const admin = await asAdmin(adminTokenWith({ exp: Math.floor(Date.now() / 1000) + 2 }));
    const session = collect<{ state: string; error: { details: { reason: string } } }>(admin, 'session');
    await subscribe(admin, { collection: 'notes' });
    await session.next(1, 5000);
    expect(session.items[0]).toMatchObject({ state: 'expired', error: { details: { reason: 'token_expired' } } });
    await sleep(100);
    expect(admin.connected).toBe(false);
  });
});
