import { z } from 'zod';
import { randomToken } from '../../lib/ids.js';
import type { PubSub } from '../../ports/pubsub.js';
import { subscribeLasting } from './bus.js';

/**
 * Realtime statistics of one app for the admin API (`GET /v1/admin/apps/{appId}/realtime/stats`):
 * every replica keeps per-app counters (`AppActivity`) and answers a snapshot of its own state
 * (`ReplicaStats`); with a bus, `ClusterStats` asks every replica over the PubSub port (topic
 * `hearth:rt:stats`) and sums the answers, else the numbers are this server's (`scope: replica`).
 */
const RATE_WINDOW_S = 10;
/** Channels listed in a snapshot (most members first); `channelsTruncated` says when there were more. */
export const MAX_LISTED_CHANNELS = 500;

export const replicaStatsSchema = z.object({
  replica: z.string().describe('The replica (server process) id, random per start'),
  startedAt: z.string().describe('When this replica started (ISO-8601)'),
  connections: z.number().int().describe("The app's open connections on this replica (admin sockets included)"),
  adminConnections: z.number().int().describe('Of which admin (dashboard) sockets'),
  subscriptions: z.number().int(),
  deliveriesPerSecond: z.number().describe('change messages sent, average over the last 10 s'),
  deliveredTotal: z.number().int().describe('change messages sent since the replica started'),
  droppedClients: z.number().int().describe('Connections closed for not reading (backpressure) since the start'),
});
export type ReplicaStats = z.output<typeof replicaStatsSchema>;

const collectionCount = z.object({ collection: z.string(), subscriptions: z.number().int() });
const channelCount = z.object({
  channel: z.string(),
  members: z.number().int().describe('Distinct members (a user, or a connection without a user)'),
});

export const appStatsSchema = z.object({
  appId: z.string(),
  at: z.string().describe('When the snapshot was taken (ISO-8601)'),
  scope: z
    .enum(['cluster', 'replica'])
    .describe(
      'cluster: summed over every replica that answered over the bus (REDIS_URL; without it the one process is the cluster); replica: this server only (no bus configured)',
    ),
  missingReplicas: z
    .number()
    .int()
    .describe('Replicas known from their heartbeat that did not answer in time (their numbers are missing)'),
  connections: z.number().int(),
  adminConnections: z.number().int(),
  connectionLimit: z.object({
    max: z.number().int().describe('Connections the app may hold'),
    scope: z.enum(['cluster', 'replica']).describe('Whether the limit counts the whole cluster or each server'),
  }),
  subscriptions: z.object({ total: z.number().int(), byCollection: z.array(collectionCount) }),
  channels: z
    .array(channelCount)
    .describe('Channels with members, most members first; with REDIS_URL members of every replica (presence)'),
  channelsTruncated: z.boolean(),
  deliveriesPerSecond: z.number(),
  deliveredTotal: z.number().int(),
  droppedClients: z.number().int(),
  replicas: z.array(replicaStatsSchema),
});
export type AppStats = z.output<typeof appStatsSchema>;

/** What one replica knows of one app (what it answers to a stats request). */
export interface LocalSnapshot extends ReplicaStats {
  byCollection: Array<{ collection: string; subscriptions: number }>;
  /** Channel → members; with presence these are already cluster-wide (every replica has the same view). */
  channels: Array<{ channel: string; members: number }>;
  channelsCluster: boolean;
}

interface Counters {
  delivered: number;
  dropped: number;
  /** Deliveries per second over the last RATE_WINDOW_S seconds: [second, count] ring. */
  secs: number[];
  counts: number[];
}

/** Per-app delivery and drop counters of this replica. */
export class AppActivity {
  private readonly apps = new Map<string, Counters>();

  private of(appId: string): Counters {
    let c = this.apps.get(appId);
    if (!c) {
      c = { delivered: 0, dropped: 0, secs: new Array<number>(RATE_WINDOW_S).fill(-1), counts: [] };
      c.counts = new Array<number>(RATE_WINDOW_S).fill(0);
      this.apps.set(appId, c);
    }
    return c;
  }

  delivered(appId: string, n = 1, nowMs = Date.now()): void {
    const c = this.of(appId);
    c.delivered += n;
    const s = Math.floor(nowMs / 1000);
    const i = s % RATE_WINDOW_S;
    if (c.secs[i] !== s) {
      c.secs[i] = s;
      c.counts[i] = 0;
    }
    c.counts[i]! += n;
  }

  dropped(appId: string): void {
    this.of(appId).dropped++;
  }

  read(appId: string, nowMs = Date.now()): { delivered: number; dropped: number; perSecond: number } {
    const c = this.apps.get(appId);
    if (!c) return { delivered: 0, dropped: 0, perSecond: 0 };
    const s = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let i = 0; i < RATE_WINDOW_S; i++) if (c.secs[i]! > s - RATE_WINDOW_S) sum += c.counts[i]!;
    return { delivered: c.delivered, dropped: c.dropped, perSecond: Math.round((sum / RATE_WINDOW_S) * 10) / 10 };
  }

  forget(appId: string): void {
    this.apps.delete(appId);
  }
}

/** Sums replicas' snapshots into the admin API's answer. */
export function combine(options: {
  appId: string;
  at: string;
  scope: 'cluster' | 'replica';
  missingReplicas: number;
  connectionLimit: AppStats['connectionLimit'];
  snapshots: LocalSnapshot[];
}): AppStats {
  const { snapshots } = options;
  const sum = (f: (s: LocalSnapshot) => number) => snapshots.reduce((n, s) => n + f(s), 0);
  const byCollection = new Map<string, number>();
  for (const s of snapshots)
    for (const c of s.byCollection)
      byCollection.set(c.collection, (byCollection.get(c.collection) ?? 0) + c.subscriptions);
  // Presence views are cluster-wide already (the largest count is the freshest); without presence, sum.
  const channels = new Map<string, number>();
  for (const s of snapshots)
    for (const c of s.channels) {
      const had = channels.get(c.channel) ?? 0;
      channels.set(c.channel, s.channelsCluster ? Math.max(had, c.members) : had + c.members);
    }
  const listed = [...channels]
    .map(([channel, members]) => ({ channel, members }))
    .sort((a, b) => b.members - a.members || (a.channel < b.channel ? -1 : 1));
  return {
    appId: options.appId,
    at: options.at,
    scope: options.scope,
    missingReplicas: options.missingReplicas,
    connections: sum((s) => s.connections),
    adminConnections: sum((s) => s.adminConnections),
    connectionLimit: options.connectionLimit,
    subscriptions: {
      total: sum((s) => s.subscriptions),
      byCollection: [...byCollection]
        .map(([collection, subscriptions]) => ({ collection, subscriptions }))
        .sort((a, b) => (a.collection < b.collection ? -1 : 1)),
    },
    channels: listed.slice(0, MAX_LISTED_CHANNELS),
    channelsTruncated: listed.length > MAX_LISTED_CHANNELS,
    deliveriesPerSecond: Math.round(sum((s) => s.deliveriesPerSecond) * 10) / 10,
    deliveredTotal: sum((s) => s.deliveredTotal),
    droppedClients: sum((s) => s.droppedClients),
    replicas: snapshots
      .map((s) => ({
        replica: s.replica,
        startedAt: s.startedAt,
        connections: s.connections,
        adminConnections: s.adminConnections,
        subscriptions: s.subscriptions,
        deliveriesPerSecond: s.deliveriesPerSecond,
        deliveredTotal: s.deliveredTotal,
        droppedClients: s.droppedClients,
      }))
      .sort((a, b) => (a.replica < b.replica ? -1 : 1)),
  };
}

type StatsMsg = { t: 'q'; id: string; a: string; r: string } | { t: 's'; id: string; to: string; snap: LocalSnapshot };

const TOPIC = 'hearth:rt:stats';

/**
 * Stats across replicas over the PubSub port: a request names the app; every replica (this one
 * included) answers its snapshot; the request ends when every replica known from its heartbeat
 * answered, or after `timeoutMs` with what came (`missingReplicas` counts the others).
 */
export class ClusterStats {
  private sub: { stop(): Promise<void> } | null = null;
  private readonly pending = new Map<string, (snap: LocalSnapshot) => void>();

  constructor(
    private readonly deps: {
      pubsub: PubSub;
      replicaId: string;
      snapshot: (appId: string) => LocalSnapshot;
      /** Other replicas heard from recently (presence heartbeats). */
      peers: () => string[];
      timeoutMs: number;
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
          this.onMessage(JSON.parse(raw) as StatsMsg);
        } catch (err) {
          this.deps.onError(err);
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
    this.sub = null;
  }

  private onMessage(msg: StatsMsg): void {
    if (msg.t === 'q') {
      if (msg.r === this.deps.replicaId) return;
      const answer: StatsMsg = { t: 's', id: msg.id, to: msg.r, snap: this.deps.snapshot(msg.a) };
      this.deps.pubsub
        .publish({ channel: TOPIC, message: JSON.stringify(answer) })
        .catch((err: unknown) => this.deps.onError(err));
    } else if (msg.to === this.deps.replicaId) this.pending.get(msg.id)?.(msg.snap);
  }

  /** This replica's snapshot plus every other replica's that answers in time. */
  async collect(appId: string): Promise<{ snapshots: LocalSnapshot[]; missing: number; cluster: boolean }> {
    const own = this.deps.snapshot(appId);
    const peers = new Set(this.deps.peers());
    const id = randomToken(12);
    const got = new Map<string, LocalSnapshot>();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.deps.timeoutMs);
      timer.unref();
      this.pending.set(id, (snap) => {
        got.set(snap.replica, snap);
        if ([...peers].every((p) => got.has(p))) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    try {
      await this.deps.pubsub.publish({
        channel: TOPIC,
        message: JSON.stringify({ t: 'q', id, a: appId, r: this.deps.replicaId } satisfies StatsMsg),
      });
    } catch {
      this.pending.delete(id);
      return { snapshots: [own], missing: peers.size, cluster: false };
    }
    if (peers.size > 0) await done;
    else await Promise.race([done, new Promise((r) => setTimeout(r, Math.min(50, this.deps.timeoutMs)))]);
    this.pending.delete(id);
    got.delete(this.deps.replicaId);
    const missing = [...peers].filter((p) => !got.has(p)).length;
    return { snapshots: [own, ...got.values()], missing, cluster: true };
  }
}
