import { invalidRequest } from '../errors.js';
import type { JsonValue, SortSpec } from './filter/types.js';

/**
 * Opaque keyset cursors shared by every engine: base64url JSON of the last row's sort values and
 * id, bound to the sort it was made for. A cursor that does not decode, or was made for another
 * sort, is `invalid_request` (never an engine error).
 */
export interface CursorPosition {
  /** The last row's value for each sort key, in order (null for missing). */
  values: JsonValue[];
  id: string;
}

const MAX_CURSOR_LENGTH = 4096;

export const sortFingerprint = (sort: SortSpec): string =>
  sort.map((s) => `${s.dir === -1 ? '-' : ''}${s.path}`).join(',');

export function encodeCursor(sort: SortSpec, position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ s: sortFingerprint(sort), v: position.values, i: position.id })).toString(
    'base64url',
  );
}

export function decodeCursor(sort: SortSpec, cursor: string): CursorPosition {
  const bad = () => invalidRequest('The cursor is invalid or was made for another query.', { parameter: 'after' });
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw bad();
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad();
  const { s, v, i } = parsed as Record<string, unknown>;
  if (s !== sortFingerprint(sort) || typeof i !== 'string' || !Array.isArray(v) || v.length !== sort.length) {
    throw bad();
  }
  // Values are whatever JSON the sort keys held (objects and arrays sort too), but never an
  // operator-like object: documents cannot hold `$` keys, so such a cursor is forged.
  if (v.some(hasOperatorKey)) throw bad();
  return { values: v as JsonValue[], id: i };
}

function hasOperatorKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasOperatorKey);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, inner]) => key.startsWith('$') || hasOperatorKey(inner));
}
