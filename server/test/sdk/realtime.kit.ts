import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type HearthClient, type SocketLike } from '@hearth/sdk';
import { io } from 'socket.io-client';
import request from 'supertest';
import type { BuiltApp } from '../../src/app.js';
import type { DocumentStore } from '../../src/ports/index.js';
import { buildTestApp, openStore, withAdminAndApp, type HarnessOptions } from '../support/harness.js';

/**
 * A listening Hearth with realtime attached, that can be restarted on the same port and store
 * (a new process's state: empty replay buffer, no connections), and SDK clients for it.
 */
export interface LiveRealtime {
  url: string;
  appId: string;
  publicKey: string;
  secretKey: string;
  admin: Record<string, string>;
  http(): ReturnType<typeof request>;
  /** Stops the server (connections dropped), then starts a new one on the same port and store. */
  restart(): Promise<void>;
  /** A client; `sockets` receives the socket it opens (to cut its transport in tests). */
  client(options?: { sockets?: SocketLike[]; emitted?: Array<[string, unknown]>; key?: string }): HearthClient;
  close(): Promise<void>;
}

export async function startLiveRealtime(appOptions: HarnessOptions = {}): Promise<LiveRealtime> {
  const { store, cleanup } = await openStore('sqlite');
  let port = 0;
  let current = await listen(store, port, appOptions);
  port = current.port;
  const ctx = await withAdminAndApp({
    http: request(current.built.app),
    app: current.built.app,
    modules: current.built.modules,
    store,
    close: async () => {},
  });
  const clients: HearthClient[] = [];
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    appId: ctx.appId,
    publicKey: ctx.publicKey,
    secretKey: ctx.secretKey,
    admin: { Authorization: `Bearer ${ctx.adminToken}` },
    http: () => request(current.built.app),
    async restart() {
      await current.stop();
      current = await listen(store, port, appOptions);
    },
    client(options = {}) {
      const c = createClient({
        url,
        app: ctx.appId,
        key: options.key ?? ctx.publicKey,
        realtime: {
          io: (u, o) => {
            const s = io(u, o) as unknown as SocketLike;
            options.sockets?.push(s);
            const { emitted } = options;
            if (!emitted) return s;
            // Records every event the SDK sends (event, payload).
            return new Proxy(s, {
              get(target, prop, receiver) {
                if (prop !== 'timeout') return Reflect.get(target, prop, receiver) as unknown;
                return (ms: number) => ({
                  emitWithAck: (event: string, payload: unknown) => {
                    emitted.push([event, payload]);
                    return target.timeout(ms).emitWithAck(event, payload);
                  },
                });
              },
            });
          },
        },
      });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.realtime.close();
      await current.stop();
      await cleanup();
    },
  };
}

async function listen(store: DocumentStore, port: number, options: HarnessOptions) {
  const built: BuiltApp = await buildTestApp(store, options);
  const server: Server = createServer(built.app);
  const detach = built.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    built,
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      await detach();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await built.settle();
      await built.modules.jobs.services.queue.close();
    },
  };
}

/** Waits until `check()` holds (polling), or fails naming `what`. */
export async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
