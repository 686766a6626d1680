import { isPlainObject } from '../../lib/filter/compare.js';
import type { StoredDocument } from '../../ports/document-store.js';
import type { CompiledCollection } from './collection.compile.js';
import { setOwn } from './validate.js';

/**
 * What a caller gets to see of a stored document: hidden fields removed for non-privileged
 * callers, and only the requested `fields` (plus `id`) when a projection was asked for. The
 * projection is applied here as well as in the engine, so it holds whatever the engine does.
 * Exported for realtime and webhooks, which must show documents the same way.
 */
export function toClientDocument(
  col: Pick<CompiledCollection, 'hidden'>,
  doc: Readonly<StoredDocument>,
  options: { privileged: boolean; fields?: readonly string[] },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const hide = !options.privileged && col.hidden.size > 0;
  for (const key in doc) {
    if (!Object.hasOwn(doc, key) || (hide && col.hidden.has(key))) continue;
    const value = (doc as Record<string, unknown>)[key];
    // A plain assignment is several times cheaper; only `__proto__` would invoke a setter.
    if (key === '__proto__') setOwn(out, key, value);
    else out[key] = value;
  }
  return options.fields ? project(out, options.fields) : out;
}

/** Keeps `id` and the listed (possibly dotted) paths. */
export function project(doc: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: doc.id };
  for (const path of fields) {
    const segments = path.split('.');
    let src: unknown = doc;
    for (const s of segments) src = isPlainObject(src) && Object.hasOwn(src, s) ? src[s] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (const s of segments.slice(0, -1)) {
      if (!isPlainObject(dst[s])) setOwn(dst, s, {});
      dst = dst[s] as Record<string, unknown>;
    }
    setOwn(dst, segments[segments.length - 1]!, src);
  }
  return out;
}

/** The ETag of a document version. */
export const etagOf = (doc: { version: number }): string => `"${doc.version}"`;

/** `If-Match: "3"` (also `3` or `W/"3"`) → 3; absent → undefined; anything else is a bad request. */
export function parseIfMatch(header: string | undefined): number | undefined | 'invalid' {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  return m ? Number(m[1]) : 'invalid';
}
