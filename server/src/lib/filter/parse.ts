import { invalidRequest, type ErrorDetails } from '../../errors.js';
import { isPlainObject } from './compare.js';
import { textTokens } from './evaluate.js';
import { RegexBudget } from './regex.js';
import { FILTER_LIMITS } from './limits.js';
import { FORBIDDEN_SEGMENTS, parsePath, shown } from './paths.js';
import type { FieldCondition, FilterNode, JsonValue, Path } from './types.js';

export { FILTER_LIMITS } from './limits.js';
export { collectPaths, parseFields, parsePath, parseSort } from './paths.js';

/**
 * Parses user JSON (a subset of MongoDB's query language, see PRODUCT.md) into the typed filter
 * tree, validating everything once: operators, paths, value types, regex safety and size limits.
 * Every problem is `invalid_request` with details naming the `operator`, `path` or `limit`.
 *
 * Nesting is checked before descending, so a hostile 10,000-level filter fails at level
 * `maxDepth` without deep recursion; literal values are validated with an explicit stack.
 */

export interface ParseFilterOptions {
  maxDepth?: number;
  maxNodes?: number;
}

/** Operators that would run code or expressions on the server; never supported. */
const CODE_OPERATORS = new Set(['$where', '$function', '$expr', '$jsonSchema', '$accumulator']);
const LOGICAL_OPERATORS = new Set(['$and', '$or', '$nor']);

export function parseFilter(input: unknown, options: ParseFilterOptions = {}): FilterNode {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw invalidRequest('The filter is not valid JSON.', { reason: 'invalid_json' });
    }
  }
  if (!isPlainObject(value)) throw invalidRequest('The filter must be a JSON object.', { expected: 'object' });
  return new FilterParser(options).filter(value, 1, true);
}

class FilterParser {
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  private nodes = 0;
  private literalValues = 0;
  private readonly regexes = new RegexBudget();

  constructor(options: ParseFilterOptions) {
    this.maxDepth = options.maxDepth ?? FILTER_LIMITS.maxDepth;
    this.maxNodes = options.maxNodes ?? FILTER_LIMITS.maxNodes;
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) {
      throw invalidRequest(`The filter is nested more than ${this.maxDepth} levels deep.`, {
        limit: 'depth',
        max: this.maxDepth,
      });
    }
  }

  /** Counts one node or condition against maxNodes. */
  private count<T>(item: T): T {
    if (++this.nodes > this.maxNodes) {
      throw invalidRequest(`The filter has more than ${this.maxNodes} conditions.`, {
        limit: 'nodes',
        max: this.maxNodes,
      });
    }
    return item;
  }

  /** A filter object: implicit AND of its keys (field paths, `$and`/`$or`/`$nor`, root `$text`). */
  filter(obj: Record<string, unknown>, depth: number, root: boolean): FilterNode {
    this.enter(depth);
    const keys = Object.keys(obj);
    if (keys.length === 0) return this.count({ op: 'all' });
    const children: FilterNode[] = [];
    for (const key of keys) {
      const value = obj[key];
      if (!key.startsWith('$')) {
        children.push(this.field(parsePath(key), value, depth));
      } else if (LOGICAL_OPERATORS.has(key)) {
        children.push(this.logical(key as '$and' | '$or' | '$nor', value, depth));
      } else if (key === '$text') {
        if (!root) {
          throw invalidRequest('$text is only allowed at the top level of a filter.', { operator: '$text' });
        }
        children.push(this.text(value));
      } else {
        throw unsupported(key);
      }
    }
    return children.length === 1 ? children[0]! : this.count({ op: 'and', children });
  }

  private logical(key: '$and' | '$or' | '$nor', value: unknown, depth: number): FilterNode {
    const bad = () => invalidRequest(`${key} needs a non-empty array of filter objects.`, { operator: key });
    if (!Array.isArray(value) || value.length === 0) throw bad();
    const node = this.count({ op: key.slice(1) as 'and' | 'or' | 'nor', children: [] as FilterNode[] });
    for (const element of value) {
      if (!isPlainObject(element)) throw bad();
      node.children.push(this.filter(element, depth + 1, false));
    }
    return node;
  }

  private text(value: unknown): FilterNode {
    const bad = (message: string, details: ErrorDetails = {}) =>
      invalidRequest(message, { operator: '$text', ...details });
    if (!isPlainObject(value)) throw bad('$text needs an object like {"$search": "words"}.');
    for (const key of Object.keys(value)) {
      if (key !== '$search') throw invalidRequest(`$text does not support ${shown(key)}.`, { operator: shown(key) });
    }
    const search = value.$search;
    if (typeof search !== 'string') throw bad('$text needs $search, a string.');
    if (search.length > FILTER_LIMITS.maxSearchLength) {
      throw bad(`$search is longer than ${FILTER_LIMITS.maxSearchLength} characters.`, {
        max: FILTER_LIMITS.maxSearchLength,
      });
    }
    const terms = textTokens(search);
    if (terms.length === 0) throw bad('$search needs at least one word.');
    if (terms.length > FILTER_LIMITS.maxSearchTerms) {
      throw bad(`$search has more than ${FILTER_LIMITS.maxSearchTerms} words.`, { max: FILTER_LIMITS.maxSearchTerms });
    }
    return this.count({ op: 'text', search });
  }

  /** `path: value` — an operator object, or a literal for implicit equality. */
  private field(path: Path, value: unknown, depth: number): FilterNode {
    if (isOperatorObject(value, path)) {
      const node = this.count({ op: 'field' as const, path, conds: [] as FieldCondition[] });
      node.conds = this.conditions(value, depth + 1, 'field');
      return node;
    }
    return this.count({ op: 'field', path, conds: [this.count({ op: 'eq', value: this.literal(value) })] });
  }

  /** An operator object (`{$gt: 1, $lt: 5}`) → its conditions, ANDed. */
  private conditions(
    obj: Record<string, unknown>,
    depth: number,
    where: 'field' | 'not' | 'elemMatch',
  ): FieldCondition[] {
    this.enter(depth);
    if (Object.hasOwn(obj, '$options') && !Object.hasOwn(obj, '$regex')) {
      throw invalidRequest('$options is only allowed with $regex.', { operator: '$options' });
    }
    const conds: FieldCondition[] = [];
    for (const key of Object.keys(obj)) {
      if (key === '$options') continue;
      conds.push(this.count(this.condition(key, obj[key], obj, depth, where)));
    }
    return conds;
  }

  private condition(
    key: string,
    value: unknown,
    obj: Record<string, unknown>,
    depth: number,
    where: 'field' | 'not' | 'elemMatch',
  ): FieldCondition {
    const needs = (what: string) => invalidRequest(`${key} needs ${what}.`, { operator: key });
    switch (key) {
      case '$eq':
      case '$ne':
        return { op: key === '$eq' ? 'eq' : 'ne', value: this.literal(value) };
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (!(typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))) {
          throw needs('a number or a string');
        }
        return { op: key.slice(1) as 'gt' | 'gte' | 'lt' | 'lte', value };
      case '$in':
      case '$nin':
      case '$all':
        return { op: key.slice(1) as 'in' | 'nin' | 'all', values: this.list(key, value) };
      case '$exists':
        if (typeof value !== 'boolean') throw needs('true or false');
        return { op: 'exists', value };
      case '$size':
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
          throw needs('a non-negative integer');
        }
        return { op: 'size', value };
      case '$regex': {
        if (typeof value !== 'string') throw needs('a string');
        const flags = obj.$options ?? '';
        if (typeof flags !== 'string') throw invalidRequest('$options needs a string.', { operator: '$options' });
        this.regexes.check(value, flags);
        return { op: 'regex', pattern: value, flags: flags as '' | 'i' };
      }
      case '$elemMatch':
        return this.elemMatch(value, depth);
      case '$not':
        if (where === 'not') throw invalidRequest('$not cannot contain another $not.', { operator: '$not' });
        if (
          !isPlainObject(value) ||
          Object.keys(value).length === 0 ||
          !Object.keys(value).every((k) => k.startsWith('$'))
        ) {
          throw needs('an object of operators, like {"$gt": 5}');
        }
        return { op: 'not', conds: this.conditions(value, depth + 1, 'not') };
      default:
        if (LOGICAL_OPERATORS.has(key) || key === '$text') {
          throw invalidRequest(`${key} is not allowed inside a field condition.`, { operator: key });
        }
        throw unsupported(key);
    }
  }

  private list(key: string, value: unknown): JsonValue[] {
    if (!Array.isArray(value)) throw invalidRequest(`${key} needs an array.`, { operator: key });
    if (value.length > FILTER_LIMITS.maxListValues) {
      throw invalidRequest(`${key} has more than ${FILTER_LIMITS.maxListValues} values.`, {
        operator: key,
        max: FILTER_LIMITS.maxListValues,
      });
    }
    return value.map((v) => this.literal(v));
  }

  private elemMatch(value: unknown, depth: number): FieldCondition {
    if (!isPlainObject(value) || Object.keys(value).length === 0) {
      throw invalidRequest('$elemMatch needs a non-empty object.', { operator: '$elemMatch' });
    }
    // Operator form ({$gt: 1}: conditions on each element) or filter form ({qty: 1, $or: […]}:
    // a filter on each element, which must be an object).
    const keys = Object.keys(value);
    const conditionKeys = keys.filter((k) => k.startsWith('$') && !LOGICAL_OPERATORS.has(k) && k !== '$text');
    if (conditionKeys.length === keys.length) {
      return { op: 'elemMatch', conds: this.conditions(value, depth + 1, 'elemMatch') };
    }
    if (conditionKeys.length > 0) {
      throw invalidRequest('$elemMatch cannot mix operators ($…) and field names.', { operator: '$elemMatch' });
    }
    return { op: 'elemMatch', filter: this.filter(value, depth + 1, false) };
  }

  /**
   * A literal JSON value (for equality, `$in`, `$all`). Checked iteratively: only JSON types,
   * finite numbers, no nesting beyond maxDepth, object keys that cannot be operators or reach
   * prototypes, and a total size budget.
   */
  private literal(input: unknown): JsonValue {
    const stack: Array<{ value: unknown; depth: number }> = [{ value: input, depth: 1 }];
    while (stack.length > 0) {
      const { value, depth } = stack.pop()!;
      if (++this.literalValues > FILTER_LIMITS.maxLiteralValues) {
        throw invalidRequest(`The filter has more than ${FILTER_LIMITS.maxLiteralValues} values.`, {
          limit: 'values',
          max: FILTER_LIMITS.maxLiteralValues,
        });
      }
      if (depth > this.maxDepth) {
        throw invalidRequest(`A value in the filter is nested more than ${this.maxDepth} levels deep.`, {
          limit: 'depth',
          max: this.maxDepth,
        });
      }
      if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw invalidRequest('Numbers in a filter must be finite.', { reason: 'number' });
        continue;
      }
      if (Array.isArray(value)) {
        for (const element of value) stack.push({ value: element, depth: depth + 1 });
        continue;
      }
      if (isPlainObject(value) && isJsonObjectPrototype(value)) {
        for (const key of Object.keys(value)) {
          if (key.startsWith('$')) throw unsupported(key);
          if (key.includes('.') || FORBIDDEN_SEGMENTS.has(key) || key.length === 0) {
            throw invalidRequest(`Invalid key ${JSON.stringify(shown(key))} in a filter value.`, { key: shown(key) });
          }
          stack.push({ value: value[key], depth: depth + 1 });
        }
        continue;
      }
      throw invalidRequest('The filter contains a value that is not JSON.', { reason: 'not_json' });
    }
    return input as JsonValue;
  }
}

const isJsonObjectPrototype = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * An object whose keys are operators (`{$gt: 1}`), as opposed to a literal object for equality.
 * Mixing operators and plain keys is an error (MongoDB rejects it too).
 */
function isOperatorObject(value: unknown, path: string): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  const operators = keys.filter((k) => k.startsWith('$')).length;
  if (operators === 0) return false;
  if (operators !== keys.length) {
    throw invalidRequest('A condition cannot mix operators ($…) and field names.', { path });
  }
  return true;
}

function unsupported(key: string): never {
  const name = shown(key);
  if (CODE_OPERATORS.has(key)) {
    throw invalidRequest(`${name} is not allowed: filters cannot run code or expressions.`, { operator: name });
  }
  throw invalidRequest(`Unknown or unsupported operator ${name}.`, { operator: name });
}
