import type { Logger } from 'pino';
import { isError } from '../../errors.js';
import type { LeasedCounters } from '../../ports/leased-counters.js';
import { realtimeErrors } from './realtime.errors.js';

/**
 * Connections per app, counted across the cluster through the LeasedCounters port (Redis with
 * REDIS_URL, in process without): each replica holds one unit per accepted connection under a
 * lease it renews every third of `leaseMs`, stating its exact counts (which also repairs units of
 * handshakes that never became connections). A replica that dies stops renewing: its units stop
 * counting within `leaseMs`. While the counters are unavailable (Redis down) the limit is counted
 * on each server, as without the port, and a warning is logged once per outage.
 */
export class ConnectionLimit {
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  /** Apps stated at the last renew (a count that went to 0 is stated once more, as 0). */
  private stated = new Set<string>();

  constructor(
    private readonly deps: {
      leases?: LeasedCounters | undefined;
      holder: string;
      max: number;
      leaseMs: number;
      /** This server's connections of an app (the fallback count). */
      localCount: (appId: string) => number;
      /** This server's leased connections per app, as they are now. */
      leasedCounts: () => Map<string, number>;
      logger: Logger;
    },
  ) {}

  /** Whether the limit counts the whole cluster now. */
  get scope(): 'cluster' | 'replica' {
    return this.deps.leases && !this.failing ? 'cluster' : 'replica';
  }

  /** Admits one more connection of the app or throws `too_many_connections`; true when it holds a unit. */
  async admit(appId: string): Promise<boolean> {
    const { leases, max } = this.deps;
    if (leases) {
      try {
        const { acquired } = await leases.acquire({
          key: key(appId),
          holder: this.deps.holder,
          max,
          leaseMs: this.deps.leaseMs,
        });
        this.recovered();
        if (!acquired) throw realtimeErrors.tooManyConnections(max);
        return true;
      } catch (err) {
        if (!isError(err, 'unavailable')) throw err;
        this.failed(err);
      }
    }
    if (this.deps.localCount(appId) >= max) throw realtimeErrors.tooManyConnections(max);
    return false;
  }

  release(appId: string): void {
    this.deps.leases?.release({ key: key(appId), holder: this.deps.holder }).catch((err: unknown) => this.failed(err));
  }

  start(): void {
    if (!this.deps.leases || this.timer) return;
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.deps.leaseMs / 3)));
    this.timer.unref();
  }

  async renew(): Promise<void> {
    const leases = this.deps.leases;
    if (!leases) return;
    const counts = new Map<string, number>();
    for (const [appId, n] of this.deps.leasedCounts()) counts.set(key(appId), n);
    for (const k of this.stated) if (!counts.has(k)) counts.set(k, 0);
    try {
      await leases.renew({ holder: this.deps.holder, counts, leaseMs: this.deps.leaseMs });
      this.stated = new Set([...counts].filter(([, n]) => n > 0).map(([k]) => k));
      this.recovered();
    } catch (err) {
      this.failed(err);
    }
  }

  /** Stops renewing and gives every unit back at once (a clean stop). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.deps.leases?.drop({ holder: this.deps.holder }).catch(() => undefined);
  }

  private failed(err: unknown): void {
    if (!this.failing)
      this.deps.logger.warn({ err }, 'realtime: shared connection counts unavailable; limiting connections per server');
    this.failing = true;
  }

  private recovered(): void {
    if (this.failing) this.deps.logger.info('realtime: shared connection counts available again');
    this.failing = false;
  }
}

const key = (appId: string) => `rt:conn:${appId}`;
