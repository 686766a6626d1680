import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { appParams, AUTH_BASE, AUTH_TAG, authContext, signedIn, type AppUserGuards } from './app-user.routes-kit.js';
import { codeBody, mfaBody, signIn } from './auth.schema.js';
import type { MfaService } from './mfa.service.js';

const recoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
const tooOld = { description: 'Signed in too long ago (`reauthentication_required`): sign in again' };

/** The MFA step of a sign-in, and TOTP enrolment, recovery codes, turning TOTP off. */
export function mfaRoutes(deps: { mfa: MfaService; guards: AppUserGuards }): RouteSpec[] {
  const { mfa, guards } = deps;
  return [
    defineRoute({
      ...guards.key,
      method: 'post',
      path: `${AUTH_BASE}/mfa`,
      summary: 'Finish an MFA sign-in with a TOTP or recovery code',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      body: mfaBody,
      responses: { 200: { description: 'Signed in', schema: signIn } },
      handler: async ({ body, req }) => ({ body: await mfa.completeMfa(authContext(req), body.mfaToken, body.code) }),
    }),
    defineRoute({
      ...guards.user,
      method: 'post',
      path: `${AUTH_BASE}/mfa/totp`,
      summary: 'Start TOTP enrolment: a secret and an otpauth:// URI for the authenticator app',
      tag: AUTH_TAG,
      params: appParams,
      responses: {
        200: { description: 'The secret', schema: z.object({ secret: z.string(), uri: z.string() }) },
        403: tooOld,
      },
      handler: async ({ req }) => ({ body: await mfa.enrolTotp(authContext(req), signedIn(req)) }),
    }),
    defineRoute({
      ...guards.user,
      method: 'post',
      path: `${AUTH_BASE}/mfa/totp/activate`,
      summary: 'Turn TOTP on with a first code; returns recovery codes (shown once)',
      tag: AUTH_TAG,
      params: appParams,
      body: codeBody,
      responses: { 200: { description: 'Recovery codes', schema: recoveryCodes }, 403: tooOld },
      handler: async ({ body, req }) => ({ body: await mfa.activateTotp(authContext(req), signedIn(req), body.code) }),
    }),
    defineRoute({
      ...guards.user,
      method: 'post',
      path: `${AUTH_BASE}/mfa/recovery-codes`,
      summary: 'Replace the recovery codes (needs a current TOTP or recovery code); shown once',
      tag: AUTH_TAG,
      params: appParams,
      body: codeBody,
      responses: { 200: { description: 'Recovery codes', schema: recoveryCodes } },
      handler: async ({ body, req }) => ({
        body: await mfa.regenerateRecoveryCodes(authContext(req), signedIn(req), body.code),
      }),
    }),
    defineRoute({
      ...guards.user,
      method: 'delete',
      path: `${AUTH_BASE}/mfa/totp`,
      summary: 'Turn TOTP off (needs a current code or a recovery code)',
      tag: AUTH_TAG,
      params: appParams,
      body: codeBody,
      responses: { 204: { description: 'Turned off' }, 403: tooOld },
      handler: async ({ body, req }) => {
        await mfa.disableTotp(authContext(req), signedIn(req), body.code);
        return { status: 204 };
      },
    }),
  ];
}
