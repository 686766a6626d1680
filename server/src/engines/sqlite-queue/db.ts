import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { switchToWal } from '../sqlite/wal.js';
import { unavailable } from '../../errors.js';
import type { Backoff, Job, JobState } from '../../ports/job-queue.js';

/**
 * The embedded queue's tables, in their own SQLite file (WAL) next to the document store's.
 * `state` is stored as `queued` (waiting or delayed: `run_at` tells which), `active`, `completed`
 * or `failed`; a paused queue's due jobs are reported as `paused`. Every change is one short
 * BEGIN IMMEDIATE transaction, so several processes may share the file.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  attempts_made INTEGER NOT NULL DEFAULT 0,
  stalls INTEGER NOT NULL DEFAULT 0,
  backoff TEXT,
  progress TEXT,
  result TEXT,
  error TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  remove_on_complete INTEGER NOT NULL DEFAULT 0,
  UNIQUE (queue, id)
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (queue, state, priority, seq);
CREATE INDEX IF NOT EXISTS jobs_run_at ON jobs (state, run_at);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (state, lease_until);
CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS repeatables (
  queue TEXT NOT NULL,
  key TEXT NOT NULL,
  cron TEXT NOT NULL,
  tz TEXT NOT NULL,
  data TEXT NOT NULL,
  next_at INTEGER NOT NULL,
  PRIMARY KEY (queue, key)
);
`;

/** Unprioritised jobs run after every prioritised one, as on bull. */
export const NO_PRIORITY = 2 ** 31;

export interface JobRow {
  seq: number;
  queue: string;
  id: string;
  data: string;
  state: 'queued' | 'active' | 'completed' | 'failed';
  priority: number;
  run_at: number;
  attempts: number;
  attempts_made: number;
  stalls: number;
  backoff: string | null;
  progress: string | null;
  result: string | null;
  error: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  finished_at: number | null;
  remove_on_complete: number;
}

/**
 * Claims up to `n` due jobs at once, none while the queue is paused (by any process). The LIMIT
 * is in the SQL text: SQLite plans with a bound LIMIT's value and re-prepares the statement on
 * every run that binds it (docs/performance.md), and a claim runs on every poll.
 */
export function claimSql(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`Not a claim size: ${n}`);
  return `UPDATE jobs SET state = 'active', attempts_made = attempts_made + 1, lease_owner = ?, lease_until = ?
    WHERE seq IN (SELECT seq FROM jobs INDEXED BY jobs_due WHERE queue = ? AND state = 'queued' AND run_at <= ?
      AND NOT EXISTS (SELECT 1 FROM queues WHERE name = jobs.queue AND paused = 1)
      ORDER BY priority, seq LIMIT ${n}) RETURNING *`;
}

export function openQueueDatabase(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  try {
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    switchToWal(db);
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return db;
  } catch (err) {
    throw unavailable(`The job queue database at ${file} cannot be opened.`, err);
  }
}

export function rowState(row: JobRow, now: number, paused: boolean): JobState {
  if (row.state !== 'queued') return row.state;
  if (row.run_at > now) return 'delayed';
  return paused ? 'paused' : 'waiting';
}

export function toJob(row: JobRow, now: number, paused: boolean): Job {
  return {
    id: row.id,
    queue: row.queue,
    data: JSON.parse(row.data) as unknown,
    state: rowState(row, now, paused),
    attemptsMade: row.attempts_made,
    attempts: row.attempts,
    progress: row.progress === null ? 0 : (JSON.parse(row.progress) as unknown),
    ...(row.result !== null ? { result: JSON.parse(row.result) as unknown } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    createdAt: new Date(row.created_at),
    ...(row.finished_at !== null ? { finishedAt: new Date(row.finished_at) } : {}),
  };
}

export const parseBackoff = (raw: string | null): Backoff | undefined =>
  raw === null ? undefined : (JSON.parse(raw) as Backoff);
