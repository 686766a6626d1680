import { closeSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from './schema.js';
import { StartupError } from './startup-error.js';

/**
 * DATA_DIR made ready before anything opens a file in it: created when missing, then proven
 * writable with a probe file. Anything wrong is one line naming DATA_DIR (main.ts prints it and
 * exits 78, like a bad variable), never a hang or a stack trace.
 *
 * Why not `mkdirSync(dir, { recursive: true })`: Node's native recursive mkdir loops forever when
 * a parent exists but cannot hold the child. Under /proc, `mkdir("/proc/x")` is ENOENT, so it
 * steps back to `mkdir("/proc")`, which is EEXIST, so it steps forward again, at 100% CPU (strace
 * shows the pair repeating; `node -e "fs.mkdirSync('/proc/x',{recursive:true})"` never returns).
 * The walk below creates one missing level at a time and stops at the first failure.
 */
export class DataDirError extends StartupError {
  constructor(configured: string, problem: string) {
    super('DATA_DIR', `cannot use ${JSON.stringify(configured)}: ${problem}. Set DATA_DIR to a writable directory.`);
    this.name = 'DataDirError';
  }
}

/** Whether this configuration keeps anything in DATA_DIR (the SQLite file, files on disk, the generated secret). */
export function dataDirNeeded(config: Pick<Config, 'MONGODB_URL' | 'HEARTH_SECRET' | 'S3_BUCKET'>): boolean {
  // SQLite, the disk file store and a generated signing secret live there.
  return !config.MONGODB_URL || !config.S3_BUCKET || !config.HEARTH_SECRET;
}

/**
 * Resolves `configured` against `cwd` (the server's working directory: the repository root for
 * `pnpm start`), creates it when missing, and checks that files can be created in it. Returns the
 * absolute path; throws DataDirError.
 */
export function prepareDataDir(configured: string, cwd: string): string {
  const dir = resolve(cwd, configured);
  const fail = (problem: string) => new DataDirError(configured, problem);
  createMissing(dir, fail);
  const probe = join(dir, `.hearth-write-check-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'ok\n');
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (e) {
    throw fail(`cannot create files in ${JSON.stringify(dir)} (${short(e)})`);
  }
  return dir;
}

function createMissing(dir: string, fail: (problem: string) => DataDirError): void {
  const missing: string[] = [];
  for (let path = dir; ;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (e) {
      if (code(e) !== 'ENOENT') throw fail(`cannot look at ${JSON.stringify(path)} (${short(e)})`);
      missing.push(path);
      const parent = dirname(path);
      if (parent === path) throw fail(`the root ${JSON.stringify(path)} does not exist`);
      path = parent;
      continue;
    }
    if (!isDirectory) throw fail(`${JSON.stringify(path)} is not a directory`);
    break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (e) {
      // Another process (a second replica sharing the volume) may have just created it.
      if (code(e) === 'EEXIST' && statSync(path, { throwIfNoEntry: false })?.isDirectory()) continue;
      const parent = JSON.stringify(dirname(path));
      throw fail(
        code(e) === 'ENOENT'
          ? `${parent} exists but does not accept new directories (mkdir: ENOENT)`
          : `cannot create ${JSON.stringify(path)} (${short(e)})`,
      );
    }
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/** "EACCES: permission denied" out of "EACCES: permission denied, mkdir '/x'". */
function short(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split(', ')[0] ?? message;
}
