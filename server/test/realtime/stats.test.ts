import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import {
  ask,
  collect,
  connect,
  createCollection,
  docs,
  startWorld,
  subscribe,
  user,
  type RealtimeWorld,
} from './support.js';

/**
 * GET /v1/admin/apps/{appId}/realtime/stats on one process (the in-process bus: this process is the cluster): counts
 * follow connections, subscriptions and channels as they come and go; admin only; other apps'
 * numbers never mix in. The two-process sums are in replicas.test.ts.
 */
describe('realtime stats admin API', () => {
  let w: RealtimeWorld;
  let alice: TestUser;
  let bob: TestUser;
  const path = () => `/v1/admin/apps/${w.appId}/realtime/stats`;
  const stats = async () => (await w.http.get(path()).set(w.admin).expect(200)).body;

  beforeAll(async () => {
    w = await startWorld('sqlite');
    await createCollection(w);
    await createCollection(w, { name: 'other', fields: [{ name: 'text', type: 'string' }] });
    alice = await user(w, 'alice@example.com');
    bob = await user(w, 'bob@example.com');
  });
  afterAll(() => w.close());

  it('starts at zero, with this server as the only replica', async () => {
    const s = await stats();
    expect(s).toMatchObject({
      appId: w.appId,
      scope: 'cluster',
      missingReplicas: 0,
      connections: 0,
      adminConnections: 0,
      connectionLimit: { max: 10_000 },
      subscriptions: { total: 0, byCollection: [] },
      channels: [],
      channelsTruncated: false,
      deliveriesPerSecond: 0,
      deliveredTotal: 0,
      droppedClients: 0,
    });
    expect(s.replicas).toHaveLength(1);
    expect(Date.parse(s.at)).not.toBeNaN();
  });

  it('counts connections, subscriptions by collection, channel members and deliveries', async () => {
    const a1 = await connect(w.url, w.appId, { key: w.publicKey, token: alice.token }, w.sockets);
    const a2 = await connect(w.url, w.appId, { key: w.publicKey, token: alice.token }, w.sockets);
    const b = await connect(w.url, w.appId, { key: w.publicKey, token: bob.token }, w.sockets);
    const s = await connect(w.url, w.appId, { key: w.secretKey }, w.sockets);
    await w.http
      .put(`/v1/admin/apps/${w.appId}/realtime/channels`)
      .set(w.admin)
      .send({ rules: [{ pattern: 'room:*', join: 'authenticated', publish: 'authenticated' }] })
      .expect(200);
    const changes = collect(s);
    await subscribe(s, { collection: 'notes' });
    await subscribe(s, { collection: 'other' });
    await subscribe(a1, { collection: 'notes', filter: { public: true } });
    for (const sock of [a1, a2, b]) expect((await ask(sock, 'join', { channel: 'room:1' })).error).toBeUndefined();
    expect((await ask(b, 'join', { channel: 'room:2' })).error).toBeUndefined();
    await w.http.post(docs(w)).set(alice.headers).send({ text: 'hi', public: true }).expect(201);
    await changes.next(1);
    await new Promise((r) => setTimeout(r, 100));
    const st = await stats();
    expect(st.connections).toBe(4);
    expect(st.subscriptions).toEqual({
      total: 3,
      byCollection: [
        { collection: 'notes', subscriptions: 2 },
        { collection: 'other', subscriptions: 1 },
      ],
    });
    // alice's two connections are one member.
    expect(st.channels).toEqual([
      { channel: 'room:1', members: 2 },
      { channel: 'room:2', members: 1 },
    ]);
    expect(st.deliveredTotal).toBe(2);
    expect(st.deliveriesPerSecond).toBeGreaterThan(0);
    expect(st.replicas[0]).toMatchObject({ connections: 4, subscriptions: 3, deliveredTotal: 2 });

    for (const sock of [a1, a2, b, s]) sock.disconnect();
    await new Promise((r) => setTimeout(r, 200));
    const after = await stats();
    expect(after).toMatchObject({ connections: 0, subscriptions: { total: 0 }, channels: [], deliveredTotal: 2 });
  });

  it("another app's numbers do not mix in", async () => {
    const res = await w.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Second' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const other = (await w.http.get(`/v1/admin/apps/${res.body.id}/realtime/stats`).set(w.admin).expect(200)).body;
    expect(other).toMatchObject({ appId: res.body.id, connections: 0, deliveredTotal: 0 });
  });

  it('needs an admin token and an existing app', async () => {
    expect((await w.http.get(path())).status).toBe(401);
    expect((await w.http.get(path()).set('Authorization', 'Bearer nope')).status).toBe(401);
    expect((await w.http.get(path()).set('X-Hearth-Key', w.secretKey)).status).toBe(401);
    expect((await w.http.get('/v1/admin/apps/nope/realtime/stats').set(w.admin)).status).toBe(404);
    expect((await w.http.get('/v1/admin/apps/bad%20id/realtime/stats').set(w.admin)).status).toBe(400);
  });
});
