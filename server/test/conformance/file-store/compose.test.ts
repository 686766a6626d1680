import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { composeEngines } from '../../../src/engines/compose.js';
import { s3rverSettings } from './targets.js';

/** composeEngines picks the file store from the settings and checks it in /readyz. */
describe('file store in the composition root', () => {
  const base = () => ({
    dataDir: mkdtempSync(join(tmpdir(), 'hearth-compose-')),
    mongodbDb: 'hearth',
    mailFrom: 'Hearth <no-reply@localhost>',
    logger: pino({ level: 'silent' }),
  });

  it('without S3 settings: disk in DATA_DIR/files, with a readiness check', async () => {
    const settings = base();
    const ports = await composeEngines(settings);
    try {
      expect(ports.files.engine).toBe('disk');
      expect(ports.engines.files).toBe('disk');
      const check = ports.readiness.find((r) => r.name === 'fileStore');
      expect(check?.engine).toBe('disk');
      await check!.check();
    } finally {
      await ports.close();
      rmSync(settings.dataDir, { recursive: true, force: true });
    }
  });

  it('with a bucket: S3, ready while the server answers, unavailable when it does not', async () => {
    const settings = base();
    const ports = await composeEngines({ ...settings, s3: { ...s3rverSettings(), forcePathStyle: true } });
    const down = await composeEngines({
      ...settings,
      s3: { ...s3rverSettings(), bucket: 'no-such-bucket', forcePathStyle: true },
    });
    try {
      expect(ports.files.engine).toBe('s3');
      await ports.readiness.find((r) => r.name === 'fileStore')!.check();
      await expect(down.readiness.find((r) => r.name === 'fileStore')!.check()).rejects.toMatchObject({
        code: 'unavailable',
      });
    } finally {
      await ports.close();
      await down.close();
      rmSync(settings.dataDir, { recursive: true, force: true });
    }
  });
});
