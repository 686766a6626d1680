import { ERROR_REASONS, ERROR_STATUS, type ErrorCode } from './generated/errors.js';

/**
 * The API's error table as the client sees it: every error is `HearthError {status, code,
 * message, details}`, and `details.reason` (when present) is one of the reasons declared for
 * its code. The table is generated from the server's (server/src/errors.ts → generated/errors.ts;
 * a server test fails while it is stale), so `switch (e.reason)` is exhaustive and typed.
 */
export { ERROR_REASONS, ERROR_STATUS, type ErrorCode };

/** A code the server never sends: no answer came (offline, DNS, CORS, aborted). */
export type ClientErrorCode = 'network' | 'aborted';

/** Every code a HearthError can have: the server's and the client's own. */
export type AnyErrorCode = ErrorCode | ClientErrorCode;

/** The reasons `code` may carry (none for a client code); `ErrorReason` alone is every reason of every code. */
export type ErrorReason<C extends AnyErrorCode = ErrorCode> = C extends ErrorCode
  ? (typeof ERROR_REASONS)[C][number]
  : never;

/** `details` of an error: the server's `details` object, `reason` typed from the table. */
export type ErrorDetails<C extends ErrorCode = ErrorCode> = { reason?: ErrorReason<C> } & Record<string, unknown>;

/**
 * Every failed call throws this: `status` (0 when no answer came), `code` from the table above
 * (or `network` / `aborted`), `reason` (`details.reason`, typed per code), `details` and the
 * server's `requestId` (X-Request-Id: quote it when reporting a problem).
 */
export class HearthError extends Error {
  readonly reason: ErrorReason | undefined;
  readonly details: ErrorDetails;

  constructor(
    readonly status: number,
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    details?: Record<string, unknown>,
    readonly requestId: string | null = null,
    /** Seconds to wait before retrying (Retry-After on `rate_limited` / `unavailable`). */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'HearthError';
    this.details = (details ?? {}) as ErrorDetails;
    const r = this.details.reason;
    this.reason = typeof r === 'string' ? r : undefined;
  }

  /** Whether this is the error `code` (and, when given, with `reason`): `e.is('conflict', 'version')`. */
  is<C extends AnyErrorCode>(code: C, reason?: ErrorReason<C>): boolean {
    return this.code === code && (reason === undefined || this.reason === reason);
  }
}

/** True for a HearthError of `code` (and `reason`), narrowing `e`. */
export function isHearthError<C extends AnyErrorCode>(
  e: unknown,
  code?: C,
  reason?: ErrorReason<C>,
): e is HearthError & { code: C } {
  return e instanceof HearthError && (code === undefined || e.is(code, reason));
}
