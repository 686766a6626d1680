import type { LeasedCounters } from '../../ports/leased-counters.js';

/** The in-process leased counters (no REDIS_URL): one process is every holder there is. */
export function createMemoryLeasedCounters(options: { now?: () => number } = {}): LeasedCounters {
  const now = options.now ?? Date.now;
  /** key → holder → units. */
  const counts = new Map<string, Map<string, number>>();
  /** holder → lease end (ms). */
  const leases = new Map<string, number>();
  const live = (holder: string, at: number) => (leases.get(holder) ?? -Infinity) >= at;
  const totalOf = (key: string, self: string | null, at: number): number => {
    const holders = counts.get(key);
    let total = 0;
    for (const [holder, n] of holders ?? []) {
      if (holder === self || live(holder, at)) total += n;
      else holders!.delete(holder);
    }
    return total;
  };
  return {
    engine: 'memory',
    acquire: async ({ key, holder, max, leaseMs }) => {
      const at = now();
      const total = totalOf(key, holder, at);
      if (total >= max) return { acquired: false, total };
      let holders = counts.get(key);
      if (!holders) counts.set(key, (holders = new Map()));
      holders.set(holder, (holders.get(holder) ?? 0) + 1);
      leases.set(holder, at + leaseMs);
      return { acquired: true, total: total + 1 };
    },
    release: async ({ key, holder }) => {
      const holders = counts.get(key);
      const n = holders?.get(holder) ?? 0;
      if (n <= 1) holders?.delete(holder);
      else holders!.set(holder, n - 1);
      if (holders?.size === 0) counts.delete(key);
    },
    renew: async ({ holder, counts: mine, leaseMs }) => {
      leases.set(holder, now() + leaseMs);
      for (const [key, n] of mine) {
        let holders = counts.get(key);
        if (n > 0) {
          if (!holders) counts.set(key, (holders = new Map()));
          holders.set(holder, n);
        } else {
          holders?.delete(holder);
          if (holders?.size === 0) counts.delete(key);
        }
      }
    },
    total: async ({ key }) => totalOf(key, null, now()),
    drop: async ({ holder }) => {
      leases.delete(holder);
    },
  };
}
