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

/** Rule evaluations and document views of one event, shared by its subscribers. */
class EventScope {
  private readonly visible = new Map<string, boolean>();
  private readonly views = new Map<string, Record<string, unknown>>();
  constructor(
    readonly col: CompiledCollection,
    readonly event: WireEvent,
    private readonly now: Date,
  ) {}

  canRead(caller: Caller, doc: StoredDocument, which: 'before' | 'after', query: boolean): boolean {
    const key = `${principalKey(caller)}\u0000${which}\u0000${query}`;
    let v = this.visible.get(key);
    if (v === undefined) {
      // Nobody gets a document they could not GET; a query subscription also needs the list rule.
      v =
        visibleTo(caller, this.col, doc, this.now, 'get') &&
        (!query || visibleTo(caller, this.col, doc, this.now, 'list'));
      this.visible.set(key, v);
    }
    return v;
  }

  view(caller: Caller, doc: StoredDocument, which: 'before' | 'after'): Record<string, unknown> {
    const key = `${caller.privileged}\u0000${which}`;
    let v = this.views.get(key);
    if (!v) this.views.set(key, (v = toClientDocument(this.col, doc, { privileged: caller.privileged })));
    return v;
  }
}

/** Callers with the same identity for rules share evaluations. */
function principalKey(caller: Caller): string {
  if (caller.privileged) return 'p';
  const u = caller.user;
  return u ? `u${u.id}\u0000${u.anonymous}\u0000${[...u.roles].sort().join('\u0000')}` : 'n';
}

export function changeFor(sub: Subscription, scope: EventScope): Change | null {
  const { event, col } = scope;
  const query = sub.docId === null;
  const test = (doc: StoredDocument | null, which: 'before' | 'after'): boolean =>
    doc !== null &&
    (sub.docId === null || doc.id === sub.docId) &&
    (sub.filter === null || matches(sub.filter, doc, { textFields: col.searchable })) &&
    scope.canRead(sub.caller, doc, which, query);
  const inBefore = test(event.before, 'before');
  const inAfter = test(event.after, 'after');
  const change = (type: ChangeType, document: Record<string, unknown>): Change => ({
    subscription: sub.id,
    collection: event.collection,
    type,
    document,
    at: event.at,
  });
  if (inBefore && inAfter) return change('update', scope.view(sub.caller, event.after!, 'after'));
  if (inAfter)
    return change(
      event.type === 'documents.create' ? 'create' : 'enter',
      scope.view(sub.caller, event.after!, 'after'),
    );
  if (!inBefore) return null;
  if (event.type === 'documents.delete') return change('delete', scope.view(sub.caller, event.before!, 'before'));
  // Left the filter or the rule: the new version only if the subscriber may still read it.
  const after = event.after!;
  const readable = scope.canRead(sub.caller, after, 'after', query);
  return change('leave', readable ? scope.view(sub.caller, after, 'after') : { id: after.id });
}

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
      deliver: (sub: Subscription, change: Change) => void;
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
    for (const sub of candidates) {
      if (!sub.active) continue;
      const change = changeFor(sub, scope);
      if (change) this.deps.deliver(sub, change);
    }
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
  replay(sub: Subscription, col: CompiledCollection, sinceMs: number): Change[] | 'too_old' {
    const buf = this.buffers.get(sub.appId);
    const floor = buf?.floor ?? this.startedAt;
    if (sinceMs <= floor) return 'too_old';
    const out: Change[] = [];
    const now = this.deps.now();
    for (const { event, atMs } of buf?.items ?? []) {
      if (atMs < sinceMs || event.collection !== sub.collection) continue;
      const change = changeFor(sub, new EventScope(col, event, now));
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
