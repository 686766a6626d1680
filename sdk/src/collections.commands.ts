import type { RequestDescription } from './transport.js';
import { pathSegment as seg } from './transport.js';

export interface FindQuery<F = Record<string, unknown>, S extends string = string> {
  filter?: F;
  /** `"-createdAt"` or `["-createdAt", "title"]`. */
  sort?: S | readonly S[];
  /** Page size (default 20, at most 1000). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  after?: string;
  offset?: number;
  fields?: string | readonly string[];
  expand?: string | readonly string[];
  count?: 'exact' | 'estimated';
}

export interface WriteOptions {
  /** Only write if the stored version is this one (else HearthError `conflict`, reason `version`). */
  ifMatch?: number;
  /** Retry-safe writes: a repeated key gets the first answer (24 h). */
  idempotencyKey?: string;
}

export type BatchOp =
  | { op: 'create'; collection: string; data: Record<string, unknown> }
  | { op: 'update' | 'replace'; collection: string; id: string; data: Record<string, unknown>; ifMatch?: number }
  | { op: 'delete'; collection: string; id: string; ifMatch?: number };

export function writeHeaders(options: WriteOptions = {}): Record<string, string> {
  return {
    ...(options.ifMatch !== undefined ? { 'If-Match': `"${options.ifMatch}"` } : {}),
    ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
  };
}

/** Every collection call as a plain request description (no network). */
export function collectionRequests(app: string, name: string) {
  const base = `/v1/apps/${seg(app)}/collections/${seg(name)}`;
  const doc = (id: string) => `${base}/documents/${seg(id)}`;
  return {
    find: (q: FindQuery<unknown> = {}): RequestDescription => ({
      method: 'GET',
      path: `${base}/documents`,
      query: {
        filter: q.filter,
        sort: q.sort,
        limit: q.limit,
        after: q.after,
        offset: q.offset,
        fields: q.fields,
        expand: q.expand,
        count: q.count,
      },
    }),
    get: (
      id: string,
      q: { fields?: string | readonly string[]; expand?: string | readonly string[] } = {},
    ): RequestDescription => ({
      method: 'GET',
      path: doc(id),
      query: { fields: q.fields, expand: q.expand },
    }),
    create: (data: unknown, options: Pick<WriteOptions, 'idempotencyKey'> = {}): RequestDescription => ({
      method: 'POST',
      path: `${base}/documents`,
      body: data,
      headers: writeHeaders(options),
    }),
    update: (id: string, patch: unknown, options: WriteOptions = {}): RequestDescription => ({
      method: 'PATCH',
      path: doc(id),
      body: patch,
      headers: writeHeaders(options),
    }),
    replace: (id: string, data: unknown, options: Pick<WriteOptions, 'ifMatch'> = {}): RequestDescription => ({
      method: 'PUT',
      path: doc(id),
      body: data,
      headers: writeHeaders(options),
    }),
    delete: (id: string, options: Pick<WriteOptions, 'ifMatch'> = {}): RequestDescription => ({
      method: 'DELETE',
      path: doc(id),
      headers: writeHeaders(options),
    }),
    aggregate: (pipeline: readonly unknown[]): RequestDescription => ({
      method: 'POST',
      path: `${base}/aggregate`,
      body: { pipeline },
    }),
  };
}

export function batchRequest(
  app: string,
  ops: readonly BatchOp[],
  options: { idempotencyKey?: string } = {},
): RequestDescription {
  return { method: 'POST', path: `/v1/apps/${seg(app)}/batch`, body: { ops }, headers: writeHeaders(options) };
}
