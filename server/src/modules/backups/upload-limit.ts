import { pipeline, Transform, type Readable } from 'node:stream';
import { reasonError } from '../../errors.js';

export const archiveTooLarge = (max: number) =>
  reasonError(
    'payload_too_large',
    'archive_too_large',
    `The archive is larger than this server's limit of ${max} bytes (BACKUP_MAX_UPLOAD_BYTES).`,
    { maxBytes: max },
  );

/**
 * The upload's bytes, failing with `archive_too_large` as soon as more than `max` have passed,
 * so a huge or endless body never fills the file store. `exceeded` tells the caller why its
 * write failed (a file engine may report the source's error in its own words).
 */
export function limitUpload(body: Readable, max: number): { stream: Readable; exceeded: () => boolean } {
  let seen = 0;
  let over = false;
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) {
        over = true;
        done(archiveTooLarge(max));
        return;
      }
      done(null, chunk);
    },
  });
  return { stream: pipeline(body, limiter, () => {}), exceeded: () => over };
}
