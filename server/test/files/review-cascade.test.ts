import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import { PNG, startFiles, upload, user, type FilesWorld } from './support.js';

/** Review: a file-field cascade and whose files it may delete (sqlite + disk only). */
describe('file-field cascade review [sqlite + disk]', () => {
  let w: FilesWorld;
  let alice: TestUser;
  let bob: TestUser;
  const docs = () => `/v1/apps/${w.appId}/collections/posts/documents`;
  const fileExists = async (id: string) =>
    (await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(w.secret)).status === 200;

  beforeAll(async () => {
    w = await startFiles({ documents: 'sqlite', files: 'disk' });
    alice = await user(w);
    bob = await user(w);
    await w.h.http
      .post(`/v1/admin/apps/${w.appId}/collections`)
      .set(w.admin)
      .send({
        name: 'posts',
        fields: [
          { name: 'title', type: 'string' },
          { name: 'cover', type: 'file', onDelete: 'cascade' },
        ],
        rules: {
          list: 'public',
          get: 'public',
          create: 'authenticated',
          update: { owner: '@auth.id' },
          delete: { owner: '@auth.id' },
        },
      })
      .expect(201);
  });
  afterAll(async () => {
    await w?.close();
  });

  it("a cascade never deletes another user's (public) file that a document merely names", async () => {
    const bobsPublic = (await upload(w, bob.headers, PNG, 'bob.png', '?public=true').expect(201)).body.id;
    const doc = await w.h.http.post(docs()).set(alice.headers).send({ title: 'x', cover: bobsPublic });
    expect(doc.status, JSON.stringify(doc.body)).toBe(201);
    await w.h.http.delete(`${docs()}/${doc.body.id}`).set(alice.headers).expect(204);
    await new Promise((r) => setTimeout(r, 500));
    expect(await fileExists(bobsPublic)).toBe(true);
  });
});
