import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import type { RunningServer } from './jongodb.js';

/**
 * Starts s3rver (an S3 protocol server over a local folder, the npm package) on a free 127.0.0.1
 * port with one bucket, in its own node process started with `--openssl-legacy-provider` (its
 * MaxKeys listing needs it on Node 17+), stopped by pid; the folder is removed at stop. s3rver
 * does not verify request signatures, so signatures are not proven by the S3 suites.
 */
export const S3RVER_BUCKET = 'hearth-test';

export async function startS3rver(): Promise<RunningServer & { endpoint: string; bucket: string }> {
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const dir = mkdtempSync(join(tmpdir(), 'hearth-s3rver-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      bin,
      '--directory',
      dir,
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--silent',
      '--no-vhost-buckets',
      '--configure-bucket',
      S3RVER_BUCKET,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (!pid) throw new Error('s3rver did not start');
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${endpoint}/${S3RVER_BUCKET}?list-type=2&max-keys=1`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`s3rver exited with ${child.exitCode}:\n${log}`);
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`s3rver did not answer on ${endpoint}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: endpoint,
    endpoint,
    bucket: S3RVER_BUCKET,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        process.kill(pid, 'SIGTERM');
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
        }, 5000).unref();
      }),
  };
}
