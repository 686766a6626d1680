import type { Path } from '../../lib/filter/types.js';

/**
 * How a port document is laid out in MongoDB: the port's `id` is `_id`, system fields are plain
 * fields, and a data field whose name is `_id`, `__id`, `___id`… gets one more leading underscore
 * so it can never be taken for (or shadow) `_id`. Only top-level names are escaped: nested
 * objects are stored exactly as given.
 */

const ESCAPED = /^_+id$/;

/** A top-level port field name → its stored name. */
export const storedKey = (key: string): string => (key === 'id' ? '_id' : ESCAPED.test(key) ? `_${key}` : key);

/** A stored top-level name → the port's field name. */
export const portKey = (key: string): string => (key === '_id' ? 'id' : ESCAPED.test(key) ? key.slice(1) : key);

/** A port path (dotted) → the stored path: only the first segment changes. */
export function storedPath(path: Path): string {
  const dot = path.indexOf('.');
  return dot < 0 ? storedKey(path) : storedKey(path.slice(0, dot)) + path.slice(dot);
}
