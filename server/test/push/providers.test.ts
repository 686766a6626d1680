import webPush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushProviders } from '../../src/engines/push/index.js';
import type { PushNotification } from '../../src/ports/push-provider.js';
import { startApnsServer, type ApnsServer } from '../servers/push/apns-server.js';
import { startFcmServer, type FcmServer } from '../servers/push/fcm-server.js';
import { startWebPushServer, type WebPushServer } from '../servers/push/webpush-server.js';
import { apnsKey, apnsToken, fcmToken, serviceAccount } from './keys.js';

/** Each provider engine end to end against its local protocol server. */
const note: PushNotification = {
  title: 'Hello',
  body: 'World',
  data: { n: 1, s: 'x' },
  badge: 3,
  ttlSeconds: 60,
  priority: 'high',
};

let clock = Date.now();
const now = () => clock;
const sa = serviceAccount();
const apns = apnsKey();
let fcm: FcmServer;
let apnsServer: ApnsServer;
let web: WebPushServer;
let providers: ReturnType<typeof createPushProviders>;

beforeAll(async () => {
  [fcm, apnsServer, web] = await Promise.all([
    startFcmServer({ accounts: [sa.account], now }),
    startApnsServer({ keys: [apns.server], now }),
    startWebPushServer({ now }),
  ]);
  providers = createPushProviders({
    fcmApiUrl: fcm.url,
    fcmTokenUrl: fcm.tokenUrl,
    apnsUrl: apnsServer.url,
    ca: fcm.ca,
    outbound: { allowPrivate: false, allowCidrs: ['127.0.0.0/8'] },
    now,
  });
});
afterAll(async () => {
  await providers?.close();
  await Promise.all([fcm?.close(), apnsServer?.close(), web?.close()]);
});

const fcmCreds = () => ({
  projectId: sa.json.project_id,
  clientEmail: sa.json.client_email,
  privateKey: sa.json.private_key,
});
const apnsCreds = (environment: 'sandbox' | 'production' = 'sandbox') => ({
  key: apns.p8,
  keyId: apns.keyId,
  teamId: apns.teamId,
  topic: apns.topic,
  environment,
});

describe('FCM HTTP v1', () => {
  it('exchanges the service-account JWT once, caches the token until expiry, sends v1 messages', async () => {
    const before = fcm.stats.tokenExchanges;
    const tokens = [fcmToken(), fcmToken(), fcmToken()];
    const outcomes = await Promise.all(
      tokens.map((t) =>
        providers.android.send({ appId: 'a1', credentials: fcmCreds(), target: t, notification: note }),
      ),
    );
    expect(outcomes).toEqual(tokens.map(() => ({ outcome: 'sent' })));
    expect(fcm.stats.tokenExchanges - before).toBe(1);
    const got = fcm.received.find((r) => r.token === tokens[0])!;
    expect(got.message).toMatchObject({
      notification: { title: 'Hello', body: 'World' },
      data: { n: '1', s: 'x' },
      android: { priority: 'HIGH', ttl: '60s', notification: { notification_count: 3 } },
    });
    clock += 3600_000; // the cached token is past its expiry: a new exchange
    await providers.android.send({ appId: 'a1', credentials: fcmCreds(), target: fcmToken(), notification: note });
    expect(fcm.stats.tokenExchanges - before).toBe(2);
  });

  it('maps UNREGISTERED to invalid-token and 429 to retry-after with its Retry-After', async () => {
    const dead = fcmToken();
    const busy = fcmToken();
    fcm.answers.script(dead, { status: 404 });
    fcm.answers.script(busy, { status: 429, retryAfter: 7 });
    const send = (t: string) =>
      providers.android.send({ appId: 'a1', credentials: fcmCreds(), target: t, notification: note });
    expect(await send(dead)).toEqual({ outcome: 'invalid-token', reason: 'unregistered' });
    expect(await send(busy)).toEqual({ outcome: 'retry-after', afterMs: 7000, reason: 'quota_exceeded' });
  });

  it('a key the token server does not know is failed (credentials_refused), not a crash', async () => {
    const other = serviceAccount('other-project');
    const outcome = await providers.android.send({
      appId: 'a2',
      credentials: {
        projectId: 'other-project',
        clientEmail: other.json.client_email,
        privateKey: other.json.private_key,
      },
      target: fcmToken(),
      notification: note,
    });
    expect(outcome).toEqual({ outcome: 'failed', reason: 'credentials_refused' });
  });
});

describe('APNs over HTTP/2', () => {
  it('sends with a verified ES256 provider token on one reused connection, with the apns-* headers', async () => {
    const before = apnsServer.stats.connections;
    const tokens = [apnsToken(), apnsToken(), apnsToken()];
    const outcomes = await Promise.all(
      tokens.map((t) =>
        providers.ios.send({
          appId: 'a1',
          credentials: apnsCreds(),
          target: t,
          notification: { ...note, collapseId: 'c1' },
        }),
      ),
    );
    expect(outcomes).toEqual(tokens.map(() => ({ outcome: 'sent' })));
    expect(apnsServer.stats.connections - before).toBe(1);
    const got = apnsServer.received.find((r) => r.token === tokens[0])!;
    expect(got.headers).toMatchObject({
      'apns-topic': apns.topic,
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-collapse-id': 'c1',
    });
    expect(Number(got.headers['apns-expiration'])).toBe(Math.floor(clock / 1000) + 60);
    expect(got.payload).toMatchObject({ aps: { alert: { title: 'Hello', body: 'World' }, badge: 3 }, n: 1, s: 'x' });
    const silent = await providers.ios.send({
      appId: 'a1',
      credentials: apnsCreds(),
      target: apnsToken(),
      notification: { data: { sync: true }, ttlSeconds: 0, priority: 'high' },
    });
    expect(silent).toEqual({ outcome: 'sent' });
    expect(apnsServer.received.at(-1)!.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5' });
  });

  it('renews the provider token before it is an hour old (the server refuses older ones)', async () => {
    await providers.ios.send({ appId: 'a3', credentials: apnsCreds(), target: apnsToken(), notification: note });
    const jwts = apnsServer.stats.jwts.size;
    clock += 55 * 60_000;
    const outcome = await providers.ios.send({
      appId: 'a3',
      credentials: apnsCreds(),
      target: apnsToken(),
      notification: note,
    });
    expect(outcome).toEqual({ outcome: 'sent' });
    expect(apnsServer.stats.jwts.size).toBe(jwts + 1);
  });

  it('maps 410 and BadDeviceToken to invalid-token, 429 to retry-after, an oversize payload to failed', async () => {
    const gone = apnsToken();
    const busy = apnsToken();
    apnsServer.answers.script(gone, { status: 410 });
    apnsServer.answers.script(busy, { status: 429, retryAfter: 3 });
    const send = (t: string, n = note) =>
      providers.ios.send({ appId: 'a1', credentials: apnsCreds(), target: t, notification: n });
    expect(await send(gone)).toEqual({ outcome: 'invalid-token', reason: 'unregistered' });
    expect(await send('not-hex')).toEqual({ outcome: 'invalid-token', reason: 'bad_device_token' });
    expect(await send(busy)).toEqual({ outcome: 'retry-after', afterMs: 3000, reason: 'too_many_requests' });
    expect(await send(apnsToken(), { ...note, body: 'x'.repeat(5000) })).toEqual({
      outcome: 'failed',
      reason: 'payload_too_large',
    });
  });

  it('a topic the key may not use is failed (topic_disallowed)', async () => {
    const outcome = await providers.ios.send({
      appId: 'a1',
      credentials: { ...apnsCreds(), topic: 'com.other.app' },
      target: apnsToken(),
      notification: note,
    });
    expect(outcome).toEqual({ outcome: 'failed', reason: 'topic_disallowed' });
  });
});

describe('Web Push (VAPID, aes128gcm)', () => {
  const vapid = webPush.generateVAPIDKeys();
  const creds = { ...vapid, subject: 'mailto:ops@example.com' };

  it('sends an encrypted payload the receiver decrypts, with TTL, Urgency and Topic', async () => {
    const sub = web.subscribe(vapid.publicKey);
    const outcome = await providers.web.send({
      appId: 'a1',
      credentials: creds,
      target: sub,
      notification: { ...note, collapseId: 'a collapse id with spaces', priority: 'normal' },
    });
    expect(outcome).toEqual({ outcome: 'sent' });
    const got = web.received.at(-1)!;
    expect(JSON.parse(got.payload)).toMatchObject({ title: 'Hello', body: 'World', data: { n: 1, s: 'x' }, badge: 3 });
    expect(got.headers).toMatchObject({ ttl: '60', urgency: 'normal' });
    expect(got.headers.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('maps 404 and 410 to invalid-token, 429 to retry-after; a subscription bound to another key is failed', async () => {
    const [gone, missing, busy] = [web.subscribe(), web.subscribe(), web.subscribe()];
    web.answers.script(gone.endpoint.split('/').at(-1)!, { status: 410 });
    web.answers.script(missing.endpoint.split('/').at(-1)!, { status: 404 });
    web.answers.script(busy.endpoint.split('/').at(-1)!, { status: 429, retryAfter: 2 });
    const send = (s: typeof gone, c = creds) =>
      providers.web.send({ appId: 'a1', credentials: c, target: s, notification: note });
    expect(await send(gone)).toEqual({ outcome: 'invalid-token', reason: 'gone' });
    expect(await send(missing)).toEqual({ outcome: 'invalid-token', reason: 'not_found' });
    expect(await send(busy)).toEqual({ outcome: 'retry-after', afterMs: 2000, reason: 'too_many_requests' });
    const other = { ...webPush.generateVAPIDKeys(), subject: 'mailto:x@example.com' };
    expect(await send(web.subscribe(vapid.publicKey), other)).toEqual({
      outcome: 'failed',
      reason: 'credentials_refused',
    });
  });

  it('refuses endpoints on private addresses unless allowed, and non-https ones', async () => {
    const strict = createPushProviders({ now });
    const sub = web.subscribe();
    expect(await strict.web.send({ appId: 'a1', credentials: creds, target: sub, notification: note })).toEqual({
      outcome: 'invalid-token',
      reason: 'endpoint_not_allowed',
    });
    const plain = { ...sub, endpoint: sub.endpoint.replace('https:', 'http:') };
    expect(
      await providers.web.send({ appId: 'a1', credentials: creds, target: plain, notification: note }),
    ).toMatchObject({
      outcome: 'invalid-token',
    });
    await strict.close();
  });
});
