import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitWithin, runMain, type MainProcess } from '../support/main-process.js';

/**
 * What main.ts prints and how it exits when it cannot start: one line naming the variable, exit
 * 78 (1 for a busy port), fast; and when it does start, stdout stays JSON log lines (the banner
 * is on stderr). Runs src/main.ts through tsx, so no build is needed.
 */
const dirs: string[] = [];
const running: MainProcess[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
const start = (...args: Parameters<typeof runMain>) => {
  const main = runMain(...args);
  running.push(main);
  return main;
};

afterAll(async () => {
  await Promise.all(running.map((m) => m.stop(2_000)));
  for (const dir of dirs) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The failure as printed: exit code, stderr's non-empty lines, and stdout (which must stay empty). */
async function failure(env: Record<string, string>, options?: Parameters<typeof runMain>[1]) {
  const main = start(env, options);
  const code = await exitWithin(main, 20_000);
  return { code, lines: main.stderr().split('\n').filter(Boolean), stdout: main.stdout() };
}

describe('a DATA_DIR that cannot be used stops the start with one line naming it', () => {
  it('a path under /proc (used to hang at 100% CPU in a recursive mkdir)', async () => {
    const { code, lines, stdout } = await failure({ DATA_DIR: '/proc/hearth-data' });
    expect(code).toBe(78);
    expect(lines).toEqual([
      'DATA_DIR: cannot use "/proc/hearth-data": "/proc" exists but does not accept new directories (mkdir: ENOENT). Set DATA_DIR to a writable directory.',
    ]);
    expect(stdout).toBe('');
  }, 60_000);

  it('/proc itself (exists, but takes no files)', async () => {
    const { code, lines } = await failure({ DATA_DIR: '/proc' });
    expect(code).toBe(78);
    expect(lines).toEqual([
      expect.stringMatching(/^DATA_DIR: cannot use "\/proc": cannot create files in "\/proc" \(E/),
    ]);
  }, 60_000);

  it('a path the system refuses (EPERM under /sys)', async () => {
    const { code, lines } = await failure({ DATA_DIR: '/sys/hearth-data' });
    expect(code).toBe(78);
    expect(lines).toEqual([
      expect.stringMatching(
        /^DATA_DIR: cannot use "\/sys\/hearth-data": cannot create "\/sys\/hearth-data" \((EPERM|EACCES|EROFS):/,
      ),
    ]);
  }, 60_000);

  it('a file, not a directory', async () => {
    const file = join(tempDir('hearth-datadir-file-'), 'data');
    writeFileSync(file, 'x');
    const { code, lines } = await failure({ DATA_DIR: file });
    expect(code).toBe(78);
    expect(lines).toEqual([
      `DATA_DIR: cannot use "${file}": "${file}" is not a directory. Set DATA_DIR to a writable directory.`,
    ]);
  }, 60_000);

  it('a directory without write permission (EACCES), missing or existing', async () => {
    const parent = tempDir('hearth-datadir-ro-');
    mkdirSync(join(parent, 'existing'));
    chmodSync(join(parent, 'existing'), 0o555);
    chmodSync(parent, 0o555);
    // root may write anywhere: run the server as "nobody" then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const missing = await failure({ DATA_DIR: join(parent, 'data') }, asUser);
    expect(missing.code).toBe(78);
    expect(missing.lines).toEqual([
      `DATA_DIR: cannot use "${join(parent, 'data')}": cannot create "${join(parent, 'data')}" (EACCES: permission denied). Set DATA_DIR to a writable directory.`,
    ]);
    const existing = await failure({ DATA_DIR: join(parent, 'existing') }, asUser);
    expect(existing.code).toBe(78);
    expect(existing.lines).toEqual([
      expect.stringContaining(`cannot create files in "${join(parent, 'existing')}" (EACCES: permission denied)`),
    ]);
  }, 60_000);

  it('a signing secret file that is too short (a truncated secret.key) is refused, not used', async () => {
    const dir = tempDir('hearth-datadir-secret-');
    writeFileSync(join(dir, 'secret.key'), 'short\n');
    const { code, lines } = await failure({ DATA_DIR: dir });
    expect(code).toBe(78);
    expect(lines).toEqual([
      expect.stringMatching(/^DATA_DIR: .*secret\.key" is shorter than 32 characters; set HEARTH_SECRET/),
    ]);
  }, 60_000);
});

describe('other startup errors name the variable', () => {
  it('TRUST_PROXY=banana is refused by validation with the other bad variables (exit 78)', async () => {
    const { code, lines } = await failure({ TRUST_PROXY: 'banana', PORT: 'eighty' });
    expect(code).toBe(78);
    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}- TRUST_PROXY: must be a number of proxies .* \(got "banana"\)$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}- PORT: /));
  }, 60_000);

  it('a port in use names PORT (exit 1: it may free up)', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const { code, lines } = await failure({ PORT: String(port), DATA_DIR: tempDir('hearth-port-') });
      expect(code).toBe(1);
      expect(lines).toContainEqual(`PORT: 127.0.0.1:${port} is already in use by another process (EADDRINUSE)`);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 60_000);
});

describe('startup output', () => {
  it('stdout is JSON log lines only; the banner is on stderr and names the data directory and .env', async () => {
    const cwd = tempDir('hearth-banner-');
    const main = start({}, { cwd });
    const url = await main.url();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await main.stop()).toBe(0);
    const lines = main.stdout().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.map((l) => JSON.parse(l).msg)).toContainEqual(expect.stringMatching(/^Hearth \S+ is listening$/));
    const banner = main.stderr();
    expect(banner).toMatch(
      /Hearth \S+ is running \(document store: sqlite, files: disk, mail: outbox, rate limits: memory, jobs: sqlite\)/,
    );
    expect(banner).toContain(`API          ${url}/v1`);
    expect(banner).toContain(`Data         ${join(cwd, 'data')}`);
    expect(banner).toContain(`Config       environment variables (no ${join(cwd, '.env')})`);
  }, 60_000);
});

describe('a PUSH_CA_FILE that cannot be read stops the start with one line naming it', () => {
  it('a missing file', async () => {
    const { code, lines, stdout } = await failure({ PUSH_CA_FILE: '/nonexistent/hearth-ca.pem' });
    expect(code).toBe(78);
    expect(lines).toEqual(['PUSH_CA_FILE: cannot read /nonexistent/hearth-ca.pem (ENOENT)']);
    expect(stdout).toBe('');
  }, 60_000);
});
