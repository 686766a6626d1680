import type { FieldCondition, FilterNode, JsonValue, Path } from './types.js';

/**
 * Builders for filter trees written in code (services querying their own collections), so a
 * condition reads `where.eq('appId', id)` instead of a hand-built `{op: 'field', …}` literal.
 * User filters never come through here: they are parsed and checked by `parseFilter`.
 */
const field = (path: Path, cond: FieldCondition): FilterNode => ({
  op: 'field',
  path,
  conds: [cond],
});

export const where = {
  eq: (path: Path, value: JsonValue): FilterNode => field(path, { op: 'eq', value }),
  ne: (path: Path, value: JsonValue): FilterNode => field(path, { op: 'ne', value }),
  gt: (path: Path, value: string | number): FilterNode => field(path, { op: 'gt', value }),
  gte: (path: Path, value: string | number): FilterNode => field(path, { op: 'gte', value }),
  lt: (path: Path, value: string | number): FilterNode => field(path, { op: 'lt', value }),
  lte: (path: Path, value: string | number): FilterNode => field(path, { op: 'lte', value }),
  in: (path: Path, values: JsonValue[]): FilterNode => field(path, { op: 'in', values }),
  nin: (path: Path, values: JsonValue[]): FilterNode => field(path, { op: 'nin', values }),
  exists: (path: Path, value = true): FilterNode => field(path, { op: 'exists', value }),
  /** Strings that begin with `prefix` (taken literally: an anchored regex with the prefix escaped). */
  startsWith: (path: Path, prefix: string): FilterNode =>
    field(path, { op: 'regex', pattern: `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, flags: '' }),
  /** All of `children` (the empty list matches everything; one child is returned as it is). */
  and: (...children: FilterNode[]): FilterNode =>
    children.length === 0 ? { op: 'all' } : children.length === 1 ? children[0]! : { op: 'and', children },
  or: (...children: FilterNode[]): FilterNode => (children.length === 1 ? children[0]! : { op: 'or', children }),
};
