import { isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { readAll } from '../../ports/read-all.js';
import type { Caller } from '../collections/access.js';
import type { CollectionsModule } from '../collections/collections.module.js';

/**
 * What happens to a deleted user's documents (`onUserDelete` in the auth settings): `keep`
 * (default: they stay, owned by an id nobody has), `unown` (owner set to null) or `delete`.
 * Writes go through the collections writer with system power, so relations' onDelete applies
 * and document events (realtime, webhooks) are emitted as for any other write.
 */
export type OwnedDocumentsPolicy = 'keep' | 'unown' | 'delete';

export async function handleOwnedDocuments(
  deps: { store: DocumentStore; collections: CollectionsModule },
  appId: string,
  userId: string,
  policy: OwnedDocumentsPolicy,
  requestId?: string,
): Promise<number> {
  if (policy === 'keep') return 0;
  const caller: Caller = {
    appId,
    privileged: true,
    user: null,
    scopes: [],
    principal: 'system:auth',
    ...(requestId ? { requestId } : {}),
  };
  const app = deps.store.forApp(appId);
  const { writer } = deps.collections;
  let changed = 0;
  for (const col of await deps.collections.registry.list(appId)) {
    // Keyset paging: documents already changed (or gone) do not move the cursor.
    const owned = readAll(app, col.name, {
      filter: where.eq('owner', userId),
      fields: ['id'],
      pageSize: 100,
      max: Infinity,
    });
    for await (const doc of owned) {
      try {
        await writer.run(
          caller,
          () =>
            policy === 'delete'
              ? writer.prepareDelete(caller, col.name, doc.id, {})
              : writer.prepareUpdate(caller, col.name, doc.id, { owner: null }, { replace: false }),
          false,
        );
        changed++;
      } catch (e) {
        // Already gone (a cascade from an earlier delete took it): fine.
        if (!isError(e, 'not_found')) throw e;
      }
    }
  }
  return changed;
}
