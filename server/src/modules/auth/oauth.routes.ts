import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { invalidRequest, isHearthError, notFound } from '../../errors.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type { AppsService } from '../apps/index.js';
import { signInOrChallenge } from './auth.schema.js';
import { AUTH_TAG, appParams, authContext } from './app-user.routes-kit.js';
import { FLOW_COOKIE, type OidcService } from './oidc.js';

/**
 * OAuth / OpenID Connect routes. The browser legs (start, callback) are opened by a browser, so
 * they take no app key and are mounted before the key check; the code exchange is a normal
 * keyed API route.
 */
const PROVIDER = /^[a-z][a-z0-9_-]{0,31}$/;

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function oauthBrowserRoutes(deps: {
  apps: AppsService;
  oidc: OidcService;
  secureCookies: boolean;
  /** Counts a sign-in style request from this IP (throws rate_limited). */
  hitIp: (appId: string, ip: string) => Promise<void>;
}): Router {
  const router = express.Router({ mergeParams: true });
  const cookiePath = (appId: string) => `/v1/apps/${appId}/auth/oauth`;

  router.use(async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const appId = String((req.params as { appId?: string }).appId ?? '');
    const provider = String((req.params as { provider?: string }).provider ?? '');
    const app = ID_PATTERN.test(appId) ? await deps.apps.find(appId) : null;
    if (!app) return next(notFound('No such app.'));
    if (!PROVIDER.test(provider)) return next(notFound('No such sign-in provider.'));
    req.ctx.app = { id: app.id, name: app.name, settings: app.settings };
    next();
  });

  router.get('/', async (req, res) => {
    const { appId, provider } = req.params as { appId: string; provider: string };
    const redirectTo = typeof req.query.redirectTo === 'string' ? req.query.redirectTo : '';
    if (!redirectTo) throw invalidRequest('redirectTo is required.', { parameter: 'redirectTo' });
    await deps.hitIp(appId, req.ip ?? 'unknown');
    const { url, binding } = await deps.oidc.start(appId, provider, redirectTo);
    res.cookie(FLOW_COOKIE, binding, {
      httpOnly: true,
      // Lax is not enough for Apple's cross-site form_post callback.
      sameSite: provider === 'apple' ? 'none' : 'lax',
      secure: deps.secureCookies || provider === 'apple',
      path: cookiePath(appId),
      maxAge: 600_000,
    });
    res.redirect(302, url);
  });

  const callback = async (req: Request, res: express.Response) => {
    const { appId, provider } = req.params as { appId: string; provider: string };
    const params = new URLSearchParams();
    const source =
      req.method === 'POST' ? (req.body as Record<string, unknown>) : (req.query as Record<string, unknown>);
    for (const [k, v] of Object.entries(source ?? {})) if (typeof v === 'string') params.set(k, v);
    const binding = readCookie(req, FLOW_COOKIE);
    res.clearCookie(FLOW_COOKIE, { path: cookiePath(appId) });
    try {
      const { redirect } = await deps.oidc.callback(authContext(req), provider, params, binding);
      res.redirect(303, redirect);
    } catch (e) {
      if (!isHearthError(e) || e.status >= 500) throw e;
      res
        .status(400)
        .type('html')
        .send(
          '<!doctype html><title>Sign-in failed</title><p>This sign-in link is not valid any more. Start again from the app.</p>',
        );
    }
  };
  router.get('/callback', callback);
  // Apple answers with a form post.
  router.post('/callback', express.urlencoded({ extended: false, limit: '64kb' }), callback);
  return router;
}

export function oauthRoutes(deps: { oidc: OidcService }): RouteSpec[] {
  return [
    defineRoute({
      security: ['appKey'],
      method: 'post',
      path: '/v1/apps/:appId/auth/oauth/token',
      summary: 'Exchange the one-time code from the OAuth redirect for tokens (or an MFA challenge)',
      tag: AUTH_TAG,
      params: appParams,
      headers: { installation: true },
      body: z.strictObject({ code: z.string().min(1).max(200) }),
      responses: { 200: { description: 'Signed in', schema: signInOrChallenge } },
      handler: async ({ body, req }) => ({ body: await deps.oidc.redeem(authContext(req), body.code) }),
    }),
  ];
}
