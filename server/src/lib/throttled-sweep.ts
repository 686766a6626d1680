/**
 * Housekeeping that runs in the background at most once a minute per app (expired one-time
 * tokens, ended sessions…), started by the traffic that creates the garbage, so an idle app costs
 * nothing. A failure is reported and retried at the next chance.
 */
export class ThrottledSweep {
  private readonly sweptAt = new Map<string, number>();

  constructor(
    private readonly sweep: (appId: string) => Promise<unknown>,
    private readonly now: () => Date,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly everyMs = 60_000,
  ) {}

  /** Starts a sweep of `appId` unless one started within the interval. Never waits for it. */
  maybe(appId: string): void {
    const t = this.now().getTime();
    if ((this.sweptAt.get(appId) ?? 0) > t - this.everyMs) return;
    if (this.sweptAt.size > 10_000) this.sweptAt.clear();
    this.sweptAt.set(appId, t);
    this.sweep(appId).catch(this.onError);
  }
}
