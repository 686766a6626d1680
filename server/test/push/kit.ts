import webPush from 'web-push';
import { expect } from 'vitest';
import { createPushProviders } from '../../src/engines/push/index.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import { startApnsServer, type ApnsServer } from '../servers/push/apns-server.js';
import { startFcmServer, type FcmServer } from '../servers/push/fcm-server.js';
import { startWebPushServer, type WebPushServer } from '../servers/push/webpush-server.js';
import {
  startHarness,
  tempJobQueue,
  withAdminAndApp,
  type EngineName,
  type Harness,
  type HarnessOptions,
} from '../support/harness.js';
import { LOOPBACK_ONLY } from '../webhooks/support.js';
import { apnsKey, serviceAccount } from './keys.js';

/**
 * The push suites' world: the three local protocol servers (one set per test file), a Hearth app
 * on a real store and the embedded job queue, with its providers pointed at those servers and
 * credentials uploaded through the admin API.
 */
export interface PushServers {
  fcm: FcmServer;
  apns: ApnsServer;
  web: WebPushServer;
  sa: ReturnType<typeof serviceAccount>;
  apnsKey: ReturnType<typeof apnsKey>;
  close(): Promise<void>;
}

export async function startPushServers(options: { keep?: number } = {}): Promise<PushServers> {
  const sa = serviceAccount();
  const key = apnsKey();
  const [fcm, apns, web] = await Promise.all([
    startFcmServer({ accounts: [sa.account], ...options }),
    startApnsServer({ keys: [key.server], ...options }),
    startWebPushServer(options),
  ]);
  return {
    fcm,
    apns,
    web,
    sa,
    apnsKey: key,
    close: async () => {
      await Promise.all([fcm.close(), apns.close(), web.close()]);
    },
  };
}

export interface PushWorld {
  h: Harness;
  jobs: JobQueue;
  appId: string;
  adminToken: string;
  publicKey: string;
  secretKey: string;
  vapidPublicKey: string;
  admin: (r: import('supertest').Test) => import('supertest').Test;
  close(): Promise<void>;
}

export async function pushWorld(
  engine: EngineName,
  servers: PushServers,
  options: HarnessOptions = {},
): Promise<PushWorld> {
  const jobs = tempJobQueue({ idlePollMs: 50 });
  const push = createPushProviders({
    fcmApiUrl: servers.fcm.url,
    fcmTokenUrl: servers.fcm.tokenUrl,
    apnsUrl: servers.apns.url,
    ca: servers.fcm.ca,
    outbound: LOOPBACK_ONLY,
  });
  const h = await startHarness(engine, { jobs, push, outbound: LOOPBACK_ONLY, ...options });
  const { adminToken, appId, publicKey, secretKey } = await withAdminAndApp(h);
  const admin = (r: import('supertest').Test) => r.set('Authorization', `Bearer ${adminToken}`);
  const base = `/v1/admin/apps/${appId}/push/credentials`;
  await admin(h.http.put(`${base}/fcm`))
    .send({ serviceAccount: servers.sa.json })
    .expect(200);
  const k = servers.apnsKey;
  await admin(h.http.put(`${base}/apns`))
    .send({ key: k.p8, keyId: k.keyId, teamId: k.teamId, topic: k.topic, environment: 'sandbox' })
    .expect(200);
  const vapid = await admin(h.http.put(`${base}/vapid`))
    .send({ subject: 'mailto:ops@example.com' })
    .expect(200);
  return {
    h,
    jobs,
    appId,
    adminToken,
    publicKey,
    secretKey,
    vapidPublicKey: vapid.body.publicKey as string,
    admin,
    close: async () => {
      await jobs.close();
      await push.close();
      await h.close();
    },
  };
}

/** A signed-up user's access token. */
export async function signUp(w: PushWorld, email: string): Promise<{ token: string; userId: string }> {
  const res = await w.h.http
    .post(`/v1/apps/${w.appId}/auth/signup`)
    .set('X-Hearth-Key', w.publicKey)
    .send({ email, password: 'a long enough password 123' })
    .expect(201);
  return { token: res.body.accessToken as string, userId: res.body.user.id as string };
}

/** Polls the message until it leaves scheduled/sending (or the time runs out). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body the tests pick apart
type Body = Record<string, any>;

export async function settled(w: PushWorld, id: string, timeoutMs = 20_000): Promise<Body> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await w.h.http
      .get(`/v1/apps/${w.appId}/push/messages/${id}`)
      .set('X-Hearth-Key', w.secretKey)
      .expect(200);
    if (!['scheduled', 'sending'].includes(res.body.state)) return res.body;
    if (Date.now() > until) {
      expect.fail(`message ${id} still ${res.body.state}: ${JSON.stringify(res.body.counts)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const vapidKeys = () => webPush.generateVAPIDKeys();
