import { matches } from '../../lib/filter/evaluate.js';
import type { StoredDocument } from '../../ports/document-store.js';
import {
  toClientDocument,
  visibleTo,
  type Caller,
  type CollectionRegistry,
  type CompiledCollection,
  type DocumentEvent,
} from '../collections/index.js';
import type { Subscription, SubscriptionIndex } from './subscriptions.js';

/**
 * From committed document events to `change` messages. Every replica receives every event
 * (through the PubSub port) and evaluates it against its own subscriptions only:
 * 1. on arrival (synchronously) the event is put in the app's replay buffer and the candidate
 *    subscriptions are taken from the index: a subscription registered later gets the event by
 *    replay, never twice;
 * 2. events are then handled one after the other (the collection's compiled rules are looked up),
 *    and each candidate gets at most one change: filter and read rule on the version before and
 *    after, evaluated once per distinct rule identity (same user, same roles) and shared.
 */
export type ChangeType = 'create' | 'update' | 'delete' | 'enter' | 'leave';

export interface Change {
  subscription: string;
  /** The document's collection (a `*` subscription gets every collection's). */
  collection: string;
  type: ChangeType;
  document: Record<string, unknown>;
  /** When the write committed (ISO-8601): pass the last one seen as `since` when resubscribing. */
  at: string;
}

/** What travels between replicas: a document event, as plain JSON. */
export interface WireEvent {
  appId: string;
  collection: string;
  type: DocumentEvent['type'];
  before: StoredDocument | null;
  after: StoredDocument | null;
  at: string;
}

export interface ReplaySettings {
  /** How long events are kept for `since` (ms). */
  windowMs: number;
  /** At most this many events per app. */
  maxEvents: number;
}

interface Buffered {
  event: WireEvent;
  atMs: number;
}

/**
 * One change as it goes out: shared by every subscriber that gets the same bytes (same
 * subscription id, type and document view), so it is encoded once (server.ts caches the
 * encoding on it).
 */
export interface Outgoing {
  readonly change: Change;
  encoded?: unknown;
}

const principals = new WeakMap<Caller, string>();
/** Callers with the same identity for rules share evaluations (cached per caller object). */
function principalKey(caller: Caller): string {
  let key = principals.get(caller);
  if (key === undefined) {
    const u = caller.user;
    key = caller.privileged ? 'p' : u ? `u${u.id}\u0000${u.anonymous}\u0000${[...u.roles].sort().join('\u0000')}` : 'n';
    principals.set(caller, key);
  }
  return key;
}

const BEFORE = 0;
const AFTER = 1;
type Which = typeof BEFORE | typeof AFTER;

/**
 * Rule evaluations, filter outcomes, document views and outgoing changes of one event, shared by
 * its subscribers: per distinct caller identity, per distinct query, per distinct view.
 */
class EventScope {
  /** principal → [get before, get after, list+get before, list+get after]. */
  private readonly visible = new Map<string, Array<boolean | undefined>>();
  /** query key → [matches before, matches after]. */
  private readonly matched = new Map<string, Array<boolean | undefined>>();
  private readonly views: Array<Record<string, unknown> | undefined> = [];
  /** view → type → subscription id → the change. */
  private readonly outgoing = new Map<object, Map<ChangeType, Map<string, Outgoing>>>();
  readonly matchOptions: { textFields: CompiledCollection['searchable'] };
  constructor(
    readonly col: CompiledCollection,
    readonly event: WireEvent,
    private readonly now: Date,
  ) {
    this.matchOptions = { textFields: col.searchable };
  }

  canRead(caller: Caller, doc: StoredDocument, which: Which, query: boolean): boolean {
    const key = principalKey(caller);
    let row = this.visible.get(key);
    if (!row) this.visible.set(key, (row = [undefined, undefined, undefined, undefined]));
    const i = (query ? 2 : 0) + which;
    let v = row[i];
    if (v === undefined) {
      // Nobody gets a document they could not GET; a query subscription also needs the list rule.
      v =
        visibleTo(caller, this.col, doc, this.now, 'get') &&
        (!query || visibleTo(caller, this.col, doc, this.now, 'list'));
      row[i] = v;
    }
    return v;
  }

  /** The subscription's filter on one version, evaluated once per distinct query. */
  filterMatches(sub: Subscription, doc: StoredDocument, which: Which): boolean {
    if (sub.filter === null) return true;
    let row = this.matched.get(sub.query);
    if (!row) this.matched.set(sub.query, (row = [undefined, undefined]));
    let v = row[which];
    if (v === undefined) row[which] = v = matches(sub.filter, doc, this.matchOptions);
    return v;
  }

  view(caller: Caller, doc: StoredDocument, which: Which): Record<string, unknown> {
    const i = (caller.privileged ? 2 : 0) + which;
    let v = this.views[i];
    if (!v) this.views[i] = v = toClientDocument(this.col, doc, { privileged: caller.privileged });
    return v;
  }

  out(sub: Subscription, type: ChangeType, document: Record<string, unknown>): Outgoing {
    let byType = this.outgoing.get(document);
    if (!byType) this.outgoing.set(document, (byType = new Map()));
    let bySub = byType.get(type);
    if (!bySub) byType.set(type, (bySub = new Map()));
    let o = bySub.get(sub.id);
    if (!o) {
      const change = { subscription: sub.id, collection: this.event.collection, type, document, at: this.event.at };
      bySub.set(sub.id, (o = { change }));
    }
    return o;
  }
}

function inVersion(sub: Subscription, scope: EventScope, doc: StoredDocument | null, which: Which): boolean {
  return (
    doc !== null &&
    (sub.docId === null || doc.id === sub.docId) &&
    scope.filterMatches(sub, doc, which) &&
    scope.canRead(sub.caller, doc, which, sub.docId === null)
  );
}

/** What `sub` gets of the scope's event, or null. */
export function outgoingFor(sub: Subscription, scope: EventScope): Outgoing | null {
  const { event } = scope;
  const inBefore = inVersion(sub, scope, event.before, BEFORE);
  const inAfter = inVersion(sub, scope, event.after, AFTER);
  if (inBefore && inAfter) return scope.out(sub, 'update', scope.view(sub.caller, event.after!, AFTER));
  if (inAfter)
    return scope.out(
      sub,
      event.type === 'documents.create' ? 'create' : 'enter',
      scope.view(sub.caller, event.after!, AFTER),
    );
  if (!inBefore) return null;
  if (event.type === 'documents.delete') return scope.out(sub, 'delete', scope.view(sub.caller, event.before!, BEFORE));
  // Left the filter or the rule: the new version only if the subscriber may still read it.
  const after = event.after!;
  const readable = scope.canRead(sub.caller, after, AFTER, sub.docId === null);
  return scope.out(sub, 'leave', readable ? scope.view(sub.caller, after, AFTER) : { id: after.id });
}

/** Subscribers handled between two yields to the event loop (so it serves I/O during a large fan-out). */
export const FANOUT_CHUNK = 500;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Fanout {
  private readonly buffers = new Map<string, { items: Buffered[]; floor: number }>();
  private tail: Promise<void> = Promise.resolve();
  private readonly startedAt: number;

  constructor(
    private readonly deps: {
      index: SubscriptionIndex;
      registry: CollectionRegistry;
      now: () => Date;
      replay: ReplaySettings;
      /** Sends one change; false when it was not sent (the connection is gone or dropped). */
      deliver: (sub: Subscription, out: Outgoing) => boolean;
      /** After each chunk: how many changes of the app went out. */
      delivered: (appId: string, count: number) => void;
      onError: (err: unknown) => void;
    },
  ) {
    this.startedAt = deps.now().getTime();
  }

  /** An event from the bus (any replica). */
  receive(event: WireEvent): void {
    this.remember(event);
    if (!this.deps.index.hasApp(event.appId)) return;
    const candidates = this.deps.index.candidates(event.appId, event.collection, [event.before, event.after]);
    if (candidates.length === 0) return;
    this.tail = this.tail.then(() => this.handle(event, candidates)).catch((err: unknown) => this.deps.onError(err));
  }

  /** Resolves when every event received so far was handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }

  private async handle(event: WireEvent, candidates: Subscription[]): Promise<void> {
    const col = await this.deps.registry.get(event.appId, event.collection);
    if (!col) return;
    const scope = new EventScope(col, event, this.deps.now());
    let sent = 0;
    let inChunk = 0;
    // Subscribers of one query with one rule identity get the same change (the index lists them
    // next to each other): the last outcome is reused while both stay the same.
    let last: Subscription | null = null;
    let lastPrincipal = '';
    let lastOut: Outgoing | null = null;
    for (const sub of candidates) {
      if (!sub.active) continue;
      const principal = principalKey(sub.caller);
      let out: Outgoing | null;
      if (
        last !== null &&
        principal === lastPrincipal &&
        sub.id === last.id &&
        sub.query === last.query &&
        sub.docId === last.docId &&
        sub.collection === last.collection
      )
        out = lastOut;
      else {
        out = outgoingFor(sub, scope);
        last = sub;
        lastPrincipal = principal;
        lastOut = out;
      }
      if (out && this.deps.deliver(sub, out)) sent++;
      if (++inChunk === FANOUT_CHUNK) {
        inChunk = 0;
        this.deps.delivered(event.appId, sent);
        sent = 0;
        await yieldToLoop();
      }
    }
    if (sent > 0) this.deps.delivered(event.appId, sent);
  }

  /** Drops what is older than the window from every app's buffer (apps without new events too). */
  sweep(): void {
    const oldest = this.deps.now().getTime() - this.deps.replay.windowMs;
    for (const buf of this.buffers.values()) {
      while (buf.items.length > 0 && buf.items[0]!.atMs < oldest)
        buf.floor = Math.max(buf.floor, buf.items.shift()!.atMs);
    }
  }

  private remember(event: WireEvent): void {
    const now = this.deps.now().getTime();
    let buf = this.buffers.get(event.appId);
    if (!buf) this.buffers.set(event.appId, (buf = { items: [], floor: this.startedAt }));
    buf.items.push({ event, atMs: Date.parse(event.at) });
    const { windowMs, maxEvents } = this.deps.replay;
    while (buf.items.length > 0 && (buf.items.length > maxEvents || buf.items[0]!.atMs < now - windowMs)) {
      buf.floor = Math.max(buf.floor, buf.items.shift()!.atMs);
    }
  }

  /**
   * The changes `sub` missed since `sinceMs` (inclusive: the last change seen may come again), from this replica's buffer; 'too_old'
   * when the buffer does not reach back that far (this replica started later, or evicted them).
   */
  replay(sub: Subscription, col: CompiledCollection, sinceMs: number): Outgoing[] | 'too_old' {
    const buf = this.buffers.get(sub.appId);
    const floor = buf?.floor ?? this.startedAt;
    if (sinceMs <= floor) return 'too_old';
    const out: Outgoing[] = [];
    const now = this.deps.now();
    for (const { event, atMs } of buf?.items ?? []) {
      if (atMs < sinceMs || event.collection !== sub.collection) continue;
      const change = outgoingFor(sub, new EventScope(col, event, now));
      if (change) out.push(change);
    }
    return out;
  }
}

export function toWireEvent(e: DocumentEvent): WireEvent {
  return {
    appId: e.appId,
    collection: e.collection,
    type: e.type,
    before: e.before as StoredDocument | null,
    after: e.after as StoredDocument | null,
    at: e.at,
  };
}
