import { HearthError, type ErrorCode } from './errors.js';
import type { AbortSignalLike, FetchLike } from './platform.js';

/**
 * A request as plain data: every SDK command builds one of these (so commands are testable
 * without a network), and a transport sends it.
 */
export interface RequestDescription {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path from the server root, e.g. `/v1/apps/abc/auth/me`. */
  path: string;
  /** Query parameters; objects are sent as JSON, arrays joined with commas, undefined dropped. */
  query?: Record<string, unknown>;
  /** JSON body (anything else goes through `rawBody`). */
  body?: unknown;
  /** A body passed to fetch untouched (FormData, Blob). */
  rawBody?: unknown;
  headers?: Record<string, string>;
  /** false: send no user token (sign-in routes, where a stale token must not get in the way). */
  auth?: false;
  signal?: AbortSignalLike;
}

/** Sends one description with one (or no) user token. */
export interface Transport {
  readonly baseUrl: string;
  readonly key: string;
  send<T>(req: RequestDescription, token: string | null): Promise<T>;
  /** The absolute URL of a path + query (links, redirects, `<img src>`). */
  url(path: string, query?: Record<string, unknown>): string;
}

/** `?a=1&b=%7B…%7D`: defined values only, objects as JSON, arrays joined with commas. */
export function queryString(query: Record<string, unknown> | undefined): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value)
      ? value.join(',')
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

const seg = encodeURIComponent;
export { seg as pathSegment };

interface ErrorBody {
  error?: { code?: string; message?: string; details?: Record<string, unknown> };
}

export function createTransport(options: { url: string; key: string; fetch: FetchLike }): Transport {
  const baseUrl = options.url.replace(/\/+$/, '');
  const url = (path: string, query?: Record<string, unknown>) => `${baseUrl}${path}${queryString(query)}`;
  return {
    baseUrl,
    key: options.key,
    url,
    async send<T>(req: RequestDescription, token: string | null): Promise<T> {
      const headers: Record<string, string> = { 'X-Hearth-Key': options.key };
      if (token && req.auth !== false) headers.Authorization = `Bearer ${token}`;
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      Object.assign(headers, req.headers);
      let res;
      try {
        res = await options.fetch(url(req.path, req.query), {
          method: req.method,
          headers,
          ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
          ...(req.rawBody !== undefined ? { body: req.rawBody } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } catch (e) {
        if (req.signal?.aborted) throw new HearthError(0, 'aborted', 'The request was aborted.');
        throw new HearthError(0, 'network', `No answer from ${baseUrl}: ${(e as Error)?.message ?? String(e)}`);
      }
      const text = res.status === 204 ? '' : await res.text();
      let json: unknown = undefined;
      if (text) {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      if (!res.ok) throw errorFromResponse(res.status, json as ErrorBody, res.headers);
      return json as T;
    },
  };
}

export function errorFromResponse(
  status: number,
  json: ErrorBody | undefined,
  headers: { get(name: string): string | null },
): HearthError {
  const e = json?.error;
  const retry = headers.get('retry-after');
  return new HearthError(
    status,
    (e?.code as ErrorCode | undefined) ?? (status >= 500 ? 'internal' : 'invalid_request'),
    e?.message ?? `HTTP ${status}`,
    e?.details,
    headers.get('x-request-id'),
    retry !== null && /^\d+$/.test(retry) ? Number(retry) : null,
  );
}
