import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
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
  type RealtimeWorld,
} from './support.js';

/**
 * Sessions (expired tokens at the handshake and while connected, re-authentication with `auth`)
 * and limits (subscriptions, messages per second, message size, connections per app), and
 * backpressure: a client that stops reading is disconnected. One process on SQLite: none of this
 * depends on the document engine (the subscription suites run both).
 */
describe('realtime sessions and limits', () => {
  let w: RealtimeWorld;
  let alice: TestUser;

  /** A token of `u` whose expiry is `inSeconds` from now, signed with the app's own key. */
  async function tokenExpiringIn(u: TestUser, inSeconds: number): Promise<string> {
    const decoded = jwt.decode(u.token, { complete: true })!;
    const key = await w.built.modules.auth.services.keys.verificationKey(w.appId, String(decoded.header.kid));
    const payload = { ...(decoded.payload as Record<string, unknown>), exp: Math.floor(Date.now() / 1000) + inSeconds };
    return jwt.sign(payload, key!, { algorithm: 'HS256', keyid: String(decoded.header.kid) });
  }

  beforeAll(async () => {
    w = await startWorld('sqlite', {
      realtime: {
        maxSubscriptionsPerSocket: 3,
        messagesPerSecond: 10,
        maxMessageBytes: 1024,
        maxConnectionsPerApp: 6,
        maxBufferedPackets: 20,
      },
    });
    await createCollection(w);
    alice = await user(w, 'alice@example.com');
    await w.http
      .put(`/v1/admin/apps/${w.appId}/realtime/channels`)
      .set(w.admin)
      .send({ rules: [{ pattern: 'room:*', join: 'authenticated', publish: 'authenticated' }] })
      .expect(200);
  });
  afterAll(() => w.close());

  it('an expired token is refused at the handshake with token_expired', async () => {
    const expired = await tokenExpiringIn(alice, -10);
    expect((await connectError(w.url, w.appId, { key: w.publicKey, token: expired })).data).toMatchObject({
      code: 'unauthorized',
      details: { reason: 'token_expired' },
    });
  });

  it('a token expiring while connected stops the user subscriptions; auth with a fresh token re-authenticates', async () => {
    const s = await connect(w.url, w.appId, { key: w.publicKey, token: await tokenExpiringIn(alice, 2) }, w.sockets);
    const ended = collect<{ subscription: string; error: { details: { reason: string } } }>(s, 'ended');
    const session = collect<{ state: string; error: { code: string } }>(s, 'session');
    const changes = collect(s);
    const sub = await subscribe(s, { collection: 'notes' });
    await ended.next(1, 6000);
    expect(ended.items[0]).toMatchObject({ subscription: sub, error: { details: { reason: 'token_expired' } } });
    expect((await session.next(1))[0]).toMatchObject({ state: 'expired', error: { code: 'unauthorized' } });
    await w.http.post(docs(w)).set(alice.headers).send({ text: 'after expiry' }).expect(201);
    await sleep(200);
    expect(changes.items).toEqual([]);
    // A bad token is refused and changes nothing; a fresh one works.
    expect((await ask(s, 'auth', { token: 'nope' })).error).toMatchObject({ code: 'unauthorized' });
    const auth = await ask(s, 'auth', { token: alice.token });
    expect(auth.user).toMatchObject({ id: alice.id });
    const again = await subscribe(s, { collection: 'notes' });
    await w.http.post(docs(w)).set(alice.headers).send({ text: 'after auth' }).expect(201);
    expect((await changes.next(1))[0]).toMatchObject({ subscription: again, type: 'create' });
    s.disconnect();
  });

  it('limits: subscriptions per connection, messages per second, message size', async () => {
    const s = await connect(w.url, w.appId, { key: w.publicKey, token: alice.token }, w.sockets);
    for (let i = 0; i < 3; i++) await subscribe(s, { collection: 'notes' });
    expect((await ask(s, 'subscribe', { collection: 'notes' })).error).toMatchObject({
      code: 'rate_limited',
      details: { reason: 'too_many_subscriptions', max: 3 },
    });
    await ask(s, 'join', { channel: 'room:big' });
    expect((await ask(s, 'publish', { channel: 'room:big', message: 'x'.repeat(2000) })).error).toMatchObject({
      code: 'payload_too_large',
      details: { reason: 'message_too_large' },
    });
    const burst = await Promise.all(Array.from({ length: 40 }, () => ask(s, 'leave', { channel: 'room:none' })));
    const limited = burst.filter((r) => r.error?.details?.reason === 'too_many_messages');
    expect(limited.length).toBeGreaterThan(10);
    expect(limited[0]!.error).toMatchObject({ code: 'rate_limited' });
    s.disconnect();
  });

  it('connections per app: past the limit the handshake is refused with too_many_connections', async () => {
    await sleep(300);
    const held = [];
    for (let i = 0; i < 6; i++) held.push(await connect(w.url, w.appId, { key: w.publicKey }, w.sockets));
    expect((await connectError(w.url, w.appId, { key: w.publicKey })).data).toMatchObject({
      code: 'rate_limited',
      details: { reason: 'too_many_connections' },
    });
    for (const s of held) s.disconnect();
    await sleep(200);
    (await connect(w.url, w.appId, { key: w.publicKey }, w.sockets)).disconnect();
  });
});

describe('realtime backpressure', () => {
  let w: RealtimeWorld;
  let alice: TestUser;

  beforeAll(async () => {
    w = await startWorld('sqlite', { realtime: { messagesPerSecond: 100_000, maxBufferedPackets: 20 } });
    alice = await user(w, 'alice@example.com');
    await w.http
      .put(`/v1/admin/apps/${w.appId}/realtime/channels`)
      .set(w.admin)
      .send({ rules: [{ pattern: 'room:*', join: 'authenticated', publish: 'authenticated' }] })
      .expect(200);
  });
  afterAll(() => w.close());

  it('a client that stops reading is disconnected (backpressure), the others keep getting messages', async () => {
    const slow = await connect(w.url, w.appId, { key: w.publicKey, token: alice.token }, w.sockets);
    const fast = await connect(w.url, w.appId, { key: w.publicKey, token: alice.token }, w.sockets);
    const sender = await connect(w.url, w.appId, { key: w.secretKey }, w.sockets);
    for (const s of [slow, fast, sender])
      expect((await ask(s, 'join', { channel: 'room:flood' })).error).toBeUndefined();
    const rt = w.built.modules.realtime.services.server;
    expect(rt.sockets.has(slow.id!)).toBe(true);
    // Stop reading: the TCP socket under the WebSocket is paused, so the server's writes back up.
    const engine = slow.io.engine as unknown as { transport: { ws: { _socket: { pause(): void } } } };
    engine.transport.ws._socket.pause();
    const received = collect(fast, 'message');
    const metricsBefore = await w.http.get('/metrics');
    let sent = 0;
    // The paused client cannot even read the close: the server side says it is gone.
    const isDropped = () => !rt.sockets.has(slow.id!);
    let dropped = false;
    const big = 'y'.repeat(1000);
    while (!dropped && sent < 20_000) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => ask(sender, 'publish', { channel: 'room:flood', message: big })),
      );
      expect(answers.filter((x) => x.error)).toEqual([]);
      sent += 50;
      dropped = isDropped();
    }
    expect(dropped).toBe(true);
    expect(rt.sockets.has(fast.id!)).toBe(true);
    await received.next(sent, 20_000);
    const metrics = await w.http.get('/metrics');
    expect(metricsBefore.text).toMatch(/hearth_realtime_slow_clients_dropped_total 0/);
    expect(metrics.text).toMatch(/hearth_realtime_slow_clients_dropped_total 1/);
    expect(metrics.text).toMatch(/hearth_realtime_connections \d+/);
    for (const s of [fast, sender]) s.disconnect();
  }, 60_000);
});

describe('realtime: a revoked key or a deleted app ends its connections', () => {
  let w: RealtimeWorld;
  beforeAll(async () => {
    w = await startWorld('sqlite', { realtime: { sessionCheckMs: 300 } });
  });
  afterAll(() => w.close());

  it('revoking the key disconnects its connections, saying why', async () => {
    const created = await w.http
      .post(`/v1/admin/apps/${w.appId}/keys`)
      .set(w.admin)
      .send({ kind: 'public' })
      .expect(201);
    const s = await connect(w.url, w.appId, { key: created.body.key }, w.sockets);
    const session = collect<{ state: string; error: { code: string } }>(s, 'session');
    const gone = new Promise<string>((resolve) => s.on('disconnect', (reason) => resolve(reason)));
    await w.http
      .delete(`/v1/admin/apps/${w.appId}/keys/${created.body.id}`)
      .set(w.admin)
      .expect((r) => expect(r.status).toBeLessThan(300));
    expect(await gone).toBe('io server disconnect');
    expect(session.items[0]).toMatchObject({ state: 'revoked', error: { code: 'invalid_api_key' } });
  });

  it("deleting the app disconnects this server's connections of it at once", async () => {
    const app = await w.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Doomed' }).expect(201);
    const s = await connect(w.url, app.body.id, { key: app.body.keys.public }, w.sockets);
    const gone = new Promise<string>((resolve) => s.on('disconnect', (reason) => resolve(reason)));
    await w.http
      .delete(`/v1/admin/apps/${app.body.id}`)
      .set(w.admin)
      .expect((r) => expect(r.status).toBeLessThan(300));
    expect(await gone).toBe('io server disconnect');
  });
});
