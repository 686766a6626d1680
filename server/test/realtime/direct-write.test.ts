import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  collect,
  connect,
  createCollection,
  docs,
  sleep,
  startWorld,
  subscribe,
  type RealtimeWorld,
} from './support.js';

/**
 * The fan-out writes a change's pre-built WebSocket frame straight to the TCP socket when nothing
 * is pending for that client (packets.ts `writeDirect`), and through engine.io otherwise. These
 * tests pin what that must not change: the order of changes, other packets (acks) in between,
 * long-polling clients, and a client that stops reading being dropped.
 */
const TICKS = {
  name: 'ticks',
  fields: [
    { name: 'n', type: 'number' },
    { name: 'text', type: 'string' },
    { name: 'big', type: 'string' },
  ],
  rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
};

describe('realtime direct frame writes', () => {
  let w: RealtimeWorld;
  const key = () => ({ 'X-Hearth-Key': w.secretKey });

  beforeAll(async () => {
    w = await startWorld('sqlite', { realtime: { maxBufferedPackets: 50 } });
    await createCollection(w, TICKS);
  });
  afterAll(() => w.close());

  /** Counts the `change` packets of a client that go through engine.io instead of straight to TCP. */
  function countEngineChanges(clientId: string) {
    const { socket } = w.built.modules.realtime.services.server.sockets.get(clientId)!;
    const conn = socket.conn as unknown as { write: (data: unknown, ...rest: unknown[]) => unknown };
    const counter = { changes: 0 };
    const original = conn.write.bind(conn);
    conn.write = (data: unknown, ...rest: unknown[]) => {
      if (typeof data === 'string' && data.includes('["change",')) counter.changes++;
      return original(data, ...rest);
    };
    return counter;
  }

  it('changes go out as direct writes, in commit order, with acks in between', async () => {
    const client = await connect(w.url, w.appId, { key: w.publicKey }, w.sockets);
    const { body: doc } = await w.http.post(docs(w, 'ticks')).set(key()).send({ n: 0, text: 'start' }).expect(201);
    await subscribe(client, { collection: 'ticks', id: doc.id });
    const viaEngine = countEngineChanges(client.id!);
    const changes = collect(client);
    // 100 updates, committed one after the other, while the client keeps asking for acks.
    const asking = (async () => {
      const answers = [];
      for (let i = 0; i < 20; i++)
        answers.push(await ask(client, 'subscribe', { collection: 'ticks', filter: { n: -1 - i } }));
      return answers;
    })();
    for (let i = 1; i <= 100; i++)
      await w.http
        .patch(`${docs(w, 'ticks')}/${doc.id}`)
        .set(key())
        .send({ $inc: { n: 1 } })
        .expect(200);
    const got = await changes.next(100);
    expect(got.map((c) => c.document.n)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((await asking).filter((a) => a.error)).toEqual([]);
    // The client kept up, so no change had to wait in engine.io: all went straight to TCP.
    expect(viaEngine.changes).toBe(0);
    client.disconnect();
  });

  it('a long-polling client gets the same changes through engine.io', async () => {
    const polling = io(`${w.url}/apps/${w.appId}`, {
      transports: ['polling'],
      forceNew: true,
      reconnection: false,
      auth: { key: w.publicKey },
    });
    w.sockets.push(polling);
    await new Promise<void>((resolve, reject) => {
      polling.once('connect', () => resolve());
      polling.once('connect_error', reject);
    });
    await subscribe(polling, { collection: 'ticks', filter: { text: 'poll' } });
    const changes = collect(polling);
    for (let i = 0; i < 5; i++) await w.http.post(docs(w, 'ticks')).set(key()).send({ n: i, text: 'poll' }).expect(201);
    const got = await changes.next(5);
    expect(got.map((c) => [c.type, c.document.n])).toEqual([0, 1, 2, 3, 4].map((n) => ['create', n]));
    polling.disconnect();
  });

  it('a subscriber that stops reading document changes is dropped; the others get every change', async () => {
    const slow = await connect(w.url, w.appId, { key: w.publicKey }, w.sockets);
    const fast = await connect(w.url, w.appId, { key: w.publicKey }, w.sockets);
    for (const s of [slow, fast]) await subscribe(s, { collection: 'ticks', filter: { text: 'flood' } });
    const rt = w.built.modules.realtime.services.server;
    // Stop reading: the client's TCP socket is paused, so the server's writes back up.
    (slow.io.engine as unknown as { transport: { ws: { _socket: { pause(): void } } } }).transport.ws._socket.pause();
    const received = collect(fast);
    const big = 'z'.repeat(60_000);
    let sent = 0;
    while (rt.sockets.has(slow.id!) && sent < 2_000) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          w.http
            .post(docs(w, 'ticks'))
            .set(key())
            .send({ n: sent + i, text: 'flood', big })
            .expect(201),
        ),
      );
      sent += 20;
      await sleep(1);
    }
    expect(rt.sockets.has(slow.id!)).toBe(false);
    expect(rt.sockets.has(fast.id!)).toBe(true);
    await received.next(sent, 20_000);
    fast.disconnect();
  }, 60_000);
});
