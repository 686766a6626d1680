import type { JsonValue } from '../../lib/filter/types.js';

/** A user as the API shows it: never a hash or a secret. */
export interface UserView {
  id: string;
  email: string | null;
  emailVerified: boolean;
  anonymous: boolean;
  roles: string[];
  profile: Record<string, JsonValue>;
  mfa: { totp: boolean };
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastSignInAt: string | null;
}
