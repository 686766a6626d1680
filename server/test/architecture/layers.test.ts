import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The lint step's layer check (scripts/check-layers.mjs over .dependency-cruiser.cjs) passes on
 * this repository and fails on planted violations: an engine importing a module, a module
 * reaching into another module's files, an http/ file importing a module, a file-level cycle and
 * a cycle between two module folders that no single file closes.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const check = (root?: string) =>
  spawnSync(process.execPath, [join(repo, 'scripts', 'check-layers.mjs'), ...(root ? ['--root', root] : [])], {
    encoding: 'utf8',
  });

const planted = mkdtempSync(join(tmpdir(), 'hearth-layers-'));
afterAll(() => rmSync(planted, { recursive: true, force: true }));

function plant(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const file = join(planted, 'server', 'src', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

describe('layer lint', () => {
  it('passes on the repository', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^layers: ok/);
  });

  it('fails on planted upward imports, cross-module reach-ins and cycles, naming each', () => {
    plant({
      'errors.ts': 'export const E = 1;\n',
      'engines/sqlite/index.ts': "import { signIn } from '../../modules/auth/sign-in.js';\nexport const x = signIn;\n",
      'modules/auth/sign-in.ts': "import { where } from '../collections/where.js';\nexport const signIn = where;\n",
      'modules/collections/where.ts': 'export const where = 1;\n',
      'http/route.ts': "import { signIn } from '../modules/auth/sign-in.js';\nexport const r = signIn;\n",
      'lib/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'lib/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      // Folder cycle: billing/index → quotas/index, quotas/usage → billing/index (no file cycle).
      'modules/billing/index.ts': "import { q } from '../quotas/index.js';\nexport const billing = q;\n",
      'modules/quotas/index.ts': 'export const q = 1;\n',
      'modules/quotas/usage.ts': "import { billing } from '../billing/index.js';\nexport const u = billing;\n",
    });
    const run = check(planted);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'engines-below-modules-and-http: server/src/engines/sqlite/index.ts → server/src/modules/auth/sign-in.ts',
    );
    expect(run.stderr).toContain(
      'modules-through-their-index: server/src/modules/auth/sign-in.ts → server/src/modules/collections/where.ts',
    );
    expect(run.stderr).toContain(
      'http-kit-below-modules: server/src/http/route.ts → server/src/modules/auth/sign-in.ts',
    );
    expect(run.stderr).toMatch(/no-circular: server\/src\/lib\/[ab]\.ts/);
    expect(run.stderr).toContain('no-folder-cycles: modules/billing ⇄ modules/quotas');
  });
});
