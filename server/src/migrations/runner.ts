import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SYSTEM_APP, type AppStore, type DocumentStore, type StoredDocument } from '../ports/document-store.js';
import { isError } from '../errors.js';

/**
 * Versioned migrations of Hearth's own data, run at start before the server serves.
 *
 * - The version reached is one document (`_system/_migrations/state`); each migration runs once,
 *   in order, and the version moves after each one, so a crash resumes at the first migration
 *   not yet recorded (a migration must therefore be safe to run again after a crash mid-way).
 * - Several replicas may start at once: a lock document (`_system/_migrations/lock`, created with
 *   a fixed id, so only one create succeeds on either engine) elects one runner; the others wait
 *   and then find nothing left to do. A lock whose holder died expires after `lockTtlMs` and is
 *   taken over with a version-checked write.
 * - Data written by a newer Hearth (a version above the newest this binary knows) refuses the
 *   start: an older binary must not serve data it does not understand.
 */
export interface Migration {
  /** 1, 2, 3, … with no gaps. */
  version: number;
  name: string;
  up(context: { store: DocumentStore; logger: Logger }): Promise<void>;
}

export interface MigrationOptions {
  store: DocumentStore;
  logger: Logger;
  migrations: readonly Migration[];
  /** How long a lock holds without renewal (a crashed runner's lock is taken over after it). */
  lockTtlMs?: number;
  /** Poll interval while another replica holds the lock. */
  waitMs?: number;
  /** Give up waiting for another replica after this long. */
  timeoutMs?: number;
  now?: () => number;
}

export interface MigrationResult {
  from: number;
  to: number;
  ran: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const COLLECTION = '_migrations';
const STATE = 'state';
const LOCK = 'lock';

export function latestVersion(migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  return migrations.length;
}

export async function runMigrations(options: MigrationOptions): Promise<MigrationResult> {
  const { store, logger, migrations } = options;
  const latest = latestVersion(migrations);
  const system = store.forApp(SYSTEM_APP);
  const from = await readVersion(system);
  refuseNewer(from, latest);
  if (from === latest) return { from, to: from, ran: [] };

  const lock = await acquire(system, options);
  const ran: string[] = [];
  try {
    let version = await readVersion(system);
    refuseNewer(version, latest);
    for (const migration of migrations.slice(version)) {
      logger.info({ migration: migration.name, version: migration.version }, 'running migration');
      const started = Date.now();
      try {
        await migration.up({ store, logger });
      } catch (err) {
        throw new MigrationError(
          `migration ${migration.version} (${migration.name}) failed: ${(err as Error).message}`,
        );
      }
      version = migration.version;
      await writeVersion(system, version);
      ran.push(migration.name);
      logger.info({ migration: migration.name, ms: Date.now() - started }, 'migration done');
      await lock.renew();
    }
    return { from, to: version, ran };
  } finally {
    await lock.release();
  }
}

function refuseNewer(version: number, latest: number): void {
  if (version > latest) {
    throw new MigrationError(
      `the data was written by a newer Hearth (data version ${version}, this Hearth knows up to ${latest}): upgrade Hearth, or restore a backup made with this version`,
    );
  }
}

async function readVersion(system: AppStore): Promise<number> {
  const state = await system.get(COLLECTION, STATE);
  return typeof state?.version === 'number' && typeof state.dataVersion === 'number' ? state.dataVersion : 0;
}

async function writeVersion(system: AppStore, dataVersion: number): Promise<void> {
  const state = await system.get(COLLECTION, STATE);
  if (state) await system.update(COLLECTION, STATE, { set: { dataVersion } }, { expectedVersion: state.version });
  else await system.create(COLLECTION, { id: STATE, data: { dataVersion } });
}

interface HeldLock {
  renew(): Promise<void>;
  release(): Promise<void>;
}

async function acquire(system: AppStore, options: MigrationOptions): Promise<HeldLock> {
  const now = options.now ?? Date.now;
  const ttl = options.lockTtlMs ?? 60_000;
  const holder = randomUUID();
  const deadline = now() + (options.timeoutMs ?? 5 * 60_000);
  let held: StoredDocument | undefined;
  let waitingLogged = false;
  while (!held) {
    held = await tryTake(system, holder, now() + ttl, now());
    if (held) break;
    if (now() > deadline) throw new MigrationError('timed out waiting for another Hearth process to finish migrating');
    if (!waitingLogged) options.logger.info('another Hearth process is migrating the data: waiting');
    waitingLogged = true;
    await new Promise((r) => setTimeout(r, options.waitMs ?? 250));
  }
  let lock = held;
  return {
    renew: async () => {
      lock = await system.update(
        COLLECTION,
        LOCK,
        { set: { expiresAt: now() + ttl } },
        { expectedVersion: lock.version },
      );
    },
    release: async () => {
      await system.delete(COLLECTION, LOCK, { expectedVersion: lock.version }).catch((err: unknown) => {
        options.logger.warn({ err }, 'could not release the migration lock (it expires on its own)');
      });
    },
  };
}

/** The lock document when this holder got it; undefined when another live holder has it. */
async function tryTake(
  system: AppStore,
  holder: string,
  expiresAt: number,
  now: number,
): Promise<StoredDocument | undefined> {
  try {
    return await system.create(COLLECTION, { id: LOCK, data: { holder, expiresAt } });
  } catch (e) {
    if (!isError(e, 'conflict')) throw e;
  }
  const current = await system.get(COLLECTION, LOCK);
  if (!current || typeof current.expiresAt !== 'number' || current.expiresAt > now) return undefined;
  try {
    // Expired: take it over, unless another waiter did first (the version check decides).
    return await system.update(COLLECTION, LOCK, { set: { holder, expiresAt } }, { expectedVersion: current.version });
  } catch (e) {
    if (isError(e, 'conflict') || isError(e, 'not_found')) return undefined;
    throw e;
  }
}
