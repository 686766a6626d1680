import { expect } from 'vitest';
import {
  startHarness,
  withAdminAndApp,
  type EngineName,
  type Harness,
  type HarnessOptions,
} from '../support/harness.js';

/** What the auth suites share: a harness with an admin and an app, and request helpers. */
export const PASSWORD = 'a long enough password 1!';

export interface AuthWorld {
  h: Harness;
  appId: string;
  publicKey: string;
  secretKey: string;
  adminToken: string;
  admin: Record<string, string>;
  pk: Record<string, string>;
  sk: Record<string, string>;
  auth(path: string): string;
  /** Headers of a signed-in client. */
  as(accessToken: string): Record<string, string>;
  signUp(email: string, password?: string): Promise<SignInBody>;
  login(email: string, password?: string): Promise<SignInBody>;
  patchSettings(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface SignInBody {
  user: {
    id: string;
    email: string | null;
    anonymous: boolean;
    roles: string[];
    emailVerified: boolean;
    profile: Record<string, unknown>;
    lastSignInAt: string | null;
  };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export async function openAuthWorld(engine: EngineName, overrides: HarnessOptions = {}): Promise<AuthWorld> {
  const h = await startHarness(engine, overrides);
  const ctx = await withAdminAndApp(h);
  const pk = { 'X-Hearth-Key': ctx.publicKey };
  const admin = { Authorization: `Bearer ${ctx.adminToken}` };
  const auth = (path: string) => `/v1/apps/${ctx.appId}/auth${path}`;
  const world: AuthWorld = {
    h,
    appId: ctx.appId,
    publicKey: ctx.publicKey,
    secretKey: ctx.secretKey,
    adminToken: ctx.adminToken,
    admin,
    pk,
    sk: { 'X-Hearth-Key': ctx.secretKey },
    auth,
    as: (token) => ({ ...pk, Authorization: `Bearer ${token}` }),
    signUp: async (email, password = PASSWORD) => {
      const res = await h.http.post(auth('/signup')).set(pk).send({ email, password });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as SignInBody;
    },
    login: async (email, password = PASSWORD) => {
      const res = await h.http.post(auth('/login')).set(pk).send({ email, password });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as SignInBody;
    },
    patchSettings: async (body) => {
      const res = await h.http.patch(`/v1/admin/apps/${ctx.appId}/auth/settings`).set(admin).send(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as Record<string, unknown>;
    },
    close: () => h.close(),
  };
  return world;
}

export function expectError(
  res: { status: number; body: unknown },
  status: number,
  code: string,
): Record<string, unknown> {
  const body = res.body as { error?: { code: string; details?: Record<string, unknown> } };
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(body.error?.code, JSON.stringify(res.body)).toBe(code);
  return body.error?.details ?? {};
}
