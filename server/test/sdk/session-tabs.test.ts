import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createClient,
  memoryStorage,
  type AuthChangeEvent,
  type FetchLike,
  type LockManagerLike,
  type TokenStorage,
} from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

const PASSWORD = 'a long enough password 1!';

/** The Web Locks API's semantics for one name at a time: callbacks run one after another. */
function lockManager(): LockManagerLike & { names: string[] } {
  const tails = new Map<string, Promise<unknown>>();
  const names: string[] = [];
  return {
    names,
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      names.push(name);
      const run = (tails.get(name) ?? Promise.resolve()).catch(() => undefined).then(callback);
      tails.set(name, run);
      return run;
    },
  };
}

/**
 * Two tabs of one browser: two clients over one shared storage object against a live server. A
 * refresh token works once (a spent one reads as reuse and ends the session), so a tab must
 * re-read the stored session before refreshing, and refreshes are serialised with Web Locks.
 */
describe('SDK sessions shared by tabs', () => {
  let h: Harness;
  let server: Server;
  let url: string;
  let appId: string;
  let key: string;
  let n = 0;
  beforeAll(async () => {
    h = await startHarness('sqlite');
    const ctx = await withAdminAndApp(h);
    appId = ctx.appId;
    key = ctx.publicKey;
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
  });

  /** A tab: its own clock offset (to make its token look about to expire), refresh tokens it sent, events. */
  const tab = (storage: TokenStorage, options: { locks?: LockManagerLike | null } = {}) => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset };
    const refreshedWith: string[] = [];
    const fetchLike: FetchLike = (target, init) => {
      if (target.endsWith('/auth/refresh')) refreshedWith.push(JSON.parse(String(init?.body)).refreshToken);
      return fetch(target, init as RequestInit);
    };
    const hearth = createClient({
      url,
      app: appId,
      key,
      storage,
      clock,
      fetch: fetchLike,
      locks: options.locks ?? null,
    });
    const events: AuthChangeEvent[] = [];
    hearth.auth.onChange((_, event) => events.push(event));
    return { hearth, clock, refreshedWith, events };
  };
  const stored = (storage: TokenStorage) =>
    JSON.parse(String(storage.getItem(`hearth.${appId}.session`))) as { refreshToken: string; expiresAt: number };
  const signedInTabs = async (options: { locks?: LockManagerLike | null } = {}) => {
    const storage = memoryStorage();
    const a = tab(storage, options);
    await a.hearth.auth.signUp({ email: `tab${++n}@example.com`, password: PASSWORD });
    const b = tab(storage, options);
    await b.hearth.auth.ready;
    expect(b.hearth.auth.user?.id).toBe(a.hearth.auth.user?.id);
    return { storage, a, b };
  };
  /** Both tabs are still signed in on the server (a reused token would have ended the session). */
  const bothWork = async (a: ReturnType<typeof tab>, b: ReturnType<typeof tab>) => {
    expect((await a.hearth.auth.me()).id).toBe((await b.hearth.auth.me()).id);
    expect([...a.events, ...b.events]).not.toContain('SESSION_REVOKED');
  };

  it("after tab A rotates, tab B adopts A's tokens instead of sending its spent refresh token", async () => {
    const { storage, a, b } = await signedInTabs();
    const spent = stored(storage).refreshToken;
    await a.hearth.auth.refresh();
    expect(a.refreshedWith).toEqual([spent]);
    // B still holds the spent token in memory; its refresh re-reads storage and takes A's.
    await b.hearth.auth.refresh();
    expect(b.refreshedWith).toEqual([]);
    expect(b.events).toEqual(['TOKEN_REFRESHED']);
    await bothWork(a, b);
  });

  it("rotates with the newest stored token when B's own token is about to expire, and A then adopts B's", async () => {
    const { storage, a, b } = await signedInTabs();
    await a.hearth.auth.refresh();
    const afterA = stored(storage).refreshToken;
    b.clock.offset = 3600_000; // B's clock says every token is expiring: its next call refreshes
    await b.hearth.auth.me();
    expect(b.refreshedWith).toEqual([afterA]);
    const afterB = stored(storage).refreshToken;
    expect(afterB).not.toBe(afterA);
    // A holds afterA (spent by B now): a 401-free refresh adopts afterB.
    await a.hearth.auth.refresh();
    expect(a.refreshedWith).toHaveLength(1);
    expect(a.hearth.auth.user).not.toBeNull();
    b.clock.offset = 0;
    await bothWork(a, b);
  });

  it('serialises concurrent refreshes across tabs with Web Locks: no token is sent twice', async () => {
    const locks = lockManager();
    const { a, b } = await signedInTabs({ locks });
    a.clock.offset = b.clock.offset = 3600_000;
    await Promise.all([a.hearth.auth.refresh(), b.hearth.auth.refresh(), a.hearth.auth.me(), b.hearth.auth.me()]);
    // The second tab in the lock finds the first one's fresh tokens stored and adopts them.
    const sent = [...a.refreshedWith, ...b.refreshedWith];
    expect(sent).toHaveLength(1);
    expect(locks.names).toEqual([`hearth.${appId}.session.refresh`, `hearth.${appId}.session.refresh`]);
    a.clock.offset = b.clock.offset = 0;
    await bothWork(a, b);
  });

  it('without locks the same concurrent refresh sends one token twice, and the server ends the session', async () => {
    const { a, b } = await signedInTabs({ locks: null });
    a.clock.offset = b.clock.offset = 3600_000;
    await Promise.allSettled([a.hearth.auth.refresh(), b.hearth.auth.refresh()]);
    expect(a.refreshedWith).toEqual(b.refreshedWith);
    expect([...a.events, ...b.events]).toContain('SESSION_REVOKED');
  });

  it('uses navigator.locks by default, and locks: null turns it off', async () => {
    const locks = lockManager();
    vi.stubGlobal('navigator', { locks });
    try {
      const storage = memoryStorage();
      const byDefault = createClient({ url, app: appId, key, storage });
      await byDefault.auth.signInAnonymously();
      await byDefault.auth.refresh();
      expect(locks.names).toHaveLength(1);
      const off = createClient({ url, app: appId, key, storage, locks: null });
      await off.auth.ready;
      await off.auth.refresh().catch(() => undefined);
      expect(locks.names).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a tab whose session another tab signed out is signed out too, without a refresh', async () => {
    const { a, b } = await signedInTabs();
    await a.hearth.auth.signOut();
    await expect(b.hearth.auth.refresh()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(b.refreshedWith).toEqual([]);
    expect(b.hearth.auth.user).toBeNull();
    expect(b.events).toEqual(['SIGNED_OUT']);
  });

  it('a garbled stored session is ignored: the tab refreshes with its own', async () => {
    const { storage, a } = await signedInTabs();
    const own = stored(storage).refreshToken;
    await storage.setItem(`hearth.${appId}.session`, '{not json');
    await a.hearth.auth.refresh();
    expect(a.refreshedWith).toEqual([own]);
    expect(stored(storage).refreshToken).not.toBe(own);
  });
});
