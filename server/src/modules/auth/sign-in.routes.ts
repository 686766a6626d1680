import { defineRoute, type RouteSpec } from '../../http/route.js';
import { appParams, AUTH_BASE, AUTH_TAG, authContext, signedIn, type AppUserGuards } from './app-user.routes-kit.js';
import {
  loginBody,
  refreshBody,
  signIn,
  signInOrChallenge,
  signupBody,
  upgradeBody,
  verificationRequired,
} from './auth.schema.js';
import type { SignInService } from './sign-in.service.js';

/** Sign-up, login, anonymous sign-in and its upgrade, refresh, logout. */
export function signInRoutes(deps: { signIn: SignInService; guards: AppUserGuards }): RouteSpec[] {
  const { signIn: service, guards } = deps;
  return [
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/signup`,
      summary: 'Sign up with email and password',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      body: signupBody,
      responses: {
        201: { description: 'Signed up and signed in', schema: signIn },
        202: {
          description: 'Signed up; the app requires a verified email before sign-in',
          schema: verificationRequired,
        },
        409: { description: 'The email already has an account' },
      },
      handler: async ({ body, req }) => {
        const result = await service.signup(authContext(req), body);
        return { status: 'verificationRequired' in result ? 202 : 201, body: result };
      },
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/login`,
      summary: 'Sign in with email and password (or get an MFA challenge)',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      body: loginBody,
      responses: {
        200: {
          description: 'Signed in, or `mfaRequired` with a challenge token for POST /auth/mfa',
          schema: signInOrChallenge,
        },
        401: { description: 'Wrong email or password (one answer for both)' },
        429: { description: 'Too many failed attempts' },
      },
      handler: async ({ body, req }) => ({ body: await service.login(authContext(req), body) }),
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/anonymous`,
      summary: 'Sign in as a new anonymous user',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      responses: { 201: { description: 'Signed in', schema: signIn } },
      handler: async ({ req }) => ({ status: 201, body: await service.anonymous(authContext(req)) }),
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/refresh`,
      summary: 'Rotate a refresh token for new tokens (a superseded one ends the session)',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      body: refreshBody,
      responses: { 200: { description: 'New tokens', schema: signIn } },
      handler: async ({ body, req }) => ({ body: await service.refresh(authContext(req), body.refreshToken) }),
    }),
    defineRoute({
      ...guards.user,
      method: 'post',
      path: `${AUTH_BASE}/logout`,
      summary: 'End the current session',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      responses: { 204: { description: 'Signed out' } },
      handler: async ({ req }) => {
        await service.logout(authContext(req), signedIn(req));
        return { status: 204 };
      },
    }),
    defineRoute({
      ...guards.user,
      method: 'post',
      path: `${AUTH_BASE}/upgrade`,
      summary: 'Give an anonymous account an email and password (same user id, same data)',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      body: upgradeBody,
      responses: {
        200: { description: 'Signed in as the upgraded user', schema: signIn },
        202: {
          description:
            'The app requires a verified email: a link went to the address; the account stays anonymous until it is confirmed',
          schema: verificationRequired,
        },
        403: { description: 'Sign-up is closed (`signup_disabled`)' },
        409: { description: 'The email already has an account, or this account is not anonymous' },
      },
      handler: async ({ body, req }) => {
        const result = await service.upgrade(authContext(req), signedIn(req), body);
        return { status: 'verificationRequired' in result ? 202 : 200, body: result };
      },
    }),
  ];
}
