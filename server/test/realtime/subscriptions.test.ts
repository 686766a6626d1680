import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
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
 * Query subscriptions on a real server with socket.io-client: every subscriber gets changes
 * under its own read rule and without hidden fields, enter/leave by filter and by rule, filters
 * validated like REST, the handshake's errors, and no event crossing apps. Both document engines.
 */
describe.each(ENGINES)('realtime subscriptions [%s]', (engine) => {
  let w: RealtimeWorld;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    w = await startWorld(engine);
    await createCollection(w);
    alice = await user(w, 'alice@example.com', ['red']);
    bob = await user(w, 'bob@example.com', ['blue']);
  });
  afterAll(() => w.close());

  const as = (u: TestUser) => connect(w.url, w.appId, { key: w.publicKey, token: u.token }, w.sockets);
  const write = (u: TestUser, body: Record<string, unknown>) =>
    w.http.post(docs(w)).set(u.headers).send(body).expect(201);
  const patch = (u: TestUser | null, id: string, body: Record<string, unknown>) =>
    w.http
      .patch(`${docs(w)}/${id}`)
      .set(u ? u.headers : { 'X-Hearth-Key': w.secretKey })
      .send(body)
      .expect(200);

  it('each subscriber gets only what its read rule allows, without hidden fields; the secret key sees them', async () => {
    const [a, b, s] = [await as(alice), await as(bob), await connect(w.url, w.appId, { key: w.secretKey }, w.sockets)];
    const [ca, cb, cs] = [collect(a), collect(b), collect(s)];
    const [sa, sb, ss] = [
      await subscribe(a, { collection: 'notes' }),
      await subscribe(b, { collection: 'notes' }),
      await subscribe(s, { collection: 'notes' }),
    ];
    const mine = await write(alice, { text: 'alice only', secret: 'x' });
    const red = await write(bob, { text: 'for red', team: 'red', secret: 'y' });
    await ca.next(2);
    await cs.next(2);
    await cb.next(1);
    await sleep(200);
    expect(ca.items.map((c) => [c.subscription, c.type, c.document.id])).toEqual([
      [sa, 'create', mine.body.id],
      [sa, 'create', red.body.id],
    ]);
    // bob wrote the red note (he owns it) but never sees alice's.
    expect(cb.items.map((c) => [c.subscription, c.document.id])).toEqual([[sb, red.body.id]]);
    for (const c of [...ca.items, ...cb.items]) expect(c.document).not.toHaveProperty('secret');
    expect(cs.items.map((c) => [c.subscription, c.document.secret])).toEqual([
      [ss, 'x'],
      [ss, 'y'],
    ]);
    for (const x of [a, b, s]) x.disconnect();
  });

  it('enter and leave by filter, and by rule (a note moved to another team)', async () => {
    const a = await as(alice);
    const b = await as(bob);
    const ca = collect(a);
    const cb = collect(b);
    const open = await subscribe(a, { collection: 'notes', filter: { room: 'lobby' } });
    const all = await subscribe(b, { collection: 'notes' });
    const n = await write(alice, { text: 'n', room: 'hall', team: 'red' });
    await patch(alice, n.body.id, { room: 'lobby' }); // alice: enters her filter
    await patch(alice, n.body.id, { room: 'hall' }); // alice: leaves it
    await ca.next(2);
    expect(ca.items.map((c) => [c.subscription, c.type, c.document.room])).toEqual([
      [open, 'enter', 'lobby'],
      [open, 'leave', 'hall'],
    ]);
    // Bob (blue) cannot read it until it is shared with blue, then loses it again.
    await patch(null, n.body.id, { team: 'blue' });
    await patch(null, n.body.id, { text: 'edited while blue' });
    await patch(null, n.body.id, { team: 'green', text: 'now green' });
    await cb.next(3);
    await sleep(200);
    expect(cb.items.map((c) => [c.subscription, c.type])).toEqual([
      [all, 'enter'],
      [all, 'update'],
      [all, 'leave'],
    ]);
    // On leave by rule only the id: bob may not read the new version.
    expect(cb.items[2]!.document).toEqual({ id: n.body.id });
    a.disconnect();
    b.disconnect();
  });

  it('subscribe {id}, delete, and unsubscribe stops changes', async () => {
    const a = await as(alice);
    const ca = collect(a);
    const n = await write(alice, { text: 'one' });
    const sub = await subscribe(a, { collection: 'notes', id: n.body.id });
    await write(alice, { text: 'another' });
    await patch(alice, n.body.id, { text: 'two' });
    await w.http
      .delete(`${docs(w)}/${n.body.id}`)
      .set(alice.headers)
      .expect(204);
    await ca.next(2);
    expect(ca.items.map((c) => [c.subscription, c.type, c.document.text])).toEqual([
      [sub, 'update', 'two'],
      [sub, 'delete', 'two'],
    ]);
    const all = await subscribe(a, { collection: 'notes' });
    expect(await ask(a, 'unsubscribe', { subscription: all })).toEqual({ subscription: all });
    await write(alice, { text: 'after unsubscribe' });
    await sleep(300);
    expect(ca.items).toHaveLength(2);
    expect((await ask(a, 'unsubscribe', { subscription: all })).error?.code).toBe('not_found');
    a.disconnect();
  });

  it('a write right after the ack is always delivered', async () => {
    const a = await as(alice);
    const ca = collect(a);
    for (let i = 0; i < 20; i++) {
      const sub = await subscribe(a, { collection: 'notes', filter: { room: `r${i}` } });
      await write(alice, { text: 'now', room: `r${i}` });
      const got = await ca.next(i + 1, 5000);
      expect(got[i]!.subscription).toBe(sub);
    }
    a.disconnect();
  });

  it('after a dropped connection the client reconnects by itself and resubscribes; the old subscription is gone', async () => {
    const rt = w.built.modules.realtime.services.server;
    const client = io(`${w.url}/apps/${w.appId}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 50,
      auth: { key: w.publicKey, token: alice.token },
    });
    w.sockets.push(client);
    const subs: string[] = [];
    // What docs/realtime.md tells clients: subscribe again on every (re)connect.
    client.on('connect', () => {
      void client
        .emitWithAck('subscribe', { collection: 'notes', filter: { room: 'again' } })
        .then((a: { subscription: string }) => subs.push(a.subscription));
    });
    const changes = collect(client);
    const waitSubs = async (n: number) => {
      while (subs.length < n) await sleep(10);
    };
    await waitSubs(1);
    const before = rt.index.size;
    rt.sockets.get(client.id!)!.socket.conn.close(); // the network drops it
    await waitSubs(2);
    expect(rt.index.size).toBe(before); // the first subscription went with its connection
    await write(alice, { text: 'after reconnect', room: 'again' });
    const [change] = await changes.next(1);
    expect(change).toMatchObject({ subscription: subs[1], type: 'create', document: { text: 'after reconnect' } });
    client.disconnect();
  });

  it('filters are validated like REST: bad JSON, unknown operators, hidden fields, unknown collections', async () => {
    const a = await as(alice);
    const bad = async (payload: unknown) => (await ask(a, 'subscribe', payload)).error;
    expect(await bad({ collection: 'notes', filter: '{nope' })).toMatchObject({
      code: 'invalid_request',
      details: { reason: 'invalid_json' },
    });
    expect((await bad({ collection: 'notes', filter: { $where: 'x' } }))?.code).toBe('invalid_request');
    expect((await bad({ collection: 'notes', filter: { secret: 'x' } }))?.code).toBe('invalid_request');
    expect((await bad({ collection: 'nope' }))?.code).toBe('not_found');
    expect((await bad({ collection: 'notes', extra: 1 }))?.code).toBe('validation_failed');
    expect((await bad(null))?.code).toBe('validation_failed');
    expect((await bad({ collection: 'notes', since: 'yesterday' }))?.code).toBe('invalid_request');
    a.disconnect();
  });

  it('a key without documents:read and a list rule that refuses are refused at subscribe, as in REST', async () => {
    const scoped = await w.http
      .post(`/v1/admin/apps/${w.appId}/keys`)
      .set(w.admin)
      .send({ kind: 'public', scopes: ['documents:write'] })
      .expect(201);
    const s = await connect(w.url, w.appId, { key: scoped.body.key, token: alice.token }, w.sockets);
    expect((await ask(s, 'subscribe', { collection: 'notes' })).error).toMatchObject({
      code: 'forbidden',
      details: { reason: 'scope_missing' },
    });
    s.disconnect();
    await createCollection(w, {
      name: 'closed',
      fields: [{ name: 'text', type: 'string' }],
      rules: { list: null, get: null, create: null, update: null, delete: null },
    });
    const a = await as(alice);
    expect((await ask(a, 'subscribe', { collection: 'closed' })).error).toMatchObject({
      code: 'forbidden',
      details: { reason: 'rule_denied' },
    });
    // By id it is accepted (like GET of a missing document, nothing is revealed) and delivers nothing.
    const changes = collect(a);
    const doc = await w.http.post(docs(w, 'closed')).set('X-Hearth-Key', w.secretKey).send({ text: 'x' }).expect(201);
    await subscribe(a, { collection: 'closed', id: doc.body.id });
    await w.http
      .patch(`${docs(w, 'closed')}/${doc.body.id}`)
      .set('X-Hearth-Key', w.secretKey)
      .send({ text: 'y' })
      .expect(200);
    await sleep(300);
    expect(changes.items).toEqual([]);
    a.disconnect();
  });

  it('the handshake refuses a bad key, a key of another app, a bad token, an unknown app and a foreign origin', async () => {
    const other = await w.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
    expect((await connectError(w.url, w.appId, { key: 'pk_nope' })).data?.code).toBe('invalid_api_key');
    expect((await connectError(w.url, w.appId, { key: other.body.keys.public })).data?.code).toBe('invalid_api_key');
    expect((await connectError(w.url, w.appId, { key: w.publicKey, token: 'x.y.z' })).data).toMatchObject({
      code: 'unauthorized',
      details: { reason: 'invalid_token' },
    });
    expect((await connectError(w.url, 'no-such-app', { key: w.publicKey })).data?.code).toBe('not_found');
    await w.http
      .patch(`/v1/admin/apps/${w.appId}`)
      .set(w.admin)
      .send({ settings: { corsOrigins: ['https://app.example'] } })
      .expect(200);
    expect(
      (await connectError(w.url, w.appId, { key: w.publicKey, origin: 'https://evil.example' })).data,
    ).toMatchObject({
      code: 'forbidden',
      details: { reason: 'origin_not_allowed' },
    });
    const ok = await connect(w.url, w.appId, { key: w.publicKey, origin: 'https://app.example' });
    ok.disconnect();
    await w.http
      .patch(`/v1/admin/apps/${w.appId}`)
      .set(w.admin)
      .send({ settings: { corsOrigins: ['*'] } })
      .expect(200);
  });

  it("another app's namespace never receives this app's documents", async () => {
    const other = await w.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other2' }).expect(201);
    const otherId = other.body.id as string;
    await w.http
      .post(`/v1/admin/apps/${otherId}/collections`)
      .set(w.admin)
      .send({
        name: 'notes',
        fields: [{ name: 'text', type: 'string' }],
        rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
      })
      .expect(201);
    const spy = await connect(w.url, otherId, { key: other.body.keys.secret }, w.sockets);
    const cs = collect(spy);
    await subscribe(spy, { collection: 'notes' });
    const a = await as(alice);
    const ca = collect(a);
    await subscribe(a, { collection: 'notes' });
    await write(alice, { text: 'this app only' });
    await ca.next(1);
    await sleep(300);
    expect(cs.items).toEqual([]);
    spy.disconnect();
    a.disconnect();
  });
});
