import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain, serverDir, type MainProcess } from '../support/main-process.js';

/**
 * `pnpm start` keeps its data in ./data at the repository root and reads the root's .env, as the
 * README says. The built server is started with the very scripts `pnpm start` runs (the root's
 * `serve`, and the server package's `serve`, run by `sh -c` as pnpm does) in a copy of the
 * repository's layout: a temporary root whose server/dist links to the real build, with a decoy
 * server/.env that must not be read. Needs a build (`pnpm test` builds first).
 */
const repoRoot = join(serverDir, '..');
const scripts = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const rootScripts = scripts(repoRoot);
const serverScripts = scripts(serverDir);

const ADMIN = { email: 'root-env@example.com', password: 'from the root .env file' };
const DECOY = { email: 'server-env@example.com', password: 'from the server .env file' };

describe('pnpm start: data and .env at the repository root', () => {
  let root: string;
  const running: MainProcess[] = [];

  beforeAll(() => {
    expect(existsSync(join(serverDir, 'dist', 'main.js')), 'server/dist/main.js is missing: run pnpm build').toBe(true);
    root = mkdtempSync(join(tmpdir(), 'hearth-root-'));
    mkdirSync(join(root, 'server'));
    symlinkSync(join(serverDir, 'dist'), join(root, 'server', 'dist'));
    writeFileSync(join(root, '.env'), `HEARTH_ADMIN_EMAIL=${ADMIN.email}\nHEARTH_ADMIN_PASSWORD="${ADMIN.password}"\n`);
    writeFileSync(
      join(root, 'server', '.env'),
      `HEARTH_ADMIN_EMAIL=${DECOY.email}\nHEARTH_ADMIN_PASSWORD="${DECOY.password}"\nDATA_DIR=./decoy-data\n`,
    );
  });
  afterAll(async () => {
    await Promise.all(running.map((m) => m.stop(2_000)));
    rmSync(root, { recursive: true, force: true });
  });

  it('`pnpm start` is the build, then the root `serve` script', () => {
    expect(rootScripts.start).toBe('pnpm run build && pnpm run serve');
  });

  it.each([
    ['the root `serve` script, from the root', () => rootScripts.serve!, () => root],
    ['the server package `serve` script, from server/', () => serverScripts.serve!, () => join(root, 'server')],
  ])(
    '%s',
    async (_name, script, cwd) => {
      rmSync(join(root, 'data'), { recursive: true, force: true });
      const main = runMain({ LOG_LEVEL: 'info' }, { cwd: cwd(), command: ['sh', ['-c', script()]] });
      running.push(main);
      const url = await main.url();
      expect(existsSync(join(root, 'data', 'hearth.db'))).toBe(true);
      expect(existsSync(join(root, 'data', 'secret.key'))).toBe(true);
      expect(existsSync(join(root, 'server', 'data'))).toBe(false);
      expect(existsSync(join(root, 'server', 'decoy-data'))).toBe(false);
      expect(main.stderr()).toContain(`Data         ${join(root, 'data')}`);
      expect(main.stderr()).toContain(`Config       ${join(root, '.env')} (environment variables win)`);
      // The root .env's bootstrap admin exists; the decoy's does not.
      expect(await (await fetch(`${url}/v1/admin/setup`)).json()).toEqual({ needed: false });
      const login = (who: typeof ADMIN) =>
        fetch(`${url}/v1/admin/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(who),
        });
      expect((await login(ADMIN)).status).toBe(200);
      expect((await login(DECOY)).status).toBe(401);
      // SIGTERM to the group, as Ctrl-C would: the server behind the shell drains and stops.
      await main.stop();
      expect(main.stdout()).toContain('"msg":"stopped"');
    },
    60_000,
  );
});
