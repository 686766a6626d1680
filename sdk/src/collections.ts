import type { RequestDescription } from './index.js';

/** System fields every document carries (read-only). */
export interface SystemFields {
  id: string;
  createdAt: string;
  updatedAt: string;
  owner: string | null;
  version: number;
}

export type Doc<T> = T & SystemFields;

/** A filter in the contract's language, e.g. `{ done: false, priority: { $gte: 2 } }`. */
export type Filter = Record<string, unknown>;

export interface FindQuery {
  filter?: Filter;
  /** `"-createdAt,title"` or `["-createdAt", "title"]`. */
  sort?: string | string[];
  limit?: number;
  /** The `next` cursor of the previous page. */
  after?: string;
  offset?: number;
  fields?: string | string[];
  expand?: string | string[];
  count?: 'exact' | 'estimated';
}

export interface Page<T> {
  items: Doc<T>[];
  /** Cursor for the next page, or null on the last page. */
  next: string | null;
  count?: number;
}

export interface WriteOptions {
  /** Only write if the stored version is this one (else HearthError `conflict`, 409). */
  ifMatch?: number;
  /** Retry-safe writes: the server answers a repeated key with the first answer (24 h). */
  idempotencyKey?: string;
}

export type PatchOperators = {
  $inc?: Record<string, number>;
  $push?: Record<string, unknown>;
  $addToSet?: Record<string, unknown>;
  $pull?: Record<string, unknown>;
  $unset?: string[] | Record<string, true>;
};

export type BatchOp =
  | { op: 'create'; collection: string; data: Record<string, unknown> }
  | { op: 'update' | 'replace'; collection: string; id: string; data: Record<string, unknown>; ifMatch?: number }
  | { op: 'delete'; collection: string; id: string; ifMatch?: number };

type Send = <R>(req: RequestDescription) => Promise<R>;

const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);

/** Builds a query string from defined values (objects as JSON). */
export function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function writeHeaders(options: WriteOptions): Record<string, string> {
  return {
    ...(options.ifMatch !== undefined ? { 'If-Match': `"${options.ifMatch}"` } : {}),
    ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
  };
}

/** One collection of the app: typed CRUD, paging, counting and aggregation. */
export class CollectionRef<T extends object = Record<string, unknown>> {
  private readonly base: string;

  constructor(
    private readonly send: Send,
    appPath: string,
    readonly name: string,
  ) {
    this.base = `${appPath}/collections/${encodeURIComponent(name)}`;
  }

  find(query: FindQuery = {}): Promise<Page<T>> {
    const qs = queryString({
      filter: query.filter,
      sort: list(query.sort),
      limit: query.limit,
      after: query.after,
      offset: query.offset,
      fields: list(query.fields),
      expand: list(query.expand),
      count: query.count,
    });
    return this.send({ method: 'GET', path: `${this.base}/documents${qs}` });
  }

  /** Every matching document, page after page (cursor paging; stable under concurrent inserts). */
  async *iterate(query: Omit<FindQuery, 'after' | 'offset' | 'count'> = {}): AsyncGenerator<Doc<T>> {
    let after: string | undefined;
    do {
      const page = await this.find({ ...query, ...(after ? { after } : {}) });
      yield* page.items;
      after = page.next ?? undefined;
    } while (after);
  }

  async count(query: { filter?: Filter; mode?: 'exact' | 'estimated' } = {}): Promise<number> {
    const page = await this.find({ filter: query.filter, limit: 1, fields: 'id', count: query.mode ?? 'exact' });
    return page.count ?? 0;
  }

  get(id: string, query: { fields?: string | string[]; expand?: string | string[] } = {}): Promise<Doc<T>> {
    const qs = queryString({ fields: list(query.fields), expand: list(query.expand) });
    return this.send({ method: 'GET', path: `${this.base}/documents/${encodeURIComponent(id)}${qs}` });
  }

  create(data: T, options: Pick<WriteOptions, 'idempotencyKey'> = {}): Promise<Doc<T>> {
    return this.send({ method: 'POST', path: `${this.base}/documents`, body: data, headers: writeHeaders(options) });
  }

  /** Merge fields and apply operators atomically: `update(id, { done: true, $inc: { views: 1 } })`. */
  update(id: string, patch: Partial<T> & PatchOperators, options: WriteOptions = {}): Promise<Doc<T>> {
    return this.send({
      method: 'PATCH',
      path: `${this.base}/documents/${encodeURIComponent(id)}`,
      body: patch,
      headers: writeHeaders(options),
    });
  }

  replace(id: string, data: T, options: Pick<WriteOptions, 'ifMatch'> = {}): Promise<Doc<T>> {
    return this.send({
      method: 'PUT',
      path: `${this.base}/documents/${encodeURIComponent(id)}`,
      body: data,
      headers: writeHeaders(options),
    });
  }

  async delete(id: string, options: Pick<WriteOptions, 'ifMatch'> = {}): Promise<void> {
    await this.send({
      method: 'DELETE',
      path: `${this.base}/documents/${encodeURIComponent(id)}`,
      headers: writeHeaders(options),
    });
  }

  async aggregate<R = Record<string, unknown>>(pipeline: Record<string, unknown>[]): Promise<R[]> {
    const res = await this.send<{ items: R[] }>({ method: 'POST', path: `${this.base}/aggregate`, body: { pipeline } });
    return res.items;
  }
}
