import { errors, invalidRequest } from '../../errors.js';
import { matches } from '../../lib/filter/evaluate.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { RuleKind } from './collection.schema.js';
import type { CompiledCollection } from './collection.compile.js';
import { ruleFilter, type RuleUser, type RuleVariables } from './rules.compile.js';

/**
 * Who is calling, as the collections module sees it, and how rules apply to them. Services get
 * this plain context; the routes build it from the request (documents.routes.ts).
 * - A secret key or an admin is *privileged*: rules are bypassed (validation is not), hidden
 *   fields are visible, system fields like `owner` may be set.
 * - A public key is always subject to rules, with `@auth` from the signed-in user (if any).
 * - A key with scopes needs `documents:read` / `documents:write` (or `documents:*`) for those
 *   operations; a key without scopes is unrestricted.
 */
export interface Caller {
  appId: string;
  privileged: boolean;
  user: RuleUser | null;
  /** The key's scopes; empty = unrestricted. */
  scopes: readonly string[];
  /** Who is calling, for idempotency records: `user:…`, `key:…` or `admin:…`. */
  principal: string;
  requestId?: string;
}

export function requireScope(caller: Caller, scope: 'documents:read' | 'documents:write'): void {
  if (caller.scopes.length === 0) return;
  if (caller.scopes.includes(scope) || caller.scopes.includes('documents:*')) return;
  throw errors.scopeMissing(scope);
}

export function ruleVariables(caller: Caller, now: Date, data?: Record<string, unknown>): RuleVariables {
  return { auth: caller.user, now: now.toISOString(), ...(data ? { data } : {}) };
}

/**
 * The filter a rule puts on this caller's access, `undefined` for privileged callers (no
 * restriction), or `null` when the rule denies them outright.
 */
export function accessFilter(
  caller: Caller,
  col: CompiledCollection,
  kind: RuleKind,
  now: Date,
  data?: Record<string, unknown>,
): FilterNode | undefined | null {
  if (caller.privileged) return undefined;
  return ruleFilter(col.rules[kind], ruleVariables(caller, now, data));
}

/**
 * Whether a caller may read one stored document under a read rule, evaluated in memory with the
 * reference semantics. For code that already holds a document (update error paths, realtime
 * fan-out): queries put the rule in the query instead.
 */
export function visibleTo(
  caller: Caller,
  col: CompiledCollection,
  doc: Record<string, unknown>,
  now: Date,
  kind: 'get' | 'list' = 'get',
): boolean {
  const rule = accessFilter(caller, col, kind, now);
  return rule === undefined || (rule !== null && matches(rule, doc, { textFields: col.searchable }));
}

/**
 * Non-privileged callers cannot name hidden fields in filters, sorts, projections, groups or
 * expands: they could otherwise learn hidden values by probing.
 */
export function assertVisiblePaths(
  caller: Caller,
  col: CompiledCollection,
  paths: Iterable<string>,
  parameter: string,
): void {
  if (caller.privileged || col.hidden.size === 0) return;
  for (const path of paths) {
    const first = path.split('.')[0]!;
    if (col.hidden.has(first)) {
      throw invalidRequest(`${first} cannot be used in ${parameter}.`, { parameter, path: first });
    }
  }
}

/** `$text` needs searchable fields. */
export function hasText(node: FilterNode): boolean {
  switch (node.op) {
    case 'text':
      return true;
    case 'and':
    case 'or':
    case 'nor':
      return node.children.some(hasText);
    default:
      return false;
  }
}

export function assertTextAllowed(col: CompiledCollection, filter: FilterNode | undefined): void {
  if (filter && col.searchable.length === 0 && hasText(filter)) {
    throw invalidRequest(`${col.name} has no searchable fields, so $text cannot be used.`, { operator: '$text' });
  }
}
