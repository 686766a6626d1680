import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './servers';

/**
 * A Hearth server in this test process, built from server/dist like main.ts does, but with its
 * push providers trusting the local Web Push receiver's certificate and allowed to reach
 * 127.0.0.1 (main.ts never allows private push endpoints, and a real browser's push service is
 * not reachable offline). Everything else is the production wiring: SQLite, the embedded queue.
 */
const dist = (p: string) => import(pathToFileURL(join(ROOT, 'server', 'dist', p)).href);

export interface PushHearth {
  url: string;
  close(): Promise<void>;
}

export async function startPushHearth(ca: string): Promise<PushHearth> {
  const { pino } = createRequire(join(ROOT, 'server', 'package.json'))('pino') as {
    pino: (o: { level: string }) => unknown;
  };
  const [{ composeEngines }, { buildApp }, { runMigrations, MIGRATIONS }, http] = await Promise.all([
    dist('engines/compose.js'),
    dist('app.js'),
    dist('migrations/index.js'),
    import('node:http'),
  ]);
  // The local receiver listens on 127.0.0.1: allow private endpoints, as OUTBOUND_ALLOW_PRIVATE does.
  const outbound = { allowPrivate: true, allowCidrs: [] };
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-push-'));
  const logger = pino({ level: 'warn' });
  const ports = await composeEngines({
    dataDir,
    mongodbDb: 'hearth',
    mailFrom: 'Hearth <no-reply@localhost>',
    logger,
    push: { ca, outbound },
  });
  await runMigrations({ store: ports.store, logger, migrations: MIGRATIONS });
  const server: Server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const built = await buildApp(ports, {
    logger,
    secret: 'e2e-push-secret-0123456789-0123456789-abcdef',
    version: 'e2e',
    publicUrl: url,
    dashboardDir: join(ROOT, 'dashboard', 'dist'),
    outbound,
  });
  server.on('request', built.app);
  const detach = built.attach(server);
  return {
    url,
    close: async () => {
      await detach();
      await new Promise<void>((r) => server.close(() => r()));
      await built.settle();
      await ports.close();
    },
  };
}
