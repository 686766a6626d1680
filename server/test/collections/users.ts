import { expect } from 'vitest';
import type { Harness } from '../support/harness.js';

/**
 * App users for the collections scenarios, made through the auth module's public API (issue 5):
 * sign-up and anonymous sign-in with the app's public key; roles set with the secret key.
 * This is the only place the collections suites depend on the auth module's routes.
 */
export interface TestUser {
  id: string;
  token: string;
  /** Headers a signed-in client sends: the public key and the user's access token. */
  headers: Record<string, string>;
}

const base = (appId: string) => `/v1/apps/${appId}/auth`;

/** Whether the auth module is mounted (its routes answer something other than "no route"). */
export async function authAvailable(h: Harness, appId: string, publicKey: string): Promise<boolean> {
  const res = await h.http
    .post(`${base(appId)}/anonymous`)
    .set('X-Hearth-Key', publicKey)
    .send({});
  return !(res.status === 404 && String(res.body?.error?.message ?? '').startsWith('No route'));
}

function asUser(body: { user: { id: string }; accessToken: string }, publicKey: string): TestUser {
  return {
    id: body.user.id,
    token: body.accessToken,
    headers: { 'X-Hearth-Key': publicKey, Authorization: `Bearer ${body.accessToken}` },
  };
}

export async function signUp(h: Harness, appId: string, publicKey: string, email: string): Promise<TestUser> {
  const res = await h.http
    .post(`${base(appId)}/signup`)
    .set('X-Hearth-Key', publicKey)
    .send({ email, password: 'a long enough password 1!' });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return asUser(res.body, publicKey);
}

export async function signInAnonymously(h: Harness, appId: string, publicKey: string): Promise<TestUser> {
  const res = await h.http
    .post(`${base(appId)}/anonymous`)
    .set('X-Hearth-Key', publicKey)
    .send({});
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return asUser(res.body, publicKey);
}

/** Sets a user's roles (admin API), then signs in again so the token carries them if it does. */
export async function setRoles(
  h: Harness,
  appId: string,
  adminToken: string,
  user: TestUser,
  roles: string[],
): Promise<void> {
  const res = await h.http
    .patch(`/v1/admin/apps/${appId}/users/${user.id}`)
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ roles });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}
