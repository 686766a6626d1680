import { collectionRequests, type WriteOptions } from './collections.commands.js';
import { HearthError } from './errors.js';
import type { Page, TypedFindQuery } from './collections.js';
import type { CreateInput, Doc, UpdateInput } from './filter.types.js';
import { findKey, getKey, ReadCache, type Cached, type ReadCacheOptions } from './read-cache.js';
import { memoryStorage, type TokenStorage } from './storage.js';
import type { RequestDescription } from './transport.js';

/** A write waiting to be sent. */
export interface QueuedWrite {
  id: string;
  request: RequestDescription;
  queuedAt: number;
}

export interface QueueState {
  pending: number;
  flushing: boolean;
  /** The last error that stopped a flush (offline), or null. */
  lastError: HearthError | null;
}

export interface OfflineQueueOptions {
  /** Where the queue is kept between runs (default: memory). */
  storage?: TokenStorage;
  /** Storage key (default `hearth.<app>.queue`). */
  key?: string;
  /**
   * A write the server refused with 409 (its `ifMatch` version is stale, a unique clash): the
   * write is dropped from the queue; decide here what to do (merge and enqueue again, tell the user).
   */
  onConflict?: (write: QueuedWrite, error: HearthError) => void | Promise<void>;
  /** Any other refusal (validation, rules): dropped as well. */
  onRejected?: (write: QueuedWrite, error: HearthError) => void | Promise<void>;
  /**
   * Cache the answers of `collection(name).get/find` in `storage` and serve them (`stale: true`)
   * when the network is down; a queued write drops the cached reads it may change. Default off
   * (cached documents stay on the device).
   */
  cache?: boolean | ReadCacheOptions;
}

interface Sender {
  readonly app: string;
  request<T>(req: RequestDescription): Promise<T>;
}

let counter = 0;
const newKey = () =>
  `q-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/**
 * A persisted queue of writes, replayed in order when the server can be reached: every write
 * carries an Idempotency-Key (a write that reached the server before the connection dropped is
 * not applied twice) and keeps its If-Match version (a document changed meanwhile is a conflict,
 * handed to `onConflict`, never overwritten).
 */
export class OfflineQueue {
  private items: QueuedWrite[] = [];
  private flushing: Promise<void> | null = null;
  private lastError: HearthError | null = null;
  private readonly listeners = new Set<(state: QueueState) => void>();
  private readonly storageKey: string;
  /** The read cache (`cache: true`), or null. */
  readonly cache: ReadCache | null;
  readonly ready: Promise<void>;

  constructor(
    private readonly client: Sender,
    private readonly options: OfflineQueueOptions = {},
  ) {
    const storageKey = options.key ?? `hearth.${client.app}.queue`;
    this.storageKey = storageKey;
    this.cache = options.cache
      ? new ReadCache(
          options.storage ?? memoryStorage(),
          `hearth.${client.app}.cache`,
          () => Date.now(),
          options.cache === true ? {} : options.cache,
        )
      : null;
    this.ready = (async () => {
      try {
        const raw = await options.storage?.getItem(storageKey);
        this.items = raw ? (JSON.parse(raw) as QueuedWrite[]) : [];
      } catch {
        this.items = [];
      }
    })();
  }

  get state(): QueueState {
    return { pending: this.items.length, flushing: this.flushing !== null, lastError: this.lastError };
  }

  get pending(): readonly QueuedWrite[] {
    return this.items;
  }

  onChange(listener: (state: QueueState) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private async save(): Promise<void> {
    await this.options.storage?.setItem(this.storageKey, JSON.stringify(this.items));
    for (const l of this.listeners) l(this.state);
  }

  /** Queues any write; POST and PATCH get an Idempotency-Key unless they have one. */
  async enqueue(request: RequestDescription): Promise<QueuedWrite> {
    await this.ready;
    const headers = { ...request.headers };
    if ((request.method === 'POST' || request.method === 'PATCH') && !headers['Idempotency-Key'])
      headers['Idempotency-Key'] = newKey();
    const write: QueuedWrite = { id: newKey(), request: { ...request, headers }, queuedAt: Date.now() };
    this.items.push(write);
    await this.save();
    await this.cache?.invalidateFor(request);
    return write;
  }

  /** Queued writes, and cached reads, for one collection (same arguments as `CollectionRef`). */
  collection<T extends object = Record<string, unknown>, D extends keyof T = never>(name: string) {
    const r = collectionRequests(this.client.app, name);
    const read = async <R>(key: string, req: RequestDescription): Promise<Cached<R>> => {
      if (this.cache) return this.cache.read(name, key, () => this.client.request<R>(req));
      return { data: await this.client.request<R>(req), stale: false, cachedAt: Date.now() };
    };
    return {
      /** One document: from the server, or (offline) its last answer, `stale: true`. */
      get: (id: string, query: { fields?: string | readonly string[]; expand?: string | readonly string[] } = {}) =>
        read<Doc<T>>(getKey(id, query.fields || query.expand ? query : undefined), r.get(id, query)),
      /** One page: from the server, or (offline) the last answer to the same query, `stale: true`. */
      find: (query: TypedFindQuery<T> = {}) => read<Page<T>>(findKey(query), r.find(query)),
      create: (data: CreateInput<T, D>) => this.enqueue(r.create(data)),
      update: (id: string, patch: UpdateInput<T>, options: Pick<WriteOptions, 'ifMatch'> = {}) =>
        this.enqueue(r.update(id, patch, options)),
      replace: (id: string, data: CreateInput<T, D>, options: Pick<WriteOptions, 'ifMatch'> = {}) =>
        this.enqueue(r.replace(id, data, options)),
      delete: (id: string, options: Pick<WriteOptions, 'ifMatch'> = {}) => this.enqueue(r.delete(id, options)),
    };
  }

  /**
   * Sends the queue in order. Stops at the first write that gets no answer (still offline: it and
   * the rest stay queued); a refused write is dropped and reported. One flush at a time.
   */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      await this.ready;
      this.lastError = null;
      for (const l of this.listeners) l(this.state);
      while (this.items.length) {
        const write = this.items[0]!;
        try {
          await this.client.request(write.request);
        } catch (e) {
          if (!(e instanceof HearthError) || e.status === 0 || e.status >= 500 || e.code === 'rate_limited') {
            this.lastError = e instanceof HearthError ? e : new HearthError(0, 'network', String(e));
            return;
          }
          if (e.status === 409) await this.options.onConflict?.(write, e);
          else await this.options.onRejected?.(write, e);
        }
        this.items.shift();
        await this.save();
      }
    })().finally(() => {
      this.flushing = null;
      for (const l of this.listeners) l(this.state);
    });
    return this.flushing;
  }
}

/** `createOfflineQueue(hearth, { storage: localStorage, onConflict })`. */
export function createOfflineQueue(client: Sender, options: OfflineQueueOptions = {}): OfflineQueue {
  return new OfflineQueue(client, options);
}
