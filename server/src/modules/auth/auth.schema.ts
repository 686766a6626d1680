import { z } from 'zod';
import { signInResponse } from '../../http/schemas.js';

/** Request and response shapes of the auth routes (validation, types and OpenAPI in one place). */
export const email = z.email().max(320);
/** The policy (per app) is checked by the service; this only bounds the input. */
export const password = z.string().min(1).max(1024);
const token = z.string().min(1).max(200);
const profile = z.record(z.string().max(64), z.unknown());

export const signupBody = z.strictObject({ email, password, profile: profile.optional() });
export const loginBody = z.strictObject({ email, password });
export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) });
export const updateMeBody = z.strictObject({ profile: profile.optional() });
export const passwordBody = z.strictObject({ currentPassword: password.optional(), newPassword: password });
export const upgradeBody = z.strictObject({ email, password });
export const tokenBody = z.strictObject({ token });
export const resetConfirmBody = z.strictObject({ token, password });
export const emailBody = z.strictObject({ email });
export const codeBody = z.strictObject({ code: z.string().min(1).max(32) });
export const mfaBody = z.strictObject({ mfaToken: token, code: z.string().min(1).max(32) });

export const role = z.string().regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'must be 1-64 letters, digits or _:.-');
export const userPatchBody = z
  .strictObject({
    roles: z.array(role).max(50).optional(),
    disabled: z.boolean().optional(),
    emailVerified: z.boolean().optional(),
    profile: profile.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'send at least one of roles, disabled, emailVerified, profile');

export const userView = z.object({
  id: z.string(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  anonymous: z.boolean(),
  roles: z.array(z.string()),
  profile: z.record(z.string(), z.unknown()),
  mfa: z.object({ totp: z.boolean() }),
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastSignInAt: z.string().nullable(),
});

export const signIn = signInResponse(userView);
export const mfaChallenge = z.object({
  mfaRequired: z.literal(true),
  mfaToken: z.string(),
  methods: z.array(z.enum(['totp', 'recovery'])),
});
/** Sign-up / upgrade when the app requires a verified email first (202). */
export const verificationRequired = z.object({ verificationRequired: z.literal(true), user: userView });
export const signInOrChallenge = z.union([signIn, mfaChallenge]);

export const sessionView = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  expiresAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  amr: z.array(z.string()),
  impersonatedBy: z.string().nullable(),
  current: z.boolean().optional(),
});

export const usersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  after: z.string().min(1).max(4096).optional(),
  email: z.string().max(320).optional(),
  role: role.optional(),
  anonymous: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
