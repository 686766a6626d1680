import { ERROR_STATUS, HearthError, type ErrorCode } from './errors.js';
import type { Clock } from './platform.js';
import { loadIo, type IoFactory, type SocketLike } from './realtime.socket.js';
import { LiveSubscription, type SubscribeTarget, type SubscriptionEvent, type WireChange } from './subscription.js';
import type { Channel, ChannelRef, WirePresence } from './channels.js';
import type { SessionManager } from './session.js';

export interface RealtimeOptions {
  /** socket.io-client's `io` (default: loaded lazily from socket.io-client on first use). */
  io?: IoFactory;
  /** Acknowledgement timeout per event, ms (default 10 s). */
  timeoutMs?: number;
}

/** Timers without the DOM or Node types (every runtime has these). */
const timers = globalThis as unknown as {
  setTimeout(fn: () => void, ms: number): { unref?(): void } | number;
  clearTimeout(id: unknown): void;
};
/** Refresh the access token this long before it expires while the socket is open. */
const REFRESH_BEFORE_MS = 60_000;

interface WireError {
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

export function wireError(e: WireError | undefined, fallback = 'The realtime server refused.'): HearthError {
  const code = (e?.code ?? 'internal') as ErrorCode;
  return new HearthError(ERROR_STATUS[code] ?? 0, code, e?.message ?? fallback, e?.details);
}

/**
 * The client's one realtime connection (socket.io, namespace `/apps/{app}`, handshake
 * `{key, token}`), opened on first use. It keeps what the app asked for — subscriptions and
 * joined channels — and restores it after every reconnect, token refresh or sign-in change:
 * subscriptions with `since` (the last change's `at`), so the server's replay fills the gap.
 */
export class HearthRealtime {
  private socket: SocketLike | null = null;
  private opening: Promise<SocketLike> | null = null;
  /** The token the connection acts with (sent at the handshake or with `auth`). */
  private socketToken: string | null = null;
  private socketUser: string | null = null;
  private everConnected = false;
  private refreshTimer: unknown = null;
  private readonly subs = new Set<LiveSubscription>();
  private readonly byServerId = new Map<string, LiveSubscription>();
  /** Changes that arrived before their subscription's ack was handled (replay right after it). */
  private readonly early = new Map<string, WireChange[]>();
  private readonly channels = new Map<string, ChannelRef<unknown>>();
  private readonly timeoutMs: number;

  constructor(
    private readonly deps: {
      url: string;
      app: string;
      key: string;
      session: SessionManager;
      clock: Clock;
      options: RealtimeOptions;
    },
  ) {
    this.timeoutMs = deps.options.timeoutMs ?? 10_000;
    deps.session.onChange((user, event) => void this.onSessionChange(user?.id ?? null, event).catch(() => {}));
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Closes the connection (subscriptions and channels stop; a later use opens a new one). */
  close(): void {
    const socket = this.socket;
    this.socket = null;
    this.opening = null;
    if (this.refreshTimer !== null) timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    for (const sub of this.subs) sub.close();
    this.subs.clear();
    this.byServerId.clear();
    for (const ch of this.channels.values()) ch.reset();
    this.channels.clear();
    socket?.disconnect();
  }

  /** The connected socket (opening it on first use). */
  private connection(): Promise<SocketLike> {
    if (this.socket?.connected) return Promise.resolve(this.socket);
    this.opening ??= this.open().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async open(): Promise<SocketLike> {
    let socket = this.socket;
    if (!socket) {
      const io = this.deps.options.io ?? (await loadIo());
      const { session, key } = this.deps;
      socket = io(`${this.deps.url.replace(/\/+$/, '')}/apps/${encodeURIComponent(this.deps.app)}`, {
        transports: ['websocket'],
        forceNew: true,
        reconnectionDelay: 500,
        reconnectionDelayMax: 5_000,
        auth: (cb) => {
          session.freshToken().then(
            (token) => {
              this.socketToken = token;
              this.socketUser = session.user?.id ?? null;
              cb(token ? { key, token } : { key });
            },
            () => cb({ key }),
          );
        },
      });
      this.socket = socket;
      this.wire(socket);
    } else if (!socket.connected) socket.connect();
    const s = socket;
    return new Promise<SocketLike>((resolve, reject) => {
      const done = () => {
        s.off('connect', onConnect);
        s.off('connect_error', onError);
      };
      const onConnect = () => {
        done();
        resolve(s);
      };
      const onError = (err: Error & { data?: WireError }) => {
        done();
        // Refused by the server (bad key, …) or unreachable: this call fails. A new socket is
        // dropped (the next call starts over); one that was connected before keeps reconnecting
        // for the subscriptions it holds.
        if (this.socket === s && !this.everConnected) {
          this.socket = null;
          s.disconnect();
        }
        reject(
          err.data
            ? wireError(err.data, err.message)
            : new HearthError(0, 'network', `No realtime connection to ${this.deps.url}: ${err.message}`),
        );
      };
      s.on('connect', onConnect);
      s.on('connect_error', onError);
    });
  }

  private wire(socket: SocketLike): void {
    socket.on('connect', () => {
      this.everConnected = true;
      this.scheduleRefresh();
      void this.restore(socket);
    });
    socket.on('disconnect', (reason: string) => {
      // The server dropped this connection's subscriptions and channel memberships.
      this.lostServerState();
      // socket.io reconnects by itself, except after a server-side disconnect (a revoked key, a
      // deleted app): one attempt, whose refusal reaches the subscriptions as an error.
      if (reason === 'io server disconnect' && this.socket === socket) socket.connect();
    });
    socket.on('connect_error', (err: Error & { data?: WireError }) => {
      if (!err.data || this.socket !== socket || this.opening) return;
      if (err.data.code !== 'unauthorized') return this.failAll(wireError(err.data));
      // An expired token at a reconnect: refresh, then one new handshake if the token changed
      // (or the refusal signed us out); the same token again would only be refused again.
      const stale = this.socketToken;
      const refused = wireError(err.data);
      void this.deps.session
        .refresh()
        .catch(() => undefined)
        .then(() => this.deps.session.freshToken())
        .then((next) => {
          if (this.socket !== socket) return;
          if (next !== stale) socket.connect();
          else this.failAll(refused);
        });
    });
    socket.on('change', (change: WireChange) => {
      const sub = this.byServerId.get(change.subscription);
      if (sub) sub.deliver(change);
      else {
        const list = this.early.get(change.subscription) ?? [];
        if (list.length < 1_000) list.push(change);
        this.early.set(change.subscription, list);
      }
    });
    socket.on('ended', ({ subscription }: { subscription: string }) => {
      const sub = this.byServerId.get(subscription);
      this.byServerId.delete(subscription);
      if (sub) sub.serverId = null;
    });
    socket.on('session', ({ error }: { state: 'expired' | 'revoked'; error: WireError }) => {
      // Its subscriptions (`ended` came first) and channels as that user stopped.
      for (const ch of this.channels.values()) ch.onDisconnected();
      if (error?.code === 'invalid_api_key') return this.failAll(wireError(error));
      // The user's token expired (or was revoked): refresh and restore. A refused refresh signs
      // out, and the sign-out reconnects with the key alone; anything else stops them.
      const hadSession = this.deps.session.current !== null;
      void this.deps.session.refresh().then(
        () => this.reauth(socket),
        () => {
          if (hadSession && !this.deps.session.current) return;
          for (const sub of this.subs) if (!sub.serverId) this.drop(sub, wireError(error));
        },
      );
    });
    socket.on('message', (m: { channel: string; message: unknown; from: never }) =>
      this.channels.get(m.channel)?.onMessage(m.message, m.from),
    );
    socket.on('presence', (p: WirePresence) => this.channels.get(p.channel)?.onPresence(p));
  }

  /**
   * An open socket keeps its user's token fresh by itself (a refresh a minute before expiry, sent
   * as `auth`), so the server never ends its subscriptions for an app that makes no requests.
   */
  private scheduleRefresh(): void {
    if (this.refreshTimer !== null) timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    const current = this.deps.session.current;
    if (!current || !this.socket) return;
    const delay = Math.min(2 ** 31 - 1, Math.max(1_000, current.expiresAt - this.deps.clock.now() - REFRESH_BEFORE_MS));
    const timer = timers.setTimeout(() => {
      this.refreshTimer = null;
      if (this.socket?.connected && this.deps.session.current === current)
        void this.deps.session.refresh().catch(() => {});
    }, delay);
    // Never what keeps a Node process alive.
    if (typeof timer === 'object') timer.unref?.();
    this.refreshTimer = timer;
  }

  private async onSessionChange(userId: string | null, event: string): Promise<void> {
    this.scheduleRefresh();
    const socket = this.socket;
    if (!socket?.connected) return;
    if (event === 'TOKEN_REFRESHED' && userId === this.socketUser) return this.reauth(socket);
    if (event === 'USER_UPDATED') return;
    if (userId !== null && userId === this.socketUser && event !== 'SIGNED_IN') return;
    // Signed in as someone else, or signed out: a new handshake with the new identity (or none).
    socket.disconnect();
    socket.connect();
  }

  /** Sends the current access token (`auth`), then restores what the old one lost. */
  private async reauth(socket: SocketLike): Promise<void> {
    const token = await this.deps.session.freshToken();
    if (!token || !socket.connected) return;
    if (token !== this.socketToken) {
      await this.ask(socket, 'auth', { token });
      this.socketToken = token;
      this.socketUser = this.deps.session.user?.id ?? this.socketUser;
    }
    await this.restore(socket);
  }

  /** Subscribes what is not subscribed on this connection, rejoins channels. */
  private async restore(socket: SocketLike): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const sub of this.subs)
      if (!sub.serverId && !sub.pending) work.push(this.subscribeOn(socket, sub).catch(() => {}));
    for (const ch of this.channels.values()) if (ch.wanted && !ch.joined) work.push(ch.rejoin().catch(() => {}));
    await Promise.all(work);
  }

  private lostServerState(): void {
    for (const sub of this.subs) sub.serverId = null;
    this.byServerId.clear();
    this.early.clear();
    for (const ch of this.channels.values()) ch.onDisconnected();
  }

  /** The connection cannot be restored (a refused handshake): every subscription ends with `error`. */
  private failAll(error: HearthError): void {
    for (const sub of [...this.subs]) if (!sub.pending) this.drop(sub, error);
  }

  private drop(sub: LiveSubscription, error: HearthError): void {
    this.subs.delete(sub);
    if (sub.serverId) this.byServerId.delete(sub.serverId);
    sub.emit({ type: 'error', error });
    sub.close();
  }

  /** One `subscribe` on this socket; a live subscription that cannot be restored gets an error event. */
  private subscribeOn(socket: SocketLike, sub: LiveSubscription): Promise<void> {
    const run = async () => {
      try {
        let since = sub.resumeFrom();
        let answer: { subscription: string };
        try {
          answer = await this.ask(socket, 'subscribe', sub.payload(since));
        } catch (e) {
          if (!(since !== undefined && e instanceof HearthError && e.is('conflict', 'replay_too_old'))) throw e;
          // The server no longer holds changes that far back (or restarted): live from now, refetch.
          since = undefined;
          answer = await this.ask(socket, 'subscribe', sub.payload(undefined));
          sub.tooOld();
        }
        if (!this.subs.has(sub)) {
          await this.ask(socket, 'unsubscribe', { subscription: answer.subscription }).catch(() => {});
          return;
        }
        sub.serverId = answer.subscription;
        sub.wentLive(this.deps.clock.now());
        this.byServerId.set(answer.subscription, sub);
        for (const change of this.early.get(answer.subscription) ?? []) sub.deliver(change);
        this.early.delete(answer.subscription);
      } catch (e) {
        if (sub.live && this.subs.has(sub) && socket.connected) this.drop(sub, toHearthError(e));
        throw e;
      }
    };
    const p = run().finally(() => {
      sub.pending = null;
    });
    sub.pending = p;
    return p;
  }

  /** `collection(name).subscribe(...)`: resolves once live. */
  async subscribe<T>(
    collection: string,
    target: SubscribeTarget<T>,
    handler: (event: SubscriptionEvent<T>) => void,
    options: { since?: string | number } = {},
  ): Promise<() => Promise<void>> {
    const sub = new LiveSubscription(
      collection,
      target,
      handler as (event: SubscriptionEvent<unknown>) => void,
      options.since,
    );
    this.subs.add(sub);
    try {
      const socket = await this.connection();
      if (sub.pending) await sub.pending;
      else if (!sub.serverId) await this.subscribeOn(socket, sub);
    } catch (e) {
      this.subs.delete(sub);
      throw toHearthError(e);
    }
    return async () => {
      if (!this.subs.delete(sub)) return;
      const id = sub.serverId;
      sub.close();
      if (!id) return;
      this.byServerId.delete(id);
      if (this.socket?.connected) await this.ask(this.socket, 'unsubscribe', { subscription: id }).catch(() => {});
    };
  }

  /** For channels: an event on the connected socket (opened on demand). */
  async send<R>(event: string, payload: unknown): Promise<R> {
    return this.ask<R>(await this.connection(), event, payload);
  }

  channel<M>(name: string, create: () => ChannelRef<M>): Channel<M> {
    const existing = this.channels.get(name);
    if (existing) return existing as unknown as Channel<M>;
    const ch = create();
    this.channels.set(name, ch as ChannelRef<unknown>);
    return ch;
  }

  private async ask<R>(socket: SocketLike, event: string, payload: unknown): Promise<R> {
    let answer: unknown;
    try {
      answer = await socket.timeout(this.timeoutMs).emitWithAck(event, payload);
    } catch {
      throw new HearthError(0, 'network', `No answer to ${event} from the realtime server.`);
    }
    const a = answer as { error?: WireError } | null;
    if (a && typeof a === 'object' && a.error) throw wireError(a.error);
    return answer as R;
  }
}

function toHearthError(e: unknown): HearthError {
  return e instanceof HearthError ? e : new HearthError(0, 'network', String((e as Error)?.message ?? e));
}
