import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenHash } from '../../src/modules/push/installations.service.js';
import type { BatchOp } from '../../src/ports/document-store.js';
import { ENGINES } from '../support/harness.js';
import { pushWorld, settled, startPushServers, type PushServers, type PushWorld } from './kit.js';
import { apnsToken, fcmToken } from './keys.js';

/**
 * 100,000 installations (seeded through the store: 49% Android, 49% iOS, 2% web, 1% of all
 * being dead iOS tokens), one message to all through the queue: the counts are exact at
 * the end, every provider got exactly its share, and the time is printed.
 * PUSH_SCALE_COUNT overrides the size (e.g. a quick local run). On MongoDB the suites run against
 * jongodb, the MongoDB-wire test server, whose inserts cost time linear in the collection size
 * (100,000 did not finish seeding in 15 minutes; bench/run.mjs caps it the same way): there it
 * uses PUSH_SCALE_MONGODB_COUNT (default 2,000, like the benchmark: 1,000 take 8.5 s to seed there, 10,000 did not finish in 9 minutes).
 */
const sizes = (total: number) => {
  const web = Math.round(total * 0.02);
  const android = Math.round(total * 0.49);
  return { TOTAL: total, WEB: web, ANDROID: android, IOS: total - web - android, DEAD: Math.round(total * 0.01) };
};
const COUNT = {
  sqlite: Number(process.env.PUSH_SCALE_COUNT ?? 100_000),
  mongodb: Number(process.env.PUSH_SCALE_MONGODB_COUNT ?? 2_000),
};

let servers: PushServers;
beforeAll(async () => {
  servers = await startPushServers({ keep: 0 });
});
afterAll(async () => servers?.close());

describe.each(ENGINES)('push to many installations on %s', (engine) => {
  const { TOTAL, WEB, ANDROID, IOS, DEAD } = sizes(COUNT[engine]);
  let w: PushWorld;
  beforeAll(async () => {
    w = await pushWorld(engine, servers, {
      pushFanout: { batchSize: 500, concurrency: { ios: 200, android: 200, web: 100 } },
    });
  }, 120_000);
  afterAll(async () => w?.close());

  it(
    `${TOTAL.toLocaleString('en')} installations, one message to all: exact counts`,
    { timeout: 900_000 },
    async () => {
      await w.h.modules.push.services.installations.ensure(w.appId);
      const app = w.h.store.forApp(w.appId);
      const seedStart = Date.now();
      let ops: BatchOp[] = [];
      const flush = async () => {
        if (ops.length) await app.batch(ops);
        ops = [];
      };
      const add = async (platform: string, token: string | null, subscription: unknown) => {
        ops.push({
          op: 'create',
          collection: '_push_installations',
          data: {
            platform,
            token,
            subscription: subscription as never,
            tokenHash: tokenHash(platform, token ?? (subscription as { endpoint: string }).endpoint),
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
        if (ops.length >= 500) await flush();
      };
      for (let i = 0; i < ANDROID; i++) await add('android', fcmToken(), null);
      for (let i = 0; i < IOS; i++) {
        const t = apnsToken();
        if (i < DEAD) servers.apns.answers.script(t, { status: 410 });
        await add('ios', t, null);
      }
      for (let i = 0; i < WEB; i++) await add('web', null, servers.web.subscribe(w.vapidPublicKey));
      await flush();
      const seeded = Date.now() - seedStart;
      const before = {
        fcm: servers.fcm.stats.sends,
        apns: servers.apns.stats.requests,
        web: servers.web.stats.requests,
      };

      const start = Date.now();
      const res = await w.h.http
        .post(`/v1/apps/${w.appId}/push/messages`)
        .set('X-Hearth-Key', w.secretKey)
        .send({ target: { all: true }, notification: { title: 'Everyone', body: 'Hello' } })
        .expect(202);
      const done = await settled(w, res.body.id, 900_000);
      const ms = Date.now() - start;
      console.log(
        `[push scale ${engine}] ${TOTAL} installations seeded in ${(seeded / 1000).toFixed(1)} s; one message to all done in ${(ms / 1000).toFixed(1)} s (${Math.round((TOTAL / ms) * 1000)} deliveries/s)`,
      );
      expect(done.state).toBe('done');
      expect(done.counts).toEqual({ targeted: TOTAL, sent: TOTAL - DEAD, failed: 0, invalid: DEAD });
      expect(done.providers).toEqual({
        android: { sent: ANDROID, failed: 0, invalid: 0 },
        ios: { sent: IOS - DEAD, failed: 0, invalid: DEAD },
        web: { sent: WEB, failed: 0, invalid: 0 },
      });
      expect(servers.fcm.stats.sends - before.fcm).toBe(ANDROID);
      expect(servers.apns.stats.requests - before.apns).toBe(IOS);
      expect(servers.web.stats.requests - before.web).toBe(WEB);
      expect(
        await app.count('_push_installations', {
          filter: { op: 'field', path: 'active', conds: [{ op: 'eq', value: false }] },
        }),
      ).toBe(DEAD);
    },
  );
});
