import { z } from 'zod';
import { collectPaths, parseFields, parseFilter, parseSort } from '../../lib/filter/parse.js';
import type { FilterNode, SortSpec } from '../../lib/filter/types.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type { AppStore, DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { accessFilter, assertTextAllowed, assertVisiblePaths, requireScope, type Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import { collectionErrors } from './collections.errors.js';
import type { FileFields } from './file-fields.js';
import { expandDocuments, parseExpand, validateExpand, type ExpandTree } from './expand.js';
import type { CollectionRegistry } from './registry.js';
import { andFilters } from './rules.compile.js';
import { toClientDocument } from './view.js';

/**
 * Reading documents: list (filter, sort, paging, projection, expand, count) and get by id. The
 * caller's read rule (`list` for lists and counts, `get` for one document) is ANDed into the
 * query the engine runs, so paging, counts and cursors only ever see permitted documents.
 */
export const MAX_OFFSET = 100_000;
export const DEFAULT_SORT: SortSpec = [{ path: 'createdAt', dir: 1 }];

export const listQuery = z.object({
  filter: z.string().max(16_384).optional().describe('JSON filter, e.g. {"done": false}'),
  sort: z.string().max(1_000).optional().describe('Comma list of fields, - for descending: -createdAt,title'),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  after: z.string().min(1).max(4096).optional().describe("The previous page's next cursor"),
  offset: z.coerce.number().int().min(0).max(MAX_OFFSET).optional(),
  fields: z.string().max(4_000).optional().describe('Comma list of fields to return (id always)'),
  expand: z.string().max(1_000).optional().describe('Comma list of relation fields, nested with dots, and file fields'),
  count: z.enum(['exact', 'estimated']).optional(),
});
export type ListQuery = z.output<typeof listQuery>;

export const getQuery = listQuery.pick({ fields: true, expand: true });
export type GetQuery = z.output<typeof getQuery>;

export interface ReadDeps {
  store: DocumentStore;
  registry: CollectionRegistry;
  now: () => Date;
  /** Expands `file` fields (the files module's references). */
  fileFields?: FileFields;
}

interface Projection {
  /** What the caller asked for (undefined = everything). */
  fields: string[] | undefined;
  /** What the engine must return: the fields plus the relation fields being expanded. */
  engineFields: string[] | undefined;
  expand: ExpandTree | undefined;
}

export class DocumentsReader {
  constructor(private readonly deps: ReadDeps) {}

  private async projection(
    caller: Caller,
    col: CompiledCollection,
    q: { fields?: string | undefined; expand?: string | undefined },
  ): Promise<Projection> {
    const fields = q.fields !== undefined ? parseFields(q.fields) : undefined;
    if (fields) assertVisiblePaths(caller, col, fields, 'fields');
    const expand = q.expand !== undefined ? parseExpand(q.expand) : undefined;
    if (expand) {
      await validateExpand(
        {
          store: this.deps.store.forApp(caller.appId),
          registry: this.deps.registry,
          caller,
          now: this.deps.now(),
          ...(this.deps.fileFields ? { files: this.deps.fileFields } : {}),
        },
        col,
        expand,
      );
    }
    const engineFields = fields && expand ? [...new Set([...fields, ...expand.keys()])] : fields;
    return { fields, engineFields, expand };
  }

  private async present(
    caller: Caller,
    col: CompiledCollection,
    docs: StoredDocument[],
    p: Projection,
  ): Promise<Record<string, unknown>[]> {
    const views = docs.map((d) =>
      toClientDocument(col, d, { privileged: caller.privileged, ...(p.fields ? { fields: p.fields } : {}) }),
    );
    if (p.expand) {
      await expandDocuments(
        {
          store: this.deps.store.forApp(caller.appId),
          registry: this.deps.registry,
          caller,
          now: this.deps.now(),
          ...(this.deps.fileFields ? { files: this.deps.fileFields } : {}),
        },
        col,
        docs,
        views,
        p.expand,
      );
    }
    return views;
  }

  async list(
    caller: Caller,
    collection: string,
    q: ListQuery,
  ): Promise<{ items: Record<string, unknown>[]; next: string | null; count?: number }> {
    const { col, filter, p, find, store } = await this.listQuery(caller, collection, q);
    const page = await store.find(col.name, { ...find, ...(p.engineFields ? { fields: p.engineFields } : {}) });
    const items = await this.present(caller, col, page.items, p);
    const count = await this.count(store, col, filter, q);
    return { items, next: page.next, ...(count !== undefined ? { count } : {}) };
  }

  /**
   * `list`'s reply as JSON text. When the caller sees whole documents (no `fields`, no `expand`,
   * no hidden field to remove), the engine's JSON text of each document is sent as it is
   * (AppStore.findJson): no parse, copy and stringify per document.
   */
  async listJson(caller: Caller, collection: string, q: ListQuery): Promise<string> {
    const { col, filter, p, find, store } = await this.listQuery(caller, collection, q);
    const hides = !caller.privileged && col.hidden.size > 0;
    if (p.fields || p.expand || hides) return JSON.stringify(await this.list(caller, collection, q));
    const page = await store.findJson(col.name, find);
    const count = await this.count(store, col, filter, q);
    return `{"items":[${page.items.join(',')}],"next":${JSON.stringify(page.next)}${count !== undefined ? `,"count":${count}` : ''}}`;
  }

  /** A list's checked query: the rule ANDed into the filter, the sort, the paging and the projection. */
  private async listQuery(caller: Caller, collection: string, q: ListQuery) {
    requireScope(caller, 'documents:read');
    const col = await this.deps.registry.require(caller.appId, collection);
    const userFilter: FilterNode | undefined = q.filter !== undefined ? parseFilter(q.filter) : undefined;
    const sort = q.sort !== undefined ? parseSort(q.sort) : DEFAULT_SORT;
    if (userFilter) assertVisiblePaths(caller, col, collectPaths(userFilter), 'filter');
    assertVisiblePaths(
      caller,
      col,
      sort.map((s) => s.path),
      'sort',
    );
    assertTextAllowed(col, userFilter);
    const p = await this.projection(caller, col, q);
    const rule = accessFilter(caller, col, 'list', this.deps.now());
    if (rule === null) throw collectionErrors.listDenied();
    const filter = andFilters(rule, userFilter);
    const find = {
      filter,
      sort,
      limit: q.limit,
      ...(q.after !== undefined ? { after: q.after } : {}),
      ...(q.offset !== undefined ? { offset: q.offset } : {}),
    };
    return { col, filter, p, find, store: this.deps.store.forApp(caller.appId) };
  }

  private async count(store: AppStore, col: CompiledCollection, filter: FilterNode, q: ListQuery) {
    if (!q.count) return undefined;
    // An estimate may come from collection statistics that ignore filters, which would count
    // documents the caller may not see: only unfiltered counts are estimated.
    const mode = filter.op === 'all' ? q.count : 'exact';
    return store.count(col.name, { filter, mode });
  }

  async get(
    caller: Caller,
    collection: string,
    id: string,
    q: GetQuery,
  ): Promise<{ doc: Record<string, unknown>; version: number }> {
    requireScope(caller, 'documents:read');
    const col = await this.deps.registry.require(caller.appId, collection);
    const p = await this.projection(caller, col, q);
    const rule = accessFilter(caller, col, 'get', this.deps.now());
    if (rule === null || !ID_PATTERN.test(id)) throw collectionErrors.noSuchDocument();
    const doc = await this.deps.store.forApp(caller.appId).get(col.name, id, {
      ...(rule ? { where: rule } : {}),
      ...(p.engineFields ? { fields: [...p.engineFields, 'version'] } : {}),
    });
    if (!doc) throw collectionErrors.noSuchDocument();
    const [view] = await this.present(caller, col, [doc], p);
    return { doc: view!, version: doc.version };
  }
}
