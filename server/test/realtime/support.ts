import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { io, type Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { BuiltApp } from '../../src/app.js';
import { buildTestApp, openStore, withAdminAndApp, type EngineName, type HarnessOptions } from '../support/harness.js';
import { signUp, type TestUser } from '../collections/users.js';

/**
 * A real Hearth listening on 127.0.0.1 with realtime attached (one in-process replica), and
 * socket.io-client helpers. Multi-process suites use replicas.ts instead.
 */
export interface RealtimeWorld {
  url: string;
  http: ReturnType<typeof request>;
  built: BuiltApp;
  appId: string;
  publicKey: string;
  secretKey: string;
  adminToken: string;
  admin: Record<string, string>;
  sockets: Socket[];
  close(): Promise<void>;
}

export async function startWorld(engine: EngineName, options: HarnessOptions = {}): Promise<RealtimeWorld> {
  const { store, cleanup } = await openStore(engine);
  const built = await buildTestApp(store, options);
  const server: Server = createServer(built.app);
  const detach = built.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = request(built.app);
  const { adminToken, appId, publicKey, secretKey } = await withAdminAndApp({
    http,
    app: built.app,
    modules: built.modules,
    store,
    close: cleanup,
  });
  const sockets: Socket[] = [];
  return {
    url,
    http,
    built,
    appId,
    publicKey,
    secretKey,
    adminToken,
    admin: { Authorization: `Bearer ${adminToken}` },
    sockets,
    close: async () => {
      for (const s of sockets) s.disconnect();
      await detach();
      await new Promise<void>((r) => server.close(() => r()));
      await cleanup();
    },
  };
}

export interface ConnectOptions {
  key: string;
  token?: string;
  origin?: string;
  forceNew?: boolean;
}

/** A connected client (rejects with the connect_error). */
export function connect(url: string, appId: string, auth: ConnectOptions, track?: Socket[]): Promise<Socket> {
  const socket = io(`${url}/apps/${appId}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { key: auth.key, ...(auth.token ? { token: auth.token } : {}) },
    ...(auth.origin ? { extraHeaders: { Origin: auth.origin } } : {}),
  });
  track?.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(err);
    });
  });
}

/** The connect_error a handshake gets. */
export async function connectError(
  url: string,
  appId: string,
  auth: ConnectOptions,
): Promise<{ message: string; data?: { code: string; details?: { reason?: string } } }> {
  try {
    const s = await connect(url, appId, auth);
    s.disconnect();
  } catch (e) {
    return e as { message: string; data?: { code: string; details?: { reason?: string } } };
  }
  throw new Error('expected the handshake to fail');
}

export type Answer = Record<string, unknown> & {
  error?: { code: string; message: string; details?: { reason?: string } };
};

export function ask(socket: Socket, event: string, payload: unknown): Promise<Answer> {
  return socket.timeout(10_000).emitWithAck(event, payload) as Promise<Answer>;
}

/** Subscribes and returns the subscription id (fails on an error answer). */
export async function subscribe(socket: Socket, payload: Record<string, unknown>): Promise<string> {
  const answer = await ask(socket, 'subscribe', payload);
  expect(answer.error, JSON.stringify(answer)).toBeUndefined();
  return answer.subscription as string;
}

export interface Change {
  subscription: string;
  type: string;
  document: Record<string, unknown>;
  at: string;
}

/** Collects an event's payloads; `next(n)` waits for the n-th. */
export function collect<T = Change>(socket: Socket, event = 'change') {
  const items: T[] = [];
  socket.on(event, (p: T) => items.push(p));
  return {
    items,
    async next(count = items.length + 1, ms = 10_000): Promise<T[]> {
      const end = Date.now() + ms;
      while (items.length < count) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${event} #${count} (have ${items.length})`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return items;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `notes`: one hidden field, and rules that let each user read their own notes plus the notes
 * shared with one of their roles; `public` notes for everyone signed in.
 */
export const NOTES = {
  name: 'notes',
  fields: [
    { name: 'text', type: 'string' },
    { name: 'room', type: 'string' },
    { name: 'team', type: 'string' },
    { name: 'public', type: 'boolean', default: false },
    { name: 'secret', type: 'string', hidden: true },
  ],
  rules: {
    list: { $or: [{ owner: '@auth.id' }, { team: '@auth.roles' }, { public: true }] },
    get: { $or: [{ owner: '@auth.id' }, { team: '@auth.roles' }, { public: true }] },
    create: 'authenticated',
    update: 'authenticated',
    delete: 'authenticated',
  },
};

export async function createCollection(w: RealtimeWorld, def: Record<string, unknown> = NOTES): Promise<void> {
  const res = await w.http.post(`/v1/admin/apps/${w.appId}/collections`).set(w.admin).send(def);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

export async function user(w: RealtimeWorld, email: string, roles?: string[]): Promise<TestUser> {
  const h = { http: w.http, app: w.built.app, modules: w.built.modules, store: null as never, close: async () => {} };
  const u = await signUp(h, w.appId, w.publicKey, email);
  if (!roles) return u;
  await w.http.patch(`/v1/admin/apps/${w.appId}/users/${u.id}`).set(w.admin).send({ roles }).expect(200);
  const again = await w.http
    .post(`/v1/apps/${w.appId}/auth/login`)
    .set('X-Hearth-Key', w.publicKey)
    .send({ email, password: 'a long enough password 1!' });
  expect(again.status, JSON.stringify(again.body)).toBe(200);
  return {
    ...u,
    token: again.body.accessToken,
    headers: { 'X-Hearth-Key': w.publicKey, Authorization: `Bearer ${again.body.accessToken}` },
  };
}

export function docs(w: RealtimeWorld, collection = 'notes'): string {
  return `/v1/apps/${w.appId}/collections/${collection}/documents`;
}
