import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, it } from 'vitest';
import { createDiskFileStore } from '../../../src/engines/disk/index.js';
import { createS3FileStore, type S3FileStoreOptions } from '../../../src/engines/s3/index.js';
import { newId } from '../../../src/lib/ids.js';
import type { FileStore } from '../../../src/ports/file-store.js';

/**
 * The file-store engines every file suite runs against:
 * - `disk`: the embedded engine in a temp folder;
 * - `s3rver`: the S3 engine on the s3rver test server the global setup starts (path style);
 * - `s3`: the S3 engine on a real S3/MinIO, only when HEARTH_TEST_S3_ENDPOINT and
 *   HEARTH_TEST_S3_BUCKET are set (with HEARTH_TEST_S3_ACCESS_KEY_ID/SECRET_ACCESS_KEY); skipped
 *   otherwise, with a title that says so.
 * Each opened S3 store writes below its own random key prefix (`t<id>/`), so runs never meet.
 */
export type FileTargetName = 'disk' | 's3rver' | 's3';

export interface OpenedFileStore {
  store: FileStore;
  /** Prepend to every key a test writes (empty on disk, `t<id>/` on S3). */
  prefix: string;
  /** The folder behind a disk store (to check nothing lands outside it). */
  root?: string;
  cleanup(): Promise<void>;
}

export interface FileTarget {
  name: FileTargetName;
  title: string;
  skip: boolean;
  open(options?: Partial<S3FileStoreOptions>): Promise<OpenedFileStore>;
}

/** The S3 connection settings of the s3rver test server (for tests that build stores or apps). */
export function s3rverSettings(): S3FileStoreOptions {
  const s3 = inject('s3');
  return {
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  };
}

async function openS3(settings: S3FileStoreOptions): Promise<OpenedFileStore> {
  const store = createS3FileStore(settings);
  const prefix = `t${newId().replace(/[^A-Za-z0-9]/g, '')}/`;
  return {
    store,
    prefix,
    cleanup: async () => {
      for await (const o of store.list(prefix)) await store.delete(o.key);
      await store.close();
    },
  };
}

export function fileTargets(): FileTarget[] {
  const real = process.env.HEARTH_TEST_S3_ENDPOINT && process.env.HEARTH_TEST_S3_BUCKET;
  return [
    {
      name: 'disk',
      title: 'disk',
      skip: false,
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'hearth-files-'));
        const root = join(dir, 'files');
        const store = createDiskFileStore({ root });
        return {
          store,
          prefix: '',
          root,
          cleanup: async () => {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
    {
      name: 's3rver',
      title: 's3 on s3rver (test server)',
      skip: false,
      open: (options = {}) => openS3({ ...s3rverSettings(), ...options }),
    },
    {
      name: 's3',
      title: real ? 's3 on a real S3 server' : 's3 on a real S3 server (set HEARTH_TEST_S3_ENDPOINT to run)',
      skip: !real,
      open: (options = {}) =>
        openS3({
          bucket: process.env.HEARTH_TEST_S3_BUCKET!,
          endpoint: process.env.HEARTH_TEST_S3_ENDPOINT!,
          region: process.env.HEARTH_TEST_S3_REGION ?? 'us-east-1',
          accessKeyId: process.env.HEARTH_TEST_S3_ACCESS_KEY_ID,
          secretAccessKey: process.env.HEARTH_TEST_S3_SECRET_ACCESS_KEY,
          forcePathStyle: true,
          ...options,
        }),
    },
  ];
}

/**
 * Cases a test server cannot serve: case id → target → what it does instead. The case is skipped
 * there only, with the reason in its title, and still runs on every other engine.
 */
export const FILE_LIMITATIONS: Record<string, Partial<Record<FileTargetName, string>>> = {
  'files.resumable': {
    s3rver:
      's3rver implements neither ListParts nor AbortMultipartUpload (MethodNotAllowed), which @tus/s3-store needs for every chunk; runs on a real S3 (HEARTH_TEST_S3_ENDPOINT)',
  },
  'files.range-first-byte': {
    s3rver: 's3rver reads Range bytes=0-0 as bytes=0- (it takes the end 0 as absent) and returns the whole object',
  },
};

/** `it` for a conformance case, skipped with its reason on a target listed in FILE_LIMITATIONS. */
export function fileCase(target: FileTargetName, caseId: string, title: string, fn: () => Promise<void>): void {
  const reason = FILE_LIMITATIONS[caseId]?.[target];
  it.skipIf(reason !== undefined)(
    reason ? `${caseId}: ${title} [skipped on ${target}: ${reason}]` : `${caseId}: ${title}`,
    fn,
  );
}
