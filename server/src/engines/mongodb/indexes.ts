import type { Collection, Document } from 'mongodb';
import { unavailable } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { IndexSpec, StoredDocument } from '../../ports/document-store.js';
import { normaliseIndex } from '../shared/documents.js';
import { assertCollectionName } from '../shared/errors.js';
import { MAX_CLASHING_IDS, duplicateId, uniqueConflict, uniqueKeyValues } from '../shared/unique.js';
import {
  createPhysicalIndex,
  physicalIndexName,
  physicalKeys,
  type Catalog,
  type RawDoc,
  type StoredIndex,
} from './catalog.js';
import { fromStored } from './documents.js';
import { guarded, isDuplicateKey, mapMongoError } from './errors.js';
import { andQueries } from './filter.compile.js';
import { storedPath } from './paths.js';

type RegularIndex = Extract<IndexSpec, { kind: 'regular' }>;

/** MongoDB types a unique index covers: everything but null (and missing). */
const NON_NULL_TYPES = ['number', 'string', 'object', 'array', 'bool'];

/**
 * One app's indexes on MongoDB. The port's specs live in the catalog; each regular spec is served
 * by a physical index named after its definition (`hearth_<hash>`, so specs with the same keys
 * share one), unique ones with a partial filter that skips missing and null values. A text spec
 * is only recorded (`$text` is compiled to regexes, see filter.compile.ts). Duplicate keys become
 * `conflict {reason: 'unique', …}` with the stored ids that clash.
 */
export class MongoIndexes {
  private readonly appId: string;
  private readonly catalog: Catalog;

  constructor(options: { appId: string; catalog: Catalog }) {
    this.appId = options.appId;
    this.catalog = options.catalog;
  }

  async ensure(collection: string, index: IndexSpec): Promise<void> {
    assertCollectionName(collection);
    const spec = normaliseIndex(index);
    await guarded(async () => {
      const col = await this.catalog.collection(this.appId, collection, { register: true });
      const entry = await this.catalog.entry(this.appId, collection);
      if (spec.kind === 'text') {
        if (JSON.stringify(entry?.text) !== JSON.stringify(spec))
          await this.catalog.setText(this.appId, collection, spec);
        return;
      }
      const existing = entry?.indexes[spec.name];
      if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec)) return;
      // The new index is built first: if existing data violates it, nothing has changed.
      const others = Object.values(entry?.indexes ?? {}).filter((i) => i.spec.name !== spec.name);
      const stored: StoredIndex = { spec, physical: physicalIndexName(spec) };
      if (!others.some((i) => i.physical === stored.physical) && existing?.physical !== stored.physical) {
        try {
          await createPhysicalIndex({ col, index: stored, partialFilter: this.partialFilter });
        } catch (e) {
          if (isDuplicateKey(e)) {
            throw uniqueConflict({ collection, index: spec, ids: await clashingIds({ col, index: spec, doc: null }) });
          }
          const code = (e as { code?: number }).code;
          if (code !== 85 && code !== 86) throw e;
          stored.physical = await this.shareSameKeys(col, stored);
        }
      }
      await this.catalog.setIndex(this.appId, collection, stored);
      if (existing) await this.dropUnused({ collection, index: existing, remaining: [...others, stored] });
    });
  }

  async drop(collection: string, name: string): Promise<void> {
    assertCollectionName(collection);
    await guarded(async () => {
      const entry = await this.catalog.entry(this.appId, collection);
      if (!entry) return;
      if (entry.text?.name === name) return this.catalog.setText(this.appId, collection, null);
      const index = entry.indexes[name];
      if (!index) return;
      await this.catalog.unsetIndex(this.appId, collection, name);
      await this.dropUnused({
        collection,
        index,
        remaining: Object.values(entry.indexes).filter((i) => i.spec.name !== name),
      });
    });
  }

  async list(collection: string): Promise<IndexSpec[]> {
    assertCollectionName(collection);
    return guarded(async () => {
      const entry = await this.catalog.entry(this.appId, collection);
      if (!entry) return [];
      return [...Object.values(entry.indexes).map((i) => i.spec), ...(entry.text ? [entry.text] : [])];
    });
  }

  /** A duplicate key on writing `doc` → conflict naming the index and the stored ids it clashes with. */
  async uniqueError({
    e,
    collection,
    col,
    doc,
  }: {
    e: unknown;
    collection: string;
    col: Collection<RawDoc>;
    doc: StoredDocument;
  }): Promise<unknown> {
    const message = String((e as Error).message);
    const keyPattern = (e as { keyPattern?: Document }).keyPattern;
    const indexName = /index: (\S+)/.exec(message)?.[1];
    if (indexName === '_id_' || (keyPattern && Object.keys(keyPattern).join() === '_id'))
      return duplicateId(collection, doc.id);
    const entry = await this.catalog.entry(this.appId, collection);
    const index = Object.values(entry?.indexes ?? {}).find((i) => i.physical === indexName && i.spec.unique);
    if (!index) return mapMongoError(e);
    return uniqueConflict({ collection, index: index.spec, ids: await clashingIds({ col, index: index.spec, doc }) });
  }

  /**
   * MongoDB refuses a second index on the same keys with another name or options (e.g. one made
   * by hand, or by an older version). The spec then uses the existing index.
   */
  private async shareSameKeys(col: Collection<RawDoc>, stored: StoredIndex): Promise<string> {
    const keys = JSON.stringify(physicalKeys(stored.spec));
    const physical = (await col.indexes()).find((i) => JSON.stringify(Object.entries(i.key as Document)) === keys);
    if (!physical?.name || Boolean(physical.unique) !== Boolean(stored.spec.unique)) {
      throw unavailable('The database refused the index: another index on the same keys exists.');
    }
    return physical.name;
  }

  /** Unique indexes skip documents where an indexed field is missing or null (they never clash). */
  private readonly partialFilter = (paths: string[]): Document =>
    Object.fromEntries(paths.map((p) => [p, this.catalog.caps.typeLists ? { $type: NON_NULL_TYPES } : { $ne: null }]));

  /** Removes the physical index of `index` unless one of `remaining` still uses it. */
  private async dropUnused({
    collection,
    index,
    remaining,
  }: {
    collection: string;
    index: StoredIndex;
    remaining: StoredIndex[];
  }): Promise<void> {
    if (remaining.some((i) => i.physical === index.physical)) return;
    if (this.catalog.caps.nativeDrops) await this.catalog.dropPhysicalIndex(this.appId, collection, index.physical);
    else if (index.spec.unique)
      await this.catalog.rebuildWithout({
        app: this.appId,
        collection,
        keep: remaining,
        partialFilter: this.partialFilter,
      });
    // else: without native drops a non-unique index is left in place; it only costs write time.
  }
}

/**
 * Stored ids that clash on a unique index: with `doc` (ids other than its own holding the same
 * values), or among themselves when doc is null (existing data that a new index would reject).
 */
async function clashingIds({
  col,
  index,
  doc,
}: {
  col: Collection<RawDoc>;
  index: RegularIndex;
  doc: StoredDocument | null;
}): Promise<string[]> {
  const paths = index.fields.map((f) => f.path);
  if (doc) {
    const values = uniqueKeyValues(doc, index);
    if (!values) return [];
    const query = andQueries([
      { _id: { $ne: doc.id } },
      ...paths.map((p, i) => ({ [storedPath(p)]: { $eq: values[i] } })),
    ]);
    const rows = await col.find(query, { projection: { _id: 1 }, sort: { _id: 1 }, limit: MAX_CLASHING_IDS }).toArray();
    return rows.map((r) => String(r._id));
  }
  const groups = new Map<string, string[]>();
  const present = andQueries(paths.map((p) => ({ [storedPath(p)]: { $ne: null } })));
  for await (const raw of col.find(present, { sort: { _id: 1 } })) {
    const values = uniqueKeyValues(fromStored(raw), index) as JsonValue[] | null;
    if (!values) continue;
    const key = JSON.stringify(values);
    const ids = groups.get(key);
    if (ids) ids.push(String(raw._id));
    else groups.set(key, [String(raw._id)]);
  }
  return [...groups.values()]
    .filter((ids) => ids.length > 1)
    .flat()
    .slice(0, MAX_CLASHING_IDS);
}
