import { MongoError, MongoServerError } from 'mongodb';
import { HearthError, unavailable } from '../../errors.js';

/**
 * Provider errors → the port's errors. Duplicate keys (11000) are mapped where they happen (the
 * caller knows the document and the index); everything else goes through `mapMongoError`:
 * - anything about reaching the server (network, server selection, timeouts, a primary that
 *   stepped down, a pool that was cleared, a closed client) → `unavailable` (the driver
 *   reconnects by itself, so the next request after the server is back succeeds);
 * - what a request's content can cause (a document too large, a value MongoDB cannot store, an
 *   operator the server refuses for this data) → `invalid_request`;
 * - any other driver or server error is the database failing to serve the request →
 *   `unavailable` too.
 * In every case the answer's message and details are ours: the driver's code name, message and
 * error labels stay in the `cause` (logged by the error handler, never shown to clients).
 */

export const DUPLICATE_KEY = 11000;

/** Server error codes caused by the request's data. */
const INVALID_REQUEST_CODES = new Set([
  2, // BadValue
  9, // FailedToParse
  14, // TypeMismatch
  16, // InvalidLength
  17, // ProtocolError (bad BSON from values)
  28, // PathNotViable
  52, // DollarPrefixedFieldName
  56, // EmptyFieldName
  57, // DottedFieldName
  10334, // BSONObjectTooLarge
  17419, // document too large after update
  51091, // regex failed to compile
  51108, // regex too complex
]);

/** Node socket error codes: the server is not reachable. */
const SOCKET_ERRORS = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Codes that mean the command does not exist on this server (capability probes). */
export const UNSUPPORTED_CODES = new Set([59, 115, 238]);

export const isDuplicateKey = (e: unknown): e is MongoServerError =>
  e instanceof MongoServerError && (e.code === DUPLICATE_KEY || e.code === 11001);

export const isUnsupported = (e: unknown): boolean =>
  e instanceof MongoServerError && typeof e.code === 'number' && UNSUPPORTED_CODES.has(e.code);

export function mapMongoError(e: unknown): unknown {
  if (e instanceof HearthError) return e;
  if (e instanceof MongoServerError && typeof e.code === 'number' && INVALID_REQUEST_CODES.has(e.code)) {
    // The driver's code name and message stay in the cause (logged), never in the answer.
    return new HearthError('invalid_request', 'The database refused the operation for this data.', undefined, {
      cause: e,
    });
  }
  if (
    e instanceof Error &&
    (e.name === 'BSONError' || e.name === 'BSONVersionError' || e.name === 'MongoInvalidArgumentError')
  ) {
    return new HearthError('invalid_request', 'The data cannot be stored.', undefined, { cause: e });
  }
  if (e instanceof MongoError) return unavailable('The database is unavailable.', e);
  // A socket error the driver did not wrap (seen when the server goes away mid-write: EPIPE).
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && SOCKET_ERRORS.has(code)) return unavailable('The database is unavailable.', e);
  // Not a provider error (a bug of ours): let it surface as it is.
  return e;
}

/** Runs `fn`, mapping any provider error. */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapMongoError(e);
  }
}
