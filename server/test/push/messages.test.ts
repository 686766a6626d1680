import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialBox } from '../../src/modules/push/credentials.box.js';
import { ENGINES } from '../support/harness.js';
import { pushWorld, settled, startPushServers, type PushServers, type PushWorld } from './kit.js';
import { apnsToken, fcmToken } from './keys.js';

/** Who may send, and what a message may not be: refused before anything is queued. */
let servers: PushServers;
beforeAll(async () => {
  servers = await startPushServers();
});
afterAll(async () => servers?.close());

describe.each(ENGINES)('push messages on %s', (engine) => {
  let w: PushWorld;
  beforeAll(async () => {
    w = await pushWorld(engine, servers);
    await w.h.http
      .post(`/v1/apps/${w.appId}/push/installations`)
      .set('X-Hearth-Key', w.publicKey)
      .send({ platform: 'android', token: fcmToken(), channels: ['m'] })
      .expect(201);
    await w.h.http
      .post(`/v1/apps/${w.appId}/push/installations`)
      .set('X-Hearth-Key', w.publicKey)
      .send({ platform: 'ios', token: apnsToken(), channels: ['m'] })
      .expect(201);
  });
  afterAll(async () => w?.close());

  const messages = () => `/v1/apps/${w.appId}/push/messages`;
  const valid = { target: { channels: ['m'] }, notification: { title: 'hi' } };
  const count = async () => (await w.h.store.forApp(w.appId).find('_push_messages', { limit: 1000 })).items.length;

  it('a public key cannot send; a key with push:send can; a secret key scoped otherwise cannot', async () => {
    const refused = await w.h.http.post(messages()).set('X-Hearth-Key', w.publicKey).send(valid).expect(403);
    expect(refused.body.error.details.reason).toBe('secret_key_required');
    const keys = `/v1/admin/apps/${w.appId}/keys`;
    const sender = await w
      .admin(w.h.http.post(keys))
      .send({ kind: 'public', scopes: ['push:send'] })
      .expect(201);
    const scoped = await w
      .admin(w.h.http.post(keys))
      .send({ kind: 'secret', scopes: ['documents:read'] })
      .expect(201);
    const accepted = await w.h.http.post(messages()).set('X-Hearth-Key', sender.body.key).send(valid).expect(202);
    expect((await settled(w, accepted.body.id)).counts).toMatchObject({ targeted: 2, sent: 2 });
    const missing = await w.h.http.post(messages()).set('X-Hearth-Key', scoped.body.key).send(valid).expect(403);
    expect(missing.body.error.details).toMatchObject({ reason: 'scope_missing', scope: 'push:send' });
    await w.h.http.get(`${messages()}/${accepted.body.id}`).set('X-Hearth-Key', w.publicKey).expect(403);
    await w.admin(w.h.http.post(messages())).send(valid).expect(202);
  });

  it.each([
    ['no target', { target: {}, notification: { title: 'x' } }, 'target'],
    ['all with another target', { target: { all: true, channels: ['m'] }, notification: {} }, 'target'],
    ['a sendAt in the past', { ...valid, sendAt: new Date(Date.now() - 3600_000).toISOString() }, 'sendAt'],
    ['a sendAt without an offset', { ...valid, sendAt: '2030-01-01T10:00' }, 'sendAt'],
    ['a local time long past everywhere', { ...valid, sendAt: '2020-01-01T10:00', localTime: true }, 'sendAt'],
    ['a sendAt years ahead', { ...valid, sendAt: '2099-01-01T00:00:00Z' }, 'sendAt'],
    [
      'a filter on a field installations do not have',
      { target: { filter: { token: 'x' } }, notification: {} },
      'target.filter',
    ],
    ['a bad priority', { ...valid, priority: 'urgent' }, 'priority'],
    [
      'an http image',
      { target: { all: true }, notification: { image: 'http://x.example/a.png' } },
      'notification.image',
    ],
  ])('%s is refused, and nothing is queued', async (_name, body, field) => {
    const before = await count();
    const res = await w.h.http.post(messages()).set('X-Hearth-Key', w.secretKey).send(body).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.details.fields).some((f) => f.startsWith(field))).toBe(true);
    expect(await count()).toBe(before);
  });

  it('an oversize payload (over 4 KB in any locale) is 413 push_payload_too_large', async () => {
    const res = await w.h.http
      .post(messages())
      .set('X-Hearth-Key', w.secretKey)
      .send({ ...valid, notification: { title: 'x', data: { blob: 'x'.repeat(4100) } } })
      .expect(413);
    expect(res.body.error.details).toMatchObject({ reason: 'push_payload_too_large', limit: 4096 });
    // Only the German variant is over: 1,900 two-byte characters next to 600 bytes of data.
    const notification = { title: 'x', data: { blob: 'x'.repeat(600) } };
    const fits = { fr: { body: 'é'.repeat(1000) } };
    await w.h.http
      .post(messages())
      .set('X-Hearth-Key', w.secretKey)
      .send({ ...valid, notification, localized: fits })
      .expect(202);
    const over = { ...fits, de: { body: 'ü'.repeat(1900) } };
    await w.h.http
      .post(messages())
      .set('X-Hearth-Key', w.secretKey)
      .send({ ...valid, notification, localized: over })
      .expect(413);
  });

  it('a filter on installations targets what it matches; a message of another app is 404', async () => {
    const res = await w.h.http
      .post(messages())
      .set('X-Hearth-Key', w.secretKey)
      .send({ target: { filter: { platform: 'android', channels: 'm' } }, notification: { body: 'a' } })
      .expect(202);
    expect((await settled(w, res.body.id)).counts).toEqual({ targeted: 1, sent: 1, failed: 0, invalid: 0 });
    const other = await w.admin(w.h.http.post('/v1/admin/apps')).send({ name: 'Other' }).expect(201);
    await w.h.http
      .get(`/v1/apps/${other.body.id}/push/messages/${res.body.id}`)
      .set('X-Hearth-Key', other.body.keys.secret)
      .expect(404);
    const list = await w
      .admin(w.h.http.get(`/v1/admin/apps/${w.appId}/push/messages`))
      .query({ state: 'done' })
      .expect(200);
    expect(list.body.items.map((m: { id: string }) => m.id)).toContain(res.body.id);
  });

  it('state changes are events, deliveries and latency are metrics', async () => {
    const seen: string[] = [];
    const off = w.h.modules.push.events.on('*', (e) => seen.push(`${e.type}:${e.messageId}`));
    const res = await w.h.http.post(messages()).set('X-Hearth-Key', w.secretKey).send(valid).expect(202);
    await settled(w, res.body.id);
    off();
    expect(seen).toEqual([`push.message.sending:${res.body.id}`, `push.message.done:${res.body.id}`]);
    const metrics = await w.h.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/hearth_push_deliveries_total\{provider="fcm",outcome="sent"\} [1-9]/);
    expect(metrics.text).toMatch(/hearth_push_deliveries_total\{provider="apns",outcome="sent"\} [1-9]/);
    expect(metrics.text).toMatch(/hearth_push_messages_total\{state="done"\} [1-9]/);
    expect(metrics.text).toMatch(/hearth_push_provider_seconds_count\{provider="apns"\} [1-9]/);
  });

  it('without credentials for a platform its deliveries fail with no_credentials', async () => {
    await w.admin(w.h.http.delete(`/v1/admin/apps/${w.appId}/push/credentials/apns`)).expect(204);
    w.h.modules.push.services.credentials.forget(w.appId);
    const res = await w.h.http.post(messages()).set('X-Hearth-Key', w.secretKey).send(valid).expect(202);
    const done = await settled(w, res.body.id);
    expect(done.counts).toEqual({ targeted: 2, sent: 1, failed: 1, invalid: 0 });
    expect(done.errors).toEqual([expect.objectContaining({ platform: 'ios', reason: 'no_credentials' })]);
  });
});

describe('credential sealing', () => {
  it('opens under the app it was sealed for only, and with a previous secret after rotation', () => {
    const old = new CredentialBox('old-secret-0123456789-0123456789');
    const sealed = old.seal('app1', '{"k":"v"}');
    expect(sealed).not.toContain('"k"');
    expect(old.open('app1', sealed)).toBe('{"k":"v"}');
    expect(() => old.open('app2', sealed)).toThrow();
    const rotated = new CredentialBox('new-secret-0123456789-0123456789', ['old-secret-0123456789-0123456789']);
    expect(rotated.open('app1', sealed)).toBe('{"k":"v"}');
    expect(rotated.current(sealed)).toBe(false);
    const resealed = rotated.seal('app1', rotated.open('app1', sealed));
    expect(rotated.current(resealed)).toBe(true);
    expect(() => new CredentialBox('new-secret-0123456789-0123456789').open('app1', sealed)).toThrow();
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => rotated.open('app1', tampered)).toThrow();
  });
});
