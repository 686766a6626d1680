import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { HearthError, reasonError } from '../../errors.js';
import type {
  AddJobOptions,
  Job,
  JobCounts,
  JobHandler,
  JobQueue,
  ListJobsOptions,
  RepeatOptions,
} from '../../ports/job-queue.js';
import { isUnrecoverable } from '../../ports/job-queue.js';
import { backoffDelay, checkAddOptions, emptyCounts, errorText, nextCronTick } from '../../ports/job-queue.helpers.js';
import { newId } from '../../lib/ids.js';
import { claimSql, NO_PRIORITY, openQueueDatabase, parseBackoff, toJob, type JobRow } from './db.js';

/**
 * The durable embedded job queue (the default): jobs live in their own SQLite file (DATA_DIR/
 * jobs.db, WAL). A worker claims a job with a lease (`leaseMs`, renewed while its handler runs);
 * a job whose lease ran out (the process died) is claimed again, so delivery is at-least-once.
 * A stalled run does not use up an attempt (as on bull); a job that stalls more than `maxStalls`
 * times fails. No polling while idle beyond one cheap check every `idlePollMs` (jobs added by
 * another process sharing the file): one timer is set to the next due job, lease expiry or cron
 * tick, and an `add` in this process wakes the worker at once.
 */
export interface SqliteQueueOptions {
  file: string;
  /** How long a claimed job is held before another worker may take it (default 30 s). */
  leaseMs?: number;
  maxStalls?: number;
  /** The longest the engine sleeps with nothing due (default 1000 ms). */
  idlePollMs?: number;
  /** Completed jobs are kept this long (default 7 days), failed ones 4 times longer. */
  keepCompletedMs?: number;
  now?: () => number;
}

interface Worker {
  queue: string;
  concurrency: number;
  handler: JobHandler;
  running: number;
  pumpQueued: boolean;
}

export function createSqliteQueue(options: SqliteQueueOptions): JobQueue {
  return new SqliteQueue(options);
}

class SqliteQueue implements JobQueue {
  readonly engine = 'sqlite';
  private readonly db: Database.Database;
  private readonly owner = randomBytes(9).toString('base64url');
  private readonly leaseMs: number;
  private readonly maxStalls: number;
  private readonly idlePollMs: number;
  private readonly keepMs: number;
  private readonly now: () => number;
  private readonly workers = new Map<string, Worker>();
  private readonly running = new Set<Promise<void>>();
  private readonly known = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closing = false;
  private lastPrune = 0;
  private readonly stmt: Record<string, Database.Statement>;
  /** The claim statement per batch size (at most a worker's concurrency of them). */
  private readonly claims = new Map<number, Database.Statement>();

  constructor(options: SqliteQueueOptions) {
    this.db = openQueueDatabase(options.file);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxStalls = options.maxStalls ?? 2;
    this.idlePollMs = options.idlePollMs ?? 1000;
    this.keepMs = options.keepCompletedMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
    const p = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      insert: p(`INSERT INTO jobs (queue, id, data, state, priority, run_at, attempts, backoff, created_at,
        remove_on_complete) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?) ON CONFLICT (queue, id) DO NOTHING RETURNING *`),
      byId: p('SELECT * FROM jobs WHERE queue = ? AND id = ?'),
      paused: p('SELECT paused FROM queues WHERE name = ?'),
      know: p('INSERT OR IGNORE INTO queues (name) VALUES (?)'),
      setPaused: p(
        'INSERT INTO queues (name, paused) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused',
      ),
      sweep: p(`UPDATE jobs SET
          state = CASE WHEN stalls >= ? THEN 'failed' ELSE 'queued' END,
          error = CASE WHEN stalls >= ? THEN 'job stalled more than allowable limit' ELSE error END,
          finished_at = CASE WHEN stalls >= ? THEN ? ELSE NULL END,
          attempts_made = CASE WHEN stalls >= ? THEN attempts_made ELSE attempts_made - 1 END,
          stalls = stalls + 1, run_at = ?, lease_owner = NULL, lease_until = NULL
        WHERE state = 'active' AND lease_until < ?`),
      renew: p('UPDATE jobs SET lease_until = ? WHERE seq = ? AND lease_owner = ?'),
      progress: p('UPDATE jobs SET progress = ? WHERE seq = ? AND lease_owner = ?'),
      complete: p(`UPDATE jobs SET state = 'completed', result = ?, error = NULL, finished_at = ?, lease_owner = NULL,
        lease_until = NULL WHERE seq = ? AND lease_owner = ?`),
      again: p(`UPDATE jobs SET state = 'queued', error = ?, run_at = ?, lease_owner = NULL, lease_until = NULL
        WHERE seq = ? AND lease_owner = ?`),
      fail: p(`UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
        WHERE seq = ? AND lease_owner = ?`),
      retry: p(`UPDATE jobs SET state = 'queued', attempts_made = 0, stalls = 0, error = NULL, result = NULL,
        finished_at = NULL, progress = NULL, run_at = ? WHERE queue = ? AND id = ? AND state = 'failed'`),
      remove: p(`DELETE FROM jobs WHERE queue = ? AND id = ? AND state != 'active'`),
      removeDone: p(`DELETE FROM jobs WHERE seq = ? AND state = 'completed'`),
      counts: p(`SELECT state, run_at <= ? AS due, COUNT(*) AS n FROM jobs WHERE queue = ? GROUP BY state, due`),
      nextRun: p(`SELECT MIN(run_at) AS t FROM jobs WHERE state = 'queued' AND run_at > ?`),
      nextLease: p(`SELECT MIN(lease_until) AS t FROM jobs WHERE state = 'active'`),
      nextRepeat: p('SELECT MIN(next_at) AS t FROM repeatables'),
      dueRepeats: p('SELECT * FROM repeatables WHERE next_at <= ?'),
      setRepeatNext: p('UPDATE repeatables SET next_at = ? WHERE queue = ? AND key = ? AND next_at = ?'),
      upsertRepeat: p(`INSERT INTO repeatables (queue, key, cron, tz, data, next_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (queue, key) DO UPDATE SET cron = excluded.cron, tz = excluded.tz, data = excluded.data,
        next_at = excluded.next_at`),
      removeRepeat: p('DELETE FROM repeatables WHERE queue = ? AND key = ?'),
      queues: p('SELECT name FROM queues UNION SELECT queue FROM repeatables ORDER BY 1'),
      prune: p(
        `DELETE FROM jobs WHERE (state = 'completed' AND finished_at < ?) OR (state = 'failed' AND finished_at < ?)`,
      ),
    };
    this.wake(0);
  }

  async add<T>(queue: string, data: T, options: AddJobOptions = {}): Promise<Job<T>> {
    this.open();
    checkAddOptions(options);
    this.remember(queue);
    const now = this.now();
    const runAt = now + (options.delay ?? 0);
    const row = (this.stmt.insert!.get(
      queue,
      options.jobId ?? newId(),
      JSON.stringify(data ?? null),
      options.priority ?? NO_PRIORITY,
      runAt,
      options.attempts ?? 1,
      options.backoff ? JSON.stringify(options.backoff) : null,
      now,
      options.removeOnComplete ? 1 : 0,
    ) ?? this.stmt.byId!.get(queue, options.jobId)) as JobRow;
    if (runAt <= now) this.pumpSoon(queue);
    else this.wake(runAt - now);
    return toJob(row, now, this.isPaused(queue)) as Job<T>;
  }

  async addRepeatable<T>(queue: string, data: T, options: RepeatOptions): Promise<void> {
    this.open();
    this.remember(queue);
    const tz = options.tz ?? 'UTC';
    const next = nextCronTick(options.cron, tz, new Date(this.now())).getTime();
    this.stmt.upsertRepeat!.run(queue, options.key, options.cron, tz, JSON.stringify(data ?? null), next);
    this.wake(next - this.now());
  }

  async removeRepeatable(queue: string, key: string): Promise<void> {
    this.stmt.removeRepeat!.run(queue, key);
  }

  process<T>(queue: string, options: { concurrency?: number }, handler: JobHandler<T>): void {
    this.open();
    if (this.workers.has(queue)) throw new Error(`A worker for queue ${queue} is already running in this process.`);
    this.remember(queue);
    this.workers.set(queue, {
      queue,
      concurrency: Math.max(1, options.concurrency ?? 1),
      handler: handler as JobHandler,
      running: 0,
      pumpQueued: false,
    });
    this.pumpSoon(queue);
  }

  async get(queue: string, id: string): Promise<Job | null> {
    const row = this.stmt.byId!.get(queue, id) as JobRow | undefined;
    return row ? toJob(row, this.now(), this.isPaused(queue)) : null;
  }

  async list(queue: string, options: ListJobsOptions): Promise<Job[]> {
    const now = this.now();
    const paused = this.isPaused(queue);
    const limit = Math.min(Math.max(options.limit ?? 20, 1), 1000);
    const offset = Math.max(options.offset ?? 0, 0);
    let where: string;
    const params: unknown[] = [queue];
    switch (options.state) {
      case 'waiting':
      case 'paused':
        if ((options.state === 'paused') !== paused) return [];
        where = `state = 'queued' AND run_at <= ?`;
        params.push(now);
        break;
      case 'delayed':
        where = `state = 'queued' AND run_at > ?`;
        params.push(now);
        break;
      default:
        where = 'state = ?';
        params.push(options.state);
    }
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE queue = ? AND ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as JobRow[];
    return rows.map((r) => toJob(r, now, paused));
  }

  async counts(queue: string): Promise<JobCounts> {
    const counts = emptyCounts();
    const paused = this.isPaused(queue);
    const rows = this.stmt.counts!.all(this.now(), queue) as Array<{ state: JobRow['state']; due: number; n: number }>;
    for (const r of rows) {
      const state = r.state !== 'queued' ? r.state : !r.due ? 'delayed' : paused ? 'paused' : 'waiting';
      counts[state] += r.n;
    }
    return counts;
  }

  async retry(queue: string, id: string): Promise<boolean> {
    const changed = this.stmt.retry!.run(this.now(), queue, id).changes > 0;
    if (changed) this.pumpSoon(queue);
    return changed;
  }

  async remove(queue: string, id: string): Promise<boolean> {
    if (this.stmt.remove!.run(queue, id).changes > 0) return true;
    if (this.stmt.byId!.get(queue, id)) throw reasonError('conflict', 'in_progress', 'The job is running.');
    return false;
  }

  async pause(queue: string): Promise<void> {
    this.stmt.setPaused!.run(queue, 1);
  }

  async resume(queue: string): Promise<void> {
    this.stmt.setPaused!.run(queue, 0);
    this.pumpSoon(queue);
  }

  async queues(): Promise<string[]> {
    const names = new Set((this.stmt.queues!.all() as Array<{ name: string }>).map((r) => r.name));
    for (const name of this.known) names.add(name);
    return [...names].sort();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.timer);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.db.close();
  }

  private open(): void {
    if (this.closing) throw new HearthError('unavailable', 'The job queue is closing.');
  }

  private remember(queue: string): void {
    if (this.known.has(queue)) return;
    this.stmt.know!.run(queue);
    this.known.add(queue);
  }

  private isPaused(queue: string): boolean {
    return (this.stmt.paused!.get(queue) as { paused: number } | undefined)?.paused === 1;
  }

  /** Runs the due work: expired leases, due cron ticks, then every worker; sets the next timer. */
  private tick(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closing) return;
    const now = this.now();
    try {
      const s = this.maxStalls;
      this.stmt.sweep!.run(s, s, s, now, s, now, now);
      this.fireRepeatables(now);
      if (now - this.lastPrune > 60_000) {
        this.lastPrune = now;
        this.stmt.prune!.run(now - this.keepMs, now - 4 * this.keepMs);
      }
      for (const queue of this.workers.keys()) this.pump(queue);
      const next = Math.min(
        (this.stmt.nextRun!.get(now) as { t: number | null }).t ?? Infinity,
        (this.stmt.nextLease!.get() as { t: number | null }).t ?? Infinity,
        (this.stmt.nextRepeat!.get() as { t: number | null }).t ?? Infinity,
      );
      this.wake(Math.min(next - now, this.idlePollMs));
    } catch {
      // the database is busy or closing: try again shortly
      this.wake(this.idlePollMs);
    }
  }

  /** One job per due tick: its id names the tick, so two processes on one file add it once. */
  private fireRepeatables(now: number): void {
    const due = this.stmt.dueRepeats!.all(now) as Array<{
      queue: string;
      key: string;
      cron: string;
      tz: string;
      data: string;
      next_at: number;
    }>;
    for (const r of due) {
      this.db.transaction(() => {
        const next = nextCronTick(r.cron, r.tz, new Date(Math.max(now, r.next_at))).getTime();
        if (this.stmt.setRepeatNext!.run(next, r.queue, r.key, r.next_at).changes === 0) return;
        this.stmt.insert!.run(r.queue, `repeat:${r.key}:${r.next_at}`, r.data, NO_PRIORITY, now, 1, null, now, 0);
      })();
    }
  }

  private wake(inMs: number): void {
    if (this.closing) return;
    const at = this.now() + Math.max(0, inMs);
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, inMs));
    // a process with workers stays up for them (as bull's connections keep it up); one without does not
    if (this.workers.size === 0) this.timer.unref();
  }

  private pumpSoon(queue: string): void {
    const w = this.workers.get(queue);
    if (!w || w.pumpQueued || this.closing) return;
    w.pumpQueued = true;
    setImmediate(() => {
      w.pumpQueued = false;
      this.pump(queue);
    });
  }

  /** The claim of up to `n` jobs (db.ts: claimSql, why the LIMIT is in the text). */
  private claim(n: number): Database.Statement {
    let stmt = this.claims.get(n);
    if (!stmt) this.claims.set(n, (stmt = this.db.prepare(claimSql(n))));
    return stmt;
  }

  private pump(queue: string): void {
    const w = this.workers.get(queue);
    if (!w || this.closing || w.running >= w.concurrency) return;
    const now = this.now();
    const rows = this.claim(w.concurrency - w.running).all(this.owner, now + this.leaseMs, queue, now) as JobRow[];
    rows.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    for (const row of rows) {
      w.running += 1;
      const run = this.run(w, row).finally(() => {
        w.running -= 1;
        this.running.delete(run);
        this.pumpSoon(queue);
      });
      this.running.add(run);
    }
    this.wake(this.leaseMs);
  }

  private async run(w: Worker, row: JobRow): Promise<void> {
    const renew = setInterval(
      () => {
        if (!this.db.open) return;
        this.stmt.renew!.run(this.now() + this.leaseMs, row.seq, this.owner);
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    const job = toJob(row, this.now(), false);
    try {
      const result = await Promise.resolve().then(() =>
        w.handler(job, {
          attempt: row.attempts_made,
          progress: async (value) => {
            this.stmt.progress!.run(JSON.stringify(value ?? null), row.seq, this.owner);
          },
        }),
      );
      this.stmt.complete!.run(JSON.stringify(result ?? null), this.now(), row.seq, this.owner);
      if (row.remove_on_complete) this.stmt.removeDone!.run(row.seq);
    } catch (e) {
      const now = this.now();
      if (row.attempts_made < row.attempts && !isUnrecoverable(e)) {
        const runAt = now + backoffDelay(parseBackoff(row.backoff), row.attempts_made);
        this.stmt.again!.run(errorText(e), runAt, row.seq, this.owner);
        this.wake(runAt - now);
      } else {
        this.stmt.fail!.run(errorText(e), now, row.seq, this.owner);
      }
    } finally {
      clearInterval(renew);
    }
  }
}
