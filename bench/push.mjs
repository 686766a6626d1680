#!/usr/bin/env node
/**
 * Push benchmark: deliveries per second of each provider engine (FCM HTTP v1, APNs over HTTP/2,
 * Web Push with VAPID + aes128gcm) against the local protocol servers the tests use
 * (server/test/servers/push/), which check every request as the real services do (JWTs verified,
 * payloads decrypted). Both ends run in this process, so the numbers include the receiver's work
 * too; they measure Hearth's client side under a fixed concurrency, not the providers' capacity.
 *
 *   node bench/push.mjs [--n 5000] [--concurrency 100] [--json]
 *
 * `pnpm bench` runs it after the store and HTTP benchmarks (`--no-push` skips it).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const serverDir = join(root, 'server');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const N = Number(arg('n', '5000'));
const CONCURRENCY = Number(arg('concurrency', '100'));
const JSON_OUT = process.argv.includes('--json');

const requireFromServer = createRequire(join(serverDir, 'package.json'));
const tsxDir = dirname(requireFromServer.resolve('tsx/package.json'));
const { tsImport } = await import(pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href);
const load = (path) => tsImport(join(serverDir, path), import.meta.url);
const { createPushProviders } = await load('src/engines/push/index.ts');
const { startFcmServer, startApnsServer, startWebPushServer } = await load('test/servers/push/index.ts');
const webPush = requireFromServer('web-push');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k, type) => k.export({ type, format: 'pem' }).toString();
const account = { projectId: 'hearth-bench', clientEmail: 'bench@hearth-bench.iam.gserviceaccount.com' };
const apnsIds = { keyId: 'BENCH12345', teamId: 'TEAM123456', topic: 'com.example.bench' };

const [fcm, apns, web] = await Promise.all([
  startFcmServer({ accounts: [{ ...account, publicKey: pem(rsa.publicKey, 'spki') }], keep: 0 }),
  startApnsServer({ keys: [{ ...apnsIds, publicKey: pem(ec.publicKey, 'spki'), topics: [apnsIds.topic] }], keep: 0 }),
  startWebPushServer({ keep: 0 }),
]);
const providers = createPushProviders({
  fcmApiUrl: fcm.url,
  fcmTokenUrl: fcm.tokenUrl,
  apnsUrl: apns.url,
  ca: fcm.ca, // the three servers share one self-signed certificate
  outbound: { allowPrivate: false, allowCidrs: ['127.0.0.0/8'] },
});
const note = { title: 'Benchmark', body: 'Hello from Hearth', data: { n: 1 }, ttlSeconds: 3600, priority: 'high' };
const vapid = { ...webPush.generateVAPIDKeys(), subject: 'mailto:bench@example.com' };
const subscriptions = Array.from({ length: Math.min(N, 1000) }, () => web.subscribe(vapid.publicKey));

const cases = [
  {
    provider: 'fcm',
    send: () =>
      providers.android.send({
        appId: 'bench',
        credentials: { ...account, privateKey: pem(rsa.privateKey, 'pkcs8') },
        target: `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`,
        notification: note,
      }),
  },
  {
    provider: 'apns',
    send: () =>
      providers.ios.send({
        appId: 'bench',
        credentials: { ...apnsIds, key: pem(ec.privateKey, 'pkcs8'), environment: 'production' },
        target: randomBytes(32).toString('hex'),
        notification: note,
      }),
  },
  {
    provider: 'webpush',
    send: (i) =>
      providers.web.send({
        appId: 'bench',
        credentials: vapid,
        target: subscriptions[i % subscriptions.length],
        notification: note,
      }),
  },
];

const rows = [];
try {
  for (const c of cases) {
    // Warm up: token exchange, connections, VAPID header.
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => c.send(i)));
    const latencies = [];
    let next = 0;
    let failed = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) {
          const i = next++;
          const t = process.hrtime.bigint();
          const outcome = await c.send(i);
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          if (outcome.outcome !== 'sent' && failed++ === 0) console.error(`push ${c.provider}: first failure`, outcome);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    latencies.sort((a, b) => a - b);
    const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    rows.push({ provider: c.provider, n: N, failed, perSecond: N / seconds, p50: q(0.5), p99: q(0.99) });
    console.error(`push ${c.provider}: ${N} deliveries in ${seconds.toFixed(1)} s`);
  }
} finally {
  await providers.close();
  await Promise.all([fcm.close(), apns.close(), web.close()]);
}

if (JSON_OUT) for (const r of rows) console.log(JSON.stringify(r));
else {
  console.log(`\nPush deliveries — node ${process.version}, ${CONCURRENCY} concurrent sends, local protocol servers\n`);
  console.log('| provider | deliveries | failed | deliveries/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.provider} | ${r.n} | ${r.failed} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
    );
  }
}
process.exit(0);
