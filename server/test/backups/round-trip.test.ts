import { describe, expect, it, onTestFinished } from 'vitest';
import { ENGINES, type EngineName } from '../support/harness.js';
import { backup, download, expectSameApp, PASSWORD, populate, restored, snapshot, world } from './support.js';

/**
 * Backup → restore into a new app reproduces the app exactly: every record of every collection
 * (ids, times, owners, versions), indexes, schemas and rules, settings, channel rules, every file
 * byte for byte, sealed secrets that still open (for the new app id); and the users' passwords
 * still sign them in.
 */
describe.each(ENGINES)('backups round trip on %s', (engine: EngineName) => {
  it('a stored backup restored into a new app is the same app', async () => {
    const w = await world(engine);
    onTestFinished(() => w.h.close());
    await populate(w);
    const original = await snapshot(w, w.appId);
    expect(original.collections.notes).toHaveLength(1205);
    expect(Object.keys(original.files)).toHaveLength(2);

    const made = await backup(w);
    expect(made).toMatchObject({ appId: w.appId, trigger: 'manual', formatVersion: 1 });
    expect(made.counts!.files.count).toBe(2);
    const listed = await w.h.http.get(`/v1/admin/backups?appId=${w.appId}`).set(w.admin).expect(200);
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([made.id]);

    const started = await w.h.http
      .post(`/v1/admin/backups/${String(made.id)}/restore`)
      .set(w.admin)
      .send({ name: 'Todos again' })
      .expect(202);
    const done = await restored(w, started.body.id as string);
    expect(done.error).toBeNull();
    expect(done.status).toBe('completed');
    expect(done.result!.unreadableSecrets).toEqual({ pushCredentials: [], webhooks: [] });
    const newId = done.appId!;
    expect(newId).not.toBe(w.appId);
    const app = await w.h.http.get(`/v1/admin/apps/${newId}`).set(w.admin).expect(200);
    expect(app.body.name).toBe('Todos again');

    expectSameApp(await snapshot(w, newId), original);

    // Password sign-in works in the restored app; the old app's tokens do not open it.
    const login = await w.h.http
      .post(`/v1/apps/${newId}/auth/login`)
      .set('X-Hearth-Key', done.result!.publicKey)
      .send({ email: 'ann@example.com', password: PASSWORD })
      .expect(200);
    const todos = await w.h.http
      .get(`/v1/apps/${newId}/collections/todos/documents`)
      .set('X-Hearth-Key', done.result!.publicKey)
      .set('Authorization', `Bearer ${login.body.accessToken as string}`)
      .expect(200);
    expect(todos.body.items).toHaveLength(3);
    await w.h.http
      .post(`/v1/apps/${newId}/auth/login`)
      .set('X-Hearth-Key', done.result!.publicKey)
      .send({ email: 'ann@example.com', password: 'not the password' })
      .expect(401);
    // The restored schedule is registered with the queue again.
    const schedules = await w.h.http.get(`/v1/admin/apps/${newId}/schedules`).set(w.admin).expect(200);
    expect(schedules.body.items).toHaveLength(1);

    // Deleting the backup removes its archive.
    await w.h.http
      .delete(`/v1/admin/backups/${String(made.id)}`)
      .set(w.admin)
      .expect(204);
    await w.h.http
      .get(`/v1/admin/backups/${String(made.id)}`)
      .set(w.admin)
      .expect(404);
  }, 240_000);
});

describe('backups across engines', () => {
  it('an archive downloaded from sqlite restores on mongodb (uploaded) exactly', async () => {
    const from = await world('sqlite');
    onTestFinished(() => from.h.close());
    const to = await world('mongodb');
    onTestFinished(() => to.h.close());
    await populate(from);
    const original = await snapshot(from, from.appId);
    const made = await backup(from);
    const archive = await download(from, String(made.id));
    expect(archive.length).toBe(made.size);

    const started = await to.h.http
      .post('/v1/admin/restores')
      .set(to.admin)
      .set('Content-Type', 'application/gzip')
      .send(archive)
      .expect(202);
    const done = await restored(to, started.body.id as string);
    expect(done.error).toBeNull();
    expect(done.result!.sourceAppId).toBe(from.appId);
    const newId = done.appId!;
    expectSameApp(await snapshot(to, newId), original);
    await to.h.http
      .post(`/v1/apps/${newId}/auth/login`)
      .set('X-Hearth-Key', done.result!.publicKey)
      .send({ email: 'bob@example.com', password: PASSWORD })
      .expect(200);
  }, 240_000);
});
