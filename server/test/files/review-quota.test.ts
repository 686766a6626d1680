import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import { setSettings, startFiles, user, type FilesWorld } from './support.js';

/** Review: the quota under concurrent uploads (sqlite + disk only). */
describe('quota review [sqlite + disk]', () => {
  let w: FilesWorld;
  let alice: TestUser;
  beforeAll(async () => {
    w = await startFiles({ documents: 'sqlite', files: 'disk' });
    alice = await user(w);
  });
  afterAll(async () => {
    await w?.close();
  });

  // Each upload compares its size with what was left when it started, so N uploads at once can
  // each pass: the quota is exceeded by up to N-1 files, not "at most one file" (docs/files.md).
  // (Seen: all 8 stored, 4800 bytes under a 1000-byte quota.) Enforcing it needs a reservation of the bytes before streaming (not a small, local change).
  it.fails('eight concurrent uploads under a quota of one file store at most two files', async () => {
    await setSettings(w, { quotaBytes: 1000 });
    const text = Buffer.alloc(600, 'a');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        w.h.http
          .post(`/v1/apps/${w.appId}/files`)
          .set(alice.headers)
          .attach('file', text, { filename: `t${i}.txt`, contentType: 'text/plain' }),
      ),
    );
    const stored = results.filter((r) => r.status === 201).length;
    expect(stored).toBeLessThanOrEqual(2);
  });
});
