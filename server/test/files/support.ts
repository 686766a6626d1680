import { expect } from 'vitest';
import { startHarness, withAdminAndApp, type EngineName, type Harness } from '../support/harness.js';
import { fileTargets, type FileTargetName, type OpenedFileStore } from '../conformance/file-store/targets.js';
import { signInAnonymously, type TestUser } from '../collections/users.js';

/**
 * The files suites run on real engines: each document store with one file store, so both of
 * each are covered (`sqlite` + `disk`, `mongodb` + `s3rver`); suites that want every pair use
 * ALL_PAIRS.
 */
export interface EnginePair {
  documents: EngineName;
  files: FileTargetName;
}
export const PAIRS: EnginePair[] = [
  { documents: 'sqlite', files: 'disk' },
  { documents: 'mongodb', files: 's3rver' },
];
export const ALL_PAIRS: EnginePair[] = [
  ...PAIRS,
  { documents: 'sqlite', files: 's3rver' },
  { documents: 'mongodb', files: 'disk' },
];
export const pairName = (p: EnginePair) => `${p.documents} + ${p.files}`;

export interface FilesWorld {
  h: Harness;
  opened: OpenedFileStore;
  appId: string;
  publicKey: string;
  secretKey: string;
  adminToken: string;
  admin: Record<string, string>;
  secret: Record<string, string>;
  close(): Promise<void>;
}

export async function startFiles(
  pair: EnginePair,
  options: Parameters<typeof startHarness>[1] = {},
): Promise<FilesWorld> {
  const target = fileTargets().find((t) => t.name === pair.files)!;
  const opened = await target.open();
  const h = await startHarness(pair.documents, { files: opened.store, ...options });
  const app = await withAdminAndApp(h);
  return {
    h,
    opened,
    ...app,
    admin: { Authorization: `Bearer ${app.adminToken}` },
    secret: { 'X-Hearth-Key': app.secretKey },
    close: async () => {
      await h.close();
      await opened.cleanup();
    },
  };
}

export const user = (w: FilesWorld, appId = w.appId, publicKey = w.publicKey): Promise<TestUser> =>
  signInAnonymously(w.h, appId, publicKey);

/** A 1×1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
/** The start of an ELF executable. */
export const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(200, 1)]);

export async function setSettings(w: FilesWorld, settings: Record<string, unknown>): Promise<void> {
  const res = await w.h.http.patch(`/v1/admin/apps/${w.appId}/files/settings`).set(w.admin).send(settings);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

export function upload(
  w: FilesWorld,
  headers: Record<string, string>,
  data: Buffer,
  name = 'photo.png',
  query = '',
  appId = w.appId,
) {
  return w.h.http
    .post(`/v1/apps/${appId}/files${query}`)
    .set(headers)
    .attach('file', data, { filename: name, contentType: 'image/png' });
}

/** Keys in the file store under the app's prefix. */
export async function storedKeys(w: FilesWorld, appId = w.appId): Promise<string[]> {
  const out: string[] = [];
  for await (const o of w.opened.store.list(`${appId}/`)) out.push(o.key);
  return out;
}

export const errorOf = (res: {
  status: number;
  body: { error?: { code?: string; details?: { reason?: string } } };
}) => ({
  status: res.status,
  code: res.body.error?.code,
  reason: res.body.error?.details?.reason,
});
