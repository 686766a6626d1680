import { CollectionRef, type BatchOp } from './collections.js';

export * from './collections.js';

/**
 * @hearth/sdk — the typed client for Hearth: the transport, the error type, collections (and,
 * as they land, auth, files, realtime…).
 */
export interface ClientOptions {
  /** Server URL, e.g. http://localhost:8080 */
  url: string;
  /** App id. */
  app: string;
  /** The app's public key (pk_…) in apps; a secret key (sk_…) only on servers. */
  key: string;
  /** Injectable fetch (tests, React Native polyfills). */
  fetch?: typeof fetch;
}

/** The one error the SDK throws: the contract's {code, message, details} plus the HTTP status. */
export class HearthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HearthError';
  }
}

/** A request as plain data, so commands can be built and tested without a network. */
export interface RequestDescription {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HearthClient {
  readonly app: string;
  request<T>(req: RequestDescription): Promise<T>;
  /** Checks the URL and key: resolves to the app and the key's access. */
  info(): Promise<{ id: string; name: string; access: { via: string; kind: 'public' | 'secret'; scopes: string[] } }>;
  /** Sends `Authorization: Bearer <token>` with every request (a signed-in user), or stops (null). */
  setAccessToken(token: string | null): void;
  /** A collection of the app. */
  collection<T extends object = Record<string, unknown>>(name: string): CollectionRef<T>;
  /** Up to 100 writes, all or nothing. */
  batch(
    ops: BatchOp[],
    options?: { idempotencyKey?: string },
  ): Promise<{ results: Array<{ status: number; body?: Record<string, unknown> }> }>;
}

export function createClient(options: ClientOptions): HearthClient {
  const base = options.url.replace(/\/$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const appPath = `/v1/apps/${encodeURIComponent(options.app)}`;
  let accessToken: string | null = null;
  const request = async <T>(req: RequestDescription): Promise<T> => {
    const res = await doFetch(`${base}${req.path}`, {
      method: req.method,
      headers: {
        'X-Hearth-Key': options.key,
        ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
        ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...req.headers,
      },
      body: req.body !== undefined ? JSON.stringify(req.body) : null,
    });
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => null)) as {
      error?: { code: string; message: string; details?: Record<string, unknown> };
    } | null;
    if (!res.ok) {
      const e = json?.error ?? { code: 'internal', message: `HTTP ${res.status}` };
      throw new HearthError(res.status, e.code, e.message, e.details);
    }
    return json as T;
  };
  return {
    app: options.app,
    request,
    info: () => request({ method: 'GET', path: appPath }),
    setAccessToken: (token) => {
      accessToken = token;
    },
    collection: (name) => new CollectionRef(request, appPath, name),
    batch: (ops, batchOptions = {}) =>
      request({
        method: 'POST',
        path: `${appPath}/batch`,
        body: { ops },
        headers: batchOptions.idempotencyKey ? { 'Idempotency-Key': batchOptions.idempotencyKey } : {},
      }),
  };
}
