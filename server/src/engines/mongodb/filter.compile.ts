import { invalidRequest } from '../../errors.js';
import type { Document } from 'mongodb';
import { isPlainObject } from '../../lib/filter/compare.js';
import { matches, textTokens } from '../../lib/filter/evaluate.js';
import type { FieldCondition, FilterNode, JsonValue, Path } from '../../lib/filter/types.js';
import { storedPath } from './paths.js';

/**
 * Compiles the filter tree (lib/filter/types.ts) to a MongoDB query with native operators, so
 * MongoDB's indexes serve it. Where MongoDB's own semantics differ from the reference
 * (lib/filter/evaluate.ts), the query is shaped to give the reference's answer:
 *
 * - Dotted paths never descend into arrays in the reference (a path through an array is missing),
 *   while MongoDB looks into every element. A condition on `a.b.c` is therefore guarded with
 *   "no prefix (`a`, `a.b`) is an array", and when the condition also holds for a missing value
 *   (`$ne`, `$exists: false`, `null`…) a document where a prefix is an array matches too.
 * - `$ne`, `$nin` and `$not` are compiled as `$nor` of the positive condition: exactly the
 *   reference's "plain negation", and it avoids test servers that get `$nin: [null]` wrong.
 * - `$all` is compiled as an `$and` of equalities, which is MongoDB's own definition of it (and
 *   what the reference does); an empty `$all` matches nothing.
 * - Object equality is key-order sensitive in MongoDB, not in the reference: an object literal
 *   (in `$eq`, `$in`, `$all`) is expanded to every key order, up to MAX_ORDERINGS orderings; a
 *   bigger literal only matches objects stored with its keys in the given order.
 * - `$text` is compiled to one case-insensitive whole-word regex per search word and text
 *   field, with the reference's tokeniser (letters, digits and marks make words). MongoDB's text
 *   indexes stem, drop stop words and split words differently, so they cannot give the
 *   reference's answer; a `$text` query reads the documents its other conditions select.
 *
 * Known differences that remain (documented in docs and the conformance limitations):
 * - regexes run on MongoDB's PCRE, not JavaScript (same syntax for the validated subset;
 *   `.` matches a code point, `$` also before a final newline), and strings longer than
 *   MAX_REGEX_SUBJECT are still tested;
 * - `$elemMatch` with field conditions also looks at elements that are arrays.
 */

export const MAX_ORDERINGS = 24;

/** Matches nothing (usable inside `$elemMatch` too). */
export const MATCH_NOTHING: Document = { _id: { $in: [] } };

export interface CompileOptions {
  /** The collection's text-indexed fields (top-level paths), for `$text`. */
  textFields?: readonly string[];
}

export function compileFilter(filter: FilterNode, options: CompileOptions = {}): Document {
  return compileNode(filter, options, true);
}

/** Whether the filter uses `$text` anywhere (the caller then looks up the text fields). */
export function usesText(filter: FilterNode): boolean {
  switch (filter.op) {
    case 'text':
      return true;
    case 'and':
    case 'or':
    case 'nor':
      return filter.children.some(usesText);
    default:
      return false;
  }
}

/**
 * `top` is true for a query on stored documents (paths are mapped: `id` → `_id`) and false
 * inside `$elemMatch`, where paths are relative to an array element.
 */
function compileNode(node: FilterNode, options: CompileOptions, top: boolean): Document {
  switch (node.op) {
    case 'all':
      return {};
    case 'and':
      return andQueries(node.children.map((child) => compileNode(child, options, top)));
    case 'or':
      return node.children.length === 0
        ? MATCH_NOTHING
        : { $or: node.children.map((c) => compileNode(c, options, top)) };
    case 'nor':
      return node.children.length === 0 ? {} : { $nor: node.children.map((c) => compileNode(c, options, top)) };
    case 'text':
      return compileText(node.search, options.textFields ?? []);
    case 'field':
      return compileField(node.path, node.conds, options, top);
  }
}

function compileField(path: Path, conds: FieldCondition[], options: CompileOptions, top: boolean): Document {
  const target = top ? storedPath(path) : path;
  const condition = andQueries(conds.map((cond) => compileCondition(target, cond, options)));
  const segments = target.split('.');
  if (segments.length === 1) return condition;
  // Every proper prefix of the path: when one of them is an array the reference sees "missing".
  const prefixes = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('.'));
  const throughArray = prefixes.map((prefix) => ({ [prefix]: { $type: 'array' } }));
  const holdsForMissing = matches({ op: 'field', path: 'x', conds }, {});
  const plain = andQueries([{ $nor: throughArray }, condition]);
  return holdsForMissing ? { $or: [plain, ...throughArray] } : plain;
}

/** One condition on the stored path `path`, as a query. */
function compileCondition(path: string, cond: FieldCondition, options: CompileOptions): Document {
  switch (cond.op) {
    case 'eq':
      return { [path]: equalsOperator(cond.value) };
    case 'ne':
      return { $nor: [{ [path]: equalsOperator(cond.value) }] };
    case 'in':
      return { [path]: { $in: cond.values.flatMap(orderings) } };
    case 'nin':
      return { $nor: [{ [path]: { $in: cond.values.flatMap(orderings) } }] };
    case 'all':
      return cond.values.length === 0
        ? MATCH_NOTHING
        : andQueries(cond.values.map((v) => ({ [path]: equalsOperator(v) })));
    case 'not':
      return { $nor: [andQueries(cond.conds.map((inner) => compileCondition(path, inner, options)))] };
    case 'elemMatch':
      // "Some element matches A or B" is "some element matches A, or some matches B": an `$or`
      // is lifted out of `$elemMatch` (each branch can use a multikey index, and servers that
      // take only field conditions inside `$elemMatch` can run it).
      if (cond.filter?.op === 'or' && cond.filter.children.length > 0) {
        return {
          $or: cond.filter.children.map((child) => ({ [path]: { $elemMatch: compileNode(child, options, false) } })),
        };
      }
      return {
        [path]: {
          $elemMatch: cond.filter ? compileNode(cond.filter, options, false) : elementOperators(cond.conds ?? []),
        },
      };
    default:
      return { [path]: elementOperators([cond]) };
  }
}

/**
 * Conditions on one value as a MongoDB operator object (`{$gt: 1, $lt: 5}`), for the scalar form
 * of `$elemMatch` (and the plain operators at a field). No array expansion happens here beyond
 * MongoDB's own, which is what the reference does for these operators.
 */
function elementOperators(conds: FieldCondition[]): Document {
  const out: Document = {};
  const put = (key: string, value: unknown) => {
    // The parser gives each operator once per object, but `$eq` of an object literal and `$ne`
    // become `$in`/`$nin`: two `$in` lists mean "in both" (intersection), two `$nin` "in neither".
    if (key === '$in' && Object.hasOwn(out, key)) {
      const other = new Set((value as JsonValue[]).map((v) => JSON.stringify(v)));
      out.$in = (out.$in as JsonValue[]).filter((v) => other.has(JSON.stringify(v)));
    } else if (key === '$nin' && Object.hasOwn(out, key)) {
      out.$nin = [...(out.$nin as JsonValue[]), ...(value as JsonValue[])];
    } else out[key] = value;
  };
  for (const cond of conds) {
    switch (cond.op) {
      case 'eq': {
        const op = equalsOperator(cond.value);
        for (const [k, v] of Object.entries(op)) put(k, v);
        break;
      }
      case 'ne':
        put('$nin', orderings(cond.value));
        break;
      case 'in':
        put('$in', cond.values.flatMap(orderings));
        break;
      case 'nin':
        put('$nin', cond.values.flatMap(orderings));
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        put(`$${cond.op}`, cond.value);
        break;
      case 'exists':
        put('$exists', cond.value);
        break;
      case 'regex':
        put('$regex', cond.pattern);
        if (cond.flags) put('$options', cond.flags);
        break;
      case 'size':
        put('$size', cond.value);
        break;
      case 'all':
        if (cond.values.length === 0) put('$in', []);
        else put('$all', cond.values);
        break;
      case 'elemMatch':
        put('$elemMatch', cond.filter ? compileNode(cond.filter, {}, false) : elementOperators(cond.conds ?? []));
        break;
      case 'not':
        put('$not', elementOperators(cond.conds));
        break;
    }
  }
  return out;
}

/** `{$eq: v}`, or `{$in: [every key order of v]}` for an object literal. */
function equalsOperator(value: JsonValue): Document {
  const all = orderings(value);
  return all.length === 1 ? { $eq: all[0] } : { $in: all };
}

/**
 * The value with its objects' keys in every order (MongoDB compares objects key by key in stored
 * order; the reference ignores key order). Capped at MAX_ORDERINGS: past that only the given
 * order and the sorted order are used.
 */
export function orderings(value: JsonValue): JsonValue[] {
  const out = expand(value, MAX_ORDERINGS);
  return out ?? dedupe([value, sortKeysDeep(value)]);
}

function expand(value: JsonValue, budget: number): JsonValue[] | null {
  if (Array.isArray(value)) {
    let acc: JsonValue[][] = [[]];
    for (const element of value) {
      const options = expand(element, budget);
      if (!options) return null;
      const next: JsonValue[][] = [];
      for (const prefix of acc) for (const option of options) next.push([...prefix, option]);
      if (next.length > budget) return null;
      acc = next;
    }
    return acc;
  }
  if (!isPlainObject(value)) return [value];
  const keys = Object.keys(value);
  let count = 1;
  for (let i = 2; i <= keys.length; i++) count *= i;
  if (count > budget) return null;
  const valueOptions: Record<string, JsonValue[]> = {};
  for (const key of keys) {
    const options = expand(value[key] as JsonValue, budget);
    if (!options) return null;
    valueOptions[key] = options;
  }
  const out: JsonValue[] = [];
  for (const order of permutations(keys)) {
    let partial: Array<Record<string, JsonValue>> = [{}];
    for (const key of order) {
      const next: Array<Record<string, JsonValue>> = [];
      for (const p of partial) for (const option of valueOptions[key]!) next.push({ ...p, [key]: option });
      partial = next;
      if (partial.length * out.length > budget * budget) return null;
    }
    out.push(...partial);
    if (out.length > budget) return null;
  }
  return out;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest]);
  });
  return out;
}

function sortKeysDeep(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isPlainObject(value)) return value;
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep(value[key] as JsonValue);
  return out;
}

function dedupe(values: JsonValue[]): JsonValue[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = JSON.stringify(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * AND of queries, merged into one object when their keys do not collide (simpler for the server,
 * and `$elemMatch` on some servers accepts only plain field conditions).
 */
export function andQueries(parts: Document[]): Document {
  const nonEmpty = parts.filter((p) => Object.keys(p).length > 0);
  if (nonEmpty.length === 0) return {};
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const merged: Document = {};
  for (const part of nonEmpty) {
    for (const key of Object.keys(part)) {
      if (Object.hasOwn(merged, key))
        return { $and: nonEmpty.flatMap((p) => (p.$and && Object.keys(p).length === 1 ? p.$and : [p])) };
      merged[key] = part[key];
    }
  }
  return merged;
}

// --- $text ---------------------------------------------------------------------------------------

const WORD_CHAR = '\\p{L}\\p{N}\\p{M}';

/** Every search word appears as a whole word in one of the text fields (string or string element). */
function compileText(search: string, textFields: readonly string[]): Document {
  const terms = [...new Set(textTokens(search))];
  if (textFields.length === 0)
    throw invalidRequest('$text needs a text index on the collection.', { operator: '$text' });
  if (terms.length === 0) return MATCH_NOTHING;
  return andQueries(
    terms.map((term) => {
      const regex = `(?:^|[^${WORD_CHAR}])${caseInsensitive(term)}(?:$|[^${WORD_CHAR}])`;
      const perField = textFields.map((field) => ({ [storedPath(field)]: { $regex: regex } }));
      return perField.length === 1 ? perField[0]! : { $or: perField };
    }),
  );
}

let foldTable: Map<string, string[]> | null = null;

/**
 * Every code point whose lower case is `lower` (a single code point), computed once. The regex
 * then lists the case variants itself instead of relying on the server's `i` flag, whose Unicode
 * case folding differs between servers (and from JavaScript's toLowerCase, which the reference
 * tokeniser uses).
 */
function variantsOf(lower: string): string[] {
  if (!foldTable) {
    foldTable = new Map();
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      const lc = ch.toLowerCase();
      if (lc === ch) continue;
      const list = foldTable.get(lc);
      if (list) list.push(ch);
      else foldTable.set(lc, [ch]);
    }
  }
  return foldTable.get(lower) ?? [];
}

/** A regex source matching `term` (lower case, letters/digits/marks only) in any letter case. */
function caseInsensitive(term: string): string {
  let out = '';
  for (const ch of term) {
    // σ also stands for the final form ς (textTokens folds ς to σ).
    const variants = ch === 'σ' ? [...variantsOf(ch), 'ς'] : variantsOf(ch);
    out += variants.length === 0 ? escapeRegex(ch) : `[${escapeRegex(ch)}${variants.map(escapeRegex).join('')}]`;
  }
  return out;
}

const escapeRegex = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|\-/]/g, '\\$&');
