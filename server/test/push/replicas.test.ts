import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectMongoStore } from '../../src/engines/mongodb/index.js';
import { newId } from '../../src/lib/ids.js';
import { InstallationsService, tokenHash } from '../../src/modules/push/installations.service.js';
import type { BatchOp, DocumentStore } from '../../src/ports/document-store.js';
import { startRedis } from '../servers/redis.js';
import { runMain, type MainProcess } from '../support/main-process.js';
import { ADMIN } from '../support/harness.js';
import { apnsToken, fcmToken } from './keys.js';
import { startPushServers, type PushServers } from './kit.js';

/**
 * Two server processes (main.ts) sharing one MongoDB database and one redis-server (bull), their
 * providers pointed at the local FCM, APNs and Web Push servers: one message to every
 * installation is delivered exactly once to each (every token seen once by its server, none
 * twice), the message's counts are exact, and the two processes' delivery metrics add up to it.
 */
const N = { android: 450, ios: 450, web: 100 };
const TOTAL = N.android + N.ios + N.web;

let servers: PushServers;
let redis: Awaited<ReturnType<typeof startRedis>>;
let store: DocumentStore;
const replicas: MainProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  servers = await startPushServers({ keep: 10_000 });
  redis = await startRedis();
  const db = `t_${newId().replace(/[^A-Za-z0-9]/g, '')}`;
  store = await connectMongoStore({ url: inject('mongoUrl'), dbName: db });
  const caDir = mkdtempSync(join(tmpdir(), 'hearth-push-replicas-'));
  dirs.push(caDir);
  writeFileSync(join(caDir, 'ca.pem'), servers.fcm.ca);
  for (const name of ['a', 'b']) {
    const dataDir = join(caDir, name);
    replicas.push(
      runMain({
        DATA_DIR: dataDir,
        HEARTH_SECRET: 'replicas-secret-0123456789-0123456789-abcdef',
        MONGODB_URL: inject('mongoUrl'),
        MONGODB_DB: db,
        REDIS_URL: redis.url,
        PUSH_FCM_URL: servers.fcm.url,
        PUSH_FCM_TOKEN_URL: servers.fcm.tokenUrl,
        PUSH_APNS_URL: servers.apns.url,
        PUSH_CA_FILE: join(caDir, 'ca.pem'),
        OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8',
        LOG_LEVEL: 'warn',
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await store?.close();
  await redis?.stop();
  await servers?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `hearth_push_deliveries_total` of one process, by provider, outcome `sent`. */
async function sentBy(url: string): Promise<Record<string, number>> {
  const text = (await request(url).get('/metrics').expect(200)).text;
  const out: Record<string, number> = { fcm: 0, apns: 0, webpush: 0 };
  for (const m of text.matchAll(/^hearth_push_deliveries_total\{([^}]*)\} (\d+)/gm)) {
    const labels = m[1]!;
    const provider = /provider="([^"]+)"/.exec(labels)?.[1];
    if (provider && labels.includes('outcome="sent"')) out[provider] = Number(m[2]);
  }
  return out;
}

describe('push with two replicas on bull', () => {
  it(`delivers one message to ${TOTAL} installations exactly once each`, { timeout: 300_000 }, async () => {
    const [urlA, urlB] = await Promise.all(replicas.map((r) => r.url(90_000)));
    const a = request(urlA!);
    const b = request(urlB!);
    const setup = await a.post('/v1/admin/setup').send(ADMIN).expect(201);
    const admin = { Authorization: `Bearer ${setup.body.accessToken as string}` };
    const created = await a.post('/v1/admin/apps').set(admin).send({ name: 'Replicas' }).expect(201);
    const appId = created.body.id as string;
    const secretKey = created.body.keys.secret as string;
    const base = `/v1/admin/apps/${appId}/push/credentials`;
    await a.put(`${base}/fcm`).set(admin).send({ serviceAccount: servers.sa.json }).expect(200);
    const k = servers.apnsKey;
    await b
      .put(`${base}/apns`)
      .set(admin)
      .send({ key: k.p8, keyId: k.keyId, teamId: k.teamId, topic: k.topic, environment: 'sandbox' })
      .expect(200);
    const vapid = await a.put(`${base}/vapid`).set(admin).send({ subject: 'mailto:ops@example.com' }).expect(200);

    // seeded through the store (as the scale suite does): 2 pages of 500 for the fan-out
    await new InstallationsService({ store }).ensure(appId);
    const tokens = { android: new Set<string>(), ios: new Set<string>(), web: new Set<string>() };
    const ops: BatchOp[] = [];
    const add = (
      platform: 'android' | 'ios' | 'web',
      token: string | null,
      subscription: { endpoint: string } | null,
    ) => {
      tokens[platform].add(token ?? subscription!.endpoint.split('/').at(-1)!);
      ops.push({
        op: 'create',
        collection: '_push_installations',
        data: {
          platform,
          token,
          subscription: subscription as never,
          tokenHash: tokenHash(platform, token ?? subscription!.endpoint),
          channels: [],
          locale: null,
          timeZone: null,
          appVersion: '1.0',
          badge: null,
          active: true,
          deactivatedReason: null,
        },
        owner: null,
      });
    };
    for (let i = 0; i < N.android; i++) add('android', fcmToken(), null);
    for (let i = 0; i < N.ios; i++) add('ios', apnsToken(), null);
    for (let i = 0; i < N.web; i++) add('web', null, servers.web.subscribe(vapid.body.publicKey as string));
    for (let i = 0; i < ops.length; i += 250) await store.forApp(appId).batch(ops.slice(i, i + 250));

    const sent = await a
      .post(`/v1/apps/${appId}/push/messages`)
      .set('X-Hearth-Key', secretKey)
      .send({ target: { all: true }, notification: { title: 'Both', body: 'Replicas' } })
      .expect(202);
    const started = Date.now();
    let done: Record<string, unknown>;
    for (;;) {
      done = (await b.get(`/v1/apps/${appId}/push/messages/${sent.body.id}`).set('X-Hearth-Key', secretKey).expect(200))
        .body;
      if (!['scheduled', 'sending'].includes(done.state as string)) break;
      if (Date.now() - started > 240_000) throw new Error(`still ${String(done.state)}: ${JSON.stringify(done)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(done.state).toBe('done');
    expect(done.counts).toEqual({ targeted: TOTAL, sent: TOTAL, failed: 0, invalid: 0 });
    expect(done.providers).toEqual({
      android: { sent: N.android, failed: 0, invalid: 0 },
      ios: { sent: N.ios, failed: 0, invalid: 0 },
      web: { sent: N.web, failed: 0, invalid: 0 },
    });
    // every installation exactly once at its provider
    const fcm = servers.fcm.received.map((r) => r.token);
    const apns = servers.apns.received.map((r) => r.token);
    const web = servers.web.received.map((r) => r.id);
    expect(fcm).toHaveLength(N.android);
    expect(new Set(fcm)).toEqual(tokens.android);
    expect(apns).toHaveLength(N.ios);
    expect(new Set(apns)).toEqual(tokens.ios);
    expect(web).toHaveLength(N.web);
    expect(new Set(web)).toEqual(tokens.web);
    // and the two processes' own counts add up to that
    const [byA, byB] = await Promise.all([sentBy(urlA!), sentBy(urlB!)]);
    console.log(
      `[push replicas] done in ${Date.now() - started} ms; sent by a: ${JSON.stringify(byA)}, by b: ${JSON.stringify(byB)}`,
    );
    expect(byA.fcm! + byB.fcm!).toBe(N.android);
    expect(byA.apns! + byB.apns!).toBe(N.ios);
    expect(byA.webpush! + byB.webpush!).toBe(N.web);
  });
});
