import { HearthError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { AppStore } from '../../ports/document-store.js';

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
  let after: string | undefined;
  let n = 0;
  do {
    const page = await store.find(collection, {
      filter: { op: 'field', path: field, conds: [{ op: 'exists', value: true }] },
      limit: PAGE,
      ...(after ? { after } : {}),
    });
    for (const doc of page.items) {
      await visit(doc.id, doc[field], doc.version);
      n++;
    }
    after = page.next ?? undefined;
  } while (after);
  return n;
}

const ignoreGone = (e: unknown): void => {
  if (e instanceof HearthError && e.code === 'not_found') return;
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
          { expectedVersion: version, where: { op: 'field', path: to, conds: [{ op: 'exists', value: false }] } },
        );
        return;
      } catch (e) {
        if (e instanceof HearthError && e.code === 'conflict' && e.details?.reason === 'version') {
          const fresh = await store.get(collection, id);
          if (!fresh || !Object.hasOwn(fresh, from)) return;
          value = fresh[from];
          version = fresh.version;
          continue;
        }
        if (e instanceof HearthError && e.code === 'not_found') {
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
