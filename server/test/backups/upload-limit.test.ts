import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskFileStore } from '../../src/engines/disk/index.js';
import { RESTORES } from '../../src/modules/backups/backups.service.js';
import { SYSTEM_APP } from '../../src/ports/document-store.js';
import type { FileStore } from '../../src/ports/file-store.js';
import { readAllArray } from '../../src/ports/read-all.js';
import { startHarness, withAdminAndApp } from '../support/harness.js';
import { LOOPBACK_ONLY } from '../webhooks/support.js';
import { backup, download, restored, type World } from './support.js';

/**
 * `BACKUP_MAX_UPLOAD_BYTES`: an uploaded archive over the limit is refused with 413
 * `archive_too_large`, whether its Content-Length says so or it streams in without one, and
 * nothing of it stays in the file store or the restore list. Under the limit, uploads work.
 */
const MAX = 64 * 1024;

describe('restore uploads are capped (sqlite)', () => {
  let w: World;
  let files: FileStore;
  let dir: string;
  let port: number;

  const uploads = async () => {
    const keys: string[] = [];
    for await (const f of files.list('_backups/uploads/')) keys.push(f.key);
    return keys;
  };
  const restoreCount = async () => (await readAllArray(w.h.store.forApp(SYSTEM_APP), RESTORES, {})).length;

  /** A chunked upload (no Content-Length) of `total` bytes, over a real connection. */
  function chunked(total: number): Promise<{ status: number; body: { error: { details: Record<string, unknown> } } }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/admin/restores',
          headers: { ...w.admin, 'Content-Type': 'application/gzip', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-upload-limit-'));
    files = createDiskFileStore({ root: dir });
    const h = await startHarness('sqlite', { outbound: LOOPBACK_ONLY, files, backupMaxUploadBytes: MAX });
    const ctx = await withAdminAndApp(h);
    w = { h, ...ctx, admin: { Authorization: `Bearer ${ctx.adminToken}` } };
    const server = h.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
    const close = h.close;
    h.close = async () => {
      await new Promise((r) => server.close(r));
      await close();
      rmSync(dir, { recursive: true, force: true });
    };
  });
  afterAll(() => w.h.close());

  it('an archive under the limit restores', async () => {
    const archive = await download(w, String((await backup(w)).id));
    expect(archive.length).toBeLessThan(MAX);
    const res = await w.h.http
      .post('/v1/admin/restores')
      .set(w.admin)
      .set('Content-Type', 'application/gzip')
      .send(archive)
      .expect(202);
    expect((await restored(w, res.body.id as string)).status).toBe('completed');
    expect(await restoreCount()).toBeGreaterThan(0);
  });

  it('a Content-Length over the limit is refused at once; nothing is kept', async () => {
    const before = { restores: await restoreCount(), uploads: (await uploads()).length };
    const res = await w.h.http
      .post('/v1/admin/restores')
      .set(w.admin)
      .set('Content-Type', 'application/gzip')
      .send(Buffer.alloc(MAX + 1, 1))
      .expect(413);
    expect(res.body.error).toMatchObject({
      code: 'payload_too_large',
      details: { reason: 'archive_too_large', maxBytes: MAX },
    });
    expect(res.body.error.message).toMatch(/BACKUP_MAX_UPLOAD_BYTES/);
    expect({ restores: await restoreCount(), uploads: (await uploads()).length }).toEqual(before);
  });

  it('a body streamed without a length is cut off at the limit; nothing is kept', async () => {
    const before = { restores: await restoreCount(), uploads: (await uploads()).length };
    const res = await chunked(256 * MAX);
    expect(res.status).toBe(413);
    expect(res.body.error.details).toMatchObject({ reason: 'archive_too_large', maxBytes: MAX });
    expect({ restores: await restoreCount(), uploads: (await uploads()).length }).toEqual(before);
  });
});
