import { createHash } from 'node:crypto';
import type { Socket } from 'socket.io';
import { z } from 'zod';
import { HearthError, invalidRequest } from '../../errors.js';
import { collectPaths, parseFilter } from '../../lib/filter/parse.js';
import {
  assertTextAllowed,
  assertVisiblePaths,
  collectionErrors,
  requireScope,
  ruleFilter,
} from '../collections/index.js';
import { CHANNEL_NAME } from './channels.js';
import { realtimeErrors, toWire } from './realtime.errors.js';
import type { RealtimeHost } from './host.js';
import {
  authenticate,
  authenticateAdmin,
  callerOf,
  MAX_TIMER_MS,
  presenceUserOf,
  type SocketState,
} from './session.js';
import type { Subscription } from './subscriptions.js';

/**
 * The events of one connection (docs/realtime.md has the table). Every client event takes an
 * ack: `{…result}` or `{error: {code, message, details}}` (the REST error shape). Each event
 * counts against the connection's messages per second first.
 */
const subscribeBody = z.strictObject({
  collection: z.string().min(1).max(64),
  filter: z.union([z.record(z.string(), z.unknown()), z.string().max(16_384)]).optional(),
  id: z.string().min(1).max(128).optional(),
  since: z.union([z.string().max(64), z.number()]).optional(),
});
const unsubscribeBody = z.strictObject({ subscription: z.string().max(64) });
const authBody = z.union([
  z.strictObject({ token: z.string().max(4096) }),
  z.strictObject({ adminToken: z.string().max(4096) }),
]);
/** `subscribe {collection: '*'}`: every collection of the app (admin connections; a live tail). */
export const ALL_COLLECTIONS = '*';
const channelBody = z.strictObject({ channel: z.string().regex(CHANNEL_NAME) });
const publishBody = z.strictObject({ channel: z.string().regex(CHANNEL_NAME), message: z.unknown() });

type Ack = (answer: unknown) => void;

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const fields = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new HearthError('validation_failed', 'The event payload is invalid.', { fields });
}

function sinceMs(since: string | number): number {
  const ms = typeof since === 'number' ? since : Date.parse(since);
  if (!Number.isFinite(ms)) throw invalidRequest('since must be an ISO-8601 time or milliseconds since the epoch.');
  return ms;
}

/** A query's key: equal queries (collection, filter as sent, id) have equal keys on every connection. */
function queryKey(collection: string, filter: unknown, id: string | undefined): string {
  const digest = createHash('sha256').update(JSON.stringify([collection, filter ?? null, id ?? null]));
  return `s_${digest.digest('base64url').slice(0, 16)}`;
}

/** The query's key, or with `.2`, `.3`… when this connection already holds the same query. */
function uniqueId(state: SocketState, query: string): string {
  let id = query;
  for (let n = 2; state.subs.has(id); n++) id = `${query}.${n}`;
  return id;
}

export function handleConnection(rt: RealtimeHost, socket: Socket, state: SocketState): void {
  const { settings } = rt.deps;
  rt.sockets.set(socket.id, { socket, state });
  scheduleExpiry(rt, socket, state);

  // Messages per second: a bucket of 2× the rate, refilled continuously.
  socket.use((packet, next) => {
    const now = Date.now();
    const b = state.bucket;
    b.tokens = Math.min(settings.messagesPerSecond * 2, b.tokens + ((now - b.at) / 1000) * settings.messagesPerSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return next();
    }
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function')
      (ack as Ack)({ error: toWire(realtimeErrors.tooManyMessages(settings.messagesPerSecond)) });
  });

  const on = (
    event: string,
    handler: (payload: unknown) => Promise<unknown> | unknown,
    after?: (result: unknown) => void,
  ) => {
    socket.on(event, (payload: unknown, ack?: unknown) => {
      const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => {};
      Promise.resolve()
        .then(() => handler(payload))
        .then(
          (result) => {
            if (!socket.connected) return;
            reply(result);
            after?.(result);
          },
          (err: unknown) => {
            if (!(err instanceof HearthError)) rt.deps.logger.error({ err, event }, 'realtime: event failed');
            reply({ error: toWire(err) });
          },
        );
    });
  };

  // Replayed changes go out right after the ack that names the subscription.
  const pendingReplay = new Map<string, ReturnType<typeof rt.fanout.replay>>();
  on(
    'subscribe',
    async (payload) => {
      const body = parse(subscribeBody, payload);
      if (state.subs.size >= settings.maxSubscriptionsPerSocket) {
        throw realtimeErrors.tooManySubscriptions(settings.maxSubscriptionsPerSocket);
      }
      const caller = callerOf(state);
      requireScope(caller, 'documents:read');
      const all = body.collection === ALL_COLLECTIONS;
      if (all && !state.admin) throw new HearthError('forbidden', 'Only an admin connection may subscribe to "*".');
      if (all && (body.filter !== undefined || body.id !== undefined || body.since !== undefined)) {
        throw invalidRequest('A "*" subscription takes no filter, id or since: it tails every change from now on.');
      }
      const col = all ? null : await rt.deps.registry.require(state.appId, body.collection);
      const filter = body.filter !== undefined ? parseFilter(body.filter) : null;
      if (filter && col) {
        assertVisiblePaths(caller, col, collectPaths(filter), 'filter');
        assertTextAllowed(col, filter);
      }
      if (col && body.id === undefined && !caller.privileged) {
        const rule = ruleFilter(col.rules.list, { auth: caller.user, now: rt.deps.now().toISOString() });
        if (rule === null) throw collectionErrors.listDenied();
      }
      const since = body.since !== undefined ? sinceMs(body.since) : null;
      if (!socket.connected) throw new HearthError('not_found', 'The connection closed.');
      // From here on, synchronously: live in the index, then what the buffer holds since `since`.
      const query = queryKey(body.collection, body.filter, body.id);
      const sub: Subscription = {
        id: uniqueId(state, query),
        query,
        appId: state.appId,
        collection: col ? col.name : ALL_COLLECTIONS,
        filter: filter && filter.op !== 'all' ? filter : null,
        docId: body.id ?? null,
        caller,
        socketId: socket.id,
        active: true,
      };
      rt.index.add(sub);
      state.subs.set(sub.id, sub);
      if (since !== null && col) {
        const replay = rt.fanout.replay(sub, col, since);
        if (replay === 'too_old') {
          removeSub(rt, state, sub);
          throw realtimeErrors.replayTooOld();
        }
        pendingReplay.set(sub.id, replay);
      }
      return { subscription: sub.id };
    },
    (result) => {
      const id = (result as { subscription: string }).subscription;
      const replay = pendingReplay.get(id);
      pendingReplay.delete(id);
      const sub = state.subs.get(id);
      if (!Array.isArray(replay) || !sub) return;
      let sent = 0;
      for (const change of replay) if (rt.deliver(sub, change)) sent++;
      rt.countDelivered(state.appId, sent);
    },
  );

  on('unsubscribe', (payload) => {
    const { subscription } = parse(unsubscribeBody, payload);
    const sub = state.subs.get(subscription);
    if (!sub) throw realtimeErrors.noSuchSubscription();
    removeSub(rt, state, sub);
    return { subscription };
  });

  on('auth', async (payload) => {
    const body = parse(authBody, payload);
    const now = Date.now();
    if ('adminToken' in body) {
      if (!state.admin) throw invalidRequest('adminToken is for admin connections (handshake auth.adminToken).');
      const session = await authenticateAdmin(rt.deps.verifyAdmin, body.adminToken, now);
      state.admin = session.admin;
      state.token = session.token;
      state.expiresAt = session.expiresAt;
      scheduleExpiry(rt, socket, state);
      return {
        admin: { id: session.admin.id, email: session.admin.email },
        expiresAt: session.expiresAt === null ? null : new Date(session.expiresAt).toISOString(),
      };
    }
    if (state.admin) throw invalidRequest('An admin connection refreshes with {adminToken}.');
    const session = await authenticate(rt.deps.verifyToken, state.appId, body.token, now);
    const previous = state.user;
    if (previous && previous.id !== session.user.id) leaveAllChannels(rt, state);
    state.user = session.user;
    state.token = session.token;
    state.expiresAt = session.expiresAt;
    // Rules apply per event with the subscriber's caller: the new identity from the next event on.
    const caller = callerOf(state);
    for (const sub of state.subs.values()) sub.caller = caller;
    scheduleExpiry(rt, socket, state);
    return {
      user: { id: session.user.id, roles: session.user.roles, anonymous: session.user.anonymous },
      expiresAt: session.expiresAt === null ? null : new Date(session.expiresAt).toISOString(),
    };
  });

  on('join', async (payload) => {
    const { channel } = parse(channelBody, payload);
    if (!(await rt.deps.channels.allows(callerOf(state), channel, 'join'))) throw realtimeErrors.channelDenied(channel);
    if (!socket.connected) throw new HearthError('not_found', 'The connection closed.');
    const user = presenceUserOf(state);
    state.channels.set(channel, user);
    await socket.join(`ch:${channel}`);
    const members = rt.presence ? rt.presence.join(state.appId, channel, socket.id, user) : [user];
    return { channel, members };
  });

  on('leave', (payload) => {
    const { channel } = parse(channelBody, payload);
    leaveChannel(rt, socket, state, channel);
    return { channel };
  });

  on('publish', async (payload) => {
    const { channel, message } = parse(publishBody, payload);
    const size = Buffer.byteLength(JSON.stringify(message ?? null));
    if (size > settings.maxMessageBytes) throw realtimeErrors.messageTooLarge(settings.maxMessageBytes);
    if (!state.channels.has(channel)) throw invalidRequest('Join the channel before publishing to it.', { channel });
    if (!(await rt.deps.channels.allows(callerOf(state), channel, 'publish')))
      throw realtimeErrors.channelDenied(channel);
    // Through the adapter: every replica's members of the channel, except the sender.
    socket.to(`ch:${channel}`).emit('message', { channel, message: message ?? null, from: presenceUserOf(state) });
    return { channel };
  });

  socket.on('disconnect', () => {
    if (state.expiryTimer) clearTimeout(state.expiryTimer);
    for (const sub of [...state.subs.values()]) removeSub(rt, state, sub);
    leaveAllChannels(rt, state);
    rt.sockets.delete(socket.id);
    if (state.leased) rt.limit.release(state.appId);
  });
}

function removeSub(rt: RealtimeHost, state: SocketState, sub: Subscription): void {
  rt.index.remove(sub);
  state.subs.delete(sub.id);
}

function leaveChannel(rt: RealtimeHost, socket: Socket, state: SocketState, channel: string): void {
  const user = state.channels.get(channel);
  if (!user) return;
  state.channels.delete(channel);
  void socket.leave(`ch:${channel}`);
  rt.presence?.leave(state.appId, channel, socket.id, user);
}

function leaveAllChannels(rt: RealtimeHost, state: SocketState): void {
  const socket = rt.sockets.get(state.socketId)?.socket;
  for (const channel of [...state.channels.keys()]) {
    if (socket) leaveChannel(rt, socket, state, channel);
    else {
      rt.presence?.leave(state.appId, channel, state.socketId, state.channels.get(channel)!);
      state.channels.delete(channel);
    }
  }
}

function scheduleExpiry(rt: RealtimeHost, socket: Socket, state: SocketState): void {
  if (state.expiryTimer) clearTimeout(state.expiryTimer);
  state.expiryTimer = null;
  if (state.expiresAt === null) return;
  const delay = Math.min(MAX_TIMER_MS, Math.max(0, state.expiresAt - Date.now()));
  state.expiryTimer = setTimeout(() => endSession(rt, socket, state, 'expired'), delay);
  state.expiryTimer.unref();
}

/**
 * The token expired or the session was revoked: every subscription and channel made as the user
 * stops (`ended` for each subscription), the client gets `session {state, error}` and stays
 * connected with its key's rights; `auth {token}` with a fresh token, then subscribe again. An
 * admin connection has no key's rights to keep: it is disconnected after the same messages.
 */
export function endSession(rt: RealtimeHost, socket: Socket, state: SocketState, why: 'expired' | 'revoked'): void {
  if (!state.user && !state.admin) return;
  const error = toWire(why === 'expired' ? realtimeErrors.tokenExpired() : realtimeErrors.sessionRevoked());
  for (const sub of [...state.subs.values()]) {
    if (sub.caller.user === null && !state.admin) continue;
    removeSub(rt, state, sub);
    socket.emit('ended', { subscription: sub.id, error });
  }
  leaveAllChannels(rt, state);
  if (state.expiryTimer) clearTimeout(state.expiryTimer);
  state.expiryTimer = null;
  state.user = null;
  state.token = null;
  state.expiresAt = null;
  socket.emit('session', { state: why, error });
  // An admin connection has no key to fall back to: it ends (reconnect with a fresh adminToken).
  if (state.admin) {
    state.admin = null;
    socket.disconnect(true);
  }
}
