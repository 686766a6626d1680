import { isError } from '../../errors.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { AppStore } from '../../ports/document-store.js';
import { readAll } from '../../ports/read-all.js';

/**
 * Deletes the documents of one of the auth module's collections that match `filter` (at most
 * `max`, default 10,000), page by page; returns how many it deleted. One deleted meanwhile by
 * someone else is skipped; any other failure is thrown.
 */
export async function deleteMatching(
  app: AppStore,
  collection: string,
  filter: FilterNode,
  max?: number,
): Promise<number> {
  let deleted = 0;
  const pageSize = max === undefined ? 1000 : Math.min(max, 1000);
  for await (const doc of readAll(app, collection, { filter, fields: ['id'], pageSize, ...(max ? { max } : {}) })) {
    try {
      await app.delete(collection, doc.id);
      deleted++;
    } catch (e) {
      if (!isError(e, 'not_found')) throw e;
    }
  }
  return deleted;
}
