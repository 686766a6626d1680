import { defineRoute, type RouteSpec } from '../../http/route.js';
import { appParams, AUTH_BASE, AUTH_TAG, authContext, signedIn, type AppUserGuards } from './app-user.routes-kit.js';
import { emailBody, resetConfirmBody, signInOrChallenge, tokenBody, userView } from './auth.schema.js';
import type { MailLinksService } from './mail-links.service.js';

/** Email verification, password reset and magic links: the JSON routes (the HTML pages: link-pages.routes.ts). */
export function mailLinkRoutes(deps: { mailLinks: MailLinksService; guards: AppUserGuards }): RouteSpec[] {
  const { mailLinks, guards } = deps;
  return [
    defineRoute({
      ...guards.userLimited,
      method: 'post',
      path: `${AUTH_BASE}/verify/request`,
      summary: 'Send (again) the email verification link',
      tag: AUTH_TAG,
      params: appParams,
      responses: { 202: { description: 'Sent (unless already verified)' } },
      handler: async ({ req }) => {
        await mailLinks.requestVerification(authContext(req), signedIn(req));
        return { status: 202, body: { ok: true } };
      },
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/verify/confirm`,
      summary: 'Confirm an email address with the token from the mail (completes a pending upgrade)',
      tag: AUTH_TAG,
      params: appParams,
      body: tokenBody,
      responses: {
        200: { description: 'The verified user', schema: userView },
        409: { description: 'A pending upgrade: the address got an account meanwhile' },
      },
      handler: async ({ body, params }) => ({ body: await mailLinks.confirmVerification(params.appId, body.token) }),
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/reset/request`,
      summary: 'Mail a password reset link (same answer whether or not the email has an account)',
      tag: AUTH_TAG,
      params: appParams,
      body: emailBody,
      responses: { 202: { description: 'Accepted' } },
      handler: async ({ body, req }) => {
        await mailLinks.requestReset(authContext(req), body.email);
        return { status: 202, body: { ok: true } };
      },
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/reset/confirm`,
      summary: 'Set a new password with the token from the mail (ends every session)',
      tag: AUTH_TAG,
      params: appParams,
      body: resetConfirmBody,
      responses: { 204: { description: 'Password changed' } },
      handler: async ({ body, req }) => {
        await mailLinks.confirmReset(authContext(req), body.token, body.password);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/magic-link/request`,
      summary: 'Mail a sign-in link (same answer whether or not the email has an account)',
      tag: AUTH_TAG,
      params: appParams,
      body: emailBody,
      responses: { 202: { description: 'Accepted' } },
      handler: async ({ body, req }) => {
        await mailLinks.requestMagicLink(authContext(req), body.email);
        return { status: 202, body: { ok: true } };
      },
    }),
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/magic-link/confirm`,
      summary: 'Sign in with the token from a magic link',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      body: tokenBody,
      responses: { 200: { description: 'Signed in, or an MFA challenge', schema: signInOrChallenge } },
      handler: async ({ body, req }) => ({ body: await mailLinks.confirmMagicLink(authContext(req), body.token) }),
    }),
  ];
}
