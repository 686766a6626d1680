import type Database from 'better-sqlite3';

/**
 * Group commit for the SQLite engine's single-document writes and batches.
 *
 * better-sqlite3 is synchronous, so while one transaction commits nothing else runs; the requests
 * that arrive meanwhile are read together in the event loop's next poll phase. Their writes are
 * queued here and run together at the end of that phase (setImmediate) in ONE transaction
 * (BEGIN IMMEDIATE … COMMIT), each inside its own savepoint:
 *
 * - each write is atomic on its own: when one throws, its savepoint is rolled back (none of its
 *   changes stay) and it alone is rejected; its neighbours carry on and commit;
 * - each is acknowledged (its promise settles) only after the COMMIT that contains it returned,
 *   i.e. once the transaction is in the WAL file (durable against a killed process, as before);
 * - when the group's transaction itself fails (BEGIN or COMMIT busy, an I/O error that rolled the
 *   whole transaction back), nothing of it was committed, and every write is run again in a
 *   transaction of its own, so the failure is answered to the writes it belongs to.
 *
 * A group of one runs as a plain transaction (no savepoint). What a commit costs (the WAL frames
 * of the pages written, the WAL index update) is then paid once per group instead of per write.
 */
export interface GroupCommitStats {
  /** Transactions committed by the group path (groups of one included). */
  transactions: number;
  /** Writes acknowledged (or rejected) by them. */
  writes: number;
  /** Largest group so far. */
  largest: number;
}

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/** Thrown inside a group when a failed write took the whole transaction with it. */
class GroupAborted extends Error {}

export class GroupCommit {
  readonly stats: GroupCommitStats = { transactions: 0, writes: 0, largest: 0 };
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly d: {
      db: Database.Database;
      /** Runs `fn` in a transaction of its own, mapping errors (SqliteConnection.write). */
      single: <T>(fn: () => T) => T;
      /** At the start of the group's transaction (catalog.sync: another process may have changed it). */
      onBegin?: () => void;
      /** After a rolled-back write: what caches learnt inside it may not exist (catalog.reset). */
      onRollback: () => void;
      /** SQLite's errors → the port's (errors.ts). */
      mapError: (err: unknown) => unknown;
      /** Largest group (default 1000): a longer queue is committed in several transactions. */
      maxGroup?: number;
    },
  ) {
    const { db } = d;
    // Made once: better-sqlite3 builds a wrapper per `db.transaction` call.
    const savepoint = db.transaction((fn: () => unknown) => fn());
    this.outer = db.transaction((group: Pending[]): Outcome[] => {
      d.onBegin?.();
      return group.map((p): Outcome => {
        try {
          return { ok: true, value: savepoint(p.fn) };
        } catch (err) {
          d.onRollback();
          // Some errors (I/O, disk full) roll the whole transaction back, not just the savepoint.
          if (!db.inTransaction) throw new GroupAborted();
          return { ok: false, err: d.mapError(err) };
        }
      });
    });
  }

  /** The group's transaction: BEGIN IMMEDIATE, a savepoint per write, COMMIT. */
  private readonly outer: Database.Transaction<(group: Pending[]) => Outcome[]>;

  /** Queues `fn` for the next group; resolves with its result once that group has committed. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Commits everything queued so far (also called by close, so nothing queued is dropped). */
  readonly flush = (): void => {
    this.scheduled = false;
    const max = this.d.maxGroup ?? 1000;
    while (this.queue.length > 0) {
      const group = this.queue.length <= max ? this.queue : this.queue.slice(0, max);
      this.queue = this.queue.length <= max ? [] : this.queue.slice(max);
      this.commit(group);
    }
  };

  private commit(group: Pending[]): void {
    this.stats.transactions++;
    this.stats.writes += group.length;
    this.stats.largest = Math.max(this.stats.largest, group.length);
    if (group.length === 1) {
      const [only] = group as [Pending];
      settle(only, this.alone(only));
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = this.together(group);
    } catch {
      // Nothing of the group was committed: each write again, in a transaction of its own.
      this.d.onRollback();
      for (const p of group) settle(p, this.alone(p));
      return;
    }
    group.forEach((p, i) => settle(p, outcomes[i]!));
  }

  private alone(p: Pending): Outcome {
    try {
      return { ok: true, value: this.d.single(p.fn) };
    } catch (err) {
      return { ok: false, err };
    }
  }

  /** One transaction, one savepoint per write (better-sqlite3 nests a transaction as a savepoint). */
  private together(group: Pending[]): Outcome[] {
    return this.outer.immediate(group);
  }
}

function settle(p: Pending, outcome: Outcome): void {
  if (outcome.ok) p.resolve(outcome.value);
  else p.reject(outcome.err);
}
