/**
 * The API's error table as the client sees it: every error is `HearthError {status, code,
 * message, details}`, and `details.reason` (when present) is one of the reasons declared for
 * its code. The server declares the same table (server/src/errors.ts); a server test keeps the
 * two equal, so `switch (e.reason)` is exhaustive and typed.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  validation_failed: 400,
  invalid_api_key: 401,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_REASONS = {
  invalid_request: [
    'invalid_json',
    'body_not_object',
    'not_json',
    'number',
    'regex_invalid',
    'regex_too_complex',
    'file_missing',
    'file_empty',
    'too_many_files',
    'unexpected_field',
    'multipart_invalid',
    'thumbnail_size_not_allowed',
    'token_platform_mismatch',
    'backup_format_newer',
    'backup_invalid',
  ],
  validation_failed: [],
  invalid_api_key: [],
  unauthorized: [
    'invalid_token',
    'invalid_credentials',
    'invalid_refresh_token',
    'invalid_link',
    'invalid_code',
    'token_required',
    'token_expired',
    'session_revoked',
  ],
  forbidden: [
    'signup_disabled',
    'email_not_verified',
    'anonymous_disabled',
    'user_disabled',
    'reauthentication_required',
    'scope_missing',
    'secret_key_required',
    'rule_denied',
    'origin_not_allowed',
    'signed_url_invalid',
    'signed_url_expired',
  ],
  not_found: [],
  conflict: [
    'version',
    'unique',
    'precondition',
    'exists',
    'restricted',
    'referenced',
    'too_many_related',
    'not_anonymous',
    'in_progress',
    'idempotency_key_reused',
    'replay_too_old',
  ],
  payload_too_large: [
    'file_too_large',
    'quota_exceeded',
    'headers_too_large',
    'image_too_large',
    'message_too_large',
    'push_payload_too_large',
  ],
  unsupported_media_type: ['not_an_image'],
  range_not_satisfiable: [],
  rate_limited: ['too_many_subscriptions', 'too_many_messages', 'too_many_connections'],
  internal: ['auth_settings_invalid', 'files_settings_invalid'],
  unavailable: [],
} as const satisfies Record<ErrorCode, readonly string[]>;

/** The reasons `code` may carry; `ErrorReason` alone is every reason of every code. */
export type ErrorReason<C extends ErrorCode = ErrorCode> = (typeof ERROR_REASONS)[C][number];

/** A code the server never sends: no answer came (offline, DNS, CORS, aborted). */
export type ClientErrorCode = 'network' | 'aborted';

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
  is<C extends ErrorCode>(code: C, reason?: ErrorReason<C>): boolean {
    return this.code === code && (reason === undefined || this.reason === reason);
  }
}

/** True for a HearthError of `code` (and `reason`), narrowing `e`. */
export function isHearthError<C extends ErrorCode>(
  e: unknown,
  code?: C,
  reason?: ErrorReason<C>,
): e is HearthError & { code: C } {
  return e instanceof HearthError && (code === undefined || e.is(code, reason));
}
