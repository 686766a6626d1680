import { isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { readAll } from '../../ports/read-all.js';
import type { Caller, CollectionsModule } from '../collections/index.js';

/**
 * What happens to a deleted user's documents (`onUserDelete` in the auth settings): `keep`
 * (default: they stay, owned by an id nobody has), `unown` (owner set to null) or `delete`.
 * Writes go through the collections writer with system power, so relations' onDelete applies
 * and document events (realtime, webhooks) are emitted as for any other write.
 */
export type OwnedDocumentsPolicy = 'keep' | 'unown' | 'delete';

export async function handleOwnedDocuments(
  deps: { store: DocumentStore; collections: CollectionsModule['services'] },
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
    // Every one of them (keyset paging by id, so changing them as we go skips none).
    const owned = readAll(app, col.name, {
      filter: where.eq('owner', userId),
      fields: ['id'],
      pageSize: 100,
      max: Number.POSITIVE_INFINITY,
    });
    for await (const doc of owned) {
      try {
        if (policy === 'delete') await writer.run(caller, () => writer.prepareDelete(caller, col.name, doc.id));
        else await writer.run(caller, () => writer.preparePatch(caller, col.name, doc.id, { owner: null }));
        changed++;
      } catch (e) {
        // Already gone (a cascade from an earlier delete took it): fine.
        if (!isError(e, 'not_found')) throw e;
      }
    }
  }
  return changed;
}
