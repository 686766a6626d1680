/**
 * The one error table of the API contract: every error the server returns is a HearthError whose
 * code is a row here. Ports and engines throw these too (not_found, conflict, unavailable), so a
 * provider's error is normalised once, where it happens.
 */
export const ERROR_TABLE = {
  invalid_request: { status: 400, message: 'The request is invalid.' },
  validation_failed: { status: 400, message: 'One or more fields are invalid.' },
  invalid_api_key: { status: 401, message: 'The API key is missing, unknown or revoked.' },
  unauthorized: { status: 401, message: 'Authentication is required.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  not_found: { status: 404, message: 'Not found.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The content type is not supported.' },
  range_not_satisfiable: { status: 416, message: 'The requested range is not satisfiable.' },
  rate_limited: { status: 429, message: 'Too many requests. Retry later.' },
  internal: { status: 500, message: 'Something went wrong on our side.' },
  unavailable: { status: 503, message: 'A dependency is unavailable. Retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/**
 * The reasons an error may carry in `details.reason`, declared once per code: clients switch on
 * `(code, reason)` (the SDK exports the same table, and a test keeps the two equal). A reason is
 * never provider text (a driver's code name or message): engines map those to a row here.
 */
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
    'thumbnail_source_too_large',
    'message_too_large',
    'push_payload_too_large',
    'archive_too_large',
  ],
  unsupported_media_type: ['not_an_image'],
  range_not_satisfiable: [],
  rate_limited: ['too_many_subscriptions', 'too_many_messages', 'too_many_connections'],
  internal: ['auth_settings_invalid', 'files_settings_invalid'],
  unavailable: [],
} as const satisfies Record<ErrorCode, readonly string[]>;

/** The reasons `code` may carry; `ErrorReason` alone is every reason of every code. */
export type ErrorReason<C extends ErrorCode = ErrorCode> = (typeof ERROR_REASONS)[C][number];

export type ErrorDetails = { reason?: ErrorReason } & Record<string, unknown>;

export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails | undefined;
  /** Extra response headers (e.g. Retry-After for rate_limited). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    details?: ErrorDetails,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message ?? ERROR_TABLE[code].message, options?.cause ? { cause: options.cause } : undefined);
    this.name = 'HearthError';
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.details = details;
    this.headers = options?.headers;
  }

  toBody(): { error: { code: ErrorCode; message: string; details?: ErrorDetails } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export const isHearthError = (e: unknown): e is HearthError => e instanceof HearthError;

/** A HearthError of `code` (and, when given, whose `details.reason` is `reason`). */
export function isError<C extends ErrorCode>(e: unknown, code: C, reason?: ErrorReason<C>): e is HearthError {
  return e instanceof HearthError && e.code === code && (reason === undefined || e.details?.reason === reason);
}

/** An error of `code` with `details.reason`; the message defaults to the table's. */
export function reasonError<C extends ErrorCode>(
  code: C,
  reason: ErrorReason<C>,
  message?: string,
  details?: Record<string, unknown>,
  options?: { cause?: unknown; headers?: Record<string, string> },
): HearthError {
  return new HearthError(code, message, { ...details, reason }, options);
}

/**
 * Factories for the errors raised in more than one place, so each is worded once. Module-specific
 * errors stay beside their module, built with `reasonError`.
 */
export const errors = {
  signupDisabled: () => reasonError('forbidden', 'signup_disabled', 'Sign-up is closed for this app.'),
  emailNotVerified: () => reasonError('forbidden', 'email_not_verified', 'Confirm your email address first.'),
  userDisabled: () => reasonError('forbidden', 'user_disabled', 'This account is disabled.'),
  scopeMissing: (scope: string) =>
    reasonError('forbidden', 'scope_missing', `This key lacks the ${scope} scope.`, { scope }),
  secretKeyRequired: () => reasonError('forbidden', 'secret_key_required', 'This needs the secret key.'),
  invalidCredentials: () => reasonError('unauthorized', 'invalid_credentials', 'The email or password is incorrect.'),
  invalidToken: () => reasonError('unauthorized', 'invalid_token', 'The access token is invalid or expired.'),
  invalidRefreshToken: () =>
    reasonError('unauthorized', 'invalid_refresh_token', 'The refresh token is invalid or expired.'),
  invalidLink: () => reasonError('unauthorized', 'invalid_link', 'The link or code is invalid or has expired.'),
  userTokenRequired: () =>
    reasonError('unauthorized', 'token_required', "Sign in first: send the user's access token."),
  versionConflict: (message: string, details?: Record<string, unknown>) =>
    reasonError('conflict', 'version', message, details),
  /** A limiter said no: `Retry-After` (and `details.retryAfter`) in whole seconds, at least 1. */
  rateLimited: (msBeforeNext: number, message?: string) => {
    const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
    return new HearthError('rate_limited', message, { retryAfter }, { headers: { 'Retry-After': String(retryAfter) } });
  },
} as const;

/** Shorthands for the errors that ports throw. */
export const notFound = (what = 'Not found.', details?: ErrorDetails) => new HearthError('not_found', what, details);
export const invalidRequest = (message: string, details?: ErrorDetails) =>
  new HearthError('invalid_request', message, details);
export const unavailable = (message?: string, cause?: unknown) =>
  new HearthError('unavailable', message, undefined, { cause });
