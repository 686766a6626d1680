import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { collect, connect, createCollection, startWorld, subscribe, type RealtimeWorld } from './support.js';

/**
 * 1,000 socket.io-client subscribers on one server process all receive one write; the commit →
 * client latency (the change's `at` to arrival) is printed as p50/p99. The clients share the
 * test process and the machine with the server (and other work), so the numbers are an upper
 * bound; bench/realtime.mjs measures with the clients in their own process.
 */
const N = 1000;

describe('realtime fan-out to 1,000 subscribers', () => {
  let w: RealtimeWorld;
  const clients: Socket[] = [];

  beforeAll(async () => {
    w = await startWorld('sqlite', { realtime: { maxConnectionsPerApp: N + 10 } });
    await createCollection(w, {
      name: 'feed',
      fields: [
        { name: 'text', type: 'string' },
        { name: 'topic', type: 'string' },
      ],
      rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
    });
    for (let i = 0; i < N; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, () => connect(w.url, w.appId, { key: w.publicKey }, clients)),
      );
      await Promise.all(batch.map((s) => subscribe(s, { collection: 'feed', filter: { topic: 'news' } })));
    }
  }, 180_000);
  afterAll(async () => {
    for (const s of clients) s.disconnect();
    await w.close();
  });

  it('every subscriber receives the change; p50/p99 printed', async () => {
    const arrivals: number[] = [];
    const received = clients.map((s) => {
      const c = collect(s);
      s.on('change', () => arrivals.push(Date.now()));
      return c;
    });
    // A write on another topic reaches nobody (the equality index skips these subscriptions).
    await w.http
      .post(`/v1/apps/${w.appId}/collections/feed/documents`)
      .set('X-Hearth-Key', w.publicKey)
      .send({ topic: 'sport' })
      .expect(201);
    const res = await w.http
      .post(`/v1/apps/${w.appId}/collections/feed/documents`)
      .set('X-Hearth-Key', w.publicKey)
      .send({ text: 'hello', topic: 'news' })
      .expect(201);
    await Promise.all(received.map((c) => c.next(1, 60_000)));
    for (const c of received) {
      expect(c.items).toHaveLength(1);
      expect(c.items[0]).toMatchObject({ type: 'create', document: { id: res.body.id } });
    }
    const committed = Date.parse(received[0]!.items[0]!.at);
    const latencies = arrivals.map((t) => t - committed).sort((x, y) => x - y);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
    console.log(
      `realtime fan-out to ${N} subscribers (clients in the test process, shared 2-core machine): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)} ms`,
    );
    expect(latencies).toHaveLength(N);
    const metrics = (await w.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(new RegExp(`hearth_realtime_subscriptions ${N}\\b`));
    expect(metrics).toMatch(new RegExp(`hearth_realtime_connections ${N}\\b`));
    expect(Number(/hearth_realtime_events_delivered_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(N);
  }, 120_000);
});
