import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * main.ts as a child process, the way an operator starts it: its stdout and stderr kept apart
 * (stdout must stay JSON log lines), its exit awaited, and it is stopped by its pid.
 * `runMain` runs src/main.ts with tsx's loader in the node process itself (no build needed). Not
 * through the tsx CLI: it relays SIGTERM to its child and, when the child has not acknowledged
 * within 30 ms (a loaded machine), SIGKILLs it and exits 143, so a graceful stop looked like a
 * failure now and then. `command` runs something else, e.g. a
 * package script through `sh -c`, in its own process group so that signals reach the server
 * behind the shell, as Ctrl-C in a terminal does.
 */
export const serverDir = join(import.meta.dirname, '..', '..');
export const tsxLoader = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs'),
).href;

export interface MainProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves when stdout and stderr are closed: every process behind a shell is gone too. */
  closed: Promise<void>;
  /** The API's base URL once the banner printed it. */
  url: (ms?: number) => Promise<string>;
  /** SIGTERM (to the group with `command`), SIGKILL after `ms`; resolves with the exit code. */
  stop: (ms?: number) => Promise<number | null>;
}

export function runMain(
  env: Record<string, string>,
  options: { cwd?: string; uid?: number; gid?: number; command?: [string, string[]] } = {},
): MainProcess {
  const [cmd, args] = options.command ?? [process.execPath, ['--import', tsxLoader, join(serverDir, 'src', 'main.ts')]];
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd ?? serverDir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
    detached: options.command !== undefined,
  };
  const child = spawn(cmd, args, spawnOptions);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      if (spawnOptions.detached) process.kill(-child.pid!, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };
  const url = async (ms = 30_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = /API\s+(http:\/\/\S+)\/v1/.exec(err);
      if (m) return m[1]!;
      if (child.exitCode !== null) throw new Error(`main.ts exited with ${child.exitCode}:\n${out}${err}`);
      if (Date.now() > deadline) throw new Error(`main.ts did not start:\n${out}${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async (ms = 10_000) => {
    const timer = setTimeout(() => signal('SIGKILL'), ms);
    signal('SIGTERM');
    const [code] = await Promise.all([exited, closed]);
    clearTimeout(timer);
    return code;
  };
  return { child, stdout: () => out, stderr: () => err, exited, closed, url, stop };
}

/** The exit code, or a failure when the process is still running after `ms` (a hang). */
export async function exitWithin(main: MainProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  const result = await Promise.race([main.exited, hung]);
  clearTimeout(timer);
  if (result === 'hung') {
    main.child.kill('SIGKILL');
    await main.closed;
    throw new Error(`main.ts was still running after ${ms} ms:\n${main.stdout()}${main.stderr()}`);
  }
  return result;
}
