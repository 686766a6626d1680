import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Transform, type Readable } from 'node:stream';
import { HearthError, invalidRequest, notFound, unavailable } from '../../errors.js';
import {
  assertFileKey,
  assertKeyPrefix,
  assertRange,
  type FileStore,
  type ReadFileOptions,
} from '../../ports/file-store.js';

/**
 * The S3-compatible file store (`S3_BUCKET`; AWS, MinIO, R2…). Objects are stored under their
 * key in one bucket. Writes stream through `@aws-sdk/lib-storage`'s Upload: a small object is one
 * PutObject, a large one a multipart upload of `partSize` parts with at most `queueSize` in
 * flight (so memory stays at about partSize × queueSize whatever the file's size); a failed input
 * stream aborts the multipart upload, so nothing is left under the key. `forcePathStyle` is for
 * MinIO and other servers without virtual-host buckets.
 *
 * Provider errors are mapped to the port's: NoSuchKey/NotFound → `not_found`, InvalidRange →
 * `invalid_request`, everything else (network, credentials, a missing bucket, 5xx) →
 * `unavailable` with the SDK's error in `cause`.
 */
export interface S3FileStoreOptions {
  bucket: string;
  region: string;
  /** e.g. http://127.0.0.1:9000 for MinIO; absent for AWS. */
  endpoint?: string | undefined;
  /** Absent: the SDK's default credential chain (instance roles…). */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle?: boolean;
  /** Multipart part size in bytes (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel (default 2). */
  queueSize?: number;
}

export function createS3FileStore(options: S3FileStoreOptions): FileStore {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
  const Bucket = options.bucket;

  return {
    engine: 's3',

    async write(key, body, writeOptions = {}) {
      assertFileKey(key);
      let size = 0;
      let inputError: unknown;
      const counted = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          cb(null, chunk);
        },
      });
      body.once('error', (e) => {
        inputError ??= e;
        counted.destroy(e);
      });
      body.pipe(counted);
      const upload = new Upload({
        client,
        params: {
          Bucket,
          Key: key,
          Body: counted,
          ...(writeOptions.contentType ? { ContentType: writeOptions.contentType } : {}),
        },
        partSize: options.partSize ?? 8 * 1024 * 1024,
        queueSize: options.queueSize ?? 2,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (e) {
        throw inputError ?? s3Error(e);
      }
      if (inputError) throw inputError;
      return { size };
    },

    async read(key, readOptions: ReadFileOptions = {}) {
      assertFileKey(key);
      assertRange(readOptions.range);
      const range = readOptions.range;
      try {
        const res = await client.send(
          new GetObjectCommand({ Bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        );
        return res.Body as Readable;
      } catch (e) {
        throw s3Error(e);
      }
    },

    async stat(key) {
      assertFileKey(key);
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: res.ContentLength ?? 0, modifiedAt: res.LastModified ?? new Date(0) };
      } catch (e) {
        const mapped = s3Error(e);
        if (mapped.code === 'not_found') return null;
        throw mapped;
      }
    },

    async delete(key) {
      assertFileKey(key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
      } catch (e) {
        const mapped = s3Error(e);
        if (mapped.code !== 'not_found') throw mapped;
      }
    },

    async *list(prefix) {
      assertKeyPrefix(prefix);
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket,
              ...(prefix ? { Prefix: prefix } : {}),
              MaxKeys: 1000,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
        } catch (e) {
          throw s3Error(e);
        }
        for (const item of page.Contents ?? []) {
          // `.tus/…`: unfinished resumable uploads, never a key
          if (item.Key && !item.Key.startsWith('.'))
            yield { key: item.Key, size: item.Size ?? 0, modifiedAt: item.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async resumable(resumableOptions) {
      const { S3Store } = await import('@tus/s3-store');
      const store = new S3Store({
        s3ClientConfig: {
          bucket: Bucket,
          region: options.region,
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          ...(options.accessKeyId && options.secretAccessKey
            ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
            : {}),
          forcePathStyle: options.forcePathStyle ?? false,
        },
        partSize: options.partSize ?? 8 * 1024 * 1024,
        expirationPeriodInMilliseconds: resumableOptions.expirationMs,
      });
      return { store, idPrefix: '.tus/', read: (id) => store.read(id) };
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }), { abortSignal: AbortSignal.timeout(3_000) });
      } catch (e) {
        throw unavailable('The file storage bucket is not reachable.', e);
      }
    },

    async close() {
      client.destroy();
    },
  };
}

/** The SDK's errors as the port's; the SDK's error stays in `cause` (logs), never in the answer. */
function s3Error(e: unknown): HearthError {
  if (e instanceof HearthError) return e;
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  const name = err?.name;
  const status = err?.$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
    return notFound('No such file.');
  }
  if (name === 'InvalidRange' || status === 416) {
    return invalidRequest('The byte range starts past the end of the file.');
  }
  return unavailable('The file storage is unavailable.', e);
}
