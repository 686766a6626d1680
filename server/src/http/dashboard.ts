import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';

/** Serves the built dashboard at /dashboard (a single-page app), or a page saying how to build it. */
export function mountDashboard(app: Express, dir: string | null, htmlHeaders: RequestHandler): void {
  app.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
  app.use('/dashboard', htmlHeaders);
  if (dir && existsSync(join(dir, 'index.html'))) {
    app.use('/dashboard', express.static(dir, { index: 'index.html', maxAge: '1h', setHeaders: noCacheHtml }));
    // Client-side routes of the single-page app.
    app.get('/dashboard{/*path}', (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(join(dir, 'index.html'));
    });
  } else {
    app.get('/dashboard{/*path}', (_req, res) => {
      res
        .status(503)
        .type('html')
        .send(
          '<!doctype html><title>Hearth</title><p>The dashboard is not built. Run <code>pnpm build</code> and restart.</p>',
        );
    });
  }
}

function noCacheHtml(res: express.Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}
