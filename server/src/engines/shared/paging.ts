import { decodeCursor, encodeCursor, type CursorPosition } from '../../lib/cursor.js';
import type { Path, SortSpec } from '../../lib/filter/types.js';
import type { FindOptions, FindResult, StoredDocument } from '../../ports/document-store.js';
import { normaliseSort, project, sortValues } from './documents.js';

/**
 * Keyset paging, the same for every engine. A find reads, in the order of `sort` (then `id`
 * ascending), the rows strictly after the cursor `position`, skips `offset` of them and takes
 * `fetch` = limit + 1: the extra row only says whether a next page exists. The engine turns
 * `sort` and `position` into its own query (sqlite/sql.ts, mongodb/sort.compile.ts); the page
 * and its `next` cursor are then made here.
 */
export interface PageRequest {
  /** The normalised sort (normaliseSort). */
  sort: SortSpec;
  /** Where the previous page ended, or null for the first page. */
  position: CursorPosition | null;
  limit: number;
  offset: number;
  /** How many rows to read: one more than the page. */
  fetch: number;
  fields: readonly Path[] | undefined;
}

/** The port's bounds on a page (callers enforce the API's own, smaller ones). */
const MAX_LIMIT = 1000;

/** A find's options as a page request (a bad cursor is `invalid_request`). */
export function pageRequest(options: FindOptions): PageRequest {
  const sort = normaliseSort(options.sort);
  const limit = Math.max(1, Math.min(Math.floor(options.limit), MAX_LIMIT));
  return {
    sort,
    position: options.after !== undefined ? decodeCursor(sort, options.after) : null,
    limit,
    offset: Math.max(0, Math.floor(options.offset ?? 0)),
    fetch: limit + 1,
    fields: options.fields,
  };
}

/** The page from the rows read (at most `fetch`, in order): the first `limit`, projected, and the cursor after the last. */
export function pageResult(rows: readonly StoredDocument[], page: PageRequest): FindResult {
  const docs = rows.slice(0, page.limit);
  const last = docs[docs.length - 1];
  const next = rows.length > page.limit && last ? cursorAfter(last, page) : null;
  return { items: docs.map((d) => project(d, page.fields)), next };
}

/** The `next` cursor of a page that ends with `last` (when more rows follow). */
export function cursorAfter(last: StoredDocument, page: Pick<PageRequest, 'sort'>): string {
  return encodeCursor(page.sort, { values: sortValues(last, page.sort), id: last.id });
}
