import { expect } from 'vitest';
import { HearthError, type ErrorCode } from '../../src/errors.js';
import { compareStrings, compareValues, getPath } from '../../src/lib/filter/compare.js';
import { matches, type MatchOptions } from '../../src/lib/filter/evaluate.js';
import { parseFilter } from '../../src/lib/filter/parse.js';
import type { FilterNode, SortSpec } from '../../src/lib/filter/types.js';
import type { AppStore, DocumentData, DocumentStore, StoredDocument } from '../../src/ports/document-store.js';

/** Helpers shared by the conformance suites. */

let appCounter = 0;
/** A fresh app id per case, so cases never see each other's data (ID_PATTERN-valid). */
export function freshApp(store: DocumentStore, label = 'c'): AppStore {
  appCounter += 1;
  const suffix = Math.random().toString(36).slice(2, 8);
  return store.forApp(`${label}${appCounter}_${suffix}`);
}

/** The filter as the API would send it: parsed from user JSON. */
export const f = (json: Record<string, unknown> | string): FilterNode => parseFilter(json);

export const ids = (docs: ReadonlyArray<{ id: string }>): string[] => docs.map((d) => d.id);
export const sortedIds = (docs: ReadonlyArray<{ id: string }>): string[] => ids(docs).sort(compareStrings);

/** Awaits `promise` and checks it rejects with a HearthError of `code` (and details matching `details`). */
export async function expectError(
  promise: Promise<unknown> | (() => unknown),
  code: ErrorCode,
  details?: Record<string, unknown>,
): Promise<HearthError> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error, `expected a HearthError ${code}`).toBeInstanceOf(HearthError);
  const he = error as HearthError;
  expect({ code: he.code, message: he.message }).toMatchObject({ code });
  if (details) expect(he.details).toMatchObject(details);
  return he;
}

/** Creates documents with the given ids (in order) and returns what the engine stored. */
export async function seed(
  app: AppStore,
  collection: string,
  docs: ReadonlyArray<{ id: string } & DocumentData>,
): Promise<StoredDocument[]> {
  const out: StoredDocument[] = [];
  for (const { id, ...data } of docs) out.push(await app.create(collection, { id, data: data as DocumentData }));
  return out;
}

/** Every document matching `filter`, sorted, fetched in one page (limit 1000). */
export async function findAll(
  app: AppStore,
  collection: string,
  options: { filter?: FilterNode; sort?: SortSpec } = {},
): Promise<StoredDocument[]> {
  const page = await app.find(collection, { ...options, limit: 1000 });
  expect(page.next).toBeNull();
  return page.items;
}

/** Every page of a query by cursor, `limit` per page; checks page sizes and that paging ends. */
export async function pageAll(
  app: AppStore,
  collection: string,
  options: { filter?: FilterNode; sort?: SortSpec; limit: number; fields?: string[] },
  maxPages = 1000,
): Promise<{ items: StoredDocument[]; pages: number }> {
  const items: StoredDocument[] = [];
  let after: string | undefined;
  for (let pages = 1; pages <= maxPages; pages++) {
    const page = await app.find(collection, { ...options, ...(after !== undefined ? { after } : {}) });
    items.push(...page.items);
    expect(page.items.length).toBeLessThanOrEqual(options.limit);
    if (page.next === null) return { items, pages };
    expect(page.items.length, 'a page with a next cursor is full').toBe(options.limit);
    after = page.next;
  }
  throw new Error(`paging did not end after ${maxPages} pages`);
}

/** The reference order: the sort keys by compareValues, then id ascending. */
export function referenceCompare(sort: SortSpec): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  return (a, b) => {
    for (const { path, dir } of sort) {
      const c = compareValues(getPath(a, path), getPath(b, path));
      if (c !== 0) return c * dir;
    }
    return compareStrings(String(a.id), String(b.id));
  };
}

/** The reference answer: docs matching `filter` in the reference order. */
export function referenceFind<T extends Record<string, unknown>>(
  docs: readonly T[],
  filter: FilterNode,
  sort: SortSpec = [],
  options: MatchOptions = {},
): T[] {
  return docs.filter((d) => matches(filter, d, options)).sort(referenceCompare(sort));
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const asc = (path: string): SortSpec[number] => ({ path, dir: 1 });
export const desc = (path: string): SortSpec[number] => ({ path, dir: -1 });
