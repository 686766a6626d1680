import type { Logger } from 'pino';
import { isError } from '../../errors.js';
import { SYSTEM_APP, type DocumentStore } from '../../ports/document-store.js';
import { readAllArray } from '../../ports/read-all.js';
import { desiredIndexes } from './indexes.js';
import { fromStored, SCHEMAS } from './registry.js';

/**
 * The layout of the indexes `desiredIndexes` derives from a definition. Bump it when a release
 * derives more indexes from definitions that already exist (2: the owner-first twins
 * `auto_owner_<name>` of lists whose rule fixes the owner), so collections made before get them
 * at the next start instead of at their next schema change.
 */
export const INDEX_LAYOUT = 2;
const MARKER = '_index_layout';
const MARKER_ID = 'collections';

/**
 * At start: when the deployment's recorded layout is older, every collection of every app gets
 * the derived indexes it lacks (created only: nothing is dropped here, the next schema change
 * tidies), then the layout is recorded (a collection that fails is logged and retried at the next
 * start; it never stops this one). Safe to run on several replicas at once (creating an
 * index that exists is a no-op; the marker's second create is a conflict, ignored).
 */
export async function syncDerivedIndexes(store: DocumentStore, logger: Logger): Promise<number> {
  const system = store.forApp(SYSTEM_APP);
  const marker = await system.get(MARKER, MARKER_ID);
  if (marker && Number(marker.layout) >= INDEX_LAYOUT) return 0;
  const schemas = await readAllArray(system, SCHEMAS, { pageSize: 500, max: Number.POSITIVE_INFINITY });
  let created = 0;
  let failed = 0;
  for (const doc of schemas) {
    const { appId, def } = fromStored(doc);
    const app = store.forApp(appId);
    try {
      const have = new Set((await app.listIndexes(def.name)).map((i) => i.name));
      for (const spec of desiredIndexes(def)) {
        if (have.has(spec.name)) continue;
        if (created === 0) logger.info({ collections: schemas.length }, 'collections: adding derived indexes');
        await app.ensureIndex(def.name, spec);
        created++;
      }
    } catch (err) {
      // One collection the engine refuses must not keep the server from starting; it is tried
      // again at the next start (the layout is recorded only when every collection succeeded).
      failed++;
      logger.warn({ err, appId, collection: def.name }, 'collections: adding derived indexes failed');
    }
  }
  if (created > 0) logger.info({ created }, 'collections: derived indexes added');
  if (failed > 0) return created;
  const data = { layout: INDEX_LAYOUT };
  if (marker) await system.replace(MARKER, MARKER_ID, data);
  else
    await system.create(MARKER, { id: MARKER_ID, data }).catch((e: unknown) => {
      if (!isError(e, 'conflict')) throw e;
    });
  return created;
}
