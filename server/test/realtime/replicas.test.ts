import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { ask, collect, connect, sleep, subscribe, NOTES } from './support.js';
import { api, cluster, setupApp, signUpUser, type ClusterApp, type Replica } from './replicas.js';

/**
 * Two (and for the crash, three) Hearth processes sharing MongoDB and the real redis-server of the
 * global setup: document events through the PubSub port, channel messages through the socket.io
 * Redis adapter, presence with heartbeats — including a replica killed with SIGKILL, whose members
 * leave within PRESENCE_TIMEOUT_MS.
 */
describe('realtime across replicas (two processes, one Redis)', () => {
  const c = cluster();
  let a: Replica;
  let b: Replica;
  let app: ClusterApp;
  let alice: Awaited<ReturnType<typeof signUpUser>>;
  let bob: Awaited<ReturnType<typeof signUpUser>>;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([c.start(), c.start()]);
    app = await setupApp(a.url, NOTES);
    alice = await signUpUser(a.url, app, 'alice@example.com', ['red']);
    bob = await signUpUser(a.url, app, 'bob@example.com', ['blue']);
    const rules = await api(
      a.url,
      'PUT',
      `/v1/admin/apps/${app.appId}/realtime/channels`,
      {
        rules: [
          { pattern: 'room:*', join: 'authenticated', publish: 'authenticated' },
          { pattern: 'staff:*', join: { '@auth.roles': 'staff' }, publish: { '@auth.roles': 'staff' } },
        ],
      },
      app.admin,
    );
    expect(rules.status, JSON.stringify(rules.body)).toBe(200);
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await c.stopAll();
  }, 60_000);

  const on = (r: Replica, u?: { token: string }) =>
    connect(r.url, app.appId, { key: app.publicKey, ...(u ? { token: u.token } : {}) }, sockets);
  const write = (r: Replica, u: typeof alice, body: Record<string, unknown>) =>
    api(r.url, 'POST', `/v1/apps/${app.appId}/collections/notes/documents`, body, u.headers);

  it('a write through replica A reaches subscribers on B (under their own rules) and on A', async () => {
    const onB = await on(b, alice);
    const bobOnB = await on(b, bob);
    const onA = await on(a, alice);
    const [cb, cbob, ca] = [collect(onB), collect(bobOnB), collect(onA)];
    await subscribe(onB, { collection: 'notes' });
    await subscribe(bobOnB, { collection: 'notes' });
    await subscribe(onA, { collection: 'notes', filter: { room: 'r1' } });
    const created = await write(a, alice, { text: 'hello', room: 'r1', secret: 's' });
    expect(created.status).toBe(201);
    await cb.next(1);
    await ca.next(1);
    expect(cb.items[0]).toMatchObject({ type: 'create', document: { id: created.body.id, text: 'hello' } });
    expect(cb.items[0]!.document).not.toHaveProperty('secret');
    expect(ca.items[0]!.document.id).toBe(created.body.id);
    await sleep(300);
    expect(cbob.items).toEqual([]);
    for (const s of [onB, bobOnB, onA]) s.disconnect();
  });

  it('reconnect and resubscribe with since: the missed changes are replayed; too old → refetch', async () => {
    let s = await on(b, alice);
    let changes = collect(s);
    await subscribe(s, { collection: 'notes', filter: { room: 'replay' } });
    await write(a, alice, { text: 'seen', room: 'replay' });
    const [seen] = await changes.next(1);
    s.disconnect();
    await write(a, alice, { text: 'missed 1', room: 'replay' });
    await write(a, alice, { text: 'missed 2', room: 'replay' });
    await write(a, alice, { text: 'other room', room: 'elsewhere' });
    await sleep(300);
    s = await on(b, alice);
    changes = collect(s);
    const sub = await subscribe(s, { collection: 'notes', filter: { room: 'replay' }, since: seen!.at });
    await changes.next(2);
    await sleep(200);
    // `since` is inclusive: the last change seen may come again; then exactly what was missed.
    const texts = changes.items.filter((x) => x.subscription === sub).map((x) => x.document.text);
    expect(texts.filter((t) => t !== 'seen')).toEqual(['missed 1', 'missed 2']);
    const old = await ask(s, 'subscribe', { collection: 'notes', since: Date.now() - 3600_000 });
    expect(old.error).toMatchObject({ code: 'conflict', details: { reason: 'replay_too_old' } });
    s.disconnect();
  });

  it('channels: rules refuse a join; messages and presence cross replicas', async () => {
    const anon = await on(a);
    const refused = await ask(anon, 'join', { channel: 'room:1' });
    expect(refused.error).toMatchObject({ code: 'forbidden', details: { reason: 'rule_denied' } });
    const aliceA = await on(a, alice);
    expect((await ask(aliceA, 'join', { channel: 'staff:ops' })).error?.code).toBe('forbidden');
    expect((await ask(aliceA, 'join', { channel: 'nomatch' })).error?.code).toBe('forbidden');
    const joinedA = await ask(aliceA, 'join', { channel: 'room:1' });
    expect(joinedA.members).toEqual([{ id: alice.id, anonymous: false }]);
    const presenceA = collect<{ channel: string; type: string; user: { id: string } }>(aliceA, 'presence');
    const messagesA = collect<{ channel: string; message: unknown; from: { id: string } }>(aliceA, 'message');
    const bobB = await on(b, bob);
    const presenceB = collect<{ type: string; user: { id: string } }>(bobB, 'presence');
    const joinedB = await ask(bobB, 'join', { channel: 'room:1' });
    // Each replica answers from what it has heard so far: a member who joined elsewhere a moment
    // ago is in the list or arrives as a `joined` event right after; the view converges.
    const seenByBob = async () => {
      for (let i = 0; i < 200; i++) {
        const ids = new Set([
          ...(joinedB.members as Array<{ id: string }>).map((m) => m.id),
          ...presenceB.items.filter((p) => p.type === 'joined').map((p) => p.user.id),
        ]);
        if (ids.has(alice.id)) return [...ids].sort();
        await sleep(25);
      }
      return [];
    };
    expect(await seenByBob()).toEqual([alice.id, bob.id].sort());
    await presenceA.next(1);
    expect(presenceA.items[0]).toEqual({ channel: 'room:1', type: 'joined', user: { id: bob.id, anonymous: false } });
    expect(await ask(bobB, 'publish', { channel: 'room:1', message: { text: 'hi from B' } })).toEqual({
      channel: 'room:1',
    });
    await messagesA.next(1);
    expect(messagesA.items[0]).toEqual({
      channel: 'room:1',
      message: { text: 'hi from B' },
      from: { id: bob.id, anonymous: false },
    });
    await ask(bobB, 'leave', { channel: 'room:1' });
    await presenceA.next(2);
    expect(presenceA.items[1]).toMatchObject({ type: 'left', user: { id: bob.id } });
    for (const s of [anon, aliceA, bobB]) s.disconnect();
  });

  it('presence: the members of a replica killed with SIGKILL leave within the timeout', async () => {
    const doomed = await c.start();
    const aliceA = await on(a, alice);
    await ask(aliceA, 'join', { channel: 'room:crash' });
    const presence = collect<{ type: string; user: { id: string } }>(aliceA, 'presence');
    const bobC = connect(doomed.url, app.appId, { key: app.publicKey, token: bob.token });
    const joined = await ask(await bobC, 'join', { channel: 'room:crash' });
    expect(joined.error).toBeUndefined();
    await presence.next(1);
    expect(presence.items[0]).toMatchObject({ type: 'joined', user: { id: bob.id } });
    doomed.main.child.kill('SIGKILL');
    const killedAt = Date.now();
    await presence.next(2, 10_000);
    expect(presence.items[1]).toMatchObject({ type: 'left', user: { id: bob.id } });
    expect(Date.now() - killedAt).toBeLessThan(5000);
    // A member joining later gets the list without the dead replica's member.
    const bobB = await on(b, bob);
    const list = await ask(bobB, 'join', { channel: 'room:crash' });
    expect((list.members as Array<{ id: string }>).map((m) => m.id).sort()).toEqual([alice.id, bob.id].sort());
    aliceA.disconnect();
    bobB.disconnect();
  });

  it('a session revoked through replica A stops the subscriptions of its socket on B, saying why', async () => {
    const carol = await signUpUser(a.url, app, 'carol@example.com');
    const s = await on(b, carol);
    const ended = collect<{ subscription: string; error: { code: string; details: { reason: string } } }>(s, 'ended');
    const session = collect<{ state: string }>(s, 'session');
    const sub = await subscribe(s, { collection: 'notes' });
    const out = await api(a.url, 'POST', `/v1/apps/${app.appId}/auth/logout`, {}, carol.headers);
    expect(out.status).toBeLessThan(300);
    await ended.next(1, 10_000);
    expect(ended.items[0]).toMatchObject({
      subscription: sub,
      error: { code: 'unauthorized', details: { reason: 'session_revoked' } },
    });
    await session.next(1);
    expect(session.items[0]).toMatchObject({ state: 'revoked' });
    // The socket stays, with the key's rights: a fresh token (sign in again) re-authenticates it.
    const again = await api(
      a.url,
      'POST',
      `/v1/apps/${app.appId}/auth/login`,
      { email: 'carol@example.com', password: 'a long enough password 1!' },
      { 'X-Hearth-Key': app.publicKey },
    );
    const auth = await ask(s, 'auth', { token: again.body.accessToken });
    expect(auth.user).toMatchObject({ id: carol.id });
    s.disconnect();
  });
});
