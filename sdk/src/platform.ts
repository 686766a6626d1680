/**
 * The few platform types the SDK needs, declared here so its `.d.ts` needs neither the DOM lib
 * nor @types/node: browsers, React Native and Node 20+ all provide objects of these shapes.
 */
export interface HeadersLike {
  get(name: string): string | null;
}

export interface ResponseLike {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: HeadersLike;
  text(): Promise<string>;
}

export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface RequestInitLike {
  method?: string;
  headers?: Record<string, string>;
  /** A string for JSON; a FormData / Blob / stream for uploads (passed through untouched). */
  body?: unknown;
  signal?: AbortSignalLike;
  duplex?: 'half';
}

/** `globalThis.fetch` fits; so do node-fetch, undici and React Native's fetch. */
export type FetchLike = (url: string, init?: RequestInitLike) => Promise<ResponseLike>;

/** A Blob or File (browser, React Native, Node 20's `Blob`). */
export interface BlobLike {
  readonly size: number;
  readonly type: string;
  slice(start?: number, end?: number, contentType?: string): BlobLike;
}

/** The clock the SDK reads (token expiry); injectable for tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function globalFetch(): FetchLike {
  const f = (globalThis as { fetch?: FetchLike }).fetch;
  if (!f)
    throw new TypeError(
      'No global fetch: pass `fetch` to createClient (Node 20+, browsers and React Native have one).',
    );
  return f.bind(globalThis) as FetchLike;
}
