import webPush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushProviders } from '../../src/engines/push/index.js';
import type { LookupAll } from '../../src/lib/outbound/request.js';
import { InstallationsService } from '../../src/modules/push/installations.service.js';
import { startWebPushServer, type WebPushServer } from '../servers/push/webpush-server.js';
import { openStore } from '../support/harness.js';
import { pushWorld, startPushServers, type PushServers, type PushWorld } from './kit.js';

/**
 * Web Push endpoints are client-supplied URLs the server POSTs to: the webhooks' SSRF guard
 * (lib/outbound, same OUTBOUND_ALLOW_* policy) refuses private, loopback, link-local and metadata
 * addresses at registration (literal addresses and the host's DNS answers) and again at connect
 * time (a name that resolves elsewhere by then: DNS rebinding), sending nothing.
 */
const keys = { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) };
const note = { title: 'Hi', ttlSeconds: 60, priority: 'normal' as const };
const vapid = { ...webPush.generateVAPIDKeys(), subject: 'mailto:ops@example.com' };

/** A resolver that answers `address` for every name (what a rebinding DNS server does). */
const answering =
  (address: string): LookupAll =>
  (_host, _options, callback) =>
    callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);

describe('Web Push delivery under the SSRF policy', () => {
  let web: WebPushServer;
  beforeAll(async () => {
    web = await startWebPushServer({});
  });
  afterAll(() => web.close());

  it('refuses a name that resolves to a refused address at connect time, and sends nothing', async () => {
    const sub = web.subscribe(vapid.publicKey);
    const port = new URL(sub.endpoint).port;
    const before = web.received.length;
    for (const address of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1']) {
      const providers = createPushProviders({ ca: web.ca, resolveAll: answering(address) });
      const target = { ...sub, endpoint: `https://push.example.com:${port}/push/x` };
      expect(await providers.web.send({ appId: 'a1', credentials: vapid, target, notification: note })).toEqual({
        outcome: 'invalid-token',
        reason: 'endpoint_not_allowed',
      });
      await providers.close();
    }
    expect(web.received.length).toBe(before);
  });

  it('refuses metadata addresses even when private ones are allowed, and follows the allow-list', async () => {
    const open = createPushProviders({ ca: web.ca, outbound: { allowPrivate: true, allowCidrs: [] } });
    const metadata = { endpoint: 'https://169.254.169.254/push/x', keys };
    expect(await open.web.send({ appId: 'a1', credentials: vapid, target: metadata, notification: note })).toEqual({
      outcome: 'invalid-token',
      reason: 'endpoint_not_allowed',
    });
    // private allowed: the loopback receiver is reached
    expect(
      await open.web.send({
        appId: 'a1',
        credentials: vapid,
        target: web.subscribe(vapid.publicKey),
        notification: note,
      }),
    ).toEqual({ outcome: 'sent' });
    await open.close();
    const listed = createPushProviders({ ca: web.ca, outbound: { allowPrivate: false, allowCidrs: ['127.0.0.1/32'] } });
    expect(
      await listed.web.send({
        appId: 'a1',
        credentials: vapid,
        target: web.subscribe(vapid.publicKey),
        notification: note,
      }),
    ).toEqual({ outcome: 'sent' });
    await listed.close();
  });
});

describe('Web Push registration under the SSRF policy', () => {
  let servers: PushServers;
  let w: PushWorld;
  beforeAll(async () => {
    servers = await startPushServers();
    // the deployment's default: public addresses only
    w = await pushWorld('sqlite', servers, { outbound: { allowPrivate: false, allowCidrs: [] } });
  });
  afterAll(async () => {
    await w.close();
    await servers.close();
  });
  const path = () => `/v1/apps/${w.appId}/push/installations`;

  it.each([
    ['a private address', 'https://10.0.0.1/push/a'],
    ['a metadata address', 'https://169.254.169.254/latest/meta-data'],
    ['loopback (IPv6)', 'https://[::1]:8443/push/a'],
    ['loopback (IPv4)', 'https://127.0.0.1/push/a'],
    ['localhost', 'https://localhost/push/a'],
    ['an IPv4-mapped private address', 'https://[::ffff:192.168.1.1]/push/a'],
  ])('refuses %s with a field error, storing nothing', async (_name, endpoint) => {
    const res = await w.h.http
      .post(path())
      .set('X-Hearth-Key', w.publicKey)
      .send({ platform: 'web', subscription: { endpoint, keys } })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed' });
    expect(res.body.error.details.fields['subscription.endpoint']).toMatch(/SSRF policy/);
    const all = await w.admin(w.h.http.get(`/v1/admin/apps/${w.appId}/push/installations`)).expect(200);
    expect(all.body.items).toHaveLength(0);
  });

  it('refuses a private endpoint on PATCH too', async () => {
    const sub = { endpoint: 'https://push.example.com/push/ok', keys };
    const created = await w.h.http
      .post(path())
      .set('X-Hearth-Key', w.secretKey)
      .send({ platform: 'web', subscription: sub })
      .expect(201);
    await w.h.http
      .patch(`${path()}/${created.body.id}`)
      .set('X-Hearth-Key', w.secretKey)
      .send({ subscription: { ...sub, endpoint: 'https://192.168.0.10/push/x' } })
      .expect(400);
    const got = await w.h.http.get(`${path()}/${created.body.id}`).set('X-Hearth-Key', w.secretKey).expect(200);
    expect(got.body.endpoint).toBe(sub.endpoint);
    await w.h.http.delete(`${path()}/${created.body.id}`).set('X-Hearth-Key', w.secretKey).expect(204);
  });
});

describe('Web Push registration resolves the endpoint host', () => {
  it('refuses a name whose DNS answer is private, accepts a public one', async () => {
    const { store, cleanup } = await openStore('sqlite');
    const dns: Record<string, string[]> = { 'internal.example.com': ['10.1.2.3'], 'fcm.example.com': ['142.250.1.1'] };
    const service = new InstallationsService({
      store,
      policy: { allowPrivate: false, allowCidrs: [] },
      resolve: async (host) => dns[host] ?? [],
    });
    const caller = { appId: 'a1', privileged: true, userId: null, kind: 'secret' as const, scopes: [] };
    const at = (host: string) => ({ platform: 'web' as const, subscription: { endpoint: `https://${host}/p`, keys } });
    await expect(service.register(caller, at('internal.example.com'))).rejects.toMatchObject({
      code: 'validation_failed',
      details: { fields: { 'subscription.endpoint': expect.stringContaining('10.1.2.3') } },
    });
    expect((await service.register(caller, at('fcm.example.com'))).created).toBe(true);
    // allowed by the allow-list: the same private name is accepted
    const listed = new InstallationsService({
      store,
      policy: { allowPrivate: false, allowCidrs: ['10.1.0.0/16'] },
      resolve: async (host) => dns[host] ?? [],
    });
    expect((await listed.register(caller, at('internal.example.com'))).created).toBe(true);
    await cleanup();
  });
});
