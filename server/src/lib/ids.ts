import { randomBytes, randomFillSync } from 'node:crypto';

/** Random bytes for ids, filled 4 KiB at a time (one getrandom call per 341 ids instead of one each). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** An opaque, URL-safe, unguessable id (16 chars, 96 bits). */
export const newId = (): string => {
  if (poolAt + 12 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const id = pool.toString('base64url', poolAt, poolAt + 12);
  poolAt += 12;
  return id;
};

/** A URL-safe random token of `bytes` bytes of entropy. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** App ids, collection names and field paths are validated with these before reaching an engine. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Collection names at the port. A leading `_` marks a system collection (`_users`, `_sessions`…). */
export const NAME_PATTERN = /^_?[A-Za-z][A-Za-z0-9_]{0,62}$/;
/** Collections an app developer may create through the API: no leading `_`. */
export const USER_COLLECTION_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
