import type { PushManagerLike, PushSubscriptionLike } from '@hearth/sdk';
import { createPushProviders } from '../../../server/src/engines/push/index.js';
import { startWorld, type RealtimeWorld } from '../../../server/test/realtime/support.js';
import { startWebPushServer, type WebPushServer } from '../../../server/test/servers/push/webpush-server.js';
import { tempJobQueue } from '../../../server/test/support/harness.js';

/**
 * A real Hearth listening on 127.0.0.1 (HTTP and socket.io, every module, the SQLite store and
 * the embedded job queue: the server tests' realtime world), with its Web Push client pointed at
 * the local Web Push receiver the push tests use (an HTTPS push service that decrypts what it
 * gets, as a browser would). Not the built `pnpm start` server: that one refuses push endpoints
 * on loopback addresses and has no setting to allow them (see the README).
 */
export interface ChatWorld {
  world: RealtimeWorld;
  web: WebPushServer;
  close(): Promise<void>;
}

export async function startChatWorld(): Promise<ChatWorld> {
  const web = await startWebPushServer();
  const jobs = tempJobQueue({ idlePollMs: 50 });
  // The local receiver listens on 127.0.0.1: allow private endpoints, as OUTBOUND_ALLOW_PRIVATE does.
  const outbound = { allowPrivate: true, allowCidrs: [] };
  const push = createPushProviders({ ca: web.ca, outbound });
  const world = await startWorld('sqlite', { jobs, push, outbound });
  return {
    world,
    web,
    close: async () => {
      await world.close();
      await jobs.close();
      await push.close();
      await web.close();
    },
  };
}

/**
 * A browser's `registration.pushManager` for `hearth.push.register`, backed by the local push
 * service: `subscribe` gets a subscription bound to the VAPID key the SDK passes.
 */
export function localPushManager(web: WebPushServer): PushManagerLike {
  let current: PushSubscriptionLike | null = null;
  return {
    getSubscription: async () => current,
    subscribe: async ({ applicationServerKey }) => {
      const key = Buffer.from(applicationServerKey);
      const sub = web.subscribe(key.toString('base64url'));
      current = {
        endpoint: sub.endpoint,
        options: { applicationServerKey: new Uint8Array(key).buffer },
        toJSON: () => ({ endpoint: sub.endpoint, keys: sub.keys }),
        unsubscribe: async () => {
          current = null;
          return true;
        },
      };
      return current;
    },
  };
}
