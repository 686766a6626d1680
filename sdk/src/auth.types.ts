/** The app user as the server returns it (`GET /auth/me`). */
export interface AuthUser {
  id: string;
  email: string | null;
  emailVerified: boolean;
  anonymous: boolean;
  roles: string[];
  profile: Record<string, unknown>;
  mfa: { totp: boolean };
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastSignInAt: string | null;
}

/** What a first factor returns when the user enrolled TOTP: finish with `auth.completeMfa`. */
export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  methods: Array<'totp' | 'recovery'>;
}

/** Sign-up or upgrade when the app requires a verified email: the mailed link finishes it. */
export interface VerificationRequired {
  verificationRequired: true;
  user: AuthUser;
}

export interface AuthSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  amr: string[];
  impersonatedBy: string | null;
  current?: boolean;
}

export interface SignInResponse {
  user: AuthUser;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}
