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
    'token_platform_mismatch',
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
  ],
  payload_too_large: ['file_too_large', 'quota_exceeded', 'push_payload_too_large'],
  unsupported_media_type: [],
  range_not_satisfiable: [],
  rate_limited: [],
  internal: ['auth_settings_invalid', 'files_settings_invalid'],
  unavailable: [],
} as const satisfies Record<ErrorCode, readonly string[]>;

/** The reasons `code` may carry; `ErrorReason` alone is every reason of every code. */
export type ErrorReason<C extends ErrorCode = ErrorCode> = (typeof ERROR_REASONS)[C][number];

/** Every failed call throws this. `code` is from the table above (or `network` when no answer came). */
export class HearthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HearthError';
  }

  /** `details.reason`, typed: switch on it after checking `code`. */
  get reason(): ErrorReason | undefined {
    const r = this.details?.reason;
    return typeof r === 'string' ? (r as ErrorReason) : undefined;
  }

  /** Whether this is the error `code` (and, when given, with `reason`). */
  is<C extends ErrorCode>(code: C, reason?: ErrorReason<C>): boolean {
    return this.code === code && (reason === undefined || this.reason === reason);
  }
}
