import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, connectError, sleep, NOTES } from './support.js';
import { api, cluster, setupApp, type ClusterApp, type Replica } from './replicas.js';

/**
 * Two (for the crash, three) Hearth processes sharing the real redis-server: an app's connection
 * limit counts every replica's connections (LeasedCounters port on Redis), a replica killed with
 * SIGKILL stops counting once its lease runs out, and the stats route sums every replica.
 */
describe('realtime connection limit and stats across replicas (processes, one Redis)', () => {
  const c = cluster({ REALTIME_MAX_CONNECTIONS: '3' });
  let a: Replica;
  let b: Replica;
  let app: ClusterApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([c.start(), c.start()]);
    app = await setupApp(a.url, NOTES);
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await c.stopAll();
  }, 60_000);

  const on = (r: Replica) => connect(r.url, app.appId, { key: app.publicKey }, sockets);
  const full = async (r: Replica) =>
    expect((await connectError(r.url, app.appId, { key: app.publicKey })).data).toMatchObject({
      code: 'rate_limited',
      details: { reason: 'too_many_connections', max: 3 },
    });
  const stats = async (r: Replica) => {
    const res = await api(r.url, 'GET', `/v1/admin/apps/${app.appId}/realtime/stats`, undefined, app.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Record<string, unknown> & { replicas: unknown[] };
  };
  /** Retries a connection until it is accepted; returns how long that took. */
  const acceptedWithin = async (r: Replica, ms: number): Promise<number> => {
    const start = Date.now();
    for (;;) {
      try {
        await on(r);
        return Date.now() - start;
      } catch (e) {
        if (Date.now() - start > ms) throw e;
        await sleep(100);
      }
    }
  };

  it('counts the connections of every replica against the one limit; a closed one frees a place anywhere', async () => {
    const [a1, a2] = [await on(a), await on(a)];
    await on(b);
    await full(b);
    await full(a);
    // An admin (dashboard) connection is not refused by a full app.
    const adminToken = app.admin.Authorization!.slice('Bearer '.length);
    const admin = io(`${a.url}/apps/${app.appId}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { adminToken },
    });
    sockets.push(admin);
    await new Promise<void>((resolve, reject) => {
      admin.once('connect', () => resolve());
      admin.once('connect_error', reject);
    });

    const s = await stats(b);
    expect(s).toMatchObject({
      scope: 'cluster',
      missingReplicas: 0,
      connections: 4,
      adminConnections: 1,
      connectionLimit: { max: 3, scope: 'cluster' },
    });
    expect(s.replicas).toHaveLength(2);

    a1.disconnect();
    expect(await acceptedWithin(b, 3000)).toBeLessThan(3000);
    await full(a);
    a2.disconnect();
    admin.disconnect();
  });

  it('a replica killed with SIGKILL stops counting once its lease runs out (PRESENCE_TIMEOUT_MS)', async () => {
    for (const s of sockets) s.disconnect();
    await sleep(300);
    const doomed = await c.start();
    for (let i = 0; i < 3; i++) await connect(doomed.url, app.appId, { key: app.publicKey });
    await full(a);
    // The stats ask the replicas known from their presence heartbeat: under load a just-started
    // replica may take a beat to be known, so wait (bounded) until all three answer.
    let before = await stats(a);
    for (const deadline = Date.now() + 10_000; before.replicas.length < 3 && Date.now() < deadline;) {
      await sleep(250);
      before = await stats(a);
    }
    expect(before).toMatchObject({ connections: 3 });
    expect(before.replicas).toHaveLength(3);
    doomed.main.child.kill('SIGKILL');
    const waited = await acceptedWithin(a, 10_000);
    // The lease is 1.5 s (renewed every 0.5 s): gone after at most about that, plus load.
    expect(waited).toBeLessThan(6000);
    // Once its heartbeat times out, the stats no longer wait for it.
    await sleep(2000);
    const after = await stats(a);
    expect(after).toMatchObject({ connections: 1, missingReplicas: 0 });
    expect(after.replicas).toHaveLength(2);
  });
});
