import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirError, dataDirNeeded, prepareDataDir } from './data-dir.js';
import { resolveSigningSecret } from './secret.js';

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-data-dir-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('prepareDataDir', () => {
  it('resolves a relative DATA_DIR against the given working directory and creates every missing level', () => {
    const cwd = temp();
    expect(prepareDataDir('./state/a/b', cwd)).toBe(join(cwd, 'state', 'a', 'b'));
    expect(statSync(join(cwd, 'state', 'a', 'b')).isDirectory()).toBe(true);
    // The write probe leaves nothing behind, and a second run accepts the existing directory.
    expect(readdirSync(join(cwd, 'state', 'a', 'b'))).toEqual([]);
    expect(prepareDataDir(join(cwd, 'state', 'a', 'b'), '/')).toBe(join(cwd, 'state', 'a', 'b'));
  });

  it('refuses a file, and a path below a file, naming DATA_DIR', () => {
    const cwd = temp();
    writeFileSync(join(cwd, 'f'), 'x');
    expect(() => prepareDataDir('f', cwd)).toThrow(DataDirError);
    expect(() => prepareDataDir('f', cwd)).toThrow(/^DATA_DIR: cannot use "f": ".*\/f" is not a directory/);
    expect(() => prepareDataDir('f/sub', cwd)).toThrow(/^DATA_DIR: cannot use "f\/sub": .*ENOTDIR/);
    expect(existsSync(join(cwd, 'f', 'sub'))).toBe(false);
  });

  it('fails fast under /proc, where a recursive mkdir never returns', () => {
    const t0 = Date.now();
    expect(() => prepareDataDir('/proc/hearth/x', '/')).toThrow(
      'DATA_DIR: cannot use "/proc/hearth/x": "/proc" exists but does not accept new directories (mkdir: ENOENT).',
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('is only needed when something lives there', () => {
    const secret = 'x'.repeat(32);
    const all = { MONGODB_URL: 'mongodb://db', S3_BUCKET: 'files', HEARTH_SECRET: secret };
    expect(dataDirNeeded(all)).toBe(false);
    expect(dataDirNeeded({ ...all, MONGODB_URL: undefined })).toBe(true); // SQLite
    expect(dataDirNeeded({ ...all, S3_BUCKET: undefined })).toBe(true); // files on disk
    expect(dataDirNeeded({ ...all, HEARTH_SECRET: undefined })).toBe(true); // a generated secret
  });
});

describe('the generated signing secret file', () => {
  it("appears whole: a second process finds the first one's secret, and no temporary file is left", () => {
    const dir = temp();
    const first = resolveSigningSecret(undefined, dir);
    const second = resolveSigningSecret(undefined, dir);
    expect(second).toEqual({ secret: first.secret, source: 'file' });
    expect(readdirSync(dir)).toEqual(['secret.key']);
  });

  it('a truncated or empty file is refused instead of signing with it', () => {
    for (const content of ['', 'short\n']) {
      const dir = temp();
      writeFileSync(join(dir, 'secret.key'), content);
      expect(() => resolveSigningSecret(undefined, dir)).toThrow(
        /^DATA_DIR: .*secret\.key" is shorter than 32 characters/,
      );
    }
  });
});
