import type { AppStore, FindOptions, StoredDocument } from './document-store.js';

/**
 * Every document a query matches, page by page through the port's keyset cursor: the one loop
 * services use to read a whole (small) set of their own documents. `max` bounds how many are
 * read (default 10,000); `pageSize` is each page's limit (default 1000).
 */
export async function* readAll(
  store: AppStore,
  collection: string,
  query: Omit<FindOptions, 'limit' | 'after' | 'offset'> & { pageSize?: number; max?: number },
): AsyncGenerator<StoredDocument> {
  const { pageSize = 1000, max = 10_000, ...find } = query;
  let after: string | undefined;
  let seen = 0;
  do {
    const page = await store.find(collection, { ...find, limit: pageSize, ...(after ? { after } : {}) });
    for (const doc of page.items) {
      if (seen++ >= max) return;
      yield doc;
    }
    after = page.next ?? undefined;
  } while (after);
}

/** `readAll` collected into an array. */
export async function readAllArray(
  store: AppStore,
  collection: string,
  query: Parameters<typeof readAll>[2],
): Promise<StoredDocument[]> {
  const out: StoredDocument[] = [];
  for await (const doc of readAll(store, collection, query)) out.push(doc);
  return out;
}
