import { HearthAuth } from './auth.js';
import { authRequests } from './auth.commands.js';
import { batchRequest, type BatchOp } from './collections.commands.js';
import { CollectionRef, type Collections, type DefaultsOf, type FieldsOf } from './collections.js';
import { ChannelRef, type Channel } from './channels.js';
import { HearthFiles } from './files.js';
import { HearthPush } from './push.js';
import { HearthRealtime, type RealtimeOptions } from './realtime.js';
import { globalFetch, systemClock, type Clock, type FetchLike } from './platform.js';
import { navigatorLocks, SessionManager, type LockManagerLike } from './session.js';
import { memoryStorage, type TokenStorage } from './storage.js';
import { createTransport, pathSegment as seg, type RequestDescription, type Transport } from './transport.js';

export interface ClientOptions {
  /** Server URL, e.g. `http://localhost:8080`. */
  url: string;
  /** App id. */
  app: string;
  /** The app's public key (`pk_…`) in apps; a secret key (`sk_…`) only on servers. */
  key: string;
  /** Injectable fetch (tests, polyfills). Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * Where the signed-in session is kept: `localStorage`, React Native's AsyncStorage, or
   * (default) `memoryStorage()`. Anything with getItem / setItem / removeItem, sync or async.
   */
  storage?: TokenStorage;
  /** Injectable clock (token expiry). */
  clock?: Clock;
  /** The transport that sends requests (default: fetch). Replace it to record or route requests. */
  transport?: Transport;
  /** Realtime (subscriptions, channels): an injected socket.io-client `io`, the ack timeout. */
  realtime?: RealtimeOptions;
  /**
   * Serialises token refreshes across the tabs sharing `storage` (Web Locks API). Default:
   * `navigator.locks` when it exists; null turns it off.
   */
  locks?: LockManagerLike | null;
}

export interface BatchResult {
  results: Array<{ status: number; body?: Record<string, unknown> }>;
}

/** The client: one per app and server. */
export class HearthClient {
  readonly app: string;
  readonly transport: Transport;
  readonly auth: HearthAuth;
  readonly files: HearthFiles;
  readonly push: HearthPush;
  private readonly session: SessionManager;
  private readonly options: ClientOptions;
  private realtimeConnection: HearthRealtime | null = null;

  constructor(options: ClientOptions) {
    this.app = options.app;
    this.options = options;
    this.transport =
      options.transport ??
      createTransport({ url: options.url, key: options.key, fetch: options.fetch ?? lazyGlobalFetch() });
    const refresh = authRequests(options.app).refresh;
    const storage = options.storage ?? memoryStorage();
    const installationKey = `hearth.${options.app}.push.installation`;
    this.session = new SessionManager(
      this.transport,
      storage,
      `hearth.${options.app}.session`,
      options.clock ?? systemClock,
      refresh,
      {
        locks: options.locks === undefined ? navigatorLocks() : options.locks,
        installationId: async () => (await storage.getItem(installationKey)) || null,
      },
    );
    this.auth = new HearthAuth(this.session, this.transport, options.app);
    this.files = new HearthFiles(this.session, this.transport, options.app);
    this.push = new HearthPush(this.session, storage, installationKey, options.app);
  }

  /** Sends any request description as the signed-in user (refreshing the token when needed). */
  request<T>(req: RequestDescription): Promise<T> {
    return this.session.request<T>(req);
  }

  /** Checks the URL and key: the app and the key's access. */
  info(): Promise<{ id: string; name: string; access: { via: string; kind: 'public' | 'secret'; scopes: string[] } }> {
    return this.request({ method: 'GET', path: `/v1/apps/${seg(this.app)}` });
  }

  /** Sends `Authorization: Bearer <token>` when no user is signed in here (a server acting for a user), or stops (null). */
  setAccessToken(token: string | null): void {
    this.session.setAccessToken(token);
  }

  /** A collection: `collection<Todo, 'done'>('todos')`, or by name when `Collections` declares it. */
  collection<K extends keyof Collections>(name: K): CollectionRef<FieldsOf<K>, DefaultsOf<K>>;
  collection<T extends object = Record<string, unknown>, D extends keyof T = never>(name: string): CollectionRef<T, D>;
  collection(name: string): CollectionRef<object, never> {
    return new CollectionRef(
      (req) => this.request(req),
      this.app,
      name,
      () => this.realtime,
    );
  }

  /** The realtime connection (socket.io), opened on the first subscribe or join. */
  get realtime(): HearthRealtime {
    this.realtimeConnection ??= new HearthRealtime({
      url: this.transport.baseUrl,
      app: this.app,
      key: this.transport.key,
      session: this.session,
      clock: this.options.clock ?? systemClock,
      options: this.options.realtime ?? {},
    });
    return this.realtimeConnection;
  }

  /** A broadcast channel with presence: `channel<ChatMessage>('room:1').join()`. One object per name. */
  channel<M = unknown>(name: string): Channel<M> {
    const rt = this.realtime;
    return rt.channel(name, () => new ChannelRef<M>(name, (event, payload) => rt.send(event, payload)));
  }

  /** Up to 100 writes, all or nothing. */
  batch(ops: readonly BatchOp[], options: { idempotencyKey?: string } = {}): Promise<BatchResult> {
    return this.request(batchRequest(this.app, ops, options));
  }
}

/** `createClient({ url, app, key })`: see ClientOptions. */
export function createClient(options: ClientOptions): HearthClient {
  return new HearthClient(options);
}

/** Resolves globalThis.fetch at call time (a polyfill installed after the client still works). */
function lazyGlobalFetch(): FetchLike {
  return (url, init) => globalFetch()(url, init);
}
