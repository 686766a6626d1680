import { invalidRequest } from '../../errors.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { AppStore, StoredDocument } from '../../ports/document-store.js';
import { accessFilter, assertVisiblePaths, type Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import { andFilters } from './rules.compile.js';
import type { CollectionRegistry } from './registry.js';
import { toClientDocument } from './view.js';

/**
 * `expand=author,author.org,tags`: relation fields replaced by the documents they point to, under
 * each document's `expand` object (`doc.expand.author = {...}`; arrays of relations give arrays).
 * The field itself keeps the id. Nested up to MAX_DEPTH levels. Each expanded collection's `get`
 * rule is ANDed into the query that loads its documents, so a document the caller may not read
 * is simply absent (`null` for a single relation, left out of an array); hidden fields are
 * stripped like everywhere else.
 */
export type ExpandTree = Map<string, ExpandTree>;

const MAX_DEPTH = 3;
const MAX_PATHS = 16;
const MAX_IDS_PER_LEVEL = 5_000;
const CHUNK = 1_000;
const SEGMENT = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

export function parseExpand(input: string): ExpandTree {
  const tree: ExpandTree = new Map();
  const items = input.split(',').map((s) => s.trim());
  if (items.length > MAX_PATHS)
    throw invalidRequest(`expand names more than ${MAX_PATHS} paths.`, { parameter: 'expand' });
  for (const item of items) {
    const segments = item.split('.');
    if (!item || segments.some((s) => !SEGMENT.test(s))) {
      throw invalidRequest(`expand: ${JSON.stringify(item.slice(0, 64))} is not a relation path.`, {
        parameter: 'expand',
        path: item.slice(0, 64),
      });
    }
    if (segments.length > MAX_DEPTH) {
      throw invalidRequest(`expand goes at most ${MAX_DEPTH} levels deep.`, {
        parameter: 'expand',
        path: item.slice(0, 64),
      });
    }
    let node = tree;
    for (const s of segments) {
      let next = node.get(s);
      if (!next) node.set(s, (next = new Map()));
      node = next;
    }
  }
  return tree;
}

export interface ExpandContext {
  store: AppStore;
  registry: CollectionRegistry;
  caller: Caller;
  now: Date;
}

/** Checks every path names a (visible) relation, before anything is loaded. */
export async function validateExpand(ctx: ExpandContext, col: CompiledCollection, tree: ExpandTree): Promise<void> {
  for (const [field, subtree] of tree) {
    const rel = col.relations.find((r) => r.field === field);
    if (!rel)
      throw invalidRequest(`expand: ${field} is not a relation field of ${col.name}.`, {
        parameter: 'expand',
        path: field,
      });
    assertVisiblePaths(ctx.caller, col, [field], 'expand');
    const target = await ctx.registry.get(col.appId, rel.to);
    if (target && subtree.size) await validateExpand(ctx, target, subtree);
  }
}

const idsIn = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : [];

/** Adds `expand` to each view (views[i] shows raw[i]). */
export async function expandDocuments(
  ctx: ExpandContext,
  col: CompiledCollection,
  raw: readonly StoredDocument[],
  views: Record<string, unknown>[],
  tree: ExpandTree,
): Promise<void> {
  for (const [field, subtree] of tree) {
    const rel = col.relations.find((r) => r.field === field)!;
    const target = await ctx.registry.get(col.appId, rel.to);
    const ids = [...new Set(raw.flatMap((d) => idsIn(d[field])))];
    if (ids.length > MAX_IDS_PER_LEVEL) {
      throw invalidRequest(`expand would load more than ${MAX_IDS_PER_LEVEL} documents; ask for fewer items.`, {
        parameter: 'expand',
      });
    }
    const found = new Map<string, StoredDocument>();
    const rule = target ? accessFilter(ctx.caller, target, 'get', ctx.now) : null;
    if (target && rule !== null) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        const byId: FilterNode = { op: 'field', path: 'id', conds: [{ op: 'in', values: chunk }] };
        const page = await ctx.store.find(target.name, { filter: andFilters(byId, rule), limit: chunk.length });
        for (const d of page.items) found.set(d.id, d);
      }
    }
    const subRaw = [...found.values()];
    const subViews = subRaw.map((d) => toClientDocument(target!, d, { privileged: ctx.caller.privileged }));
    if (target && subtree.size && subRaw.length) await expandDocuments(ctx, target, subRaw, subViews, subtree);
    const viewById = new Map(subRaw.map((d, i) => [d.id, subViews[i]!]));
    raw.forEach((doc, i) => {
      const view = views[i]!;
      const expand = (view.expand ??= {}) as Record<string, unknown>;
      const value = doc[field];
      expand[field] = rel.many
        ? idsIn(value)
            .map((id) => viewById.get(id))
            .filter((v) => v !== undefined)
        : typeof value === 'string'
          ? (viewById.get(value) ?? null)
          : null;
    });
  }
}
