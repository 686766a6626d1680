import type { HearthError } from './errors.js';
import type { Doc, Filter } from './filter.types.js';

/** What `subscribe` watches: a typed filter (as `find`), or one document by id. */
export type SubscribeTarget<T> = Filter<T> | { id: string };

type FullChange = 'create' | 'update' | 'enter';
type PartialChange = 'delete' | 'leave';

/**
 * A committed change the subscription concerns (docs/realtime.md, "Subscriptions"): one member
 * per type, so `switch (e.type)` narrows. `delete` carries the old version; `leave` the new one,
 * or only `{id}` when you may no longer read the document.
 */
export type ChangeEvent<T> =
  | { [K in FullChange]: { type: K; document: Doc<T>; at: string } }[FullChange]
  | { [K in PartialChange]: { type: K; document: Partial<Doc<T>> & { id: string }; at: string } }[PartialChange];

/**
 * What a subscription handler receives: changes, `refetch` when the server could not replay
 * what was missed (it restarted or the gap is older than its buffer: read again over REST; the
 * subscription is live again), and `error` when it could not be restored (it has stopped).
 */
export type SubscriptionEvent<T> =
  ChangeEvent<T> | { type: 'refetch'; reason: 'replay_too_old' } | { type: 'error'; error: HearthError };

/** Stops a subscription. */
export type Unsubscribe = () => Promise<void>;

export interface WireChange {
  subscription: string;
  type: 'create' | 'update' | 'delete' | 'enter' | 'leave';
  document: { id: string; version?: number } & Record<string, unknown>;
  at: string;
}

/** Resubscribing without a change seen yet replays from this long before the subscription went live. */
const RESUME_MARGIN_MS = 2_000;

/**
 * One subscription as the app asked for it, across connections: its server id on the current
 * one, the `at` of the last change delivered (the next `since`), and the changes seen at that
 * instant (`since` is inclusive, so they may be replayed again: dropped here).
 */
export class LiveSubscription {
  serverId: string | null = null;
  pending: Promise<void> | null = null;
  live = false;
  private closed = false;
  private lastAt: number | null = null;
  private liveAt: number | null = null;
  private seenAtLast = new Set<string>();

  constructor(
    readonly collection: string,
    private readonly target: SubscribeTarget<unknown>,
    private readonly handler: (event: SubscriptionEvent<unknown>) => void,
    private readonly since: string | number | undefined,
  ) {}

  /** The `since` to subscribe with now: the last change's `at`, else just before going live. */
  resumeFrom(): string | number | undefined {
    if (this.lastAt !== null) return new Date(this.lastAt).toISOString();
    if (this.liveAt !== null) return new Date(this.liveAt - RESUME_MARGIN_MS).toISOString();
    return this.since;
  }

  payload(since: string | number | undefined): Record<string, unknown> {
    const t = this.target as Record<string, unknown>;
    const keys = Object.keys(t);
    const byId = keys.length === 1 && keys[0] === 'id' && typeof t.id === 'string';
    return {
      collection: this.collection,
      ...(byId ? { id: t.id } : keys.length ? { filter: t } : {}),
      ...(since !== undefined ? { since } : {}),
    };
  }

  wentLive(now: number): void {
    this.live = true;
    this.liveAt ??= now;
  }

  /** The replay could not cover the gap: what was seen no longer counts; tell the app. */
  tooOld(): void {
    this.lastAt = null;
    this.liveAt = null;
    this.seenAtLast.clear();
    this.emit({ type: 'refetch', reason: 'replay_too_old' });
  }

  deliver(change: WireChange): void {
    const at = Date.parse(change.at);
    const key = `${change.type}:${change.document.id}:${change.document.version ?? ''}`;
    if (this.lastAt !== null && Number.isFinite(at)) {
      if (at < this.lastAt) return;
      if (at === this.lastAt && this.seenAtLast.has(key)) return;
    }
    if (Number.isFinite(at)) {
      if (this.lastAt === null || at > this.lastAt) this.seenAtLast.clear();
      this.lastAt = at;
      this.seenAtLast.add(key);
    }
    const { subscription: _s, ...event } = change;
    this.emit(event as SubscriptionEvent<unknown>);
  }

  emit(event: SubscriptionEvent<unknown>): void {
    if (this.closed) return;
    try {
      this.handler(event);
    } catch (e) {
      // A throwing handler must not break the connection's other subscriptions: reported, not thrown.
      (globalThis as { reportError?: (e: unknown) => void }).reportError?.(e);
    }
  }

  close(): void {
    this.closed = true;
  }
}
