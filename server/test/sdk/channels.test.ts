import { HearthError, type Member, type PresenceEvent, type SocketLike } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveRealtime, until, type LiveRealtime } from './realtime.kit.js';

/** Channels with presence between two SDK clients on a live Hearth. */
describe('SDK channels and presence', () => {
  let live: LiveRealtime;
  beforeAll(async () => {
    live = await startLiveRealtime();
    await live
      .http()
      .put(`/v1/admin/apps/${live.appId}/realtime/channels`)
      .set(live.admin)
      .send({ rules: [{ pattern: 'room:*', join: 'authenticated', publish: 'authenticated' }] })
      .expect(200);
  });
  afterAll(async () => {
    await live?.close();
  });

  const signedIn = async (sockets?: SocketLike[]) => {
    const hearth = live.client({ sockets });
    const user = await hearth.auth.signInAnonymously();
    return { hearth, user };
  };

  it('two clients: members, presence, messages both ways (not echoed), leave', async () => {
    const a = await signedIn();
    const b = await signedIn();
    const roomA = a.hearth.channel<{ text: string }>('room:1');
    const roomB = b.hearth.channel<{ text: string }>('room:1');
    expect(a.hearth.channel('room:1')).toBe(roomA);

    const joinedA = await roomA.join();
    expect(joinedA).toEqual([{ id: a.user.id, anonymous: true }]);
    const presenceA: Array<{ event: PresenceEvent; members: Member[] }> = [];
    roomA.on('presence', (event, members) => presenceA.push({ event, members }));
    const gotA: Array<{ text: string; from: Member }> = [];
    const gotB: Array<{ text: string; from: Member }> = [];
    roomA.on('message', (m, from) => gotA.push({ text: m.text, from }));
    roomB.on('message', (m, from) => gotB.push({ text: m.text, from }));

    const joinedB = await roomB.join();
    expect(joinedB.map((m) => m.id).sort()).toEqual([a.user.id, b.user.id].sort());
    await until('A sees B join', () => presenceA.length === 1);
    expect(presenceA[0]!.event).toEqual({ type: 'joined', user: { id: b.user.id, anonymous: true } });
    expect(roomA.members.map((m) => m.id).sort()).toEqual([a.user.id, b.user.id].sort());

    await roomA.publish({ text: 'hi B' });
    await roomB.publish({ text: 'hi A' });
    await until('both messages', () => gotA.length === 1 && gotB.length === 1);
    expect(gotB[0]).toEqual({ text: 'hi B', from: { id: a.user.id, anonymous: true } });
    expect(gotA[0]).toEqual({ text: 'hi A', from: { id: b.user.id, anonymous: true } });

    await roomB.leave();
    expect(roomB.joined).toBe(false);
    await until('A sees B leave', () => presenceA.length === 2);
    expect(presenceA[1]!.event).toEqual({ type: 'left', user: { id: b.user.id, anonymous: true } });
    expect(roomA.members).toEqual([{ id: a.user.id, anonymous: true }]);
  });

  it('refuses by the channel rules and unjoined publishes, as HearthError', async () => {
    const anon = live.client();
    const denied = await anon
      .channel('room:2')
      .join()
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(HearthError);
    expect(denied).toMatchObject({ status: 403, code: 'forbidden', reason: 'rule_denied' });
    expect(anon.channel('room:2').joined).toBe(false);
    const { hearth } = await signedIn();
    const notJoined = await hearth
      .channel('room:3')
      .publish({})
      .catch((e: unknown) => e);
    expect(notJoined).toMatchObject({ code: 'invalid_request' });
    const noRule = await hearth
      .channel('lobby')
      .join()
      .catch((e: unknown) => e);
    expect(noRule).toMatchObject({ code: 'forbidden' });
  });

  it('rejoins after a dropped connection: the other member sees it leave and come back', async () => {
    const sockets: SocketLike[] = [];
    const a = await signedIn();
    const b = await signedIn(sockets);
    const roomA = a.hearth.channel<string>('room:4');
    const roomB = b.hearth.channel<string>('room:4');
    await roomA.join();
    await roomB.join();
    const seen: string[] = [];
    roomA.on('presence', (e) => seen.push(e.type));
    const got: string[] = [];
    roomB.on('message', (m) => got.push(m));
    (sockets[0] as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    await until('B rejoined', () => seen.join() === 'left,joined' && roomB.joined, 15_000);
    expect(roomA.members).toHaveLength(2);
    await roomA.publish('still there?');
    await until('B gets messages again', () => got.length === 1);
  }, 30_000);
});
