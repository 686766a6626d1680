import { HearthError, reasonError, type ErrorDetails } from '../../errors.js';

/**
 * The errors realtime sends: in a `connect_error`'s `data`, in an ack's `error`, or with a
 * subscription the server ended. Same shape as the REST bodies' `error`.
 */
export interface WireError {
  code: HearthError['code'];
  message: string;
  details?: ErrorDetails;
}

export function toWire(err: unknown): WireError {
  if (err instanceof HearthError) {
    return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  }
  return { code: 'internal', message: 'Something went wrong on our side.' };
}

/** An Error for socket.io's `next(err)`: the client gets `message` and `data` in `connect_error`. */
export function connectError(err: unknown): Error & { data: WireError } {
  const wire = toWire(err);
  return Object.assign(new Error(wire.message), { data: wire });
}

export const realtimeErrors = {
  tokenExpired: () => reasonError('unauthorized', 'token_expired', 'The access token expired: send a fresh one.'),
  sessionRevoked: () =>
    reasonError('unauthorized', 'session_revoked', 'The session was revoked or the user disabled: sign in again.'),
  tooManySubscriptions: (max: number) =>
    reasonError('rate_limited', 'too_many_subscriptions', `A connection may hold at most ${max} subscriptions.`, {
      max,
    }),
  tooManyMessages: (perSecond: number) =>
    reasonError('rate_limited', 'too_many_messages', `A connection may send at most ${perSecond} messages a second.`, {
      perSecond,
    }),
  tooManyConnections: (max: number) =>
    reasonError('rate_limited', 'too_many_connections', `This app accepts at most ${max} connections.`, {
      max,
    }),
  messageTooLarge: (max: number) =>
    reasonError('payload_too_large', 'message_too_large', `A message may be at most ${max} bytes of JSON.`, { max }),
  replayTooOld: () =>
    reasonError(
      'conflict',
      'replay_too_old',
      'Changes since then are no longer kept: read the documents again (REST), then subscribe without since.',
    ),
  channelDenied: (channel: string) =>
    reasonError('forbidden', 'rule_denied', 'The channel rules do not allow this.', { channel: channel.slice(0, 128) }),
  noSuchSubscription: () => new HearthError('not_found', 'No such subscription on this connection.'),
} as const;
