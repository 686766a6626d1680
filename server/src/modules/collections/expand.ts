import { invalidRequest } from '../../errors.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { AppStore, StoredDocument } from '../../ports/document-store.js';
import { accessFilter, assertVisiblePaths, type Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import { fileFieldsOf, type FileFields } from './file-fields.js';
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
 *
 * What one answer may expand is capped, counting what the client would receive (a relation
 * array repeating one id N times expands N copies, and each copy's own expansions count again):
 * at most MAX_EXPANDED_DOCUMENTS related documents and MAX_EXPANDED_BYTES of their JSON. Sizes
 * are tallied per distinct loaded document, bottom-up, so an over-large answer is refused before
 * it is serialised (`invalid_request`, `details.limit` "documents" or "bytes").
 *
 * A `file` field (or an array of them) expands too, one level only (`expand=avatar`): to the
 * file's metadata plus a signed `url`, for files the caller may read (its own, public ones, any
 * for a secret key or an admin); any other id is `null` (left out of an array), like a related
 * document the caller may not read. The files module provides them (FileReferences.describe).
 */
export type ExpandTree = Map<string, ExpandTree>;

const MAX_DEPTH = 3;
const MAX_PATHS = 16;
const MAX_IDS_PER_LEVEL = 5_000;
/** Related documents in one answer, each repeat and each nested one counted. */
export const MAX_EXPANDED_DOCUMENTS = 5_000;
/** UTF-8 bytes of expanded JSON in one answer. */
export const MAX_EXPANDED_BYTES = 8 * 1024 * 1024;
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
  files?: FileFields;
}

/** Checks every path names a (visible) relation, before anything is loaded. */
export async function validateExpand(ctx: ExpandContext, col: CompiledCollection, tree: ExpandTree): Promise<void> {
  for (const [field, subtree] of tree) {
    const rel = col.relations.find((r) => r.field === field);
    if (!rel && fileFieldsOf(col).some((f) => f.field === field)) {
      if (subtree.size) {
        throw invalidRequest(`expand: ${field} is a file field; it expands one level only.`, {
          parameter: 'expand',
          path: field,
        });
      }
      assertVisiblePaths(ctx.caller, col, [field], 'expand');
      continue;
    }
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

/** What a view adds to an answer when it appears once: itself and everything expanded under it. */
interface Weight {
  documents: number;
  bytes: number;
}

const tooLarge = (limit: 'documents' | 'bytes') =>
  invalidRequest(
    limit === 'documents'
      ? `expand would return more than ${MAX_EXPANDED_DOCUMENTS} related documents (repeats and nested ones count); ask for fewer items or fewer levels.`
      : `expand would return more than ${MAX_EXPANDED_BYTES} bytes of related documents; ask for fewer items, fewer levels or fewer fields.`,
    { parameter: 'expand', limit, max: limit === 'documents' ? MAX_EXPANDED_DOCUMENTS : MAX_EXPANDED_BYTES },
  );

/** Adds `weight` to `total`; refuses once either cap is passed. */
function addWeight(total: Weight, weight: Weight): void {
  total.documents += weight.documents;
  total.bytes += weight.bytes;
  if (total.documents > MAX_EXPANDED_DOCUMENTS) throw tooLarge('documents');
  if (total.bytes > MAX_EXPANDED_BYTES) throw tooLarge('bytes');
}

/** Adds `expand` to each view (views[i] shows raw[i]); refuses answers over the caps. */
export async function expandDocuments(
  ctx: ExpandContext,
  col: CompiledCollection,
  raw: readonly StoredDocument[],
  views: Record<string, unknown>[],
  tree: ExpandTree,
): Promise<void> {
  const added = await expandLevel(ctx, col, raw, views, tree);
  // The page's own documents are not counted, only what expand adds to them.
  const total: Weight = { documents: 0, bytes: 0 };
  for (const weight of added) addWeight(total, weight);
}

/** Expands one level; returns, per view, the weight its expansions add to the answer. */
async function expandLevel(
  ctx: ExpandContext,
  col: CompiledCollection,
  raw: readonly StoredDocument[],
  views: Record<string, unknown>[],
  tree: ExpandTree,
): Promise<Weight[]> {
  const added: Weight[] = views.map(() => ({ documents: 0, bytes: 0 }));
  for (const [field, subtree] of tree) {
    const rel = col.relations.find((r) => r.field === field);
    if (!rel) {
      await expandFiles(ctx, raw, views, field, added);
      continue;
    }
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
    // Each distinct related document's own JSON, measured before its expansions are attached.
    const weights: Weight[] = subViews.map((v) => ({ documents: 1, bytes: Buffer.byteLength(JSON.stringify(v)) }));
    if (target && subtree.size && subRaw.length) {
      const nested = await expandLevel(ctx, target, subRaw, subViews, subtree);
      nested.forEach((weight, i) => addWeight(weights[i]!, weight));
    }
    // Every distinct document appears at least once, so their sum alone may already be too much.
    const level: Weight = { documents: 0, bytes: 0 };
    for (const weight of weights) addWeight(level, weight);
    const byId = new Map(subRaw.map((d, i) => [d.id, { view: subViews[i]!, weight: weights[i]! }]));
    raw.forEach((doc, i) => {
      const expand = (views[i]!.expand ??= {}) as Record<string, unknown>;
      const value = doc[field];
      if (rel.many) {
        const out: Record<string, unknown>[] = [];
        for (const id of idsIn(value)) {
          const hit = byId.get(id);
          if (!hit) continue;
          addWeight(added[i]!, hit.weight);
          out.push(hit.view);
        }
        expand[field] = out;
      } else {
        const hit = typeof value === 'string' ? byId.get(value) : undefined;
        if (hit) addWeight(added[i]!, hit.weight);
        expand[field] = hit?.view ?? null;
      }
    });
  }
  return added;
}

/** Expands one `file` field (or array of them) of every document; counts what it adds. */
async function expandFiles(
  ctx: ExpandContext,
  raw: readonly StoredDocument[],
  views: Record<string, unknown>[],
  field: string,
  added: Weight[],
): Promise<void> {
  const ids = [...new Set(raw.flatMap((d) => idsIn(d[field])))];
  if (ids.length > MAX_IDS_PER_LEVEL) {
    throw invalidRequest(`expand would load more than ${MAX_IDS_PER_LEVEL} files; ask for fewer items.`, {
      parameter: 'expand',
    });
  }
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < ids.length && ctx.files; i += CHUNK) {
    for (const [id, view] of await ctx.files.describe(ctx.caller, ids.slice(i, i + CHUNK))) found.set(id, view);
  }
  const weights = new Map(
    [...found].map(([id, v]) => [id, { documents: 1, bytes: Buffer.byteLength(JSON.stringify(v)) }]),
  );
  raw.forEach((doc, i) => {
    const expand = (views[i]!.expand ??= {}) as Record<string, unknown>;
    const value = doc[field];
    const hits = idsIn(value).filter((id) => found.has(id));
    for (const id of hits) addWeight(added[i]!, weights.get(id)!);
    expand[field] = Array.isArray(value)
      ? hits.map((id) => found.get(id))
      : hits[0] !== undefined
        ? found.get(hits[0])
        : null;
  });
}
