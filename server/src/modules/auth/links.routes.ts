import express, { type Router } from 'express';
import { HearthError } from '../../errors.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type { AppsService } from '../admin/apps.service.js';
import type { AuthService } from './auth.service.js';

/**
 * The pages mail links open when the app has not configured its own (`links` in the auth
 * settings): plain HTML under /v1/apps/{appId}/auth/links/…, reachable from a mail client, so
 * without the app's key. Email verification completes here; reset and magic links need the app
 * (its page reads `?token=` and calls the JSON confirm route), so their default page says so.
 */
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem"><h1>${title}</h1>${body}</body></html>`;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function linkPages(deps: { apps: AppsService; auth: AuthService }): Router {
  const router = express.Router({ mergeParams: true });
  router.use(async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const appId = String((req.params as { appId?: string }).appId ?? '');
    const app = ID_PATTERN.test(appId) ? await deps.apps.find(appId) : null;
    if (!app) return next(new HearthError('not_found', 'No such app.'));
    res.locals.appName = app.name;
    next();
  });

  router.get('/verify', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const appName = escapeHtml(String(res.locals.appName));
    try {
      const user = await deps.auth.confirmVerification(String((req.params as { appId?: string }).appId), token);
      res
        .type('html')
        .send(
          page(
            'Email confirmed',
            `<p>${escapeHtml(user.email ?? '')} is confirmed for ${appName}. You can close this page.</p>`,
          ),
        );
    } catch (e) {
      if (!(e instanceof HearthError) || e.code !== 'unauthorized') throw e;
      res
        .status(400)
        .type('html')
        .send(
          page(
            'Link not valid',
            `<p>This confirmation link for ${appName} was already used or has expired. Ask the app for a new one.</p>`,
          ),
        );
    }
  });

  for (const kind of ['reset', 'magic-link'] as const) {
    router.get(`/${kind}`, (_req, res) => {
      const appName = escapeHtml(String(res.locals.appName));
      res
        .status(200)
        .type('html')
        .send(
          page(
            kind === 'reset' ? 'Reset your password' : 'Sign in',
            `<p>Open this link on the device where you use ${appName}. (The app's developer sets where these links lead in the app's auth settings: <code>links.${kind === 'reset' ? 'reset' : 'magicLink'}</code>.)</p>`,
          ),
        );
    });
  }
  return router;
}
