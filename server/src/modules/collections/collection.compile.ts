import { HearthError } from '../../errors.js';
import { assertSafeRegex } from '../../lib/filter/regex.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { SYSTEM_FIELDS } from '../../ports/document-store.js';
import { checkFileOnDelete, isFileField } from './file-fields.def.js';
import {
  RULE_KINDS,
  type CollectionDef,
  type ElementDef,
  type FieldDef,
  type OnDelete,
  type RuleKind,
} from './collection.schema.js';
import { compileRule, type CompiledRule } from './rules.compile.js';
import { checkValue, normaliseDate, newFieldErrors, type FieldErrors, type ValidationSchema } from './validate.js';

/**
 * A collection definition checked as a whole (field/type consistency, relation targets, indexes,
 * defaults, rules) and compiled into what requests use: a field map for validation, hidden and
 * searchable sets, relations, and compiled rules. Compiled once per (app, collection, version).
 */
export interface RelationInfo {
  field: string;
  to: string;
  /** An array of relations rather than one. */
  many: boolean;
  onDelete: OnDelete;
}

export interface CompiledCollection extends ValidationSchema {
  appId: string;
  name: string;
  version: number;
  def: CollectionDef;
  fields: ReadonlyMap<string, FieldDef>;
  hidden: ReadonlySet<string>;
  searchable: readonly string[];
  relations: readonly RelationInfo[];
  rules: Readonly<Record<RuleKind, CompiledRule>>;
}

const TEXT_TYPES = new Set(['string', 'email', 'url']);
const NUMBER_TYPES = new Set(['number', 'integer']);
const UNIQUE_TYPES = new Set(['string', 'email', 'url', 'number', 'integer', 'date', 'boolean', 'relation', 'file']);
const SYSTEM_INDEXABLE = new Set<string>(SYSTEM_FIELDS);
/**
 * Arrays of relations hold at most this many ids unless the field sets `maxLength` (up to
 * MAX_RELATION_ARRAY): each id is checked on write, expanded on read, followed on delete.
 */
export const DEFAULT_RELATION_ARRAY_LENGTH = 100;
export const MAX_RELATION_ARRAY = 1000;

const isRelationArray = (f: FieldDef): boolean => f.type === 'array' && f.of?.type === 'relation';

function checkConstraints(def: FieldDef | ElementDef, at: string, errors: FieldErrors): void {
  const type = def.type;
  const isText = TEXT_TYPES.has(type);
  if (def.min !== undefined || def.max !== undefined) {
    for (const key of ['min', 'max'] as const) {
      const v = def[key];
      if (v === undefined) continue;
      if (NUMBER_TYPES.has(type) && typeof v !== 'number') errors[`${at}.${key}`] = 'must be a number';
      else if (type === 'date' && normaliseDate(v) === null) errors[`${at}.${key}`] = 'must be an ISO-8601 date';
      else if (!NUMBER_TYPES.has(type) && type !== 'date')
        errors[`${at}.${key}`] = `is not supported for ${type} fields`;
    }
    if (typeof def.min === 'number' && typeof def.max === 'number' && def.min > def.max)
      errors[`${at}.min`] = 'is greater than max';
  }
  if (def.minLength !== undefined || def.maxLength !== undefined) {
    if (!isText && type !== 'array')
      errors[`${at}.minLength`] = `minLength/maxLength are not supported for ${type} fields`;
    if (def.minLength !== undefined && def.maxLength !== undefined && def.minLength > def.maxLength) {
      errors[`${at}.minLength`] = 'is greater than maxLength';
    }
  }
  if (def.pattern !== undefined) {
    if (!isText) errors[`${at}.pattern`] = `is not supported for ${type} fields`;
    else {
      try {
        assertSafeRegex(def.pattern, '');
      } catch (e) {
        errors[`${at}.pattern`] = e instanceof HearthError ? e.message : 'is not a valid regular expression';
      }
    }
  }
  if (def.enum !== undefined) {
    if (isText && def.enum.some((v) => typeof v !== 'string')) errors[`${at}.enum`] = 'must list strings';
    else if (NUMBER_TYPES.has(type) && def.enum.some((v) => typeof v !== 'number'))
      errors[`${at}.enum`] = 'must list numbers';
    else if (!isText && !NUMBER_TYPES.has(type)) errors[`${at}.enum`] = `is not supported for ${type} fields`;
  }
}

/** Which collections exist, so relation targets can be checked. */
export type CollectionExists = (name: string) => boolean;

/** Every problem with a definition, keyed like `fields.2.to`, `indexes.0.fields`, `rules.list`. */
export function checkDefinition(def: CollectionDef, exists: CollectionExists): FieldErrors {
  const errors: FieldErrors = newFieldErrors();
  const names = new Map<string, number>();
  def.fields.forEach((field, i) => {
    const at = `fields.${i}`;
    if (names.has(field.name)) errors[`${at}.name`] = `duplicates field ${field.name}`;
    names.set(field.name, i);
    const isRelation = field.type === 'relation' || (field.type === 'array' && field.of?.type === 'relation');
    if (field.type === 'relation' && !field.to) errors[`${at}.to`] = 'is required for relations';
    if (field.to !== undefined && field.type !== 'relation') errors[`${at}.to`] = 'is only for relation fields';
    if (field.of !== undefined && field.type !== 'array') errors[`${at}.of`] = 'is only for array fields';
    if (field.onDelete !== undefined && !isRelation && !isFileField(field))
      errors[`${at}.onDelete`] = 'is only for relation and file fields';
    if (isRelation && field.onDelete === 'keep') errors[`${at}.onDelete`] = 'is restrict, cascade or setNull';
    checkFileOnDelete(field, at, errors);
    if (field.onDelete === 'setNull' && field.required && field.type === 'relation') {
      errors[`${at}.onDelete`] = 'setNull needs a field that is not required';
    }
    const target = field.type === 'relation' ? field.to : field.of?.type === 'relation' ? field.of.to : undefined;
    if (isRelation && field.type === 'array' && !field.of?.to) errors[`${at}.of.to`] = 'is required for relations';
    if (isRelationArray(field) && (field.maxLength ?? 0) > MAX_RELATION_ARRAY)
      errors[`${at}.maxLength`] = `is at most ${MAX_RELATION_ARRAY} for arrays of relations`;
    if (target && target !== def.name && !exists(target)) errors[`${at}.to`] = `no collection named ${target}`;
    if (field.of) {
      if (field.of.to !== undefined && field.of.type !== 'relation')
        errors[`${at}.of.to`] = 'is only for relation elements';
      checkConstraints(field.of, `${at}.of`, errors);
    }
    if (field.unique && !UNIQUE_TYPES.has(field.type))
      errors[`${at}.unique`] = `is not supported for ${field.type} fields`;
    if (field.searchable && !TEXT_TYPES.has(field.type))
      errors[`${at}.searchable`] = 'is only for string, email and url fields';
    // $text would tell clients which documents hold a word in a field they may not read.
    else if (field.searchable && field.hidden) errors[`${at}.searchable`] = 'cannot be combined with hidden';
    // A unique violation would tell clients that some document holds the value.
    if (field.unique && field.hidden) errors[`${at}.unique`] = 'cannot be combined with hidden';
    checkConstraints(field, at, errors);
    if (field.default !== undefined) {
      if (field.default === null) errors[`${at}.default`] = 'cannot be null (leave it out)';
      else if (field.type === 'relation' || field.type === 'file')
        errors[`${at}.default`] = `is not supported for ${field.type} fields`;
      else if (!Object.keys(errors).some((k) => k.startsWith(`${at}.`))) {
        const inner: FieldErrors = newFieldErrors();
        checkValue(field, field.default, 'default', inner);
        const first = Object.entries(inner)[0];
        if (first) errors[`${at}.default`] = first[0] === 'default' ? first[1] : `${first[0]}: ${first[1]}`;
      }
    }
  });
  const indexNames = new Set<string>();
  def.indexes.forEach((index, i) => {
    const at = `indexes.${i}`;
    if (indexNames.has(index.name)) errors[`${at}.name`] = `duplicates index ${index.name}`;
    indexNames.add(index.name);
    const seen = new Set<string>();
    for (const key of index.fields) {
      const path = key.startsWith('-') ? key.slice(1) : key;
      const first = path.split('.')[0]!;
      if (seen.has(path)) errors[`${at}.fields`] = `names ${path} twice`;
      seen.add(path);
      const field = def.fields.find((f) => f.name === first);
      if (!field && !SYSTEM_INDEXABLE.has(first)) errors[`${at}.fields`] = `${first} is not a field of this collection`;
      else if (field && path !== first && field.type !== 'json' && field.type !== 'geopoint') {
        errors[`${at}.fields`] = `${path}: only json and geopoint fields have nested paths`;
      } else if (field?.hidden && index.unique) {
        // Like `unique` on the field: creating {s: guess} would answer 201 or 409, an oracle.
        errors[`${at}.fields`] =
          `index ${index.name} is unique and names ${first}, a hidden field: a conflict would reveal its values`;
      }
    }
  });
  for (const kind of RULE_KINDS) {
    try {
      compileRule(def.rules[kind], kind);
    } catch (e) {
      errors[`rules.${kind}`] = e instanceof HearthError ? e.message : 'is not a valid rule';
    }
  }
  return errors;
}

export function compileCollection(appId: string, def: CollectionDef, version: number): CompiledCollection {
  const fields = new Map(
    def.fields.map((f) => [
      f.name,
      isRelationArray(f) && f.maxLength === undefined ? { ...f, maxLength: DEFAULT_RELATION_ARRAY_LENGTH } : f,
    ]),
  );
  const relations: RelationInfo[] = [];
  for (const f of def.fields) {
    const to = f.type === 'relation' ? f.to : f.type === 'array' && f.of?.type === 'relation' ? f.of.to : undefined;
    const onDelete = f.onDelete === 'keep' || f.onDelete === undefined ? 'restrict' : f.onDelete;
    if (to) relations.push({ field: f.name, to, many: f.type === 'array', onDelete });
  }
  const rules = Object.fromEntries(RULE_KINDS.map((k) => [k, compileRule(def.rules[k], k)])) as Record<
    RuleKind,
    CompiledRule
  >;
  return {
    appId,
    name: def.name,
    version,
    def,
    strict: def.strict,
    fields,
    hidden: new Set(def.fields.filter((f) => f.hidden).map((f) => f.name)),
    searchable: def.fields.filter((f) => f.searchable).map((f) => f.name),
    relations,
    rules,
  };
}

/** Field names a rule filter refers to (first path segments), for rename/remove checks. */
export function ruleFieldNames(rule: unknown, depth = 0): Set<string> {
  const out = new Set<string>();
  if (depth > 16 || rule === null || typeof rule !== 'object' || Array.isArray(rule)) return out;
  for (const [key, value] of Object.entries(rule as Record<string, JsonValue>)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (Array.isArray(value)) for (const child of value) for (const n of ruleFieldNames(child, depth + 1)) out.add(n);
    } else if (!key.startsWith('$') && !key.startsWith('@')) {
      out.add(key.split('.')[0]!);
    }
    if (typeof value === 'string' && value.startsWith('@data.')) out.add(value.slice(6).split('.')[0]!);
  }
  return out;
}
