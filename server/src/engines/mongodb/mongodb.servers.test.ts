import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, freshApp } from '../../../test/conformance/support.js';
import { freePort } from '../../../test/servers/free-port.js';
import { jongodbBinary } from '../../../test/servers/jongodb.js';
import { newId } from '../../lib/ids.js';
import { connectMongoStore, type MongoDocumentStore } from './index.js';

/**
 * The MongoDB engine on jongodb servers of its own: one started as a single-node replica set
 * (transactions: batches use them), and one that is stopped and started again under the engine
 * (losing the server is `unavailable`, and the driver reconnects by itself).
 */

const dbName = () => `m_${newId().replace(/[^A-Za-z0-9]/g, '')}`;

/** A jongodb on a given port, with extra arguments (stopped by pid). */
async function startServer(port: number, args: string[] = []): Promise<ChildProcess> {
  const child = spawn(jongodbBinary(), ['--host=127.0.0.1', `--port=${port}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`jongodb did not start: ${log}`)), 30_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('JONGODB_URI=')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`jongodb exited with ${code}: ${log}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGKILL');
  });
}

describe('mongodb engine with transactions (jongodb as a single-node replica set)', () => {
  let server: ChildProcess;
  let store: MongoDocumentStore;
  beforeAll(async () => {
    const port = await freePort();
    server = await startServer(port, ['--topology-profile=singlenodereplicaset', '--replica-set-name=rs0']);
    store = await connectMongoStore({ url: `mongodb://127.0.0.1:${port}/?replicaSet=rs0`, dbName: dbName() });
  });
  afterAll(async () => {
    await store?.close();
    if (server) await stopServer(server);
  });

  it('detects transactions and uses them for batches: a failure leaves nothing', async () => {
    expect(store.capabilities.transactions).toBe(true);
    const app = freshApp(store);
    await app.create('t', { id: 'keep', data: { n: 1 } });
    await expectError(
      app.batch([
        { op: 'create', collection: 't', id: 'new', data: {} },
        { op: 'update', collection: 't', id: 'keep', update: { inc: { n: 1 } } },
        { op: 'create', collection: 't', id: 'keep', data: {} },
      ]),
      'conflict',
      { reason: 'unique', index: 'id' },
    );
    expect((await app.find('t', { limit: 10 })).items.map((d) => [d.id, d.n, d.version])).toEqual([['keep', 1, 1]]);
    const done = await app.batch([
      { op: 'create', collection: 't', id: 'new', data: {} },
      { op: 'update', collection: 't', id: 'keep', update: { inc: { n: 1 } } },
    ]);
    expect(done.map((d) => d.version)).toEqual([1, 2]);
    expect(await app.get('t', 'keep')).toMatchObject({ n: 2 });
  });
});

describe('mongodb engine when the server goes away', () => {
  it('a server that is not there: connecting is unavailable', async () => {
    const port = await freePort();
    await expectError(
      connectMongoStore({ url: `mongodb://127.0.0.1:${port}`, dbName: 'x', serverSelectionTimeoutMS: 300 }),
      'unavailable',
    );
  });

  it('requests fail with unavailable while the server is down and succeed again once it is back', async () => {
    const port = await freePort();
    let server = await startServer(port);
    const store = await connectMongoStore({
      url: `mongodb://127.0.0.1:${port}`,
      dbName: dbName(),
      serverSelectionTimeoutMS: 500,
    });
    try {
      const app = store.forApp('down');
      await app.create('t', { id: 'a', data: {} });
      await store.ping();
      await stopServer(server);
      await expectError(app.get('t', 'a'), 'unavailable');
      await expectError(app.create('t', { data: {} }), 'unavailable');
      await expectError(store.ping(), 'unavailable');
      server = await startServer(port); // an in-memory server: it comes back empty
      let recovered = false;
      for (let i = 0; i < 40 && !recovered; i++) {
        recovered = await store.ping().then(
          () => true,
          () => false,
        );
        if (!recovered) await new Promise((r) => setTimeout(r, 250));
      }
      expect(recovered).toBe(true);
      expect(await app.create('t', { id: 'b', data: { back: true } })).toMatchObject({ id: 'b', version: 1 });
      expect(await app.get('t', 'b')).toMatchObject({ back: true });
    } finally {
      await store.close();
      await stopServer(server);
    }
  }, 60_000);
});
