import { randomBytes } from 'node:crypto';
import { invalidRequest } from '../../errors.js';
import { getPath, isPlainObject } from '../../lib/filter/compare.js';
import { matches } from '../../lib/filter/evaluate.js';
import { parseFilter } from '../../lib/filter/parse.js';
import { MATCH_ALL, type FieldCondition, type FilterNode, type JsonValue } from '../../lib/filter/types.js';
import type { RuleDef, RuleKind } from './collection.schema.js';

/**
 * Rules as filters with variables, compiled once per collection version.
 *
 * A rule is `null` (secret key / admin only), `"public"`, `"authenticated"` (any signed-in user,
 * anonymous users included), or a filter in the query language whose values may be variables:
 *   `@auth.id`, `@auth.roles`, `@auth.anonymous`, `@now`, `@data.<path>` (create/update only).
 * A key may also be a variable, which tests the caller instead of the document:
 *   `{"@auth.roles": "editor"}`, `{"@auth.anonymous": false}`, `{"@data.status": {"$exists": false}}`.
 * A literal string starting with `@` is written `@@…`.
 *
 * Compilation parses the rule with the filter parser once, with each variable replaced by a
 * sentinel; `instantiate` swaps the sentinels for the caller's values and folds caller-only tests
 * to "all" or "nothing", so a request pays a tree copy, not a parse.
 *
 * Semantics of missing values:
 * - no signed-in user: `@auth.id` is a random per-process value no document holds, so
 *   `{"owner": "@auth.id"}` matches nothing (never documents with a null owner); `@auth.roles` is
 *   `[]`; `@auth.anonymous` is true.
 * - `@auth.roles` compared for equality means "one of the roles": `{"team": "@auth.roles"}` is
 *   `{"team": {"$in": roles}}` (and `$ne` is `$nin`).
 * - `@data.x` missing in the write: null in values, missing for key tests.
 */

export interface RuleUser {
  id: string;
  roles: string[];
  anonymous: boolean;
}

export interface RuleVariables {
  /** The signed-in app user; null when there is none. */
  auth: RuleUser | null;
  /** The current time as ISO-8601. */
  now: string;
  /** The fields of the incoming write (create/update rules). */
  data?: Record<string, unknown>;
}

export type CompiledRule =
  | { kind: 'deny' }
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'filter'; usesData: boolean; template: Template };

/** Matches no document (every document has an id). */
export const MATCH_NONE: FilterNode = Object.freeze({
  op: 'field',
  path: 'id',
  conds: [{ op: 'in', values: [] }],
}) as FilterNode;

const ALWAYS_FALSE: FieldCondition = { op: 'in', values: [] };

/** The value `@auth.id` takes when nobody is signed in: unguessable, so nothing stored equals it. */
const NOBODY = `\u0000nobody:${randomBytes(16).toString('base64url')}`;

const VARIABLES = ['auth.id', 'auth.roles', 'auth.anonymous', 'now'] as const;
type VariableName = (typeof VARIABLES)[number] | `data.${string}`;

const SENTINEL_PREFIX = '\u0000@';
const sentinel = (name: VariableName): string => `${SENTINEL_PREFIX}${name}`;
const DATA_PATH = /^data\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,7}$/;
const MAX_RULE_DEPTH = 16;

type Template =
  | { t: 'static'; node: FilterNode }
  | { t: 'field'; node: FilterNode }
  | { t: 'logic'; op: 'and' | 'or' | 'nor'; children: Template[] }
  | { t: 'var'; name: VariableName; test: FilterNode };

export function compileRule(rule: RuleDef, kind: RuleKind): CompiledRule {
  if (rule === null) return { kind: 'deny' };
  if (rule === 'public') return { kind: 'public' };
  if (rule === 'authenticated') return { kind: 'authenticated' };
  const state = { usesData: false, kind };
  const template = compileObject(rule, 1, state);
  return { kind: 'filter', usesData: state.usesData, template };
}

interface CompileState {
  usesData: boolean;
  kind: RuleKind;
}

function parseVariable(raw: string, state: CompileState): VariableName {
  const name = raw.slice(1);
  if ((VARIABLES as readonly string[]).includes(name)) return name as VariableName;
  if (DATA_PATH.test(name)) {
    if (state.kind !== 'create' && state.kind !== 'update') {
      throw invalidRequest(`${raw}: @data is only available in create and update rules.`, { variable: raw });
    }
    state.usesData = true;
    return name as VariableName;
  }
  throw invalidRequest(
    `Unknown rule variable ${JSON.stringify(raw.slice(0, 64))}; use @auth.id, @auth.roles, @auth.anonymous, @now or @data.<field> (write @@ for a literal @).`,
    { variable: raw.slice(0, 64) },
  );
}

function compileObject(obj: unknown, depth: number, state: CompileState): Template {
  if (!isPlainObject(obj)) throw invalidRequest('A rule filter must be an object.');
  if (depth > MAX_RULE_DEPTH) throw invalidRequest(`A rule is nested more than ${MAX_RULE_DEPTH} levels deep.`);
  const parts: Template[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value) || value.length === 0) {
        throw invalidRequest(`${key} needs a non-empty array of filter objects.`, { operator: key });
      }
      parts.push({
        t: 'logic',
        op: key.slice(1) as 'and' | 'or' | 'nor',
        children: value.map((child) => compileObject(child, depth + 1, state)),
      });
    } else if (key === '$text') {
      throw invalidRequest('$text is not allowed in rules.', { operator: '$text' });
    } else if (key.startsWith('@') && !key.startsWith('@@')) {
      const name = parseVariable(key, state);
      assertNoVariables(value);
      parts.push({ t: 'var', name, test: parseFilter({ v: unescape(value) }) });
    } else {
      const path = key.startsWith('@@') ? key.slice(1) : key;
      const substituted = substitute(value, undefined, state, 0);
      const node = parseFilter({ [path]: substituted.value });
      parts.push(substituted.found ? { t: 'field', node } : { t: 'static', node });
    }
  }
  if (parts.length === 0) return { t: 'static', node: MATCH_ALL };
  return parts.length === 1 ? parts[0]! : { t: 'logic', op: 'and', children: parts };
}

function assertNoVariables(value: unknown, depth = 0): void {
  if (depth > MAX_RULE_DEPTH) return;
  if (typeof value === 'string' && value.startsWith('@') && !value.startsWith('@@')) {
    throw invalidRequest('A condition on a variable cannot compare it with another variable.', {
      variable: value.slice(0, 64),
    });
  }
  if (Array.isArray(value)) value.forEach((v) => assertNoVariables(v, depth + 1));
  else if (isPlainObject(value)) Object.values(value).forEach((v) => assertNoVariables(v, depth + 1));
}

/** `@@x` → `@x` in literal strings. */
function unescape(value: unknown, depth = 0): unknown {
  if (depth > MAX_RULE_DEPTH) return value;
  if (typeof value === 'string') return value.startsWith('@@') ? value.slice(1) : value;
  if (Array.isArray(value)) return value.map((v) => unescape(v, depth + 1));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescape(v, depth + 1)]));
  return value;
}

/** Replaces variable strings in a condition by sentinels the instantiation will swap. */
function substitute(
  value: unknown,
  parentKey: string | undefined,
  state: CompileState,
  depth: number,
): { value: unknown; found: boolean } {
  if (depth > MAX_RULE_DEPTH) throw invalidRequest(`A rule is nested more than ${MAX_RULE_DEPTH} levels deep.`);
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw invalidRequest('Rules cannot contain NUL characters.');
    if (value.startsWith('@@')) return { value: value.slice(1), found: false };
    if (!value.startsWith('@')) return { value, found: false };
    const name = parseVariable(value, state);
    if (parentKey === '$regex' || parentKey === '$options' || parentKey === '$size' || parentKey === '$exists') {
      throw invalidRequest(`Variables cannot be used with ${parentKey}.`, { operator: parentKey, variable: value });
    }
    if (name === 'auth.roles' && parentKey !== undefined && ['$gt', '$gte', '$lt', '$lte'].includes(parentKey)) {
      throw invalidRequest(`@auth.roles is a list and cannot be used with ${parentKey}.`, { operator: parentKey });
    }
    if (name === 'auth.anonymous' && parentKey !== undefined && ['$gt', '$gte', '$lt', '$lte'].includes(parentKey)) {
      throw invalidRequest(`@auth.anonymous is a boolean and cannot be used with ${parentKey}.`, {
        operator: parentKey,
      });
    }
    // A list variable where the parser expects a list: a one-element list spliced later.
    const listContext = parentKey === '$in' || parentKey === '$nin' || parentKey === '$all';
    return { value: listContext ? [sentinel(name)] : sentinel(name), found: true };
  }
  if (Array.isArray(value)) {
    let found = false;
    const out = value.map((v) => {
      const r = substitute(v, undefined, state, depth + 1);
      found ||= r.found;
      return r.value;
    });
    return { value: out, found };
  }
  if (isPlainObject(value)) {
    let found = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = substitute(v, k, state, depth + 1);
      found ||= r.found;
      Object.defineProperty(out, k, { value: r.value, enumerable: true, writable: true, configurable: true });
    }
    return { value: out, found };
  }
  return { value, found: false };
}

// ---------------------------------------------------------------------------------------------
// Instantiation

/** The value of a variable for substitution into document conditions. */
function valueOf(name: VariableName, vars: RuleVariables): JsonValue {
  switch (name) {
    case 'auth.id':
      return vars.auth?.id ?? NOBODY;
    case 'auth.roles':
      return vars.auth?.roles ?? [];
    case 'auth.anonymous':
      return vars.auth ? vars.auth.anonymous : true;
    case 'now':
      return vars.now;
    default: {
      const v = getPath(vars.data ?? {}, name.slice('data.'.length));
      return v === undefined ? null : (v as JsonValue);
    }
  }
}

/** The value of a variable for a key test (`{"@auth.id": {"$exists": true}}`); undefined = missing. */
function testValueOf(name: VariableName, vars: RuleVariables): unknown {
  if (name === 'auth.id') return vars.auth?.id;
  if (name.startsWith('data.')) return getPath(vars.data ?? {}, name.slice('data.'.length));
  return valueOf(name, vars);
}

const sentinelName = (value: unknown): VariableName | null =>
  typeof value === 'string' && value.startsWith(SENTINEL_PREFIX)
    ? (value.slice(SENTINEL_PREFIX.length) as VariableName)
    : null;

function replaceDeep(value: JsonValue, vars: RuleVariables): JsonValue {
  const name = sentinelName(value);
  if (name) return valueOf(name, vars);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, vars));
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceDeep(v as JsonValue, vars);
    return out;
  }
  return value;
}

/** `$in: [S_roles, "x"]` → `$in: [...roles, "x"]`. */
function replaceList(values: JsonValue[], vars: RuleVariables): JsonValue[] {
  const out: JsonValue[] = [];
  for (const v of values) {
    const name = sentinelName(v);
    const resolved = name ? valueOf(name, vars) : replaceDeep(v, vars);
    if (name === 'auth.roles' && Array.isArray(resolved)) out.push(...resolved);
    else out.push(resolved);
  }
  return out;
}

function replaceCondition(cond: FieldCondition, vars: RuleVariables): FieldCondition {
  switch (cond.op) {
    case 'eq':
    case 'ne': {
      const name = sentinelName(cond.value);
      if (name === 'auth.roles') {
        return { op: cond.op === 'eq' ? 'in' : 'nin', values: vars.auth?.roles ?? [] };
      }
      return { op: cond.op, value: replaceDeep(cond.value, vars) };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const name = sentinelName(cond.value);
      if (!name) return cond;
      const v = valueOf(name, vars);
      return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
        ? { op: cond.op, value: v }
        : ALWAYS_FALSE;
    }
    case 'in':
    case 'nin':
    case 'all':
      return { op: cond.op, values: replaceList(cond.values, vars) };
    case 'not':
      return { op: 'not', conds: cond.conds.map((c) => replaceCondition(c, vars)) };
    case 'elemMatch':
      return cond.filter
        ? { op: 'elemMatch', filter: replaceNode(cond.filter, vars) }
        : { op: 'elemMatch', conds: (cond.conds ?? []).map((c) => replaceCondition(c, vars)) };
    default:
      return cond;
  }
}

function replaceNode(node: FilterNode, vars: RuleVariables): FilterNode {
  switch (node.op) {
    case 'and':
    case 'or':
    case 'nor':
      return { op: node.op, children: node.children.map((c) => replaceNode(c, vars)) };
    case 'field':
      return { op: 'field', path: node.path, conds: node.conds.map((c) => replaceCondition(c, vars)) };
    default:
      return node;
  }
}

function instantiateTemplate(t: Template, vars: RuleVariables): FilterNode {
  switch (t.t) {
    case 'static':
      return t.node;
    case 'field':
      return replaceNode(t.node, vars);
    case 'var': {
      const value = testValueOf(t.name, vars);
      return matches(t.test, value === undefined ? {} : { v: value }) ? MATCH_ALL : MATCH_NONE;
    }
    case 'logic': {
      const children = t.children.map((c) => instantiateTemplate(c, vars));
      return fold(t.op, children);
    }
  }
}

/** Simplifies and/or/nor over constant children, so caller-only rules become all or nothing. */
function fold(op: 'and' | 'or' | 'nor', children: FilterNode[]): FilterNode {
  const isAll = (n: FilterNode) => n.op === 'all';
  const isNone = (n: FilterNode) => n === MATCH_NONE;
  if (op === 'and') {
    if (children.some(isNone)) return MATCH_NONE;
    const rest = children.filter((n) => !isAll(n));
    return rest.length === 0 ? MATCH_ALL : rest.length === 1 ? rest[0]! : { op: 'and', children: rest };
  }
  if (op === 'or') {
    if (children.some(isAll)) return MATCH_ALL;
    const rest = children.filter((n) => !isNone(n));
    return rest.length === 0 ? MATCH_NONE : rest.length === 1 ? rest[0]! : { op: 'or', children: rest };
  }
  if (children.some(isAll)) return MATCH_NONE;
  const rest = children.filter((n) => !isNone(n));
  return rest.length === 0 ? MATCH_ALL : { op: 'nor', children: rest };
}

/**
 * What a rule lets this caller do: `null` when it denies them outright (no document could
 * match), else the filter documents must satisfy (MATCH_ALL for "public"/"authenticated").
 * Secret keys and admins never get here: they bypass rules.
 */
export function ruleFilter(rule: CompiledRule, vars: RuleVariables): FilterNode | null {
  switch (rule.kind) {
    case 'deny':
      return null;
    case 'public':
      return MATCH_ALL;
    case 'authenticated':
      return vars.auth ? MATCH_ALL : null;
    case 'filter': {
      const node = instantiateTemplate(rule.template, vars);
      return node === MATCH_NONE ? null : node;
    }
  }
}

/** ANDs a rule filter into a query filter (dropping "match all" on either side). */
export function andFilters(a: FilterNode | undefined, b: FilterNode | undefined): FilterNode {
  if (!a || a.op === 'all') return b ?? MATCH_ALL;
  if (!b || b.op === 'all') return a;
  return { op: 'and', children: [a, b] };
}
