import type { SubscriptionEvent } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveRealtime, until, type LiveRealtime } from './realtime.kit.js';

/**
 * The realtime connection follows the client's session: every token refresh is sent (`auth`),
 * and a session the server revokes (re-checked every 100 ms here) ends in a sign-out and a new
 * handshake with the key alone, where subscriptions the key may not hold end with an error event.
 */
interface Note {
  text: string;
}
const PASSWORD = 'correct horse battery staple';

describe('SDK realtime and the session', () => {
  let live: LiveRealtime;
  beforeAll(async () => {
    live = await startLiveRealtime({ realtime: { sessionCheckMs: 100 } });
    for (const [name, list] of [
      ['open', 'public'],
      ['members', 'authenticated'],
    ] as const)
      await live
        .http()
        .post(`/v1/admin/apps/${live.appId}/collections`)
        .set(live.admin)
        .send({
          name,
          fields: [{ name: 'text', type: 'string' }],
          rules: { list, get: list, create: 'public', update: 'public', delete: 'public' },
        })
        .expect(201);
  });
  afterAll(async () => {
    await live?.close();
  });

  it('sends every refreshed token to the socket, and subscriptions carry on', async () => {
    const emitted: Array<[string, unknown]> = [];
    const hearth = live.client({ emitted });
    await hearth.auth.signInAnonymously();
    const events: SubscriptionEvent<Note>[] = [];
    await hearth.collection<Note>('members').subscribe({}, (e) => events.push(e));
    expect(emitted.filter(([e]) => e === 'auth')).toEqual([]);
    // Tokens are made to the second: a refresh in the same second as the sign-in is the same token.
    await new Promise((r) => setTimeout(r, 1_100));
    await hearth.auth.refresh();
    await until('auth sent', () => emitted.some(([e]) => e === 'auth'));
    const [, payload] = emitted.find(([e]) => e === 'auth')!;
    expect(typeof (payload as { token: unknown }).token).toBe('string');
    await hearth.collection<Note>('members').create({ text: 'after refresh' });
    await until('change after refresh', () => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'create', document: { text: 'after refresh' } });
  });

  it('a revoked session: signed out, reconnected with the key, the members-only subscription ends with an error', async () => {
    const email = `rt-${Date.now()}@example.com`;
    const hearth = live.client();
    await hearth.auth.signUp({ email, password: PASSWORD });
    const open: SubscriptionEvent<Note>[] = [];
    const members: SubscriptionEvent<Note>[] = [];
    await hearth.collection<Note>('open').subscribe({}, (e) => open.push(e));
    await hearth.collection<Note>('members').subscribe({}, (e) => members.push(e));
    const signedOut: string[] = [];
    hearth.auth.onChange((user, event) => void (user === null && signedOut.push(event)));

    // The same user elsewhere revokes this session.
    const other = live.client();
    await other.auth.signIn({ email, password: PASSWORD });
    const sessions = await other.auth.sessions();
    const mine = sessions.find((s) => !s.current)!;
    await other.auth.revokeSession(mine.id);

    await until('signed out', () => signedOut.length > 0, 15_000);
    await until('members-only subscription ended', () => members.some((e) => e.type === 'error'), 15_000);
    const ended = members.find((e) => e.type === 'error');
    expect(ended).toMatchObject({ type: 'error', error: { code: 'forbidden' } });
    // The public one came back on the new key-only connection.
    await until('reconnected', () => hearth.realtime.connected);
    await other.collection<Note>('open').create({ text: 'still open' });
    await until('open change', () => open.some((e) => e.type === 'create'), 15_000);
  }, 40_000);

  it('a revoked key: every subscription ends with invalid_api_key', async () => {
    const created = await live
      .http()
      .post(`/v1/admin/apps/${live.appId}/keys`)
      .set(live.admin)
      .send({ kind: 'public', name: 'to revoke' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const hearth = live.client({ key: created.body.key as string });
    const events: SubscriptionEvent<Note>[] = [];
    await hearth.collection<Note>('open').subscribe({}, (e) => events.push(e));
    await live.http().delete(`/v1/admin/apps/${live.appId}/keys/${created.body.id}`).set(live.admin).expect(200);
    await until('ended', () => events.some((e) => e.type === 'error'), 15_000);
    expect(events.find((e) => e.type === 'error')).toMatchObject({ error: { code: 'invalid_api_key', status: 401 } });
  }, 30_000);

  it('refreshes by itself a minute before the access token expires, and sends it to the socket', async () => {
    await live
      .http()
      .patch(`/v1/admin/apps/${live.appId}/auth/settings`)
      .set(live.admin)
      .send({ accessTokenTtl: 60 })
      .expect(200);
    try {
      const emitted: Array<[string, unknown]> = [];
      const hearth = live.client({ emitted });
      await hearth.auth.signInAnonymously();
      const refreshed: string[] = [];
      hearth.auth.onChange((_u, event) => void refreshed.push(event));
      await hearth.collection<Note>('open').subscribe({}, () => {});
      // A 60 s token: the socket's timer refreshes after 1 s (no request made by the app).
      await until(
        'refreshed and sent',
        () => refreshed.includes('TOKEN_REFRESHED') && emitted.some(([e]) => e === 'auth'),
        10_000,
      );
    } finally {
      await live
        .http()
        .patch(`/v1/admin/apps/${live.appId}/auth/settings`)
        .set(live.admin)
        .send({ accessTokenTtl: 900 })
        .expect(200);
    }
  }, 20_000);
});
