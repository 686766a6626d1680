import { HearthError, isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { AppStore } from '../../ports/document-store.js';
import { readAll } from '../../ports/read-all.js';

/**
 * Online data changes behind schema edits: renaming a field moves each document's value to the
 * new name, removing a field deletes its values. Documents are visited in id order by keyset
 * paging, each changed with one atomic update (so a document is never half-migrated); the
 * collection as a whole is migrated progressively while it stays available.
 */
const PAGE = 200;

async function eachWithField(
  store: AppStore,
  collection: string,
  field: string,
  visit: (id: string, value: unknown, version: number) => Promise<void>,
): Promise<number> {
  let n = 0;
  // Every document: a migration that stopped early would leave data under the old name.
  const docs = readAll(store, collection, {
    filter: where.exists(field),
    pageSize: PAGE,
    max: Number.POSITIVE_INFINITY,
  });
  for await (const doc of docs) {
    await visit(doc.id, doc[field], doc.version);
    n++;
  }
  return n;
}

const ignoreGone = (e: unknown): void => {
  if (isError(e, 'not_found')) return;
  throw e;
};

export async function renameFieldData(store: AppStore, collection: string, from: string, to: string): Promise<number> {
  return eachWithField(store, collection, from, async (id, firstValue, firstVersion) => {
    // Move the value of the version that was read: if a write slipped in between, read again.
    let value = firstValue;
    let version = firstVersion;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // A value already written under the new name (by a client on the new schema) wins.
        await store.update(
          collection,
          id,
          { set: { [to]: value as JsonValue }, unset: [from] },
          { expectedVersion: version, where: where.exists(to, false) },
        );
        return;
      } catch (e) {
        if (isError(e, 'conflict', 'version')) {
          const fresh = await store.get(collection, id);
          if (!fresh || !Object.hasOwn(fresh, from)) return;
          value = fresh[from];
          version = fresh.version;
          continue;
        }
        if (isError(e, 'not_found')) {
          await store.update(collection, id, { unset: [from] }).catch(ignoreGone);
          return;
        }
        throw e;
      }
    }
    throw new HearthError(
      'conflict',
      `The field "${from}" of ${id} kept changing during the rename; retry the change.`,
    );
  });
}

export async function removeFieldData(store: AppStore, collection: string, field: string): Promise<number> {
  return eachWithField(store, collection, field, async (id) => {
    await store.update(collection, id, { unset: [field] }).catch(ignoreGone);
  });
}
