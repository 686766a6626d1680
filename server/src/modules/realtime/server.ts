import type { Server as HttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Server, type Namespace, type Socket } from 'socket.io';
import { HearthError, reasonError } from '../../errors.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type { DocumentEvent } from '../collections/index.js';
import { subscribeLasting } from './bus.js';
import { endSession, handleConnection } from './connection.js';
import { Fanout, toWireEvent, type Outgoing, type WireEvent } from './fanout.js';
import { encode, writeDirect, wsFrame, type Encoded } from './packets.js';
import { memberKey, Presence } from './presence.js';
import { ConnectionLimit } from './connection-limit.js';
import { connectError, toWire } from './realtime.errors.js';
import { authenticate, authenticateAdmin, type SocketState } from './session.js';
import { AppActivity, ClusterStats, combine, type AppStats, type LocalSnapshot } from './stats.js';
import { SubscriptionIndex, type Subscription } from './subscriptions.js';
import type { RealtimeDeps, RealtimeHost } from './host.js';

export type { RealtimeDeps } from './host.js';

/**
 * socket.io on the API's HTTP server: a namespace per app (`/apps/{appId}`, created on first
 * connection), handshake auth `{key, token?}` checked before the connection is accepted, the
 * app's CORS origins, document events from every replica (PubSub port, topic `hearth:rt:docs`)
 * and presence. Per-connection events are in connection.ts; the protocol is docs/realtime.md.
 */

const DOCS_TOPIC = 'hearth:rt:docs';
export const NAMESPACE = /^\/apps\/([A-Za-z0-9_-]{1,64})$/;

export class RealtimeServer implements RealtimeHost {
  readonly index = new SubscriptionIndex();
  readonly fanout: Fanout;
  readonly presence: Presence | null;
  readonly sockets = new Map<string, { socket: Socket; state: SocketState }>();
  readonly replicaId = randomBytes(8).toString('base64url');
  readonly startedAt = new Date().toISOString();
  readonly activity = new AppActivity();
  private readonly clusterStats: ClusterStats | null;
  readonly limit: ConnectionLimit;
  private io: Server | null = null;
  private docsSub: { stop(): Promise<void> } | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  private slowTimer: NodeJS.Timeout | null = null;

  constructor(readonly deps: RealtimeDeps) {
    const { settings } = deps;
    this.fanout = new Fanout({
      index: this.index,
      registry: deps.registry,
      now: deps.now,
      replay: { windowMs: settings.replayWindowMs, maxEvents: settings.replayMaxEvents },
      deliver: (sub, out) => this.deliver(sub, out),
      delivered: (appId, n) => this.countDelivered(appId, n),
      onError: (err) => deps.logger.error({ err }, 'realtime: handling a document event failed'),
    });
    this.presence = deps.pubsub
      ? new Presence({
          pubsub: deps.pubsub,
          replicaId: this.replicaId,
          heartbeatMs: Math.max(50, Math.floor(settings.presenceTimeoutMs / 3)),
          timeoutMs: settings.presenceTimeoutMs,
          emit: (appId, _channel, payload, except) => {
            const room = this.namespace(appId)?.local.to(`ch:${payload.channel}`);
            (except ? room?.except(except) : room)?.emit('presence', payload);
          },
          onError: (err) => deps.logger.warn({ err }, 'realtime: presence message failed'),
        })
      : null;
    this.limit = new ConnectionLimit({
      leases: deps.leases,
      holder: this.replicaId,
      max: settings.maxConnectionsPerApp,
      leaseMs: settings.presenceTimeoutMs,
      localCount: (appId) => this.namespace(appId)?.sockets.size ?? 0,
      leasedCounts: () => {
        const counts = new Map<string, number>();
        for (const { state } of this.sockets.values())
          if (state.leased) counts.set(state.appId, (counts.get(state.appId) ?? 0) + 1);
        return counts;
      },
      logger: deps.logger,
    });
    this.clusterStats =
      deps.pubsub && this.presence
        ? new ClusterStats({
            pubsub: deps.pubsub,
            replicaId: this.replicaId,
            snapshot: (appId) => this.snapshot(appId),
            peers: () => this.presence?.peers() ?? [],
            timeoutMs: 500,
            onError: (err) => deps.logger.warn({ err }, 'realtime: a stats message failed'),
          })
        : null;
  }

  /** Before serving: listen to every replica's document events, start presence. */
  async start(): Promise<void> {
    if (this.deps.pubsub) {
      this.docsSub = await subscribeLasting({
        pubsub: this.deps.pubsub,
        channel: DOCS_TOPIC,
        onMessage: (raw) => this.fanout.receive(JSON.parse(raw) as WireEvent),
        onError: (err) =>
          this.deps.logger.warn(
            { err },
            "realtime: the bus is unavailable, retrying; other replicas' changes are missed meanwhile",
          ),
      });
    }
    await this.presence?.start();
    await this.clusterStats?.start();
    this.limit.start();
  }

  /** The app's realtime numbers: every replica's summed with a bus, else this server's. */
  async stats(appId: string): Promise<AppStats> {
    const collected = this.clusterStats
      ? await this.clusterStats.collect(appId)
      : { snapshots: [this.snapshot(appId)], missing: 0, cluster: false };
    return combine({
      appId,
      at: new Date().toISOString(),
      scope: collected.cluster ? 'cluster' : 'replica',
      missingReplicas: collected.missing,
      connectionLimit: { max: this.deps.settings.maxConnectionsPerApp, scope: this.limit.scope },
      snapshots: collected.snapshots,
    });
  }

  /** What this server holds of one app. */
  snapshot(appId: string): LocalSnapshot {
    const nsp = this.namespace(appId);
    let admins = 0;
    const channels = new Map<string, Set<string>>();
    for (const socket of nsp?.sockets.values() ?? []) {
      const state = socket.data.state as SocketState | undefined;
      if (!state) continue;
      if (state.admin) admins++;
      if (this.presence) continue;
      for (const [channel, user] of state.channels) {
        let members = channels.get(channel);
        if (!members) channels.set(channel, (members = new Set()));
        members.add(memberKey(user));
      }
    }
    const activity = this.activity.read(appId);
    const byCollection = this.index.countsByCollection(appId);
    return {
      replica: this.replicaId,
      startedAt: this.startedAt,
      connections: nsp?.sockets.size ?? 0,
      adminConnections: admins,
      subscriptions: byCollection.reduce((n, c) => n + c.subscriptions, 0),
      deliveriesPerSecond: activity.perSecond,
      deliveredTotal: activity.delivered,
      droppedClients: activity.dropped,
      byCollection,
      channels: this.presence
        ? this.presence.channelCounts(appId)
        : [...channels].map(([channel, members]) => ({ channel, members: members.size })),
      channelsCluster: this.presence !== null,
    };
  }

  /**
   * A committed document event of this replica: to every replica, or straight here without a bus
   * or on the in-process one (one process is every replica there: no JSON round trip per write).
   */
  publish(event: DocumentEvent): void {
    const wire = toWireEvent(event);
    if (!this.deps.pubsub || this.deps.pubsub.engine === 'memory') {
      setImmediate(() => this.fanout.receive(wire));
      return;
    }
    this.deps.pubsub.publish({ channel: DOCS_TOPIC, message: JSON.stringify(wire) }).catch((err: unknown) => {
      // The bus is down: this replica's subscribers still get it.
      this.deps.logger.warn({ err }, 'realtime: publishing a document event failed; delivered on this server only');
      this.fanout.receive(wire);
    });
  }

  attach(server: HttpServer): () => Promise<void> {
    const { settings } = this.deps;
    const io = new Server(server, {
      // Browsers: any origin passes the transport; the app's own origins are checked per namespace.
      cors: { origin: true, credentials: false },
      maxHttpBufferSize: Math.max(64 * 1024, settings.maxMessageBytes * 4),
      serveClient: false,
      ...(this.deps.socketAdapter ? { adapter: this.deps.socketAdapter } : {}),
    });
    this.io = io;
    const apps = io.of(NAMESPACE);
    apps.use((socket, next) => {
      this.handshake(socket).then(
        (state) => {
          socket.data.state = state;
          next();
        },
        (err: unknown) => next(connectError(err)),
      );
    });
    apps.on('connection', (socket) => handleConnection(this, socket, socket.data.state as SocketState));
    this.sessionTimer = setInterval(() => void this.checkSessions(), settings.sessionCheckMs);
    this.sessionTimer.unref();
    // Channel messages and presence are emitted by socket.io itself: their backlog is checked here.
    let ticks = 0;
    this.slowTimer = setInterval(() => {
      for (const { socket } of this.sockets.values()) {
        if (bufferedPackets(socket) > settings.maxBufferedPackets) this.dropSlow(socket);
      }
      if (++ticks % 20 === 0) this.fanout.sweep();
    }, 250);
    this.slowTimer.unref();
    return async () => {
      if (this.sessionTimer) clearInterval(this.sessionTimer);
      if (this.slowTimer) clearInterval(this.slowTimer);
      await this.presence?.stop().catch(() => undefined);
      await this.clusterStats?.stop();
      await this.limit.stop();
      await this.docsSub?.stop();
      io.disconnectSockets(true);
      io.engine.close();
    };
  }

  /** The app's namespace when this server has one (never creates it). */
  namespace(appId: string): Namespace | undefined {
    return this.io?._nsps.get(`/apps/${appId}`);
  }

  private async handshake(socket: Socket): Promise<SocketState> {
    const m = NAMESPACE.exec(socket.nsp.name);
    const appId = m?.[1] ?? '';
    if (!ID_PATTERN.test(appId)) throw new HearthError('not_found', 'No such app.');
    const app = await this.deps.apps.services.apps.find(appId);
    if (!app) throw new HearthError('not_found', 'No such app.');
    const auth = (socket.handshake.auth ?? {}) as { key?: unknown; token?: unknown; adminToken?: unknown };
    const base = {
      appId,
      socketId: socket.id,
      expiryTimer: null,
      subs: new Map(),
      channels: new Map(),
      bucket: { tokens: this.deps.settings.messagesPerSecond * 2, at: Date.now() },
    };
    if (auth.adminToken !== undefined && auth.adminToken !== null) {
      // An admin (dashboard) connection: like the admin REST API, no app key, no app CORS origins,
      // and not counted against the app's connection limit (an admin must see a full app).
      const session = await authenticateAdmin(this.deps.verifyAdmin, auth.adminToken, Date.now());
      return {
        ...base,
        key: null,
        rawKey: null,
        user: null,
        admin: session.admin,
        leased: false,
        ...expiring(session),
      };
    }
    const origin = socket.handshake.headers.origin;
    const allowed = app.settings.corsOrigins;
    if (origin !== undefined && !allowed.includes('*') && !allowed.includes(origin)) {
      throw reasonError('forbidden', 'origin_not_allowed', 'This origin is not allowed for this app.');
    }
    const raw = typeof auth.key === 'string' && auth.key.length <= 256 ? auth.key : null;
    const key = raw ? await this.deps.apps.services.keys.resolve(raw) : null;
    if (!key || key.appId !== appId) {
      throw new HearthError('invalid_api_key', "The handshake needs auth.key: this app's public or secret key.");
    }
    const session =
      auth.token === undefined || auth.token === null
        ? null
        : await authenticate(this.deps.verifyToken, appId, auth.token, Date.now());
    // Last, so nothing refuses the handshake after a unit was taken.
    const leased = await this.limit.admit(appId);
    return {
      ...base,
      key: { id: key.id, kind: key.kind, scopes: key.scopes },
      rawKey: raw!,
      user: session?.user ?? null,
      admin: null,
      leased,
      ...expiring(session),
    };
  }

  /**
   * One change to one subscriber, unless the client stopped reading (then it is disconnected).
   * The socket.io EVENT packet (protocol v5: `2<namespace>,<json>`) is built once per distinct
   * change and, for WebSocket clients, framed once too: every socket gets the same bytes.
   */
  deliver(sub: Subscription, out: Outgoing): boolean {
    const entry = this.sockets.get(sub.socketId);
    if (!entry) return false;
    const { socket } = entry;
    if (bufferedPackets(socket) > this.deps.settings.maxBufferedPackets) {
      this.dropSlow(socket);
      return false;
    }
    let enc = out.encoded as Encoded | undefined;
    if (!enc) out.encoded = enc = encode(socket.nsp.name, out.change);
    if (enc.options.wsPreEncodedFrame === undefined) enc.options.wsPreEncodedFrame = wsFrame(socket, enc.text);
    if (!writeDirect(socket.conn, enc.options.wsPreEncodedFrame)) socket.conn.write(enc.text, enc.options);
    return true;
  }

  /** Counts changes sent (metrics, stats): once per chunk of a fan-out, not per subscriber. */
  countDelivered(appId: string, n: number): void {
    if (n === 0) return;
    this.deps.metrics.delivered(n);
    this.activity.delivered(appId, n);
  }

  dropSlow(socket: Socket): void {
    if (!socket.connected) return;
    this.deps.logger.warn({ socket: socket.id }, 'realtime: client does not read, disconnecting it');
    this.deps.metrics.dropped();
    const state = socket.data.state as SocketState | undefined;
    if (state) this.activity.dropped(state.appId);
    socket.disconnect(true);
    // A client that does not read would not read the close handshake either: cut the TCP
    // connection now so its backlog is freed (WebSocket transport; polling has nothing pending).
    const ws = (socket.conn as unknown as { transport?: { socket?: { terminate?: () => void } } }).transport?.socket;
    ws?.terminate?.();
  }

  /** Re-checks every signed-in connection's session (revoked, user disabled). */
  async checkSessions(): Promise<void> {
    // One lookup per key and per token, however many connections share them.
    const keyChecks = new Map<string, Promise<boolean>>();
    const checks = new Map<string, Promise<unknown>>();
    const adminChecks = new Map<string, Promise<unknown>>();
    for (const { socket, state } of [...this.sockets.values()]) {
      if (state.admin && state.token) {
        const token = state.token;
        let check = adminChecks.get(token);
        if (!check) adminChecks.set(token, (check = this.deps.verifyAdmin(token).catch(() => undefined)));
        // Logged out, session revoked, admin removed (a refresh meanwhile is checked next time).
        if ((await check) === null && state.token === token) endSession(this, socket, state, expiredOrRevoked(state));
        continue;
      }
      if (state.rawKey === null) continue;
      const rawKey = state.rawKey;
      let keyCheck = keyChecks.get(rawKey);
      if (!keyCheck) {
        keyCheck = this.deps.apps.services.keys.resolve(rawKey).then(
          (k) => k !== null && k.appId === state.appId,
          () => true, // the store is down: not a revocation
        );
        keyChecks.set(rawKey, keyCheck);
      }
      if (!(await keyCheck)) {
        // A revoked key (or deleted app): nothing this connection holds may go on.
        socket.emit('session', { state: 'revoked', error: toWire(new HearthError('invalid_api_key')) });
        socket.disconnect(true);
        continue;
      }
      if (!state.user || !state.token) continue;
      const token = state.token;
      const k = `${state.appId}\u0000${token}`;
      let check = checks.get(k);
      if (!check) checks.set(k, (check = this.deps.verifyToken(state.appId, token).catch(() => undefined)));
      const user = await check;
      // A refresh (`auth`) meanwhile replaced the token: that one is checked next time.
      if (user === null && state.user && state.token === token) {
        endSession(this, socket, state, expiredOrRevoked(state));
      }
    }
  }
}

function expiredOrRevoked(state: SocketState): 'expired' | 'revoked' {
  return state.expiresAt !== null && state.expiresAt <= Date.now() ? 'expired' : 'revoked';
}

function expiring(session: { token: string; expiresAt: number | null } | null) {
  return { token: session?.token ?? null, expiresAt: session?.expiresAt ?? null };
}

/** Packets engine.io holds for a client that has not taken them yet (not public in its typings). */
function bufferedPackets(socket: Socket): number {
  return (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}
