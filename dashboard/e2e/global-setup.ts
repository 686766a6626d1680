import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, call, ROOT, startServer, STATE_FILE, stopServer, tempDir, type E2EState } from './servers';

/**
 * Builds (unless HEARTH_E2E_NO_BUILD=1, as `pnpm test` has just built), then starts two live
 * servers: "fresh" (no admin yet: the tests go through first-run setup) and "big", whose
 * collection is seeded with HEARTH_E2E_DOCUMENTS documents (default 1,000,000) through the SQLite
 * document store directly while the server is stopped, then started again.
 */
export const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery' };

export default async function globalSetup(): Promise<void> {
  if (process.env.HEARTH_E2E_NO_BUILD !== '1') build();
  const fresh = await startServer(tempDir('hearth-e2e-fresh-'), { ADMIN_ACCESS_TOKEN_TTL: '30' });

  const bigDir = tempDir('hearth-e2e-big-');
  let big = await startServer(bigDir);
  const signedIn = await call<{ accessToken: string }>(big.url, 'POST', '/v1/admin/setup', ADMIN);
  const app = await call<{ id: string }>(big.url, 'POST', '/v1/admin/apps', { name: 'Million' }, signedIn.accessToken);
  await call(
    big.url,
    'POST',
    `/v1/admin/apps/${app.id}/collections`,
    {
      name: 'events',
      fields: [
        { name: 'kind', type: 'string' },
        { name: 'n', type: 'integer' },
        { name: 'ok', type: 'boolean' },
      ],
      rules: { list: 'public', get: 'public' },
    },
    signedIn.accessToken,
  );
  await stopServer(big.pid);

  const documents = Number(process.env.HEARTH_E2E_DOCUMENTS ?? 1_000_000);
  const t0 = Date.now();
  await seed(join(bigDir, 'hearth.db'), app.id, documents);
  const seedSeconds = (Date.now() - t0) / 1000;
  process.stdout.write(
    `e2e: seeded ${documents.toLocaleString()} documents through the SQLite store in ${seedSeconds.toFixed(1)} s\n`,
  );
  big = await startServer(bigDir);

  const state: E2EState = {
    fresh,
    big: { ...big, appId: app.id, collection: 'events', documents, seedSeconds },
    admin: ADMIN,
  };
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}

/** Writes documents with the engine's own batch writes (one transaction per 5,000). */
async function seed(file: string, appId: string, count: number): Promise<void> {
  const mod = (await import(pathToFileURL(join(ROOT, 'server', 'dist', 'engines', 'sqlite', 'index.js')).href)) as {
    openSqliteStore: (o: { file: string }) => {
      forApp(app: string): { batch(ops: unknown[]): Promise<unknown[]> };
      close(): Promise<void>;
    };
  };
  const store = mod.openSqliteStore({ file });
  const app = store.forApp(appId);
  const kinds = ['click', 'view', 'purchase', 'signup', 'share'];
  for (let i = 0; i < count; i += 5000) {
    const ops = [];
    for (let j = i; j < Math.min(count, i + 5000); j++) {
      ops.push({ op: 'create', collection: 'events', data: { kind: kinds[j % kinds.length], n: j, ok: j % 3 === 0 } });
    }
    await app.batch(ops);
  }
  await store.close();
}
