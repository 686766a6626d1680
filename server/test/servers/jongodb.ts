import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * Starts the MongoDB-wire test server shipped by @jongodb/memory-server-bin-linux-x64-gnu on a
 * free 127.0.0.1 port and resolves once it prints its URI. Stop it with `stop()` (by pid).
 * It is partial (see ENVIRONMENT.md): conformance cases it cannot serve are marked, not dropped.
 */
export interface RunningServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export function jongodbBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
  return join(dirname(pkg), 'bin', 'jongodb');
}

export async function startJongodb(): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(jongodbBinary(), ['--host=127.0.0.1', `--port=${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (!pid) throw new Error('jongodb did not start');
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jongodb did not become ready:\n${log}`)), 30_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /JONGODB_URI=(\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(`mongodb://127.0.0.1:${port}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`jongodb exited with ${code}:\n${log}`));
    });
  });
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();
  return {
    url,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(pid, 'SIGTERM');
        setTimeout(() => {
          if (child.exitCode === null) process.kill(pid, 'SIGKILL');
        }, 5000).unref();
      }),
  };
}
