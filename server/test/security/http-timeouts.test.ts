import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * "Also seen" in the security probe: a slowly trickled request body kept its connection open
 * past 80 s. main.ts now sets the header, request and keep-alive timeouts from the configuration
 * (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEPALIVE_TIMEOUT_MS); here they are
 * short, and each kind of slow client is cut off soon after its timeout. Runs src/main.ts with tsx.
 */
const serverDir = join(import.meta.dirname, '..', '..');
const tsx = join(serverDir, 'node_modules', '.bin', 'tsx');

describe('HTTP timeouts (main.ts)', () => {
  let dataDir: string;
  let child: ChildProcess;
  let port: number;
  let output = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-timeouts-'));
    child = spawn(tsx, [join(serverDir, 'src', 'main.ts')], {
      cwd: serverDir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        HTTP_HEADERS_TIMEOUT_MS: '1000',
        HTTP_REQUEST_TIMEOUT_MS: '1500',
        HTTP_KEEPALIVE_TIMEOUT_MS: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /API\s+http:\/\/[^:]+:(\d+)\/v1/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    });
  });
  afterAll(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Opens a connection, runs `feed` on it, and resolves with what the server sent and when it closed. */
  const slowClient = (feed: (write: (s: string) => void) => () => void) =>
    new Promise<{ received: string; closedAfterMs: number }>((resolve) => {
      const started = performance.now();
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let stop = () => {};
      socket.on('connect', () => (stop = feed((s) => socket.writable && socket.write(s))));
      socket.on('data', (d) => (received += d.toString()));
      socket.on('error', () => {});
      socket.on('close', () => {
        stop();
        resolve({ received, closedAfterMs: performance.now() - started });
      });
    });

  it('a body trickled one byte at a time is cut off after HTTP_REQUEST_TIMEOUT_MS with 408', async () => {
    const { received, closedAfterMs } = await slowClient((write) => {
      write(
        'POST /v1/admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
      );
      const timer = setInterval(() => write(' '), 100);
      return () => clearInterval(timer);
    });
    expect(received).toMatch(/^HTTP\/1.1 408/);
    expect(closedAfterMs).toBeGreaterThan(1400);
    expect(closedAfterMs).toBeLessThan(5000);
  });

  it('headers that never end are cut off after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { received, closedAfterMs } = await slowClient((write) => {
      write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const timer = setInterval(() => write('X-Slow: 1\r\n'), 100);
      return () => clearInterval(timer);
    });
    expect(received).toMatch(/^HTTP\/1.1 408/);
    expect(closedAfterMs).toBeGreaterThan(900);
    expect(closedAfterMs).toBeLessThan(4000);
  });

  it('an idle keep-alive connection is closed after HTTP_KEEPALIVE_TIMEOUT_MS', async () => {
    const { received, closedAfterMs } = await slowClient((write) => {
      write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      return () => {};
    });
    expect(received).toMatch(/^HTTP\/1.1 200/);
    expect(closedAfterMs).toBeGreaterThan(900);
    expect(closedAfterMs).toBeLessThan(4000);
  });
});
