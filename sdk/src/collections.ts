import { collectionRequests, type FindQuery, type WriteOptions } from './collections.commands.js';
import type { CreateInput, Doc, Filter, SortKey, UpdateInput } from './filter.types.js';
import type { RequestDescription } from './transport.js';
import type { HearthRealtime } from './realtime.js';
import type { SubscribeTarget, SubscriptionEvent, Unsubscribe } from './subscription.js';

/**
 * The app's collections by name, for `collection('todos')` without a type argument. `hearth
 * types` writes this (module augmentation); by hand:
 * `declare module '@hearth/sdk' { interface Collections { todos: { fields: Todo; defaults: 'done' } } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Collections {}

/** One entry of `Collections`: the fields, and the names of fields that have a server default. */
export interface CollectionType {
  fields: object;
  defaults?: PropertyKey;
}
export type FieldsOf<K extends keyof Collections> = Collections[K] extends { fields: infer F extends object }
  ? F
  : never;
export type DefaultsOf<K extends keyof Collections> = Collections[K] extends { defaults: infer D }
  ? D & keyof FieldsOf<K>
  : never;

export interface Page<T> {
  items: Doc<T>[];
  /** Cursor for the next page, or null on the last page. */
  next: string | null;
  count?: number;
}

export type TypedFindQuery<T> = FindQuery<Filter<T>, SortKey<T>>;

type Send = <R>(req: RequestDescription) => Promise<R>;

/**
 * One collection of the app: typed CRUD, paging, counting and aggregation. `T` is the document's
 * fields; `D` the fields with a server default (optional on `create`).
 */
export class CollectionRef<T extends object = Record<string, unknown>, D extends keyof T = never> {
  /** The requests this collection sends, as data (build, inspect or send them yourself). */
  readonly requests: ReturnType<typeof collectionRequests>;

  constructor(
    private readonly send: Send,
    app: string,
    readonly name: string,
    private readonly realtime?: () => HearthRealtime,
  ) {
    this.requests = collectionRequests(app, name);
  }

  /** One page: `find({ filter: { done: false }, sort: '-createdAt', limit: 20 })`. */
  find(query: TypedFindQuery<T> = {}): Promise<Page<T>> {
    return this.send(this.requests.find(query));
  }

  /** Every matching document, page after page by cursor (stable under concurrent inserts). */
  async *iterate(
    query: Omit<TypedFindQuery<T>, 'after' | 'offset' | 'count'> = {},
  ): AsyncGenerator<Doc<T>, void, undefined> {
    let after: string | null = null;
    do {
      const page: Page<T> = await this.find({ ...query, ...(after ? { after } : {}) });
      yield* page.items;
      after = page.next;
    } while (after);
  }

  async count(query: { filter?: Filter<T>; mode?: 'exact' | 'estimated' } = {}): Promise<number> {
    const page = await this.send<Page<T>>(
      this.requests.find({ filter: query.filter, limit: 1, fields: 'id', count: query.mode ?? 'exact' }),
    );
    return page.count ?? 0;
  }

  get(
    id: string,
    query: { fields?: string | readonly string[]; expand?: string | readonly string[] } = {},
  ): Promise<Doc<T>> {
    return this.send(this.requests.get(id, query));
  }

  create(data: CreateInput<T, D>, options: Pick<WriteOptions, 'idempotencyKey'> = {}): Promise<Doc<T>> {
    return this.send(this.requests.create(data, options));
  }

  /** Merge fields and apply operators atomically: `update(id, { done: true, $inc: { views: 1 } })`. */
  update(id: string, patch: UpdateInput<T>, options: WriteOptions = {}): Promise<Doc<T>> {
    return this.send(this.requests.update(id, patch, options));
  }

  replace(id: string, data: CreateInput<T, D>, options: Pick<WriteOptions, 'ifMatch'> = {}): Promise<Doc<T>> {
    return this.send(this.requests.replace(id, data, options));
  }

  async delete(id: string, options: Pick<WriteOptions, 'ifMatch'> = {}): Promise<void> {
    await this.send(this.requests.delete(id, options));
  }

  /**
   * Live changes: `subscribe({ done: false }, (e) => …)` or `subscribe({ id }, …)`. Resolves once
   * live (a change committed after that is never missed) with the function that stops it;
   * rejects with a HearthError (bad filter, rule_denied). Restored after reconnects with the
   * server's replay; `refetch` events say when the replay could not cover the gap.
   */
  subscribe(
    target: SubscribeTarget<T>,
    handler: (event: SubscriptionEvent<T>) => void,
    options: { since?: string | number } = {},
  ): Promise<Unsubscribe> {
    if (!this.realtime) throw new TypeError('This collection has no realtime connection: use client.collection().');
    return this.realtime().subscribe<T>(this.name, target, handler, options);
  }

  /** `$match` (typed filter), `$group`, `$sort`, `$limit`, with your read rule applied first. */
  async aggregate<R = Record<string, unknown>>(pipeline: readonly AggregateStage<T>[]): Promise<R[]> {
    return (await this.send<{ items: R[] }>(this.requests.aggregate(pipeline))).items;
  }
}

type Accumulator =
  | { $count: Record<string, never> }
  | { $sum: string | number }
  | { $avg: string }
  | { $min: string }
  | { $max: string };

export type AggregateStage<T> =
  | { $match: Filter<T> }
  | {
      $group: { _id: string | null | Record<string, string> } & {
        [out: string]: Accumulator | string | null | Record<string, string>;
      };
    }
  | { $sort: Record<string, 1 | -1> }
  | { $limit: number };
