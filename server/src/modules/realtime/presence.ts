import type { PubSub } from '../../ports/pubsub.js';
import { subscribeLasting } from './bus.js';

/**
 * Presence across replicas, over the PubSub port. Each replica knows its own members exactly
 * (sockets that joined a channel) and everyone else's from messages: `join` and `leave` as they
 * happen, and a heartbeat every `heartbeatMs` carrying the replica's whole membership. An entry
 * not refreshed for `timeoutMs` is dropped — so the members of a replica that died (SIGKILL,
 * network) leave within `timeoutMs` — and a replica that stops cleanly says `bye`. Every replica
 * computes the same view from the same messages and emits `presence` to its own sockets only.
 *
 * A member is a user (several sockets or replicas of one user are one member), or, for a
 * connection without a user (key only), that connection.
 */
export interface PresenceUser {
  id: string | null;
  anonymous: boolean;
  /** Set for a connection without a user. */
  connection?: string;
}

type Msg =
  | { t: 'j'; r: string; a: string; c: string; m: string; u: PresenceUser }
  | { t: 'l'; r: string; a: string; c: string; m: string }
  | { t: 'b'; r: string; s: Array<[string, string, string, PresenceUser]> }
  | { t: 'bye'; r: string };

export type PresenceEmit = (
  appId: string,
  channel: string,
  payload: { channel: string; type: 'joined' | 'left'; user: PresenceUser },
  exceptSocket?: string,
) => void;

const TOPIC = 'hearth:rt:presence';
const key = (appId: string, channel: string) => `${appId}\u0000${channel}`;
const split = (k: string) => k.split('\u0000') as [string, string];

export const memberKey = (user: PresenceUser): string => (user.id !== null ? `u${user.id}` : `c${user.connection}`);

export class Presence {
  /** Local members: channel key → member → {user, sockets}. */
  private readonly local = new Map<string, Map<string, { user: PresenceUser; sockets: Set<string> }>>();
  /** Everyone's: channel key → member → {user, replica → last seen}. */
  private readonly global = new Map<string, Map<string, { user: PresenceUser; seen: Map<string, number> }>>();
  private sub: { stop(): Promise<void> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Other replicas → when their last heartbeat came. */
  private readonly heard = new Map<string, number>();

  constructor(
    private readonly deps: {
      pubsub: PubSub;
      replicaId: string;
      heartbeatMs: number;
      timeoutMs: number;
      emit: PresenceEmit;
      onError: (err: unknown) => void;
    },
  ) {}

  async start(): Promise<void> {
    this.sub = await subscribeLasting({
      pubsub: this.deps.pubsub,
      channel: TOPIC,
      onError: this.deps.onError,
      onMessage: (raw) => {
        try {
          this.onMessage(JSON.parse(raw) as Msg);
        } catch (err) {
          this.deps.onError(err);
        }
      },
    });
    this.timer = setInterval(() => this.tick(), this.deps.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.send({ t: 'bye', r: this.deps.replicaId });
    await this.sub?.stop();
    this.sub = null;
  }

  /** The channel's members (after adding this socket's). */
  join(appId: string, channel: string, socketId: string, user: PresenceUser): PresenceUser[] {
    const k = key(appId, channel);
    const m = memberKey(user);
    let members = this.local.get(k);
    if (!members) this.local.set(k, (members = new Map()));
    let entry = members.get(m);
    if (!entry) {
      members.set(m, (entry = { user, sockets: new Set() }));
      this.see(k, m, user, this.deps.replicaId, socketId);
      void this.send({ t: 'j', r: this.deps.replicaId, a: appId, c: channel, m, u: user });
    }
    entry.sockets.add(socketId);
    return [...(this.global.get(k)?.values() ?? [])].map((e) => e.user);
  }

  leave(appId: string, channel: string, socketId: string, user: PresenceUser): void {
    const k = key(appId, channel);
    const m = memberKey(user);
    const members = this.local.get(k);
    const entry = members?.get(m);
    if (!members || !entry) return;
    entry.sockets.delete(socketId);
    if (entry.sockets.size > 0) return;
    members.delete(m);
    if (members.size === 0) this.local.delete(k);
    this.unsee(k, m, this.deps.replicaId);
    void this.send({ t: 'l', r: this.deps.replicaId, a: appId, c: channel, m });
  }

  /** Other replicas heard from within the timeout. */
  peers(): string[] {
    const cutoff = Date.now() - this.deps.timeoutMs;
    return [...this.heard].filter(([, at]) => at >= cutoff).map(([r]) => r);
  }

  /** The app's channels with their member counts, as this replica sees every replica's members. */
  channelCounts(appId: string): Array<{ channel: string; members: number }> {
    const out: Array<{ channel: string; members: number }> = [];
    for (const [k, members] of this.global) {
      const [a, channel] = split(k);
      if (a === appId) out.push({ channel, members: members.size });
    }
    return out;
  }

  private failing = false;

  /** Publishes; a failure is reported once per outage (heartbeats would repeat it every few seconds). */
  private send(msg: Msg): Promise<void> {
    return this.deps.pubsub.publish({ channel: TOPIC, message: JSON.stringify(msg) }).then(
      () => {
        this.failing = false;
      },
      (err: unknown) => {
        if (!this.failing) this.deps.onError(err);
        this.failing = true;
      },
    );
  }

  private see(k: string, m: string, user: PresenceUser, replica: string, exceptSocket?: string): void {
    let members = this.global.get(k);
    if (!members) this.global.set(k, (members = new Map()));
    let entry = members.get(m);
    const isNew = !entry;
    if (!entry) members.set(m, (entry = { user, seen: new Map() }));
    entry.seen.set(replica, Date.now());
    if (isNew) {
      const [appId, channel] = split(k);
      this.deps.emit(appId, channel, { channel, type: 'joined', user }, exceptSocket);
    }
  }

  private unsee(k: string, m: string, replica: string): void {
    const members = this.global.get(k);
    const entry = members?.get(m);
    if (!members || !entry || !entry.seen.delete(replica)) return;
    // Still here through this replica's own sockets?
    if (replica !== this.deps.replicaId && this.local.get(k)?.has(m)) entry.seen.set(this.deps.replicaId, Date.now());
    if (entry.seen.size > 0) return;
    members.delete(m);
    if (members.size === 0) this.global.delete(k);
    const [appId, channel] = split(k);
    this.deps.emit(appId, channel, { channel, type: 'left', user: entry.user });
  }

  private onMessage(msg: Msg): void {
    if (msg.r === this.deps.replicaId) return;
    switch (msg.t) {
      case 'j':
        return this.see(key(msg.a, msg.c), msg.m, msg.u, msg.r);
      case 'l':
        return this.unsee(key(msg.a, msg.c), msg.m, msg.r);
      case 'b': {
        this.heard.set(msg.r, Date.now());
        const listed = new Set<string>();
        for (const [a, c, m, u] of msg.s) {
          const k = key(a, c);
          listed.add(`${k}\u0001${m}`);
          this.see(k, m, u, msg.r);
        }
        // What the replica no longer lists, it missed saying it left.
        for (const [k, members] of [...this.global]) {
          for (const [m, entry] of [...members]) {
            if (entry.seen.has(msg.r) && !listed.has(`${k}\u0001${m}`)) this.unsee(k, m, msg.r);
          }
        }
        return;
      }
      case 'bye':
        this.heard.delete(msg.r);
        return this.dropReplica(msg.r);
    }
  }

  private dropReplica(replica: string, olderThan = Infinity): void {
    for (const [k, members] of [...this.global]) {
      for (const [m, entry] of [...members]) {
        const seen = entry.seen.get(replica);
        if (seen !== undefined && seen < olderThan) this.unsee(k, m, replica);
      }
    }
  }

  private tick(): void {
    const s: Array<[string, string, string, PresenceUser]> = [];
    for (const [k, members] of this.local) {
      const [a, c] = split(k);
      for (const [m, entry] of members) s.push([a, c, m, entry.user]);
      // Own entries are always fresh.
      for (const m of members.keys()) this.global.get(k)?.get(m)?.seen.set(this.deps.replicaId, Date.now());
    }
    void this.send({ t: 'b', r: this.deps.replicaId, s });
    const cutoff = Date.now() - this.deps.timeoutMs;
    const replicas = new Set<string>();
    for (const members of this.global.values())
      for (const entry of members.values()) for (const r of entry.seen.keys()) replicas.add(r);
    replicas.delete(this.deps.replicaId);
    for (const r of replicas) this.dropReplica(r, cutoff);
    for (const [r, at] of [...this.heard]) if (at < cutoff) this.heard.delete(r);
  }
}
