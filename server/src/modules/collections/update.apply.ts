import { invalidRequest } from '../../errors.js';
import { deepEqual, isPlainObject } from '../../lib/filter/compare.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { SYSTEM_FIELDS, type StoredDocument } from '../../ports/document-store.js';
import { badKeyReason, setOwn, validationFailed, newFieldErrors, type FieldErrors } from './validate.js';

/**
 * PATCH bodies: plain fields merge (`{"title": "x"}`), plus atomic operators
 * `$inc {path: n}`, `$push {path: v | {"$each": [...]}}`, `$addToSet` (same forms),
 * `$pull {path: v | {"$in": [...]}}`, `$unset [paths] | {path: true}`. Operator paths may be
 * dotted (into json fields). `parsePatch` checks the shape; `applyPatch` computes the resulting
 * document in memory, which is then validated and checked against the update rule, and written
 * with the stored version as a precondition (so what was checked is exactly what is stored).
 */
export interface PatchOps {
  set: Array<[path: string, value: unknown]>;
  unset: string[];
  inc: Array<[path: string, by: number]>;
  push: Array<[path: string, values: unknown[]]>;
  addToSet: Array<[path: string, values: unknown[]]>;
  pull: Array<[path: string, values: unknown[]]>;
  /** A new owner (secret key / admin only); undefined = unchanged. */
  owner?: string | null;
}

const OPERATORS = new Set(['$inc', '$push', '$addToSet', '$pull', '$unset']);
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const SYSTEM = new Set<string>(SYSTEM_FIELDS);
const MAX_OPERATIONS = 200;

/** Why an operator path is refused, or null. */
function badPathReason(path: string): string | null {
  const segments = path.split('.');
  const first = segments[0]!;
  if (SYSTEM.has(first)) return 'is read-only';
  if (segments.length === 1) return badKeyReason(path);
  if (segments.length > 8) return 'is nested too deeply';
  const firstReason = badKeyReason(first);
  if (firstReason) return firstReason;
  for (const s of segments.slice(1)) {
    if (!SEGMENT.test(s) || FORBIDDEN_SEGMENTS.has(s)) return 'is not an allowed field path';
  }
  return null;
}

/**
 * A new `owner` from a body: privileged callers only, a user id or null. Returns the owner, or
 * the message to report under `owner`.
 */
export function checkOwner(
  value: unknown,
  privileged: boolean,
): { owner: string | null; error?: undefined } | { owner?: undefined; error: string } {
  if (!privileged) return { error: 'is read-only' };
  if (value !== null && (typeof value !== 'string' || !ID_PATTERN.test(value))) {
    return { error: 'must be a user id or null' };
  }
  return { owner: value as string | null };
}

/**
 * The values of a `$push`/`$addToSet`/`$pull` argument: one value, or the list in `{"<wrapper>":
 * [...]}`, the only operator-shaped argument allowed (`$each`, `$in`).
 */
function valuesOf(arg: unknown, wrapper: '$each' | '$in', refusal: string, operator: string): unknown[] {
  if (!isPlainObject(arg) || !Object.keys(arg).some((k) => k.startsWith('$'))) return [arg];
  const list = Object.hasOwn(arg, wrapper) ? arg[wrapper] : undefined;
  if (!Array.isArray(list) || Object.keys(arg).length !== 1) throw invalidRequest(refusal, { operator });
  return list;
}

export function parsePatch(body: Record<string, unknown>, options: { privileged: boolean }): PatchOps {
  const ops: PatchOps = { set: [], unset: [], inc: [], push: [], addToSet: [], pull: [] };
  const errors: FieldErrors = newFieldErrors();
  const paths: string[] = [];
  const usePath = (path: string): boolean => {
    const reason = badPathReason(path);
    if (reason) {
      errors[path] = reason;
      return false;
    }
    paths.push(path);
    return true;
  };

  for (const [key, value] of Object.entries(body)) {
    if (key === 'owner') {
      const owner = checkOwner(value, options.privileged);
      if (owner.error) errors.owner = owner.error;
      else ops.owner = owner.owner;
      continue;
    }
    if (!key.startsWith('$')) {
      if (usePath(key)) ops.set.push([key, value]);
      continue;
    }
    if (!OPERATORS.has(key)) {
      throw invalidRequest(
        `Unsupported update operator ${key.slice(0, 64)}; use $inc, $push, $addToSet, $pull or $unset.`,
        {
          operator: key.slice(0, 64),
        },
      );
    }
    if (key === '$unset') {
      const list = Array.isArray(value) ? value : isPlainObject(value) ? Object.keys(value) : null;
      if (!list || list.some((p) => typeof p !== 'string')) {
        throw invalidRequest('$unset needs an array of field paths or an object {path: true}.', { operator: '$unset' });
      }
      for (const p of list as string[]) if (usePath(p)) ops.unset.push(p);
      continue;
    }
    if (!isPlainObject(value)) throw invalidRequest(`${key} needs an object of {path: value}.`, { operator: key });
    for (const [path, arg] of Object.entries(value)) {
      if (!usePath(path)) continue;
      switch (key) {
        case '$inc':
          if (typeof arg !== 'number' || !Number.isFinite(arg)) errors[path] = '$inc needs a number';
          else ops.inc.push([path, arg]);
          break;
        case '$push':
        case '$addToSet':
          (key === '$push' ? ops.push : ops.addToSet).push([
            path,
            valuesOf(arg, '$each', `${key} supports only {"$each": [...]}.`, key),
          ]);
          break;
        case '$pull':
          ops.pull.push([path, valuesOf(arg, '$in', '$pull supports a value or {"$in": [...]}.', key)]);
          break;
      }
    }
  }
  if (Object.keys(errors).length) throw validationFailed(errors);
  if (paths.length > MAX_OPERATIONS) throw invalidRequest(`A PATCH may change at most ${MAX_OPERATIONS} paths.`);
  // Two updates to the same path, or to a path and one inside it, are ambiguous.
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a === b || b.startsWith(`${a}.`)) {
      throw invalidRequest(`The update changes ${b} more than once.`, { path: b });
    }
  }
  return ops;
}

/** Top-level field names a patch touches. */
export function touchedFields(ops: PatchOps): Set<string> {
  const out = new Set<string>();
  for (const list of [ops.set, ops.inc, ops.push, ops.addToSet, ops.pull])
    for (const [p] of list) out.add(p.split('.')[0]!);
  for (const p of ops.unset) out.add(p.split('.')[0]!);
  return out;
}

export function isEmptyPatch(ops: PatchOps): boolean {
  return touchedFields(ops).size === 0 && ops.owner === undefined;
}

/** The document's own fields without system fields, deep-copied. */
export function dataOf(doc: StoredDocument): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!SYSTEM.has(k)) setOwn(out, k, structuredClone(v));
  return out;
}

/** The container of a dotted path (created on the way when `create`), or a reason it cannot be. */
function parentOf(
  root: Record<string, unknown>,
  path: string,
  create: boolean,
): { parent: Record<string, unknown>; key: string } | null {
  const segments = path.split('.');
  let current = root;
  for (const s of segments.slice(0, -1)) {
    let next = Object.hasOwn(current, s) ? current[s] : undefined;
    if (next === undefined || next === null) {
      if (!create) return null;
      next = {};
      setOwn(current, s, next);
    }
    if (!isPlainObject(next)) {
      throw invalidRequest(`Cannot update ${path}: ${s} is not an object.`, { path });
    }
    current = next;
  }
  return { parent: current, key: segments[segments.length - 1]! };
}

function read(root: Record<string, unknown>, path: string): unknown {
  const at = parentOf(root, path, false);
  return at && Object.hasOwn(at.parent, at.key) ? at.parent[at.key] : undefined;
}

function write(root: Record<string, unknown>, path: string, value: unknown): void {
  const at = parentOf(root, path, true)!;
  setOwn(at.parent, at.key, value);
}

/** Applies a patch to a copy of the stored document's fields. */
export function applyPatch(doc: StoredDocument, ops: PatchOps): Record<string, unknown> {
  const result = dataOf(doc);
  for (const [path, value] of ops.set) write(result, path, value);
  for (const path of ops.unset) {
    const at = parentOf(result, path, false);
    if (at) delete at.parent[at.key];
  }
  for (const [path, by] of ops.inc) {
    const current = read(result, path);
    if (current !== undefined && current !== null && typeof current !== 'number') {
      throw invalidRequest(`$inc needs ${path} to be a number.`, { operator: '$inc', path });
    }
    write(result, path, ((current as number | null | undefined) ?? 0) + by);
  }
  const arrayAt = (op: string, path: string): unknown[] | undefined => {
    const current = read(result, path);
    if (current === undefined || current === null) return undefined;
    if (!Array.isArray(current)) throw invalidRequest(`${op} needs ${path} to be an array.`, { operator: op, path });
    return current;
  };
  for (const [path, values] of ops.push) write(result, path, [...(arrayAt('$push', path) ?? []), ...values]);
  for (const [path, values] of ops.addToSet) {
    const next = [...(arrayAt('$addToSet', path) ?? [])];
    for (const v of values) if (!next.some((x) => deepEqual(x, v))) next.push(v);
    write(result, path, next);
  }
  for (const [path, values] of ops.pull) {
    const current = arrayAt('$pull', path);
    if (current)
      write(
        result,
        path,
        current.filter((x) => !values.some((v) => deepEqual(x, v))),
      );
  }
  return result;
}
