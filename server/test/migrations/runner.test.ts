import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { MIGRATIONS, runMigrations, type Migration } from '../../src/migrations/index.js';
import { SYSTEM_APP, type DocumentStore } from '../../src/ports/document-store.js';
import { openStore } from '../support/harness.js';

/**
 * The migration runner on both document engines: each migration once and in order, resumed after
 * a failure, one runner among concurrent starts (two connections to one MongoDB database, and two
 * runners interleaving on one SQLite store), a dead runner's lock taken over, newer data refused.
 */
const logger = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** Migrations that record each run in `_system/_migration_log`. */
function recording(count: number, options: { failAt?: number; slowMs?: number } = {}): Migration[] {
  return Array.from({ length: count }, (_, i) => ({
    version: i + 1,
    name: `m${i + 1}`,
    up: async ({ store }: { store: DocumentStore }) => {
      if (options.slowMs) await new Promise((r) => setTimeout(r, options.slowMs));
      if (options.failAt === i + 1) throw new Error('boom');
      await store.forApp(SYSTEM_APP).create('_migration_log', { data: { name: `m${i + 1}`, seq: i + 1 } });
    },
  }));
}

async function runs(store: DocumentStore): Promise<string[]> {
  const { items } = await store
    .forApp(SYSTEM_APP)
    .find('_migration_log', { limit: 100, sort: [{ path: 'seq', dir: 1 }] });
  return items.map((d) => d.name as string);
}

for (const engine of ['sqlite', 'mongodb'] as const) {
  describe(`migrations on ${engine}`, () => {
    async function fresh(): Promise<DocumentStore> {
      const { store, cleanup } = await openStore(engine);
      cleanups.push(cleanup);
      return store;
    }

    it('runs each migration once, in order, and nothing on the next start', async () => {
      const store = await fresh();
      expect(await runMigrations({ store, logger, migrations: recording(3) })).toEqual({
        from: 0,
        to: 3,
        ran: ['m1', 'm2', 'm3'],
      });
      expect(await runMigrations({ store, logger, migrations: recording(3) })).toEqual({ from: 3, to: 3, ran: [] });
      expect(await runMigrations({ store, logger, migrations: recording(4) })).toEqual({ from: 3, to: 4, ran: ['m4'] });
      expect(await runs(store)).toEqual(['m1', 'm2', 'm3', 'm4']);
    });

    it('stops at a failing migration, keeps the versions before it, releases the lock and resumes there', async () => {
      const store = await fresh();
      await expect(runMigrations({ store, logger, migrations: recording(3, { failAt: 2 }) })).rejects.toThrow(
        /migration 2 \(m2\) failed: boom/,
      );
      expect(await runs(store)).toEqual(['m1']);
      expect(await runMigrations({ store, logger, migrations: recording(3), timeoutMs: 1000 })).toEqual({
        from: 1,
        to: 3,
        ran: ['m2', 'm3'],
      });
      expect(await runs(store)).toEqual(['m1', 'm2', 'm3']);
    });

    it('refuses data written by a newer Hearth', async () => {
      const store = await fresh();
      await runMigrations({ store, logger, migrations: recording(3) });
      await expect(runMigrations({ store, logger, migrations: recording(2) })).rejects.toThrow(
        /newer Hearth \(data version 3, this Hearth knows up to 2\)/,
      );
    });

    it('lets one of several concurrent runners migrate; the others wait and find nothing to do', async () => {
      const store = await fresh();
      const results = await Promise.all(
        [1, 2, 3].map(() => runMigrations({ store, logger, migrations: recording(2, { slowMs: 50 }), waitMs: 10 })),
      );
      expect(await runs(store)).toEqual(['m1', 'm2']);
      expect(results.filter((r) => r.ran.length > 0)).toHaveLength(1);
      expect(results.every((r) => r.to === 2)).toBe(true);
    });

    it("takes over a dead runner's expired lock, and waits for a live one until it times out", async () => {
      const store = await fresh();
      const system = store.forApp(SYSTEM_APP);
      await system.create('_migrations', { id: 'lock', data: { holder: 'dead', expiresAt: Date.now() + 60_000 } });
      await expect(
        runMigrations({ store, logger, migrations: recording(1), waitMs: 10, timeoutMs: 100 }),
      ).rejects.toThrow(/timed out waiting for another Hearth process/);
      expect(await runs(store)).toEqual([]);
      await system.update('_migrations', 'lock', { set: { expiresAt: Date.now() - 1 } });
      expect((await runMigrations({ store, logger, migrations: recording(1), waitMs: 10 })).ran).toEqual(['m1']);
      expect(await system.get('_migrations', 'lock')).toBeNull();
    });

    it("Hearth's own migration list is numbered without gaps and runs on an empty store", async () => {
      const store = await fresh();
      const result = await runMigrations({ store, logger, migrations: MIGRATIONS });
      expect(result.to).toBe(MIGRATIONS.length);
    });
  });
}

describe('two processes starting at once on one MongoDB database', () => {
  it('migrates once', async () => {
    const { connectMongoStore } = await import('../../src/engines/mongodb/index.js');
    const dbName = `mig_${newId().replace(/[^A-Za-z0-9]/g, '')}`;
    const a = await connectMongoStore({ url: inject('mongoUrl'), dbName });
    const b = await connectMongoStore({ url: inject('mongoUrl'), dbName });
    cleanups.push(async () => {
      await a.close();
      await b.close();
    });
    const [ra, rb] = await Promise.all(
      [a, b].map((store) => runMigrations({ store, logger, migrations: recording(3, { slowMs: 30 }), waitMs: 10 })),
    );
    expect([...ra!.ran, ...rb!.ran]).toEqual(['m1', 'm2', 'm3']);
    expect(await runs(a)).toEqual(['m1', 'm2', 'm3']);
  });
});
