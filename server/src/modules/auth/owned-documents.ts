import { HearthError } from '../../errors.js';
import type { DocumentStore } from '../../ports/document-store.js';
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
  let changed = 0;
  for (const col of await deps.collections.registry.list(appId)) {
    for (;;) {
      const page = await app.find(col.name, {
        filter: { op: 'field', path: 'owner', conds: [{ op: 'eq', value: userId }] },
        limit: 100,
        fields: ['id'],
      });
      if (page.items.length === 0) break;
      for (const doc of page.items) {
        try {
          if (policy === 'delete') {
            await deps.collections.writer.run(
              caller,
              () => deps.collections.writer.prepareDelete(caller, col.name, doc.id, {}),
              false,
            );
          } else {
            await deps.collections.writer.run(
              caller,
              () =>
                deps.collections.writer.prepareUpdate(caller, col.name, doc.id, { owner: null }, { replace: false }),
              false,
            );
          }
          changed++;
        } catch (e) {
          // Already gone (a cascade from an earlier delete took it): fine.
          if (!(e instanceof HearthError && e.code === 'not_found')) throw e;
        }
      }
    }
  }
  return changed;
}
