import { createClient, type HearthClient } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinRoom, signInOrUp } from '../chat.mjs';
import { notifyAway } from '../notify-away.mjs';
import { setupChat } from '../setup.mjs';
import { localPushManager, startChatWorld, type ChatWorld } from './world.js';

/**
 * Two Node clients chat over a channel with presence through the SDK; when one has left, the
 * notifier pushes the other's message to their web subscription, which the local Web Push
 * receiver gets and decrypts. (chat-built.test.ts runs the chat against the built server.)
 */
async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('examples/chat-node', () => {
  let w: ChatWorld;
  let ada: HearthClient;
  let bob: HearthClient;
  const adaSaw: string[] = [];
  const bobSaw: string[] = [];
  const room = 'room:lobby';
  const stops: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    w = await startChatWorld();
    const { url, appId, publicKey, adminToken } = w.world;
    await setupChat({ hearthUrl: url, adminToken, app: appId });
    ada = createClient({ url, app: appId, key: publicKey });
    bob = createClient({ url, app: appId, key: publicKey });
    await signInOrUp(ada, 'ada@example.com', 'a long enough password 1');
    await signInOrUp(bob, 'bob@example.com', 'a long enough password 2');
  });
  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => {});
    ada?.realtime.close();
    bob?.realtime.close();
    await w?.close();
  });

  it('chats with presence, and pushes a message to a member who has gone away', async () => {
    // Bob's browser registers for Web Push: `hearth.push.register({ serviceWorkerRegistration })`
    // subscribes with the app's VAPID key; here the local push service stands in for the browser's.
    const installation = await bob.push.register({ pushManager: localPushManager(w.web) });
    expect(installation).toMatchObject({ platform: 'web', userId: bob.auth.user!.id, active: true });
    const pushes: string[] = [];
    const notifier = await notifyAway({
      url: w.world.url,
      app: w.world.appId,
      secretKey: w.world.secretKey,
      room,
      log: (line: string) => pushes.push(line),
    });
    stops.push(notifier.stop);

    const adaChat = await joinRoom(ada, { room, name: 'Ada', print: (l: string) => adaSaw.push(l) });
    const bobChat = await joinRoom(bob, { room, name: 'Bob', print: (l: string) => bobSaw.push(l) });
    expect(bobSaw).toEqual([`* you joined ${room} (3 here)`]); // Ada, Bob and the notifier
    await until('Ada to see Bob join', () => adaSaw.find((l) => l.includes('joined (3 here)')));
    const members = bobChat.channel.members.map((m: { id: string | null }) => m.id);
    expect(members).toEqual(expect.arrayContaining([ada.auth.user!.id, bob.auth.user!.id]));

    await adaChat.say('Hi Bob!');
    await until('Bob to get it', () => bobSaw.find((l) => l === 'Ada: Hi Bob!'));
    await bobChat.say('Hi Ada, off to lunch');
    await until('Ada to get it', () => adaSaw.find((l) => l === 'Bob: Hi Ada, off to lunch'));
    expect(adaSaw.filter((l) => l.startsWith('Ada:'))).toEqual([]); // no echo of one's own messages
    expect(w.web.received).toEqual([]); // nobody was away

    await bobChat.leave();
    await until('Ada to see Bob leave', () => adaSaw.find((l) => l === '* Bob left (2 here)'));
    await adaChat.say('Are you back?');
    const push = await until('the push to arrive', () => w.web.received[0]);
    expect(JSON.parse(push.payload)).toMatchObject({
      title: `Ada in ${room}`,
      body: 'Are you back?',
      data: { room },
    });
    expect(pushes).toEqual([expect.stringMatching(/^push \S+ to 1 away$/)]);
    await adaChat.leave();
  });
});
