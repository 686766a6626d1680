import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './free-port.js';
import type { RunningServer } from './jongodb.js';

/**
 * Starts a real redis-server (the Debian package; `.ci/run` installs it) on a free 127.0.0.1
 * port, with no persistence, in the foreground so it is stopped by its pid. Resolves once it
 * answers PING. A missing binary is an error that says how to install it: the Redis suites must
 * never be skipped silently.
 */
export const REDIS_SERVER_BIN = process.env.HEARTH_TEST_REDIS_SERVER || 'redis-server';

export function assertRedisServerInstalled(bin = REDIS_SERVER_BIN): void {
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server is required by the tests but "${bin} --version" failed` +
        ` (${probe.error?.message ?? `exit ${probe.status}`}).\n` +
        `Install it: apt-get install -y redis-server (or run .ci/run, which does), ` +
        `or point HEARTH_TEST_REDIS_SERVER at the binary.`,
    );
  }
}

/** `port`: restart on a known port (a test bringing "the same" Redis back); default a free one. `args`: more options. */
export async function startRedis(
  options: { port?: number; args?: string[] } = {},
): Promise<RunningServer & { port: number }> {
  assertRedisServerInstalled();
  const port = options.port ?? (await freePort());
  const child = spawn(
    REDIS_SERVER_BIN,
    // `args` come last, so they override (e.g. `--appendonly yes --dir …` for a durable restart)
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (!pid) throw new Error('redis-server did not start');
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${log}`))),
  );
  exited.catch(() => undefined);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await ping(port)) break;
    if (child.exitCode !== null) await exited;
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      throw new Error(`redis-server did not answer PING on 127.0.0.1:${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(pid, 'SIGTERM');
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
        }, 5000).unref();
      }),
  };
}

/** True when something on 127.0.0.1:port answers a RESP PING with +PONG. */
export function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}
