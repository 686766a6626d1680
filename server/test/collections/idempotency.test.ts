import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { IdempotencyStore, type IdempotencyScope } from '../../src/modules/collections/idempotency.js';
import { SYSTEM_APP, type AppStore } from '../../src/ports/document-store.js';
import { ENGINES, openStore, startHarness, withAdminAndApp } from '../support/harness.js';
import { expectError, openWorld, TODOS, type CollectionsWorld } from './support.js';

/**
 * `Idempotency-Key` on POST/PATCH: through the API (replays, conflicts, failures, expiry), and the
 * store itself (concurrent duplicates, the background sweep and how its failures are reported).
 */
describe.each(ENGINES)('Idempotency-Key [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeEach(async () => {
    w = await openWorld(engine);
    await w.createCollection(TODOS);
  });
  afterEach(async () => {
    await w.close();
  });

  it('Idempotency-Key: a retry returns the first response; another body with the same key is a conflict', async () => {
    const first = await w.h.http
      .post(w.docs('todos'))
      .set(w.sk)
      .set('Idempotency-Key', 'k-1')
      .send({ title: 'once' })
      .expect(201);
    const again = await w.h.http
      .post(w.docs('todos'))
      .set(w.sk)
      .set('Idempotency-Key', 'k-1')
      .send({ title: 'once' })
      .expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const list = await w.h.http.get(w.docs('todos')).set(w.sk).expect(200);
    expect(list.body.items).toHaveLength(1);
    const reused = await w.h.http
      .post(w.docs('todos'))
      .set(w.sk)
      .set('Idempotency-Key', 'k-1')
      .send({ title: 'other' });
    expect(expectError(reused, 409, 'conflict').reason).toBe('idempotency_key_reused');
    // another caller (the public key) has its own key space
    await w.h.http.post(w.docs('todos')).set(w.pk).set('Idempotency-Key', 'k-1').send({ title: 'other' }).expect(201);
    // PATCH: $inc applied once
    const id = first.body.id;
    for (let i = 0; i < 3; i++) {
      await w.h.http
        .patch(w.docs('todos', id))
        .set(w.sk)
        .set('Idempotency-Key', 'inc-1')
        .send({ $inc: { priority: 1 } })
        .expect(200);
    }
    expect((await w.h.http.get(w.docs('todos', id)).set(w.sk)).body.priority).toBe(1);
    // a failed request does not burn its key: it is not replayed, and the fixed request runs
    const failed = await w.h.http.post(w.docs('todos')).set(w.sk).set('Idempotency-Key', 'k-2').send({ title: 5 });
    expectError(failed, 400, 'validation_failed');
    const failedAgain = await w.h.http.post(w.docs('todos')).set(w.sk).set('Idempotency-Key', 'k-2').send({ title: 5 });
    expectError(failedAgain, 400, 'validation_failed');
    expect(failedAgain.headers['idempotent-replayed']).toBeUndefined();
    const fixed = await w.h.http
      .post(w.docs('todos'))
      .set(w.sk)
      .set('Idempotency-Key', 'k-2')
      .send({ title: 'fixed' })
      .expect(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    const bad = await w.h.http
      .post(w.docs('todos'))
      .set(w.sk)
      .set('Idempotency-Key', 'x'.repeat(300))
      .send({ title: 'a' });
    expect(expectError(bad, 400, 'invalid_request')).toEqual({ header: 'Idempotency-Key' });
    // PUT and DELETE do not take part: a repeated PUT is a second write
    const put = () => w.h.http.put(w.docs('todos', id)).set(w.sk).set('Idempotency-Key', 'put-1').send({ title: 'p' });
    expect((await put().expect(200)).body.version + 1).toBe((await put().expect(200)).body.version);
  });

  it('Idempotency-Key records expire after 24 hours', async () => {
    let now = Date.now();
    const h = await startHarness(engine, { now: () => new Date(now) });
    onTestFinished(() => h.close());
    const ctx = await withAdminAndApp(h);
    const admin = { Authorization: `Bearer ${ctx.adminToken}` };
    await h.http
      .post(`/v1/admin/apps/${ctx.appId}/collections`)
      .set(admin)
      .send({ name: 'n', fields: [{ name: 'v', type: 'integer' }] })
      .expect(201);
    const url = `/v1/apps/${ctx.appId}/collections/n/documents`;
    const a = await h.http
      .post(url)
      .set('X-Hearth-Key', ctx.secretKey)
      .set('Idempotency-Key', 'day')
      .send({ v: 1 })
      .expect(201);
    now += 23 * 3600 * 1000;
    const b = await h.http
      .post(url)
      .set('X-Hearth-Key', ctx.secretKey)
      .set('Idempotency-Key', 'day')
      .send({ v: 1 })
      .expect(201);
    expect(b.body.id).toBe(a.body.id);
    now += 2 * 3600 * 1000;
    const c = await h.http
      .post(url)
      .set('X-Hearth-Key', ctx.secretKey)
      .set('Idempotency-Key', 'day')
      .send({ v: 1 })
      .expect(201);
    expect(c.body.id).not.toBe(a.body.id);
  });
});

describe.each(ENGINES)('IdempotencyStore [%s]', (engine) => {
  let system: AppStore;
  let cleanup: () => Promise<void>;
  let now: number;
  let sweepErrors: unknown[];
  const scope = (key: string, request = 'POST /x\n\n{}'): IdempotencyScope => ({
    appId: 'app1',
    principal: 'key:k1',
    key,
    request,
  });
  const created = (body: unknown) => async () => ({ status: 201, body });
  const openIdempotency = async (store: AppStore = system) => {
    const idempotency = new IdempotencyStore({
      system: store,
      now: () => new Date(now),
      onSweepError: (err) => sweepErrors.push(err),
    });
    await idempotency.init();
    return idempotency;
  };
  const records = async () => (await system.find('idempotency', { limit: 100 })).items;

  beforeEach(async () => {
    const opened = await openStore(engine);
    system = opened.store.forApp(SYSTEM_APP);
    cleanup = opened.cleanup;
    now = Date.parse('2024-05-01T12:00:00.000Z');
    sweepErrors = [];
  });
  afterEach(async () => {
    await cleanup();
  });

  it('a duplicate that arrives while the first still runs is a conflict (in_progress); the first completes', async () => {
    const idempotency = await openIdempotency();
    let finish!: () => void;
    const first = idempotency.run(scope('k'), async () => {
      await new Promise<void>((resolve) => (finish = resolve));
      return { status: 201, body: { n: 1 } };
    });
    await vi.waitFor(async () => expect(await records()).toHaveLength(1));
    await expect(idempotency.run(scope('k'), created({ n: 2 }))).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'in_progress' },
    });
    finish();
    expect(await first).toEqual({ status: 201, body: { n: 1 } });
    expect(await idempotency.run(scope('k'), created({ n: 3 }))).toEqual({
      status: 201,
      body: { n: 1 },
      headers: { 'Idempotent-Replayed': 'true' },
    });
  });

  it('the sweep deletes expired records only, and runs at most once a minute, started by requests', async () => {
    const idempotency = await openIdempotency();
    await idempotency.run(scope('old'), created('old'));
    now += 23 * 3600 * 1000;
    await idempotency.run(scope('young'), created('young'));
    now += 2 * 3600 * 1000; // 'old' is 25 hours old, 'young' 2 hours
    expect(await idempotency.sweep()).toBe(1);
    const left = await records();
    expect(left).toHaveLength(1);
    expect(left[0]!.body).toBe(JSON.stringify('young'));

    // Requests start the sweep in the background: the first one after a minute does.
    const finds = vi.spyOn(system, 'find');
    await idempotency.run(scope('a'), created('a'));
    await idempotency.run(scope('b'), created('b'));
    expect(finds).toHaveBeenCalledTimes(1);
    now += 61_000;
    await idempotency.run(scope('c'), created('c'));
    expect(finds).toHaveBeenCalledTimes(2);
    expect(sweepErrors).toEqual([]);
  });

  it('a failing sweep is reported through onSweepError and fails no request', async () => {
    const boom = new Error('the store is unavailable');
    const failingFind = new Proxy(system, {
      get(target, prop) {
        if (prop === 'find') return () => Promise.reject(boom);
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const idempotency = await openIdempotency(failingFind);
    expect(await idempotency.run(scope('k'), created('fine'))).toEqual({ status: 201, body: 'fine' });
    await vi.waitFor(() => expect(sweepErrors).toEqual([boom]));
    await expect(idempotency.sweep()).rejects.toBe(boom);
  });
});
