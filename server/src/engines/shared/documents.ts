import { invalidRequest } from '../../errors.js';
import { compareValues, deepEqual, getPath, isPlainObject } from '../../lib/filter/compare.js';
import type { JsonValue, Path, SortSpec } from '../../lib/filter/types.js';
import { parsePath } from '../../lib/filter/parse.js';
import { newId } from '../../lib/ids.js';
import {
  SYSTEM_FIELDS,
  type BatchOp,
  type CreateInput,
  type IndexSpec,
  type DocumentData,
  type StoredDocument,
  type UpdateSpec,
} from '../../ports/document-store.js';
import { assertNewId } from './errors.js';

/**
 * What both engines do the same way, in memory: building a new document, applying an update
 * spec to a stored one, projections and the sort order used for keyset cursors. Engines read the
 * stored document and write the result under their own atomicity (a SQLite transaction; a
 * MongoDB compare-and-set on `version`), so these functions are pure.
 *
 * Beside this file: errors.ts (the port's errors and its one answer to bad names and ids),
 * paging.ts (keyset pages and cursors), batch.ts (a batch checked before it runs), unique.ts
 * (unique conflicts), aggregate.ts (the in-memory aggregation stages).
 */

const SYSTEM = new Set<string>(SYSTEM_FIELDS);
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A top-level field name no document may have: `__proto__`-like names, and names starting with
 * `$` (MongoDB cannot replace a document that has one, so on one engine it would be stored but
 * never updatable again). Below the top level, such keys are plain data.
 */
const forbiddenFieldName = (key: string): boolean => FORBIDDEN.has(key) || key.startsWith('$');

/** Plain field data without system fields and without forbidden names at the top. */
function checkData(data: DocumentData): void {
  if (!isPlainObject(data)) throw invalidRequest('Document data must be an object.');
  for (const key of Object.keys(data)) {
    if (SYSTEM.has(key)) throw invalidRequest(`The field "${key}" is read-only.`, { field: key });
    if (forbiddenFieldName(key)) throw invalidRequest(`The field name "${key}" is not allowed.`, { field: key });
  }
}

export function newDocument(input: CreateInput, now: string): StoredDocument {
  checkData(input.data);
  const id = input.id ?? newId();
  assertNewId(id);
  return { ...cloneJson(input.data), id, createdAt: now, updatedAt: now, owner: input.owner ?? null, version: 1 };
}

/**
 * A stored document taken as it is (restores, `importDocuments`): the system fields must be well
 * formed and the data must pass the same checks as a create. Returns a copy.
 */
export function importedDocument(doc: StoredDocument): StoredDocument {
  if (!isPlainObject(doc)) throw invalidRequest('A document must be an object.');
  const { id, createdAt, updatedAt, owner, version, ...data } = doc;
  assertNewId(id);
  for (const [name, at] of [
    ['createdAt', createdAt],
    ['updatedAt', updatedAt],
  ] as const) {
    if (typeof at !== 'string' || !ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) {
      throw invalidRequest(`The field "${name}" must be an ISO-8601 time.`, { field: name, id });
    }
  }
  if (owner !== null && typeof owner !== 'string') throw invalidRequest('The owner must be a string or null.', { id });
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalidRequest('The version must be a positive integer.', { id });
  }
  checkData(data as DocumentData);
  return { ...cloneJson(data), id, createdAt, updatedAt, owner, version };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function replacedDocument(stored: StoredDocument, data: DocumentData, now: string): StoredDocument {
  checkData(data);
  return {
    ...cloneJson(data),
    id: stored.id,
    createdAt: stored.createdAt,
    updatedAt: now,
    owner: stored.owner,
    version: stored.version + 1,
  };
}

const cloneJson = <T>(value: T): T => structuredClone(value);

function splitPath(path: Path): string[] {
  const segments = path.split('.');
  if (segments.some((s) => s.length === 0 || FORBIDDEN.has(s)))
    throw invalidRequest(`The path "${path}" is invalid.`, { path });
  if (SYSTEM.has(segments[0]!))
    throw invalidRequest(`The field "${segments[0]}" is read-only.`, { field: segments[0] });
  if (segments[0]!.startsWith('$'))
    throw invalidRequest(`The field name "${segments[0]}" is not allowed.`, { field: segments[0] });
  return segments;
}

/** The object holding the last segment of `path`, creating missing objects on the way (when `create`). */
function parentOf(
  doc: Record<string, unknown>,
  path: Path,
  create: boolean,
): { parent: Record<string, unknown>; key: string } | null {
  const segments = splitPath(path);
  let current = doc;
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (next === undefined) {
      if (!create) return null;
      const made: Record<string, unknown> = {};
      current[segment] = made;
      current = made;
    } else if (isPlainObject(next)) {
      current = next;
    } else {
      throw invalidRequest(`Cannot write "${path}": "${segment}" is not an object.`, { path });
    }
  }
  return { parent: current, key: segments[segments.length - 1]! };
}

function arrayAt(doc: Record<string, unknown>, path: Path, op: string, create: boolean): unknown[] | null {
  const slot = parentOf(doc, path, create);
  if (!slot) return null;
  const current = Object.hasOwn(slot.parent, slot.key) ? slot.parent[slot.key] : undefined;
  if (current === undefined || current === null) {
    if (!create) return null;
    const made: unknown[] = [];
    slot.parent[slot.key] = made;
    return made;
  }
  if (!Array.isArray(current)) throw invalidRequest(`${op} needs an array at "${path}".`, { path, operator: op });
  return current;
}

/** The document after `spec` (version +1, updatedAt = now). Throws invalid_request for impossible operations. */
export function applyUpdate(stored: StoredDocument, spec: UpdateSpec, now: string): StoredDocument {
  const doc = cloneJson(stored) as Record<string, unknown>;
  for (const [path, value] of Object.entries(spec.set ?? {})) {
    const slot = parentOf(doc, path, true)!;
    slot.parent[slot.key] = cloneJson(value);
  }
  for (const path of spec.unset ?? []) {
    // Unsetting below a missing value or one that is not an object removes nothing (as in MongoDB).
    const segments = splitPath(path);
    const parent = segments.length === 1 ? doc : getPath(doc, segments.slice(0, -1).join('.'));
    if (isPlainObject(parent)) delete parent[segments[segments.length - 1]!];
  }
  for (const [path, by] of Object.entries(spec.inc ?? {})) {
    if (typeof by !== 'number' || !Number.isFinite(by))
      throw invalidRequest(`$inc needs a number for "${path}".`, { path });
    const slot = parentOf(doc, path, true)!;
    const current = Object.hasOwn(slot.parent, slot.key) ? slot.parent[slot.key] : undefined;
    if (current !== undefined && typeof current !== 'number') {
      throw invalidRequest(`$inc needs a number at "${path}".`, { path, operator: '$inc' });
    }
    const sum = ((current as number | undefined) ?? 0) + by;
    if (!Number.isFinite(sum)) throw invalidRequest(`$inc would overflow "${path}".`, { path, operator: '$inc' });
    slot.parent[slot.key] = sum;
  }
  for (const [path, values] of Object.entries(spec.push ?? {})) {
    arrayAt(doc, path, '$push', true)!.push(...cloneJson(values));
  }
  for (const [path, values] of Object.entries(spec.addToSet ?? {})) {
    const array = arrayAt(doc, path, '$addToSet', true)!;
    for (const value of values) if (!array.some((existing) => deepEqual(existing, value))) array.push(cloneJson(value));
  }
  for (const [path, values] of Object.entries(spec.pull ?? {})) {
    const array = arrayAt(doc, path, '$pull', false);
    if (!array) continue;
    const kept = array.filter((element) => !values.some((value) => deepEqual(element, value)));
    array.splice(0, array.length, ...kept);
  }
  if (spec.owner !== undefined) doc.owner = spec.owner;
  doc.updatedAt = now;
  doc.version = stored.version + 1;
  return doc as StoredDocument;
}

/** Projection: `id` plus the listed (possibly dotted) paths that exist. */
export function project(doc: StoredDocument, fields: readonly Path[] | undefined): StoredDocument {
  if (!fields) return doc;
  const out: Record<string, unknown> = { id: doc.id };
  for (const path of fields) {
    const value = getPath(doc, path);
    if (value === undefined) continue;
    const segments = path.split('.');
    let target = out;
    for (const segment of segments.slice(0, -1)) {
      const next = target[segment];
      if (!isPlainObject(next)) target[segment] = {};
      target = target[segment] as Record<string, unknown>;
    }
    target[segments[segments.length - 1]!] = value;
  }
  return out as StoredDocument;
}

/** The values a cursor remembers for a row: each sort key's value (null when missing or not a scalar). */
export function sortValues(doc: Record<string, unknown>, sort: SortSpec): JsonValue[] {
  return sort.map(({ path }) => {
    const value = getPath(doc, path);
    return value === undefined ? null : (value as JsonValue);
  });
}

/** The full order of a find: the sort keys, then `id` ascending. */
export function compareForSort(sort: SortSpec): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  return (a, b) => {
    for (const { path, dir } of sort) {
      const c = compareValues(getPath(a, path), getPath(b, path));
      if (c !== 0) return c * dir;
    }
    return a.id === b.id ? 0 : String(a.id) < String(b.id) ? -1 : 1;
  };
}

/** Normalises a find's sort: never empty, without an explicit `id` key in the middle. */
export function normaliseSort(sort: SortSpec | undefined): SortSpec {
  const keys = (sort ?? []).filter((s, i, all) => all.findIndex((o) => o.path === s.path) === i);
  const idAt = keys.findIndex((s) => s.path === 'id');
  // Keys after `id` can never matter (ids are unique); `id` itself decides the tie-break direction.
  return idAt >= 0 ? keys.slice(0, idAt + 1) : keys;
}

const INDEX_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** Validates an index spec (name, field paths, directions) and returns it in canonical form. */
export function normaliseIndex(index: IndexSpec): IndexSpec {
  if (!index || typeof index !== 'object' || typeof index.name !== 'string' || !INDEX_NAME.test(index.name)) {
    throw invalidRequest('The index name is invalid.', { index: String(index?.name).slice(0, 80) });
  }
  const paths =
    index.kind === 'text' ? index.fields : index.kind === 'regular' ? index.fields.map((f) => f.path) : null;
  if (!Array.isArray(paths) || paths.length === 0)
    throw invalidRequest('The index fields are invalid.', { index: index.name });
  for (const path of paths) parsePath(path, { index: index.name });
  if (index.kind === 'text') return { kind: 'text', name: index.name, fields: [...index.fields] };
  if (index.fields.some((f) => f.dir !== 1 && f.dir !== -1))
    throw invalidRequest('Index directions are 1 or -1.', { index: index.name });
  return {
    kind: 'regular',
    name: index.name,
    fields: index.fields.map(({ path, dir }) => ({ path, dir })),
    ...(index.unique ? { unique: true } : {}),
  };
}

/** What an update or replace op does to the stored document (the engines write the result). */
export function changeOf(
  op: Extract<BatchOp, { op: 'update' | 'replace' }>,
  now: () => string,
): (stored: StoredDocument) => StoredDocument {
  return op.op === 'update'
    ? (stored) => applyUpdate(stored, op.update, now())
    : (stored) => replacedDocument(stored, op.data, now());
}
