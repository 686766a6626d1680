import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { composeEngines } from '../../../src/engines/compose.js';

/** composeEngines picks the job queue: bull with REDIS_URL, the embedded queue in DATA_DIR, none for MongoDB alone. */
describe('job queue in the composition root', () => {
  const base = () => ({
    dataDir: mkdtempSync(join(tmpdir(), 'hearth-compose-jobs-')),
    mongodbDb: 'hearth',
    mailFrom: 'Hearth <no-reply@localhost>',
    logger: pino({ level: 'silent' }),
  });

  it('by default: the embedded queue in DATA_DIR/jobs.db, checked by /readyz', async () => {
    const settings = base();
    const ports = await composeEngines(settings);
    try {
      expect(ports.jobs.engine).toBe('sqlite');
      expect(ports.engines.jobs).toBe('sqlite');
      expect(existsSync(join(settings.dataDir, 'jobs.db'))).toBe(true);
      await ports.readiness.find((r) => r.name === 'jobQueue')!.check();
    } finally {
      await ports.close();
      rmSync(settings.dataDir, { recursive: true, force: true });
    }
  });

  it('with REDIS_URL: bull, and it closes with the ports', async () => {
    const settings = base();
    const ports = await composeEngines({ ...settings, redisUrl: inject('redisUrl') });
    try {
      expect(ports.jobs.engine).toBe('bull');
      await ports.readiness.find((r) => r.name === 'jobQueue')!.check();
      const job = await ports.jobs.add('compose-check', { ok: true });
      expect((await ports.jobs.get('compose-check', job.id))!.data).toEqual({ ok: true });
      await ports.jobs.remove('compose-check', job.id);
    } finally {
      await ports.close();
      rmSync(settings.dataDir, { recursive: true, force: true });
    }
  });

  it('MongoDB without REDIS_URL is refused with a message naming REDIS_URL', async () => {
    const settings = base();
    await expect(composeEngines({ ...settings, mongodbUrl: inject('mongoUrl') })).rejects.toThrow(
      /REDIS_URL is required with MONGODB_URL/,
    );
    rmSync(settings.dataDir, { recursive: true, force: true });
  });
});
