import { invalidRequest } from '../../errors.js';
import { textTokens } from '../../lib/filter/evaluate.js';
import type { FieldCondition, FilterNode, JsonValue, Path, SortSpec } from '../../lib/filter/types.js';
import type { CursorPosition } from '../../lib/cursor.js';

/**
 * Filter trees and sorts → SQL over a collection table `(seq, id, data)`, where `data` is the
 * whole document as JSON text (system fields included).
 *
 * A field's value is read with two expressions that every index, WHERE and ORDER BY use in the
 * exact same spelling, so SQLite matches them to expression indexes:
 *   rank(p) = the type's place in the value order (0 missing/null, 1 number, 2 string, 3 object,
 *             4 array, 5 boolean; see lib/filter/compare.ts),
 *   val(p)  = json_extract(data, p).
 * Sorting by (rank, val) is the value order for scalars, and `rank = 2 AND val = ?` is an exact,
 * index-usable string equality.
 *
 * Arrays: MongoDB semantics say `{tags: "a"}` matches `tags: ["a", "b"]`. Like MongoDB's
 * "multikey" flag, each collection remembers the paths where a document ever stored an array.
 * On every other path a value is never an array, so the simple (indexable) SQL above is exact.
 * Conditions on array paths, and the few operators with no simple SQL form (regex, equality with
 * objects, $elemMatch…), call `hearth_field(value, conds)`, a function registered on the
 * connection that runs the reference evaluator (lib/filter/evaluate.ts) on that one value.
 * Either way the condition is part of the query, so LIMIT, cursors and counts stay exact.
 */

export interface CompileContext {
  /** Paths where this collection has held an array. */
  arrayPaths: ReadonlySet<string>;
  /** The collection's FTS5 table when it has a text index. */
  ftsTable: string | null;
}

export interface Sql {
  sql: string;
  params: unknown[];
}

/** A JSON path for SQLite: `$."a"."b"` (segments are identifiers; quotes keep them literal). */
export function jsonPath(path: Path): string {
  return (
    '$' +
    path
      .split('.')
      .map((segment) => `."${segment}"`)
      .join('')
  );
}

const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

export function valExpr(path: Path): string {
  return path === 'id' ? 'id' : `json_extract(data, ${quoteLiteral(jsonPath(path))})`;
}

export function rankExpr(path: Path): string {
  if (path === 'id') return '2';
  return (
    `(CASE json_type(data, ${quoteLiteral(jsonPath(path))}) ` +
    `WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'object' THEN 3 ` +
    `WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END)`
  );
}

/** The JSON text at a path (NULL when missing), for `hearth_field`. */
const rawExpr = (path: Path) => (path === 'id' ? 'json_quote(id)' : `(data -> ${quoteLiteral(jsonPath(path))})`);

/** Rank of a JSON value in the value order (compare.ts). */
export function rankOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (typeof value === 'boolean') return 5;
  return Array.isArray(value) ? 4 : 3;
}

/** A scalar as SQLite sees json_extract's result (booleans are 1/0). */
const sqlValue = (value: string | number | boolean) => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

const isScalar = (v: JsonValue): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

export function compileFilter(node: FilterNode, ctx: CompileContext): Sql {
  const params: unknown[] = [];
  const sql = compileNode(node, ctx, params);
  return { sql, params };
}

function compileNode(node: FilterNode, ctx: CompileContext, params: unknown[]): string {
  switch (node.op) {
    case 'all':
      return '1';
    case 'and':
      return node.children.length === 0
        ? '1'
        : joinBalanced(
            node.children.map((c) => compileNode(c, ctx, params)),
            'AND',
          );
    case 'or':
      return node.children.length === 0
        ? '0'
        : joinBalanced(
            node.children.map((c) => compileNode(c, ctx, params)),
            'OR',
          );
    case 'nor':
      return node.children.length === 0
        ? '1'
        : `(NOT coalesce(${joinBalanced(
            node.children.map((c) => compileNode(c, ctx, params)),
            'OR',
          )}, 0))`;
    case 'text': {
      if (!ctx.ftsTable) throw invalidRequest('$text needs a text index on the collection.', { operator: '$text' });
      const terms = textTokens(node.search);
      if (terms.length === 0) return '0';
      params.push(terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' '));
      return `seq IN (SELECT rowid FROM "${ctx.ftsTable}" WHERE "${ctx.ftsTable}" MATCH ?)`;
    }
    case 'field': {
      const simple = ctx.arrayPaths.has(node.path) ? null : simpleConds(node.path, node.conds, params);
      if (simple !== null) return simple;
      params.push(JSON.stringify(node.conds));
      return `hearth_field(${rawExpr(node.path)}, ?)`;
    }
  }
}

/**
 * `a OR b OR c…` as a balanced tree of parentheses: SQLite limits expression depth (1000), and a
 * flat chain of N terms is N deep. Parameters stay in order.
 */
function joinBalanced(parts: string[], op: 'AND' | 'OR'): string {
  if (parts.length <= 16) return parts.length === 1 ? parts[0]! : `(${parts.join(` ${op} `)})`;
  const mid = Math.ceil(parts.length / 2);
  return `(${joinBalanced(parts.slice(0, mid), op)} ${op} ${joinBalanced(parts.slice(mid), op)})`;
}

/** SQL for conditions on a path that never holds arrays, or null when one of them needs hearth_field. */
function simpleConds(path: Path, conds: FieldCondition[], params: unknown[]): string | null {
  const mark = params.length;
  const parts: string[] = [];
  for (const cond of conds) {
    const sql = simpleCond(path, cond, params);
    if (sql === null) {
      params.length = mark;
      return null;
    }
    parts.push(sql);
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

function simpleEq(path: Path, value: JsonValue, params: unknown[]): string | null {
  if (value === null) return `${rankExpr(path)} = 0`;
  if (!isScalar(value)) return Array.isArray(value) ? '0' : null; // a non-array path never equals an array
  params.push(sqlValue(value));
  return `(${rankExpr(path)} = ${rankOf(value)} AND ${valExpr(path)} = ?)`;
}

/** `$in` on a non-array path: one `rank = R AND value IN (…)` per type (lists stay flat). */
function simpleIn(path: Path, values: JsonValue[], params: unknown[]): string | null {
  if (values.some((v) => v !== null && !isScalar(v) && !Array.isArray(v))) return null; // objects: hearth_field
  const parts: string[] = [];
  if (values.includes(null)) parts.push(`${rankExpr(path)} = 0`);
  for (const rank of [1, 2, 5]) {
    const group = [
      ...new Set(values.filter((v): v is string | number | boolean => isScalar(v) && rankOf(v) === rank).map(sqlValue)),
    ];
    if (group.length === 0) continue;
    parts.push(`(${rankExpr(path)} = ${rank} AND ${valExpr(path)} IN (${group.map(() => '?').join(', ')}))`);
    params.push(...group);
  }
  return parts.length === 0 ? '0' : `(${parts.join(' OR ')})`;
}

function simpleCond(path: Path, cond: FieldCondition, params: unknown[]): string | null {
  switch (cond.op) {
    case 'eq':
      return simpleEq(path, cond.value, params);
    case 'ne': {
      const eq = simpleEq(path, cond.value, params);
      return eq === null ? null : `(NOT coalesce(${eq}, 0))`;
    }
    case 'in':
    case 'nin': {
      const any = simpleIn(path, cond.values, params);
      if (any === null) return null;
      return cond.op === 'in' ? any : `(NOT coalesce(${any}, 0))`;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const operator = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[cond.op];
      params.push(cond.value);
      return `(${rankExpr(path)} = ${rankOf(cond.value)} AND ${valExpr(path)} ${operator} ?)`;
    }
    case 'exists':
      return path === 'id'
        ? cond.value
          ? '1'
          : '0'
        : `(json_type(data, ${quoteLiteral(jsonPath(path))}) IS ${cond.value ? 'NOT ' : ''}NULL)`;
    case 'all': {
      // One non-array value equals every listed value only when they are all the same value.
      const [first, ...rest] = cond.values;
      if (first === undefined) return '0';
      if (rest.some((v) => JSON.stringify(v) !== JSON.stringify(first)))
        return isScalar(first) || first === null ? '0' : null;
      return simpleEq(path, first, params);
    }
    case 'size':
    case 'elemMatch':
      return '0'; // never an array here
    case 'not': {
      const inner = simpleConds(path, cond.conds, params);
      return inner === null ? null : `(NOT coalesce(${inner}, 0))`;
    }
    case 'regex':
      return null;
  }
}

/** ORDER BY for a normalised sort plus the `id` tie-break (`skipFirstRank`: the first key's rank is fixed by the WHERE). */
export function orderBy(sort: SortSpec, skipFirstRank = false): string {
  const keys = sort.flatMap(({ path, dir }, i) => {
    const d = dir === -1 ? ' DESC' : '';
    if (path === 'id') return [`id${d}`];
    return skipFirstRank && i === 0 ? [`${valExpr(path)}${d}`] : [`${rankExpr(path)}${d}`, `${valExpr(path)}${d}`];
  });
  if (!sort.some((s) => s.path === 'id')) keys.push('id');
  return keys.join(', ');
}

/** One query of a cursor page: its extra WHERE and its ORDER BY. */
export interface PageQuery {
  where: Sql;
  orderBy: string;
}

/**
 * The rows strictly after a cursor position, as one or two queries whose results concatenate in
 * sort order. The exact condition is a lexicographic OR chain, which SQLite cannot seek with. So
 * the page is split on the first key's type rank: (A) rows of the cursor's rank, where the rank is
 * fixed by equality and the value gets a plain range bound — an index seek, ordered by the index —
 * and (B) rows of the ranks after it, asked for only when A did not fill the page. Page 500 then
 * costs what page 1 does.
 */
export function pagesAfter(sort: SortSpec, position: CursorPosition): [PageQuery] | [PageQuery, PageQuery] {
  const exact = afterPosition(sort, position);
  const first = sort[0];
  if (!first || first.path === 'id') {
    const dir = first?.dir ?? 1;
    return [
      {
        where: { sql: `(id ${dir === -1 ? '<=' : '>='} ? AND ${exact.sql})`, params: [position.id, ...exact.params] },
        orderBy: orderBy(sort),
      },
    ];
  }
  const value = position.values[0] as JsonValue;
  const rank = rankOf(value);
  const r = rankExpr(first.path);
  const cmp = first.dir === -1 ? '<=' : '>=';
  const bound =
    rank === 0 ? null : rank === 3 || rank === 4 ? JSON.stringify(value) : sqlValue(value as string | number | boolean);
  const same: PageQuery = {
    where:
      bound === null
        ? { sql: `(${r} = 0 AND ${exact.sql})`, params: exact.params }
        : {
            sql: `(${r} = ${rank} AND ${valExpr(first.path)} ${cmp} ? AND ${exact.sql})`,
            params: [bound, ...exact.params],
          },
    orderBy: orderBy(sort, true),
  };
  const later: PageQuery = {
    where: { sql: `${r} ${first.dir === -1 ? '<' : '>'} ${rank}`, params: [] },
    orderBy: orderBy(sort),
  };
  return [same, later];
}

/** Rows strictly after a cursor position in the order of `orderBy(sort)` (exact, not seekable). */
function afterPosition(sort: SortSpec, position: CursorPosition): Sql {
  const hasId = sort.some((s) => s.path === 'id');
  const keys = hasId ? [...sort] : [...sort, { path: 'id', dir: 1 as const }];
  const values: unknown[] = hasId ? [...position.values] : [...position.values, position.id];
  const params: unknown[] = [];
  const alternatives: string[] = [];
  const equalities: Array<{ sql: string; params: unknown[] }> = [];
  keys.forEach(({ path, dir }, i) => {
    const value = values[i] as JsonValue;
    const rank = rankOf(value);
    const r = rankExpr(path);
    const v = valExpr(path);
    const bound =
      rank === 0
        ? null
        : rank === 3 || rank === 4
          ? JSON.stringify(value)
          : sqlValue(value as string | number | boolean);
    const cmp = dir === -1 ? '<' : '>';
    const after = bound === null ? `${r} ${cmp} 0` : `(${r} ${cmp} ${rank} OR (${r} = ${rank} AND ${v} ${cmp} ?))`;
    alternatives.push(`(${[...equalities.map((e) => e.sql), after].join(' AND ')})`);
    for (const e of equalities) params.push(...e.params);
    if (bound !== null) params.push(bound);
    equalities.push(
      bound === null ? { sql: `${r} = 0`, params: [] } : { sql: `(${r} = ${rank} AND ${v} = ?)`, params: [bound] },
    );
  });
  return { sql: `(${alternatives.join(' OR ')})`, params };
}
