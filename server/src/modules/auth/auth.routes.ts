import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { HearthError } from '../../errors.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import {
  codeBody,
  emailBody,
  loginBody,
  mfaBody,
  passwordBody,
  refreshBody,
  resetConfirmBody,
  sessionView,
  signIn,
  signInOrChallenge,
  signupBody,
  tokenBody,
  updateMeBody,
  upgradeBody,
  userView,
} from './auth.schema.js';
import type { AuthContext, AuthService, SignedIn } from './auth.service.js';
import type { AuthRateLimits } from './rate-limits.js';

/** The app-user routes under /v1/apps/{appId}/auth (the app's key; a user token where needed). */
const TAG = 'Auth';
const appParams = z.object({ appId: idParam });
const sessionParams = z.object({ appId: idParam, sessionId: idParam });

export function authContext(req: Request): AuthContext {
  return {
    appId: req.ctx.app!.id,
    appName: req.ctx.app!.name,
    ip: req.ip ?? 'unknown',
    userAgent: req.get('user-agent') ?? null,
    requestId: req.ctx.requestId,
  };
}

export function signedIn(req: Request): SignedIn {
  const user = req.ctx.user;
  if (!user) throw new HearthError('unauthorized', "Sign in first: send the user's access token.");
  return { userId: user.id, sessionId: user.sessionId };
}

export function authRoutes(deps: {
  auth: AuthService;
  limits: AuthRateLimits;
  requireUser: RequestHandler;
}): RouteSpec[] {
  const { auth, limits } = deps;
  const limitIp: RequestHandler = (req, _res, next) => {
    const appId = req.ctx.app!.id;
    auth
      .settings(appId)
      .then((s) => limits.hitIp(appId, req.ip ?? 'unknown', s))
      .then(() => next(), next);
  };
  const key = { security: ['appKey' as const], before: [limitIp] };
  const user = { security: ['appKey' as const, 'userBearer' as const], before: [deps.requireUser] };
  const base = '/v1/apps/:appId/auth';
  return [
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/signup`,
      summary: 'Sign up with email and password',
      tag: TAG,
      params: appParams,
      body: signupBody,
      responses: {
        201: { description: 'Signed up and signed in', schema: signIn },
        202: { description: 'Signed up; the app requires a verified email before sign-in' },
        409: { description: 'The email already has an account' },
      },
      handler: async ({ body, req }) => {
        const result = await auth.signup(authContext(req), body);
        return { status: 'verificationRequired' in result ? 202 : 201, body: result };
      },
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/login`,
      summary: 'Sign in with email and password (or get an MFA challenge)',
      tag: TAG,
      params: appParams,
      body: loginBody,
      responses: {
        200: {
          description: 'Signed in, or `mfaRequired` with a challenge token for POST /auth/mfa',
          schema: signInOrChallenge,
        },
        401: { description: 'Wrong email or password (one answer for both)' },
        429: { description: 'Too many failed attempts' },
      },
      handler: async ({ body, req }) => ({ body: await auth.login(authContext(req), body) }),
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/anonymous`,
      summary: 'Sign in as a new anonymous user',
      tag: TAG,
      params: appParams,
      responses: { 201: { description: 'Signed in', schema: signIn } },
      handler: async ({ req }) => ({ status: 201, body: await auth.anonymous(authContext(req)) }),
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/refresh`,
      summary: 'Rotate a refresh token for new tokens (a superseded one ends the session)',
      tag: TAG,
      params: appParams,
      body: refreshBody,
      responses: { 200: { description: 'New tokens', schema: signIn } },
      handler: async ({ body, req }) => ({ body: await auth.refresh(authContext(req), body.refreshToken) }),
    }),
    defineRoute({
      ...user,
      method: 'post',
      path: `${base}/logout`,
      summary: 'End the current session',
      tag: TAG,
      params: appParams,
      responses: { 204: { description: 'Signed out' } },
      handler: async ({ req }) => {
        await auth.logout(authContext(req), signedIn(req));
        return { status: 204 };
      },
    }),
    defineRoute({
      ...user,
      method: 'get',
      path: `${base}/me`,
      summary: 'The signed-in user',
      tag: TAG,
      params: appParams,
      responses: { 200: { description: 'The user', schema: userView } },
      handler: async ({ req }) => ({ body: await auth.me(req.ctx.app!.id, signedIn(req)) }),
    }),
    defineRoute({
      ...user,
      method: 'patch',
      path: `${base}/me`,
      summary: "Change the signed-in user's profile (the app's profile fields)",
      tag: TAG,
      params: appParams,
      body: updateMeBody,
      responses: { 200: { description: 'The user', schema: userView } },
      handler: async ({ body, req }) => ({ body: await auth.updateMe(req.ctx.app!.id, signedIn(req), body) }),
    }),
    defineRoute({
      ...user,
      method: 'post',
      path: `${base}/password`,
      summary: 'Change the password (ends every other session)',
      tag: TAG,
      params: appParams,
      body: passwordBody,
      responses: {
        204: { description: 'Changed' },
        401: { description: 'The current password is incorrect' },
        403: { description: 'No password yet and signed in too long ago (`reauthentication_required`): sign in again' },
      },
      handler: async ({ body, req }) => {
        await auth.changePassword(authContext(req), signedIn(req), body);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...user,
      method: 'post',
      path: `${base}/upgrade`,
      summary: 'Give an anonymous account an email and password (same user id, same data)',
      tag: TAG,
      params: appParams,
      body: upgradeBody,
      responses: {
        200: { description: 'Signed in as the upgraded user', schema: signIn },
        202: {
          description:
            'The app requires a verified email: a link went to the address; the account stays anonymous until it is confirmed',
        },
        403: { description: 'Sign-up is closed (`signup_disabled`)' },
        409: { description: 'The email already has an account, or this account is not anonymous' },
      },
      handler: async ({ body, req }) => {
        const result = await auth.upgrade(authContext(req), signedIn(req), body);
        return { status: 'verificationRequired' in result ? 202 : 200, body: result };
      },
    }),
    defineRoute({
      ...user,
      method: 'get',
      path: `${base}/sessions`,
      summary: "The signed-in user's live sessions",
      tag: TAG,
      params: appParams,
      responses: {
        200: { description: 'Sessions', schema: z.object({ items: z.array(sessionView), next: z.null() }) },
      },
      handler: async ({ req }) => ({
        body: { items: await auth.sessions(req.ctx.app!.id, signedIn(req)), next: null },
      }),
    }),
    defineRoute({
      ...user,
      method: 'delete',
      path: `${base}/sessions/:sessionId`,
      summary: 'End one of your sessions',
      tag: TAG,
      params: sessionParams,
      responses: { 204: { description: 'Ended' } },
      handler: async ({ params, req }) => {
        await auth.revokeSession(req.ctx.app!.id, signedIn(req), params.sessionId);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...user,
      before: [deps.requireUser, limitIp],
      method: 'post',
      path: `${base}/verify/request`,
      summary: 'Send (again) the email verification link',
      tag: TAG,
      params: appParams,
      responses: { 202: { description: 'Sent (unless already verified)' } },
      handler: async ({ req }) => {
        await auth.requestVerification(authContext(req), signedIn(req));
        return { status: 202, body: { ok: true } };
      },
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/verify/confirm`,
      summary: 'Confirm an email address with the token from the mail',
      tag: TAG,
      params: appParams,
      body: tokenBody,
      responses: { 200: { description: 'The verified user', schema: userView } },
      handler: async ({ body, req }) => ({ body: await auth.confirmVerification(req.ctx.app!.id, body.token) }),
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/reset/request`,
      summary: 'Mail a password reset link (same answer whether or not the email has an account)',
      tag: TAG,
      params: appParams,
      body: emailBody,
      responses: { 202: { description: 'Accepted' } },
      handler: async ({ body, req }) => {
        await auth.requestReset(authContext(req), body.email);
        return { status: 202, body: { ok: true } };
      },
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/reset/confirm`,
      summary: 'Set a new password with the token from the mail (ends every session)',
      tag: TAG,
      params: appParams,
      body: resetConfirmBody,
      responses: { 204: { description: 'Password changed' } },
      handler: async ({ body, req }) => {
        await auth.confirmReset(authContext(req), body.token, body.password);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/magic-link/request`,
      summary: 'Mail a sign-in link (same answer whether or not the email has an account)',
      tag: TAG,
      params: appParams,
      body: emailBody,
      responses: { 202: { description: 'Accepted' } },
      handler: async ({ body, req }) => {
        await auth.requestMagicLink(authContext(req), body.email);
        return { status: 202, body: { ok: true } };
      },
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/magic-link/confirm`,
      summary: 'Sign in with the token from a magic link',
      tag: TAG,
      params: appParams,
      body: tokenBody,
      responses: { 200: { description: 'Signed in, or an MFA challenge', schema: signInOrChallenge } },
      handler: async ({ body, req }) => ({ body: await auth.confirmMagicLink(authContext(req), body.token) }),
    }),
    defineRoute({
      ...key,
      method: 'post',
      path: `${base}/mfa`,
      summary: 'Finish an MFA sign-in with a TOTP or recovery code',
      tag: TAG,
      params: appParams,
      body: mfaBody,
      responses: { 200: { description: 'Signed in', schema: signIn } },
      handler: async ({ body, req }) => ({ body: await auth.completeMfa(authContext(req), body.mfaToken, body.code) }),
    }),
    defineRoute({
      ...user,
      method: 'post',
      path: `${base}/mfa/totp`,
      summary: 'Start TOTP enrolment: a secret and an otpauth:// URI for the authenticator app',
      tag: TAG,
      params: appParams,
      responses: {
        200: { description: 'The secret', schema: z.object({ secret: z.string(), uri: z.string() }) },
        403: { description: 'Signed in too long ago (`reauthentication_required`): sign in again' },
      },
      handler: async ({ req }) => ({ body: await auth.enrolTotp(authContext(req), signedIn(req)) }),
    }),
    defineRoute({
      ...user,
      method: 'post',
      path: `${base}/mfa/totp/activate`,
      summary: 'Turn TOTP on with a first code; returns recovery codes (shown once)',
      tag: TAG,
      params: appParams,
      body: codeBody,
      responses: {
        200: { description: 'Recovery codes', schema: z.object({ recoveryCodes: z.array(z.string()) }) },
        403: { description: 'Signed in too long ago (`reauthentication_required`): sign in again' },
      },
      handler: async ({ body, req }) => ({ body: await auth.activateTotp(authContext(req), signedIn(req), body.code) }),
    }),
    defineRoute({
      ...user,
      method: 'post',
      path: `${base}/mfa/recovery-codes`,
      summary: 'Replace the recovery codes (needs a current TOTP or recovery code); shown once',
      tag: TAG,
      params: appParams,
      body: codeBody,
      responses: {
        200: { description: 'Recovery codes', schema: z.object({ recoveryCodes: z.array(z.string()) }) },
      },
      handler: async ({ body, req }) => ({
        body: await auth.regenerateRecoveryCodes(authContext(req), signedIn(req), body.code),
      }),
    }),
    defineRoute({
      ...user,
      method: 'delete',
      path: `${base}/mfa/totp`,
      summary: 'Turn TOTP off (needs a current code or a recovery code)',
      tag: TAG,
      params: appParams,
      body: codeBody,
      responses: {
        204: { description: 'Turned off' },
        403: { description: 'Signed in too long ago (`reauthentication_required`): sign in again' },
      },
      handler: async ({ body, req }) => {
        await auth.disableTotp(authContext(req), signedIn(req), body.code);
        return { status: 204 };
      },
    }),
  ];
}
