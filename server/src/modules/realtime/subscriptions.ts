import { getPath } from '../../lib/filter/compare.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { Caller } from '../collections/index.js';

/**
 * Live query subscriptions of this process, indexed so a document event looks at few of them:
 * by (app, collection), then by document id (`subscribe {id}`), by one equality term of the
 * filter (`{"room": "r1", …}` is filed under room = "r1"), and the rest (no usable term). An
 * event for a document picks the id bucket, the buckets of the values its before/after versions
 * hold at each indexed path, and the rest: everything else cannot match and is never evaluated.
 */
export interface Subscription {
  /**
   * Derived from the query (collection, filter as sent, id), unique on its connection: equal
   * subscriptions of different connections have the same id, so one change is encoded once for all.
   */
  readonly id: string;
  /** The query's key (the id without its per-connection suffix): filter outcomes are shared by it. */
  readonly query: string;
  readonly appId: string;
  readonly collection: string;
  /** The subscriber's filter (parsed and checked like REST's); null = every document. */
  readonly filter: FilterNode | null;
  /** `subscribe {id}`: one document. */
  readonly docId: string | null;
  /** Who subscribed: rules and hidden fields apply per event with this caller. */
  caller: Caller;
  /** The connection's id: deliveries go through `deliver`. */
  readonly socketId: string;
  /** False once removed: an event already being delivered skips it. */
  active: boolean;
}

interface CollectionSubs {
  byId: Map<string, Set<Subscription>>;
  byEq: Map<string, Map<string, Set<Subscription>>>;
  rest: Set<Subscription>;
  size: number;
}

type Key = { kind: 'id'; value: string } | { kind: 'eq'; path: string; value: string } | { kind: 'rest' };

/** A scalar's bucket key: type-tagged, so 1 and "1" stay apart (as in the filter language). */
function valueKey(v: unknown): string | null {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'number') return Number.isFinite(v) ? `n${v}` : null;
  if (typeof v === 'boolean') return `b${v}`;
  return null;
}

/** One top-level equality on a scalar (null excluded: it also matches missing fields). */
export function equalityTerm(filter: FilterNode | null): { path: string; value: string } | null {
  if (!filter) return null;
  const fromField = (node: FilterNode) => {
    if (node.op !== 'field') return null;
    for (const c of node.conds) {
      if (c.op === 'eq') {
        const key = valueKey(c.value);
        if (key !== null) return { path: node.path, value: key };
      }
    }
    return null;
  };
  if (filter.op === 'field') return fromField(filter);
  if (filter.op === 'and') {
    for (const child of filter.children) {
      const t = fromField(child);
      if (t) return t;
    }
  }
  return null;
}

export class SubscriptionIndex {
  private readonly apps = new Map<string, Map<string, CollectionSubs>>();
  private readonly keys = new Map<Subscription, Key>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The app's live subscriptions here, per collection. */
  countsByCollection(appId: string): Array<{ collection: string; subscriptions: number }> {
    return [...(this.apps.get(appId) ?? [])].map(([collection, col]) => ({ collection, subscriptions: col.size }));
  }

  /** Whether this app has any subscription here (events of other apps are dropped at once). */
  hasApp(appId: string): boolean {
    return this.apps.has(appId);
  }

  add(sub: Subscription): void {
    let cols = this.apps.get(sub.appId);
    if (!cols) this.apps.set(sub.appId, (cols = new Map()));
    let col = cols.get(sub.collection);
    if (!col) cols.set(sub.collection, (col = { byId: new Map(), byEq: new Map(), rest: new Set(), size: 0 }));
    const term = equalityTerm(sub.filter);
    let key: Key;
    if (sub.docId !== null) {
      key = { kind: 'id', value: sub.docId };
      bucket(col.byId, sub.docId).add(sub);
    } else if (term) {
      key = { kind: 'eq', ...term };
      let byValue = col.byEq.get(term.path);
      if (!byValue) col.byEq.set(term.path, (byValue = new Map()));
      bucket(byValue, term.value).add(sub);
    } else {
      key = { kind: 'rest' };
      col.rest.add(sub);
    }
    this.keys.set(sub, key);
    col.size++;
    this.count++;
  }

  remove(sub: Subscription): void {
    const key = this.keys.get(sub);
    if (!key) return;
    sub.active = false;
    this.keys.delete(sub);
    this.count--;
    const cols = this.apps.get(sub.appId)!;
    const col = cols.get(sub.collection)!;
    if (key.kind === 'id') unbucket(col.byId, key.value, sub);
    else if (key.kind === 'eq') {
      const byValue = col.byEq.get(key.path)!;
      unbucket(byValue, key.value, sub);
      if (byValue.size === 0) col.byEq.delete(key.path);
    } else col.rest.delete(sub);
    if (--col.size === 0) cols.delete(sub.collection);
    if (cols.size === 0) this.apps.delete(sub.appId);
  }

  /** The subscriptions that may match an event on these document versions (a superset, never fewer). */
  candidates(
    appId: string,
    collection: string,
    docs: ReadonlyArray<Readonly<Record<string, unknown>> | null>,
  ): Subscription[] {
    const cols = this.apps.get(appId);
    const col = cols?.get(collection);
    // Admin tails (`*`) see every collection's events.
    const all = collection === '*' ? undefined : cols?.get('*');
    if (!col) return all ? [...all.rest] : [];
    const out = new Set<Subscription>(col.rest);
    for (const sub of all?.rest ?? []) out.add(sub);
    for (const doc of docs) {
      if (!doc) continue;
      for (const sub of col.byId.get(String(doc.id)) ?? []) out.add(sub);
      for (const [path, byValue] of col.byEq) {
        const v = getPath(doc, path);
        for (const item of Array.isArray(v) ? [v, ...v] : [v]) {
          const k = valueKey(item);
          if (k !== null) for (const sub of byValue.get(k) ?? []) out.add(sub);
        }
      }
    }
    return [...out];
  }
}

function bucket<K>(map: Map<K, Set<Subscription>>, key: K): Set<Subscription> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

function unbucket<K>(map: Map<K, Set<Subscription>>, key: K, sub: Subscription): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(sub);
  if (set.size === 0) map.delete(key);
}
