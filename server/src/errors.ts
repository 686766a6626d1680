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
  rate_limited: { status: 429, message: 'Too many requests. Retry later.' },
  internal: { status: 500, message: 'Something went wrong on our side.' },
  unavailable: { status: 503, message: 'A dependency is unavailable. Retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export type ErrorDetails = Record<string, unknown>;

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

/** Shorthands for the errors that ports throw. */
export const notFound = (what = 'Not found.', details?: ErrorDetails) => new HearthError('not_found', what, details);
export const invalidRequest = (message: string, details?: ErrorDetails) =>
  new HearthError('invalid_request', message, details);
export const unavailable = (message?: string, cause?: unknown) =>
  new HearthError('unavailable', message, undefined, { cause });
