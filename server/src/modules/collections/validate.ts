import { HearthError } from '../../errors.js';
import { isPlainObject } from '../../lib/filter/compare.js';
import { regexMatches } from '../../lib/filter/regex.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { SYSTEM_FIELDS, type DocumentData } from '../../ports/document-store.js';
import { FIELD_NAME_PATTERN, RESERVED_FIELD_NAMES, type ElementDef, type FieldDef } from './collection.schema.js';

/**
 * Document validation against a collection schema. Every problem is collected, one message per
 * bad field path (`title`, `tags.2`, `location.lat`), and thrown together as `validation_failed`
 * with `details.fields`. Values are also normalised here (dates → ISO-8601 UTC with milliseconds),
 * so what is stored compares correctly as a string.
 */
export type FieldErrors = Record<string, string>;

/** An empty error map with no prototype, so a field named `__proto__` is recorded like any other. */
export const newFieldErrors = (): FieldErrors => Object.create(null) as FieldErrors;

/** What validation needs to know about a collection (CompiledCollection satisfies it). */
export interface ValidationSchema {
  strict: boolean;
  fields: ReadonlyMap<string, FieldDef>;
}

const SYSTEM = new Set<string>(SYSTEM_FIELDS);
const MAX_JSON_DEPTH = 32;
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]+$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function validationFailed(fields: FieldErrors, message = 'One or more fields are invalid.'): HearthError {
  return new HearthError('validation_failed', message, { fields });
}

/**
 * Why a top-level key of a write cannot be a field name, or null when it can. System fields are
 * read-only; `$`-names (operators), `__proto__`, dotted names and the like are never field names.
 */
export function badKeyReason(key: string): string | null {
  if (SYSTEM.has(key)) return 'is read-only';
  if (key.startsWith('$')) return 'field names cannot start with $';
  if (key.includes('.')) return 'field names cannot contain "."';
  if (key === '__proto__' || !FIELD_NAME_PATTERN.test(key) || RESERVED_FIELD_NAMES.has(key)) {
    return 'is not an allowed field name';
  }
  return null;
}

/** Why a key inside a JSON value is refused (it would turn into an operator or a path), or null. */
function badNestedKeyReason(key: string): string | null {
  if (key.startsWith('$')) return 'keys cannot start with $';
  if (key.includes('.')) return 'keys cannot contain "."';
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') return 'is not an allowed key';
  if (key.includes('\u0000')) return 'keys cannot contain NUL';
  return null;
}

/** Checks arbitrary JSON (json fields, unknown fields of non-strict collections). */
export function checkJson(value: unknown, path: string, errors: FieldErrors, depth = 0): JsonValue | undefined {
  if (depth > MAX_JSON_DEPTH) {
    errors[path] = `is nested deeper than ${MAX_JSON_DEPTH} levels`;
    return undefined;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    errors[path] = 'must be a finite number';
    return undefined;
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) {
      const v = checkJson(value[i], `${path}.${i}`, errors, depth + 1);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      const reason = badNestedKeyReason(k);
      if (reason) {
        errors[`${path}.${k}`] = reason;
        continue;
      }
      const checked = checkJson(v, `${path}.${k}`, errors, depth + 1);
      if (checked !== undefined)
        Object.defineProperty(out, k, { value: checked, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  errors[path] = 'must be JSON';
  return undefined;
}

/** Normalises an ISO-8601 date/time to `YYYY-MM-DDTHH:mm:ss.sssZ`, or null when it is not one. */
export function normaliseDate(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 40) return null;
  const m = ISO_DATE.exec(value);
  if (!m) return null;
  const [y, mo, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  if (m[1]) {
    const [h, mi, sec] = [
      Number(value.slice(11, 13)),
      Number(value.slice(14, 16)),
      m[2] ? Number(value.slice(17, 19)) : 0,
    ];
    if (h > 23 || mi > 59 || sec > 59) return null;
  }
  const ms = Date.parse(m[1] ? value : `${value}T00:00:00Z`);
  if (Number.isNaN(ms)) return null;
  return new Date(ms).toISOString();
}

function isHttpUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** Records `message` under `path`; returns undefined (no value) so checks can `return fail(…)`. */
const failAt =
  (errors: FieldErrors, path: string) =>
  (message: string): undefined => {
    errors[path] = message;
    return undefined;
  };

/**
 * Checks one value against a field (or array element) definition. Returns the normalised value,
 * or undefined after recording a message under `path`. `null` is handled by the caller.
 */
export function checkValue(
  def: FieldDef | ElementDef,
  value: unknown,
  path: string,
  errors: FieldErrors,
): JsonValue | undefined {
  const fail = failAt(errors, path);
  let out: JsonValue;
  switch (def.type) {
    case 'string':
      if (typeof value !== 'string') return fail('must be a string');
      out = value;
      break;
    case 'email':
      if (typeof value !== 'string' || value.length > 320 || !EMAIL.test(value))
        return fail('must be an email address');
      out = value;
      break;
    case 'url':
      if (typeof value !== 'string' || !isHttpUrl(value)) return fail('must be an http(s) URL');
      out = value;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('must be a number');
      out = value;
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail('must be an integer');
      out = value;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return fail('must be true or false');
      out = value;
      break;
    case 'date': {
      const iso = normaliseDate(value);
      if (iso === null) return fail('must be an ISO-8601 date, e.g. 2024-05-01T12:00:00Z');
      out = iso;
      break;
    }
    case 'geopoint': {
      if (!isPlainObject(value)) return fail('must be {"lat": number, "lng": number}');
      const keys = Object.keys(value);
      const { lat, lng } = value;
      if (keys.length !== 2 || typeof lat !== 'number' || typeof lng !== 'number') {
        return fail('must be {"lat": number, "lng": number}');
      }
      if (!(lat >= -90 && lat <= 90)) return fail('lat must be between -90 and 90');
      if (!(lng >= -180 && lng <= 180)) return fail('lng must be between -180 and 180');
      out = { lat, lng };
      break;
    }
    case 'file':
    case 'relation':
      if (typeof value !== 'string' || !ID_PATTERN.test(value)) return fail('must be a document id');
      out = value;
      break;
    case 'json': {
      const before = Object.keys(errors).length;
      const checked = checkJson(value, path, errors);
      if (checked === undefined || Object.keys(errors).length > before) return undefined;
      out = checked;
      break;
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('must be an array');
      const element = (def as FieldDef).of ?? { type: 'json' as const };
      const items: JsonValue[] = [];
      let bad = false;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === null && element.type !== 'json') {
          errors[`${path}.${i}`] = 'must not be null';
          bad = true;
          continue;
        }
        const v = item === null ? null : checkValue(element, item, `${path}.${i}`, errors);
        if (v === undefined) bad = true;
        else items.push(v);
      }
      if (bad) return undefined;
      out = items;
      break;
    }
  }
  return checkConstraints(def, out, path, errors);
}

function checkConstraints(
  def: FieldDef | ElementDef,
  value: JsonValue,
  path: string,
  errors: FieldErrors,
): JsonValue | undefined {
  const fail = failAt(errors, path);
  if (def.enum && !def.enum.some((allowed) => allowed === value)) {
    return fail(`must be one of: ${def.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (typeof value === 'number') {
    if (typeof def.min === 'number' && value < def.min) return fail(`must be at least ${def.min}`);
    if (typeof def.max === 'number' && value > def.max) return fail(`must be at most ${def.max}`);
  }
  if (def.type === 'date' && typeof value === 'string') {
    const min = typeof def.min === 'string' ? normaliseDate(def.min) : null;
    const max = typeof def.max === 'string' ? normaliseDate(def.max) : null;
    if (min && value < min) return fail(`must be on or after ${min}`);
    if (max && value > max) return fail(`must be on or before ${max}`);
  }
  if (typeof value === 'string' && def.type !== 'date') {
    const n = [...value].length;
    if (def.minLength !== undefined && n < def.minLength) return fail(`must be at least ${def.minLength} characters`);
    if (def.maxLength !== undefined && n > def.maxLength) return fail(`must be at most ${def.maxLength} characters`);
    if (def.pattern !== undefined && !regexMatches(def.pattern, '', value))
      return fail('does not match the required pattern');
  }
  if (Array.isArray(value)) {
    if (def.minLength !== undefined && value.length < def.minLength)
      return fail(`must have at least ${def.minLength} items`);
    if (def.maxLength !== undefined && value.length > def.maxLength)
      return fail(`must have at most ${def.maxLength} items`);
  }
  return value;
}

/**
 * Validates one top-level field's value (present in a write). `undefined` means the field is
 * absent. Returns the normalised value (null allowed unless required).
 */
function checkField(schema: ValidationSchema, key: string, value: unknown, errors: FieldErrors): JsonValue | undefined {
  const def = schema.fields.get(key);
  if (!def) {
    const reason = badKeyReason(key);
    if (reason) {
      errors[key] = reason;
      return undefined;
    }
    if (schema.strict) {
      errors[key] = 'is not a field of this collection';
      return undefined;
    }
    return checkJson(value, key, errors);
  }
  if (value === null) {
    if (def.required) errors[key] = 'is required';
    return def.required ? undefined : null;
  }
  return checkValue(def, value, key, errors);
}

/**
 * A whole document's fields (create and replace): every key checked, defaults filled in for
 * missing fields, required fields present. Throws `validation_failed` listing every bad field.
 */
export function validateDocument(schema: ValidationSchema, input: Record<string, unknown>): DocumentData {
  const errors: FieldErrors = newFieldErrors();
  const data: DocumentData = {};
  for (const [key, value] of Object.entries(input)) {
    const checked = checkField(schema, key, value, errors);
    if (checked !== undefined) setOwn(data, key, checked);
  }
  for (const def of schema.fields.values()) {
    if (Object.hasOwn(input, def.name)) continue;
    if (def.default !== undefined) setOwn(data, def.name, structuredClone(def.default as JsonValue));
    else if (def.required) errors[def.name] = 'is required';
  }
  if (Object.keys(errors).length) throw validationFailed(errors);
  return data;
}

/**
 * The fields a partial write touched (PATCH), checked with their resulting values: `result` is
 * the whole document after the write, `touched` the top-level fields it changed. Fields it did not
 * touch are not re-validated (so documents written under an older schema stay editable).
 */
export function validateTouched(
  schema: ValidationSchema,
  result: Record<string, unknown>,
  touched: Iterable<string>,
): DocumentData {
  const errors: FieldErrors = newFieldErrors();
  const data: DocumentData = {};
  for (const key of touched) {
    const present = Object.hasOwn(result, key);
    if (!present) {
      const def = schema.fields.get(key);
      if (def?.required) errors[key] = 'is required';
      else if (!def) {
        const reason = badKeyReason(key);
        if (reason) errors[key] = reason;
      }
      continue;
    }
    const checked = checkField(schema, key, result[key], errors);
    if (checked !== undefined) setOwn(data, key, checked);
  }
  if (Object.keys(errors).length) throw validationFailed(errors);
  return data;
}

/** Assigns an own property even for odd names (never invokes a setter such as __proto__). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
