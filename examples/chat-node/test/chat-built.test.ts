import { createClient, type HearthClient } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHearth, type LiveHearth } from '../../test-kit/hearth.js';
import { joinRoom, signInOrUp } from '../chat.mjs';
import { setupChat } from '../setup.mjs';

/**
 * The chat against the built server as `pnpm start` runs it: setup.mjs through the admin API,
 * sign-up then sign-in, presence and messages both ways. (The push to an away member needs a
 * local push service, which that server refuses to call: chat.test.ts.)
 */
async function until<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('examples/chat-node against the built server', () => {
  let hearth: LiveHearth;
  const clients: HearthClient[] = [];
  const client = () => {
    const c = createClient({ url: hearth.url, app: hearth.app.id, key: hearth.app.publicKey });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    hearth = await startHearth();
    const { vapidPublicKey } = await setupChat({
      hearthUrl: hearth.url,
      adminToken: hearth.adminToken,
      app: hearth.app.id,
    });
    expect(vapidPublicKey).toMatch(/^[A-Za-z0-9_-]{87}$/); // an uncompressed P-256 point, base64url
  });
  afterAll(async () => {
    for (const c of clients) c.realtime.close();
    await hearth?.stop();
  });

  it('signs up the first time and in afterwards; a wrong password does not sign in', async () => {
    const first = await signInOrUp(client(), 'ada@example.com', 'a long enough password 1');
    const again = await signInOrUp(client(), 'ada@example.com', 'a long enough password 1');
    expect(again?.id).toBe(first?.id);
    // Sign-in refused, then sign-up refused: the email is taken.
    await expect(signInOrUp(client(), 'ada@example.com', 'the wrong password')).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('two clients chat in a room with presence', async () => {
    const [ada, bob] = [client(), client()];
    await signInOrUp(ada, 'ada@example.com', 'a long enough password 1');
    await signInOrUp(bob, 'bob@example.com', 'a long enough password 2');
    const adaSaw: string[] = [];
    const bobSaw: string[] = [];
    const adaChat = await joinRoom(ada, { room: 'room:lobby', name: 'Ada', print: (l: string) => adaSaw.push(l) });
    const bobChat = await joinRoom(bob, { room: 'room:lobby', name: 'Bob', print: (l: string) => bobSaw.push(l) });
    expect(adaSaw[0]).toBe('* you joined room:lobby (1 here)');
    expect(bobSaw).toEqual(['* you joined room:lobby (2 here)']);
    await until('Ada to see Bob join', () => adaSaw.find((l) => l === `* ${bob.auth.user!.id} joined (2 here)`));

    await adaChat.say('Hi Bob!');
    await until('Bob to get it', () => bobSaw.find((l) => l === 'Ada: Hi Bob!'));
    await bobChat.say('Hi Ada!');
    await until('Ada to get it', () => adaSaw.find((l) => l === 'Bob: Hi Ada!'));
    await bobChat.leave();
    await until('Ada to see Bob leave', () => adaSaw.find((l) => l === '* Bob left (1 here)'));
    expect(adaSaw.filter((l) => l.startsWith('Ada:'))).toEqual([]); // no echo of one's own messages

    // Outside the channel rule's pattern: only the secret key may join.
    await expect(ada.channel('secret:plans').join()).rejects.toMatchObject({ code: 'forbidden' });
    await adaChat.leave();
  });
});
