import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, download, restored, world, type World } from './support.js';

/** A tar.gz made by hand: entries in order (a `type` other than file for links and folders). */
async function archive(
  entries: Array<{ name: string; body?: string | Buffer; type?: 'symlink' | 'directory'; linkname?: string }>,
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => pack.on('end', r));
  for (const e of entries) {
    if (e.type) pack.entry({ name: e.name, type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}) });
    else pack.entry({ name: e.name }, typeof e.body === 'string' ? e.body : (e.body ?? ''));
  }
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

const manifest = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    format: 'hearth-backup',
    formatVersion: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    hearthVersion: 'test',
    source: { appId: 'old', name: 'Old', storeEngine: 'sqlite', fileEngine: 'disk' },
    excluded: [],
    ...over,
  });
const appEntry = JSON.stringify({ name: 'Handmade', settings: { corsOrigins: ['*'] }, channelRules: { rules: [] } });
const end = (files = 0, bytes = 0) =>
  JSON.stringify({ collections: [{ name: 'notes', documents: 1 }], files: { count: files, bytes }, schemas: 0 });
const note = JSON.stringify({
  id: 'n1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  owner: null,
  version: 3,
  text: 'hi',
});
const head = [
  { name: 'manifest.json', body: manifest() },
  { name: 'app.json', body: appEntry },
  { name: 'schemas.ndjson', body: '' },
  { name: 'collections/notes/indexes.json', body: '[]' },
  { name: 'collections/notes/000001.ndjson', body: `${note}\n` },
];

describe('restores refuse bad archives (sqlite)', () => {
  let w: World;
  const upload = (body: Buffer) =>
    w.h.http.post('/v1/admin/restores').set(w.admin).set('Content-Type', 'application/gzip').send(body);
  const appCount = async () =>
    (await w.h.http.get('/v1/admin/apps?limit=100').set(w.admin).expect(200)).body.items.length;
  /** Uploads an archive whose manifest is fine; the job must fail with `reason` and leave no app behind. */
  const failsInJob = async (body: Buffer, reason: string) => {
    const before = await appCount();
    const res = await upload(body).expect(202);
    const done = await restored(w, res.body.id as string);
    expect(done.status).toBe('failed');
    expect(done.error!.reason).toBe(reason);
    expect(done.appId).toBeNull();
    expect(await appCount()).toBe(before);
    return done.error!.message;
  };

  beforeAll(async () => {
    w = await world('sqlite');
  });
  afterAll(() => w.h.close());

  it('a handmade well-formed archive restores (the baseline the cases below break)', async () => {
    const res = await upload(await archive([...head, { name: 'end.json', body: end() }])).expect(202);
    const done = await restored(w, res.body.id as string);
    expect(done.error).toBeNull();
    expect(await w.h.store.forApp(done.appId!).get('notes', 'n1')).toMatchObject({ version: 3, text: 'hi' });
  });

  it('a newer format version is refused at once, saying which versions this server reads', async () => {
    const res = await upload(await archive([{ name: 'manifest.json', body: manifest({ formatVersion: 2 }) }])).expect(
      400,
    );
    expect(res.body.error).toMatchObject({
      code: 'invalid_request',
      details: { reason: 'backup_format_newer', formatVersion: 2, supported: 1 },
    });
    expect(res.body.error.message).toMatch(/version 2.*up to version 1/);
  });

  it('something that is not a backup is refused at once', async () => {
    for (const body of [
      Buffer.from('not gzip at all'),
      gzipSync(Buffer.from('gzip, but no tar inside, just text that goes on '.repeat(20))),
      await archive([{ name: 'app.json', body: appEntry }]),
      await archive([{ name: 'manifest.json', body: '{"format":"something-else"}' }]),
      await archive([{ name: 'manifest.json', body: 'not json' }]),
    ]) {
      const res = await upload(body).expect(400);
      expect(res.body.error.details.reason).toBe('backup_invalid');
    }
    await w.h.http.post('/v1/admin/restores').set(w.admin).set('Content-Type', 'text/plain').send('x').expect(400);
  });

  it('a truncated archive fails the restore and removes the half-made app', async () => {
    const app = w.h.store.forApp(w.appId);
    for (let i = 0; i < 2000; i++) await app.create('bulk', { data: { i, text: `${i * 7919}`.repeat(5) } });
    const real = await download(w, String((await backup(w)).id));
    await failsInJob(real.subarray(0, Math.floor(real.length * 0.6)), 'backup_invalid');
    // cut exactly after the documents (a whole gzip stream, no end entry)
    await failsInJob(await archive(head), 'backup_invalid');
  });

  it('entries that name a path outside the restore, links and folders are refused', async () => {
    for (const bad of [
      { name: 'files/../../../etc/passwd', body: 'x' },
      { name: '../escape.json', body: '{}' },
      { name: '/etc/hosts', body: 'x' },
      { name: 'files/a/b', body: 'x' },
      { name: 'collections/../x/000001.ndjson', body: '' },
      { name: 'files/link', type: 'symlink' as const, linkname: '/etc/passwd' },
      { name: 'files/dir', type: 'directory' as const },
    ]) {
      const message = await failsInJob(
        await archive([...head, bad, { name: 'end.json', body: end() }]),
        'backup_invalid',
      );
      expect(message).not.toMatch(/tar|zlib|ENOENT/i);
    }
  });

  it('counts that do not match the end entry, bad documents and entries after the end are refused', async () => {
    await failsInJob(await archive([...head, { name: 'end.json', body: end(1, 10) }]), 'backup_invalid');
    await failsInJob(
      await archive([...head, { name: 'end.json', body: end() }, { name: 'files/late', body: 'x' }]),
      'backup_invalid',
    );
    const badDoc = [...head];
    badDoc[4] = { name: 'collections/notes/000001.ndjson', body: '{"id":"bad id!","version":0}\n' };
    await failsInJob(await archive([...badDoc, { name: 'end.json', body: end() }]), 'backup_invalid');
  });

  it('only admins reach the backup routes', async () => {
    const backupId = 'nope';
    const routes: Array<[string, string]> = [
      ['post', `/v1/admin/apps/${w.appId}/backups`],
      ['get', '/v1/admin/backups'],
      ['get', `/v1/admin/backups/${backupId}`],
      ['get', `/v1/admin/backups/${backupId}/archive`],
      ['delete', `/v1/admin/backups/${backupId}`],
      ['post', `/v1/admin/backups/${backupId}/restore`],
      ['post', '/v1/admin/restores'],
      ['get', `/v1/admin/restores/${backupId}`],
      ['get', `/v1/admin/apps/${w.appId}/backup-schedule`],
      ['put', `/v1/admin/apps/${w.appId}/backup-schedule`],
      ['delete', `/v1/admin/apps/${w.appId}/backup-schedule`],
    ];
    for (const [method, path] of routes) {
      const call = (w.h.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method]!;
      expect((await call(path)).status, `${method} ${path}`).toBe(401);
      expect((await call(path).set('Authorization', `Bearer ${w.secretKey}`)).status, `${method} ${path}`).toBe(401);
      expect((await call(path).set('X-Hearth-Key', w.secretKey)).status, `${method} ${path}`).toBe(401);
    }
    await w.h.http.get('/v1/admin/backups/nope').set(w.admin).expect(404);
    await w.h.http.post('/v1/admin/apps/nope/backups').set(w.admin).expect(404);
  });
});
