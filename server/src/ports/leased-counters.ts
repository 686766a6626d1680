/**
 * The leased-counters port: counts shared by every replica, each unit held by a holder (a
 * replica) under a lease, so a holder that dies (SIGKILL, lost network) stops counting once its
 * lease runs out. Realtime counts an app's connections across the cluster with it. Engines:
 * in process (`engines/memory/leased-counters.ts`, one process is the cluster) and Redis
 * (`engines/redis/leased-counters.ts`, one Lua script per operation, Redis's clock for leases).
 *
 * Semantics (test/conformance/leased-counters checks each on every engine):
 * - `acquire` takes one unit of `key` for `holder` only while the total of live holders is below
 *   `max`, atomically (two replicas racing for the last unit: one gets it), and (re)starts the
 *   holder's lease;
 * - a holder's units count while its lease is live; `renew` extends the lease and states the
 *   holder's exact counts (a key at 0 is cleared), which also repairs a count that drifted (a
 *   release lost while the engine was away, a lease that ran out while the holder was paused);
 * - `release` gives one unit back (never below 0); `drop` ends the holder's lease at once;
 * - every operation throws `unavailable` when the engine cannot answer (Redis down).
 */
export interface LeasedCounters {
  readonly engine: string;
  acquire(options: { key: string; holder: string; max: number; leaseMs: number }): Promise<{
    acquired: boolean;
    /** The live total after the call. */
    total: number;
  }>;
  release(options: { key: string; holder: string }): Promise<void>;
  renew(options: { holder: string; counts: ReadonlyMap<string, number>; leaseMs: number }): Promise<void>;
  total(options: { key: string }): Promise<number>;
  drop(options: { holder: string }): Promise<void>;
}
