// Generated from /openapi.json (the server routes' zod schemas) by server/test/sdk/sdk-types.gen.ts: do not edit.
// Regenerate: pnpm --filter @hearth/sdk run generate (a test fails while this file is stale).
export type paths = Record<string, never>;
export type webhooks = Record<string, never>;
export type components = {
  schemas: {
    /** @description The app user (`GET /auth/me`). */
    AuthUser: {
      id: string;
      email: string | null;
      emailVerified: boolean;
      anonymous: boolean;
      roles: string[];
      profile: {
        [key: string]: unknown;
      };
      mfa: {
        totp: boolean;
      };
      disabled: boolean;
      createdAt: string;
      updatedAt: string;
      lastSignInAt: string | null;
    };
    /** @description A signed-in session: the user and its tokens. */
    SignInResponse: {
      user: {
        id: string;
        email: string | null;
        emailVerified: boolean;
        anonymous: boolean;
        roles: string[];
        profile: {
          [key: string]: unknown;
        };
        mfa: {
          totp: boolean;
        };
        disabled: boolean;
        createdAt: string;
        updatedAt: string;
        lastSignInAt: string | null;
      };
      accessToken: string;
      refreshToken: string;
      expiresIn: number;
    };
    /** @description What a first factor returns when the user enrolled TOTP: finish with `auth.completeMfa`. */
    MfaChallenge: {
      /** @constant */
      mfaRequired: true;
      mfaToken: string;
      methods: ('totp' | 'recovery')[];
    };
    /** @description Sign-up or upgrade when the app requires a verified email: the mailed link finishes it. */
    VerificationRequired: {
      /** @constant */
      verificationRequired: true;
      user: {
        id: string;
        email: string | null;
        emailVerified: boolean;
        anonymous: boolean;
        roles: string[];
        profile: {
          [key: string]: unknown;
        };
        mfa: {
          totp: boolean;
        };
        disabled: boolean;
        createdAt: string;
        updatedAt: string;
        lastSignInAt: string | null;
      };
    };
    /** @description One signed-in session of the user (`auth.sessions()`). */
    AuthSession: {
      id: string;
      createdAt: string;
      lastUsedAt: string;
      expiresAt: string;
      ip: string | null;
      userAgent: string | null;
      amr: string[];
      impersonatedBy: string | null;
      current?: boolean;
    };
    /** @description The fields every document carries (read-only), around the collection's own. */
    SystemFields: {
      id: string;
      createdAt: string;
      updatedAt: string;
      owner: string | null;
      version: number;
    };
    /** @description A stored file. */
    FileInfo: {
      id: string;
      name: string;
      size: number;
      type: string;
      sha256: string;
      public: boolean;
      owner: string | null;
      createdAt: string;
    };
    /** @description A device registered for push. */
    Installation: {
      id: string;
      /** @enum {string} */
      platform: 'ios' | 'android' | 'web';
      token: string | null;
      endpoint: string | null;
      userId: string | null;
      channels: string[];
      locale: string | null;
      timeZone: string | null;
      appVersion: string | null;
      badge: number | null;
      active: boolean;
      deactivatedReason: string | null;
      createdAt: string;
      updatedAt: string;
    };
    /** @description What registering a device sends. */
    InstallationInput: {
      /** @enum {string} */
      platform: 'ios' | 'android' | 'web';
      token?: string;
      subscription?: {
        /** Format: uri */
        endpoint: string;
        keys: {
          p256dh: string;
          auth: string;
        };
      };
      channels?: string[];
      locale?: string;
      timeZone?: string;
      appVersion?: string;
      badge?: number;
    };
    /** @description What changing an installation sends. */
    InstallationPatch: {
      token?: string;
      subscription?: {
        /** Format: uri */
        endpoint: string;
        keys: {
          p256dh: string;
          auth: string;
        };
      };
      channels?: string[];
      locale?: string;
      timeZone?: string;
      appVersion?: string;
      badge?: number;
    };
    /** @description A browser's push subscription as the server takes it (`PushSubscription.toJSON()`). */
    WebPushSubscription: {
      /** Format: uri */
      endpoint: string;
      keys: {
        p256dh: string;
        auth: string;
      };
    };
    /**
     * @description The body of every error answer.
     * @example {
     *       "error": {
     *         "code": "conflict",
     *         "message": "The document changed.",
     *         "details": {
     *           "reason": "version"
     *         }
     *       }
     *     }
     */
    ErrorBody: {
      error: {
        /** @enum {string} */
        code:
          | 'invalid_request'
          | 'validation_failed'
          | 'invalid_api_key'
          | 'unauthorized'
          | 'forbidden'
          | 'not_found'
          | 'conflict'
          | 'payload_too_large'
          | 'unsupported_media_type'
          | 'range_not_satisfiable'
          | 'rate_limited'
          | 'internal'
          | 'unavailable';
        message: string;
        details?: {
          /**
           * @description Declared per code (ERROR_REASONS).
           * @enum {string}
           */
          reason?:
            | 'anonymous_disabled'
            | 'archive_too_large'
            | 'auth_settings_invalid'
            | 'backup_format_newer'
            | 'backup_invalid'
            | 'body_not_object'
            | 'email_not_verified'
            | 'exists'
            | 'file_empty'
            | 'file_missing'
            | 'file_too_large'
            | 'files_settings_invalid'
            | 'headers_too_large'
            | 'idempotency_key_reused'
            | 'image_too_large'
            | 'in_progress'
            | 'invalid_code'
            | 'invalid_credentials'
            | 'invalid_json'
            | 'invalid_link'
            | 'invalid_refresh_token'
            | 'invalid_token'
            | 'message_too_large'
            | 'multipart_invalid'
            | 'not_an_image'
            | 'not_anonymous'
            | 'not_json'
            | 'number'
            | 'origin_not_allowed'
            | 'precondition'
            | 'push_payload_too_large'
            | 'quota_exceeded'
            | 'reauthentication_required'
            | 'referenced'
            | 'regex_invalid'
            | 'regex_too_complex'
            | 'replay_too_old'
            | 'restricted'
            | 'rule_denied'
            | 'scope_missing'
            | 'secret_key_required'
            | 'session_revoked'
            | 'signed_url_expired'
            | 'signed_url_invalid'
            | 'signup_disabled'
            | 'thumbnail_size_not_allowed'
            | 'thumbnail_source_too_large'
            | 'token_expired'
            | 'token_platform_mismatch'
            | 'token_required'
            | 'too_many_connections'
            | 'too_many_files'
            | 'too_many_messages'
            | 'too_many_related'
            | 'too_many_subscriptions'
            | 'unexpected_field'
            | 'unique'
            | 'user_disabled'
            | 'version';
          /** @description validation_failed: one message per bad field. */
          fields?: {
            [key: string]: string;
          };
        } & {
          [key: string]: unknown;
        };
      };
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
};
export type $defs = Record<string, never>;
export type operations = Record<string, never>;

/** The app user (`GET /auth/me`). */
export type AuthUser = components['schemas']['AuthUser'];
/** A signed-in session: the user and its tokens. */
export type SignInResponse = components['schemas']['SignInResponse'];
/** What a first factor returns when the user enrolled TOTP: finish with `auth.completeMfa`. */
export type MfaChallenge = components['schemas']['MfaChallenge'];
/** Sign-up or upgrade when the app requires a verified email: the mailed link finishes it. */
export type VerificationRequired = components['schemas']['VerificationRequired'];
/** One signed-in session of the user (`auth.sessions()`). */
export type AuthSession = components['schemas']['AuthSession'];
/** The fields every document carries (read-only), around the collection's own. */
export type SystemFields = components['schemas']['SystemFields'];
/** A stored file. */
export type FileInfo = components['schemas']['FileInfo'];
/** A device registered for push. */
export type Installation = components['schemas']['Installation'];
/** What registering a device sends. */
export type InstallationInput = components['schemas']['InstallationInput'];
/** What changing an installation sends. */
export type InstallationPatch = components['schemas']['InstallationPatch'];
/** A browser's push subscription as the server takes it (`PushSubscription.toJSON()`). */
export type WebPushSubscription = components['schemas']['WebPushSubscription'];
/** The body of every error answer. */
export type ErrorBody = components['schemas']['ErrorBody'];
