import { HearthError } from './errors.js';
import type { TokenStorage } from './storage.js';
import type { RequestDescription } from './transport.js';

/** A read that may come from the cache: `stale` when the server could not be reached. */
export interface Cached<R> {
  data: R;
  /** true: the server was unreachable and this is the last answer it gave (from `cachedAt`). */
  stale: boolean;
  /** When this answer came from the server (ms since epoch). */
  cachedAt: number;
}

export interface ReadCacheOptions {
  /** Answers kept per collection (least recently fetched dropped first; default 200). */
  maxEntries?: number;
}

interface Entry {
  data: unknown;
  at: number;
}

type CollectionCache = Record<string, Entry>;

/**
 * Last answers of get/find, per collection, in the client's storage (one item per collection,
 * `<prefix>.<collection>`): refreshed by every answer, served (marked stale) when the network is
 * down, and dropped by local queued writes so a read never shows what a pending write changed.
 */
export class ReadCache {
  private readonly maxEntries: number;
  /** Storage writes in order per collection (async storages could otherwise reorder them). */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly storage: TokenStorage,
    private readonly prefix: string,
    private readonly now: () => number,
    options: ReadCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 200;
  }

  /** Sends the read; on a network failure, the cached answer (stale), else the failure. */
  async read<R>(collection: string, key: string, send: () => Promise<R>): Promise<Cached<R>> {
    try {
      const data = await send();
      const at = this.now();
      await this.update(collection, (c) => {
        c[key] = { data, at };
        const keys = Object.keys(c);
        if (keys.length > this.maxEntries) {
          keys.sort((a, b) => c[a]!.at - c[b]!.at);
          for (const k of keys.slice(0, keys.length - this.maxEntries)) delete c[k];
        }
      });
      return { data, stale: false, cachedAt: at };
    } catch (e) {
      if (!(e instanceof HearthError && e.code === 'network')) throw e;
      const hit = (await this.load(collection))[key];
      if (!hit) throw e;
      return { data: hit.data as R, stale: true, cachedAt: hit.at };
    }
  }

  /** Drops what a write to `collection` (document `id`, or any) may have changed: its get, every find. */
  invalidate(collection: string, id?: string): Promise<void> {
    return this.update(collection, (c) => {
      for (const k of Object.keys(c))
        if (k.startsWith('find:') || id === undefined || k === getKey(id) || k.startsWith(`${getKey(id)}:`))
          delete c[k];
    });
  }

  /** Invalidates what a write request touches (documents and batch routes). */
  async invalidateFor(req: RequestDescription): Promise<void> {
    const doc = /\/collections\/([^/]+)\/documents(?:\/([^/?]+))?$/.exec(req.path);
    if (doc) return this.invalidate(decodeURIComponent(doc[1]!), doc[2] ? decodeURIComponent(doc[2]) : undefined);
    if (/\/batch$/.test(req.path)) {
      const ops = (req.body as { ops?: Array<{ collection: string; id?: string }> } | undefined)?.ops ?? [];
      for (const op of ops) await this.invalidate(op.collection, op.id);
    }
  }

  private async load(collection: string): Promise<CollectionCache> {
    try {
      const raw = await this.storage.getItem(`${this.prefix}.${collection}`);
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      return parsed && typeof parsed === 'object' ? (parsed as CollectionCache) : {};
    } catch {
      return {};
    }
  }

  private update(collection: string, change: (c: CollectionCache) => void): Promise<void> {
    const next = (this.chains.get(collection) ?? Promise.resolve()).then(async () => {
      const c = await this.load(collection);
      change(c);
      // A full or failing storage costs the cache, never the read.
      await Promise.resolve(this.storage.setItem(`${this.prefix}.${collection}`, JSON.stringify(c))).catch(() => {});
    });
    this.chains.set(
      collection,
      next.catch(() => {}),
    );
    return next;
  }
}

export const getKey = (id: string, query?: unknown) => `get:${id}${query ? `:${stableJson(query)}` : ''}`;
export const findKey = (query: unknown) => `find:${stableJson(query)}`;

/** JSON with object keys sorted: equal queries, equal keys. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}
