import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupView } from '../../src/modules/backups/backups.schema.js';
import { waitFor, world, type World } from './support.js';

/** Scheduled backups: one schedule per app, validated; each scheduled backup prunes to `keep`. */
describe('scheduled backups (sqlite)', () => {
  let w: World;
  beforeAll(async () => {
    w = await world('sqlite');
  });
  afterAll(() => w.h.close());
  const path = () => `/v1/admin/apps/${w.appId}/backup-schedule`;

  it('is set, read, refused when too frequent or malformed, and removed', async () => {
    await w.h.http.get(path()).set(w.admin).expect(404);
    const put = await w.h.http.put(path()).set(w.admin).send({ cron: '0 3 * * *', timezone: 'Europe/Berlin', keep: 3 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ appId: w.appId, cron: '0 3 * * *', timezone: 'Europe/Berlin', keep: 3 });
    expect(Date.parse(put.body.nextRunAt as string)).toBeGreaterThan(Date.now());
    expect((await w.h.http.get(path()).set(w.admin).expect(200)).body).toEqual(put.body);
    for (const [body, field] of [
      [{ cron: '* * * * *', keep: 1 }, 'cron'],
      [{ cron: 'every day at 3', keep: 1 }, 'cron'],
      [{ cron: '0 3 * * *', timezone: 'Mars/Olympus', keep: 1 }, 'cron'],
      [{ cron: '0 3 * * *', keep: 0 }, 'keep'],
      [{ cron: '0 3 * * *', keep: 2, extra: true }, '(body)'],
    ] as const) {
      const res = await w.h.http.put(path()).set(w.admin).send(body).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(Object.keys(res.body.error.details.fields as object).join(',')).toContain(field);
    }
    await w.h.http.delete(path()).set(w.admin).expect(204);
    await w.h.http.get(path()).set(w.admin).expect(404);
    await w.h.http.delete(path()).set(w.admin).expect(404);
  });

  it('keeps the newest `keep` scheduled backups and never prunes manual ones', async () => {
    await w.h.http.put(path()).set(w.admin).send({ cron: '0 3 * * *', keep: 2 }).expect(200);
    const manual = await w.h.http.post(`/v1/admin/apps/${w.appId}/backups`).set(w.admin).expect(202);
    const types = w.h.modules.jobs.services.types;
    // What the repeatable job adds on each tick: the same job type with trigger `scheduled`.
    for (let i = 0; i < 3; i++) {
      const job = await types.enqueue(w.appId, 'backups.create', { trigger: 'scheduled' });
      await waitFor(
        () => w.h.modules.jobs.services.queue.get('backups.create', job.id),
        (j) => j?.state === 'completed' || j?.state === 'failed',
      );
    }
    const list = await waitFor(
      async () =>
        (await w.h.http.get(`/v1/admin/backups?appId=${w.appId}`).set(w.admin).expect(200)).body.items as BackupView[],
      (items: BackupView[]) => items.every((b) => b.status === 'completed'),
    );
    const scheduled = list.filter((b) => b.trigger === 'scheduled');
    expect(scheduled).toHaveLength(2);
    expect(list.map((b) => b.id)).toContain(manual.body.id);
    // The pruned archive is gone from the file store too.
    const keys: string[] = [];
    for await (const o of w.h.modules.files.services.files.store.list('_backups/')) keys.push(o.key);
    expect(keys.sort()).toEqual(list.map((b) => `_backups/${b.id}.tar.gz`).sort());
  }, 120_000);

  it('deleting the app drops its schedule but keeps its backups', async () => {
    await w.h.http.put(path()).set(w.admin).send({ cron: '0 3 * * *', keep: 2 }).expect(200);
    const before = (await w.h.http.get(`/v1/admin/backups?appId=${w.appId}`).set(w.admin).expect(200)).body.items;
    await w.h.http.delete(`/v1/admin/apps/${w.appId}`).set(w.admin).expect(204);
    expect(await w.h.store.forApp('_system').get('backup_schedules', w.appId)).toBeNull();
    const after = (await w.h.http.get(`/v1/admin/backups?appId=${w.appId}`).set(w.admin).expect(200)).body.items;
    expect(after).toEqual(before);
  });
});
