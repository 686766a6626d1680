import { HearthError, type SocketLike, type SubscriptionEvent } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveRealtime, until, type LiveRealtime } from './realtime.kit.js';

/**
 * `collection(name).subscribe` against a live Hearth with realtime: typed change events,
 * unsubscribe, errors as HearthError, a dropped connection restored without a gap (the server's
 * replay from the last `at`), and a server restart surfaced as `refetch`, then live again.
 */
interface Note {
  text: string;
  room: string;
}

describe('SDK realtime subscriptions', () => {
  let live: LiveRealtime;
  beforeAll(async () => {
    live = await startLiveRealtime();
    await live
      .http()
      .post(`/v1/admin/apps/${live.appId}/collections`)
      .set(live.admin)
      .send({
        name: 'notes',
        fields: [
          { name: 'text', type: 'string' },
          { name: 'room', type: 'string' },
        ],
        rules: {
          list: 'public',
          get: 'public',
          create: 'authenticated',
          update: 'authenticated',
          delete: 'authenticated',
        },
      })
      .expect(201);
  });
  afterAll(async () => {
    await live?.close();
  });

  const signedIn = async (sockets?: SocketLike[]) => {
    const hearth = live.client({ sockets });
    await hearth.auth.signInAnonymously();
    return { hearth, notes: hearth.collection<Note>('notes') };
  };

  it('delivers create, update, leave and delete for a filter, and stops after unsubscribe', async () => {
    const { hearth, notes } = await signedIn();
    const events: SubscriptionEvent<Note>[] = [];
    const unsubscribe = await notes.subscribe({ room: 'r1' }, (e) => events.push(e));
    expect(hearth.realtime.connected).toBe(true);
    const other = await notes.create({ text: 'elsewhere', room: 'r2' });
    const n = await notes.create({ text: 'hello', room: 'r1' });
    await notes.update(n.id, { text: 'hello again' });
    await notes.update(n.id, { room: 'r2' });
    await until('4 events', () => events.length >= 3);
    expect(events.map((e) => e.type)).toEqual(['create', 'update', 'leave']);
    const first = events[0]!;
    if (first.type !== 'create') throw new Error('expected create');
    expect(first.document).toMatchObject({ id: n.id, text: 'hello', room: 'r1', version: 1 });
    expect(Date.parse(first.at)).toBeGreaterThan(0);
    expect(events.some((e) => 'document' in e && e.document.id === other.id)).toBe(false);

    const one: SubscriptionEvent<Note>[] = [];
    const stopOne = await notes.subscribe({ id: other.id }, (e) => one.push(e));
    await notes.delete(other.id);
    await until('delete event', () => one.length >= 1);
    expect(one[0]).toMatchObject({ type: 'delete', document: { id: other.id } });

    await unsubscribe();
    await stopOne();
    await notes.create({ text: 'after', room: 'r1' });
    await new Promise((r) => setTimeout(r, 200));
    expect(events).toHaveLength(3);
  });

  it('rejects a bad subscription with the server error, typed', async () => {
    const { hearth, notes } = await signedIn();
    const bad = await notes.subscribe({ room: { $regex: '(' } } as never, () => {}).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(HearthError);
    expect((bad as HearthError).code).toBe('invalid_request');
    const missing = await hearth
      .collection('nope')
      .subscribe({}, () => {})
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('restores a subscription after a dropped connection without missing the change made meanwhile', async () => {
    const sockets: SocketLike[] = [];
    const { notes } = await signedIn(sockets);
    const events: SubscriptionEvent<Note>[] = [];
    await notes.subscribe({ room: 'r3' }, (e) => events.push(e));
    await notes.create({ text: 'one', room: 'r3' });
    await until('first event', () => events.length === 1);
    // Cut the transport (as a network drop does); write through REST before it comes back.
    (sockets[0] as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    const missed = await notes.create({ text: 'while away', room: 'r3' });
    await until('the change made while away', () => events.some((e) => 'document' in e && e.document.id === missed.id));
    await until('reconnected', () => sockets[0]!.connected);
    const after = await notes.create({ text: 'after', room: 'r3' });
    await until('live again', () => events.some((e) => 'document' in e && e.document.id === after.id));
    // Replays are inclusive of the last `at`: nothing arrives twice, nothing asks for a refetch.
    const ids = events.map((e) => ('document' in e ? e.document.id : e.type));
    expect(new Set(ids).size).toBe(ids.length);
    expect(events.map((e) => e.type)).toEqual(['create', 'create', 'create']);
  });

  it('across a server restart: says refetch (the new server has no replay), then is live again', async () => {
    const { notes } = await signedIn();
    const events: SubscriptionEvent<Note>[] = [];
    await notes.subscribe({ room: 'r4' }, (e) => events.push(e));
    await notes.create({ text: 'before', room: 'r4' });
    await until('first event', () => events.length === 1);
    await live.restart();
    await until('refetch', () => events.some((e) => e.type === 'refetch'), 20_000);
    expect(events[1]).toEqual({ type: 'refetch', reason: 'replay_too_old' });
    const after = await notes.create({ text: 'after restart', room: 'r4' });
    await until('live after restart', () => events.some((e) => 'document' in e && e.document.id === after.id));
  }, 60_000);

  it('replays from a given `since`, and an old `since` is a refetch event before going live', async () => {
    const { notes } = await signedIn();
    const since = new Date().toISOString();
    const made = await notes.create({ text: 'earlier', room: 'r5' });
    const events: SubscriptionEvent<Note>[] = [];
    await notes.subscribe({ room: 'r5' }, (e) => events.push(e), { since });
    await until('replayed', () => events.length >= 1);
    expect(events[0]).toMatchObject({ type: 'create', document: { id: made.id } });
    const old: SubscriptionEvent<Note>[] = [];
    await notes.subscribe({ room: 'r5' }, (e) => old.push(e), { since: 0 });
    expect(old).toEqual([{ type: 'refetch', reason: 'replay_too_old' }]);
  });

  it('keeps working through a token refresh and a sign-out (a new handshake with the key alone)', async () => {
    const { hearth, notes } = await signedIn();
    const events: SubscriptionEvent<Note>[] = [];
    await notes.subscribe({ room: 'r6' }, (e) => events.push(e));
    await hearth.auth.refresh();
    const writer = await signedIn();
    await writer.notes.create({ text: 'after refresh', room: 'r6' });
    await until('event after refresh', () => events.length === 1);
    await hearth.auth.signOut();
    await writer.notes.create({ text: 'after sign-out', room: 'r6' });
    await until(
      'event after sign-out (public list rule)',
      () => events.filter((e) => e.type === 'create').length === 2,
    );
  });
});
