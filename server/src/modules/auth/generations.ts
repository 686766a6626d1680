/**
 * A per-app counter bumped on every change that can end a user's access (a session revoked, a
 * user updated, disabled or deleted) on this replica. The access-token check caches its
 * session + user lookups for a moment and drops them when the app's counter moves, so a change
 * made here takes effect at once; another replica sees it within the cache time.
 */
export class AuthGenerations {
  private readonly counters = new Map<string, number>();

  bump(appId: string): void {
    this.counters.set(appId, (this.counters.get(appId) ?? 0) + 1);
  }

  get(appId: string): number {
    return this.counters.get(appId) ?? 0;
  }
}
