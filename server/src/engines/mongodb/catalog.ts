import { createHash } from 'node:crypto';
import { MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import { NAME_PATTERN } from '../../lib/ids.js';
import type { IndexSpec } from '../../ports/document-store.js';
import { isUnsupported } from './errors.js';
import { storedPath } from './paths.js';

/**
 * Where an app's collection lives, and what the engine knows about it.
 *
 * Isolation by construction: the documents of (app, collection) are in their own MongoDB
 * collection named `a.<appId>.<collection>`. App ids never contain a dot (ID_PATTERN) and
 * collection names never do (NAME_PATTERN), so the name splits back uniquely and two apps can
 * never share one. Length: an app id has at most 64 characters and a collection name 63, so the
 * name has at most 130 and the namespace `<db>.<name>` at most 64 + 1 + 130 + a generation
 * suffix < 255 bytes, MongoDB's namespace limit since 4.4 (the database name is checked to be at
 * most 63 characters when connecting).
 *
 * The catalog collection `_hearth_collections` (a name no app collection can take: they start
 * with `a.`) has one entry per collection ever written: `{_id: base name, app, collection, gen,
 * indexes, text}`. It holds the port's index specs (listIndexes answers in the port's terms, and
 * `$text` needs the text index's fields) and lets dropApp find an app's collections on servers
 * without listCollections.
 *
 * Generations exist only for servers that cannot drop collections or indexes (the jongodb test
 * server): there, dropping a collection, or an index that enforces something (unique), moves the
 * collection to a new physical name `<base>~<gen>` so nothing of the old one applies any more.
 * On MongoDB proper, drops are native and the generation stays 0 (the name is the base name).
 */

export const CATALOG = '_hearth_collections';

/** A document as stored: `_id` is the port's id (a string). */
export interface RawDoc {
  _id: string;
  [field: string]: unknown;
}

export interface Capabilities {
  /** Multi-document transactions (replica set or sharded cluster). */
  transactions: boolean;
  /** `drop` and `dropIndexes` exist. */
  nativeDrops: boolean;
  /** `$type` accepts a list of types (used in partial index filters). */
  typeLists: boolean;
}

export interface StoredIndex {
  spec: Extract<IndexSpec, { kind: 'regular' }>;
  /** The MongoDB index serving it (several specs may share one). */
  physical: string;
}

export interface CatalogEntry {
  _id: string;
  app: string;
  collection: string;
  gen: number;
  /** Regular indexes by name, in creation order (a map, so concurrent changes of two indexes both land). */
  indexes: Record<string, StoredIndex>;
  text: Extract<IndexSpec, { kind: 'text' }> | null;
}

export const baseName = (app: string, collection: string): string => `a.${app}.${collection}`;

const physicalName = (base: string, gen: number): string => (gen === 0 ? base : `${base}~${gen}`);

/** The MongoDB index name for a key pattern (+ uniqueness): specs with the same keys share it. */
export function physicalIndexName(spec: Extract<IndexSpec, { kind: 'regular' }>): string {
  const signature = JSON.stringify([spec.fields.map((f) => [f.path, f.dir]), spec.unique === true]);
  return `hearth_${createHash('sha256').update(signature).digest('base64url').slice(0, 16)}`;
}

export class Catalog {
  readonly entries: Collection<CatalogEntry>;
  /** Base names known to be in the catalog (this process registered or saw them). */
  private readonly registered = new Set<string>();
  /** Generation per base name (only consulted when drops are not native). */
  private readonly generations = new Map<string, number>();

  private readonly db: Db;
  readonly caps: Capabilities;

  constructor(options: { db: Db; caps: Capabilities }) {
    this.db = options.db;
    this.caps = options.caps;
    this.entries = options.db.collection<CatalogEntry>(CATALOG);
  }

  async init(): Promise<void> {
    await this.entries.createIndex({ app: 1 }, { name: 'app' });
  }

  /** The MongoDB collection of (app, collection); with `register`, it is recorded in the catalog first. */
  async collection(app: string, collection: string, options: { register?: boolean } = {}): Promise<Collection<RawDoc>> {
    const base = baseName(app, collection);
    if (options.register && !this.registered.has(base)) {
      await this.entries.updateOne(
        { _id: base },
        { $setOnInsert: { app, collection, gen: 0, indexes: {}, text: null } },
        { upsert: true },
      );
      this.registered.add(base);
    }
    return this.db.collection<RawDoc>(physicalName(base, await this.generation(base)));
  }

  private async generation(base: string): Promise<number> {
    if (this.caps.nativeDrops) return 0;
    const known = this.generations.get(base);
    if (known !== undefined) return known;
    const entry = await this.entries.findOne({ _id: base }, { projection: { gen: 1 } });
    const gen = entry?.gen ?? 0;
    this.generations.set(base, gen);
    return gen;
  }

  /** The catalog entry, read fresh (another server process may have changed indexes). */
  async entry(app: string, collection: string): Promise<CatalogEntry | null> {
    return this.entries.findOne({ _id: baseName(app, collection) });
  }

  // setIndex/setText upsert: another server process may have dropped the collection (and its
  // entry) while this one still remembers it as registered.
  async setIndex(app: string, collection: string, index: StoredIndex): Promise<void> {
    await this.entries.updateOne(
      { _id: baseName(app, collection) },
      { $set: { [`indexes.${index.spec.name}`]: index }, $setOnInsert: { app, collection, gen: 0, text: null } },
      { upsert: true },
    );
  }

  async unsetIndex(app: string, collection: string, name: string): Promise<void> {
    await this.entries.updateOne({ _id: baseName(app, collection) }, { $unset: { [`indexes.${name}`]: '' } });
  }

  async setText(app: string, collection: string, text: CatalogEntry['text']): Promise<void> {
    await this.entries.updateOne(
      { _id: baseName(app, collection) },
      { $set: { text }, $setOnInsert: { app, collection, gen: 0, indexes: {} } },
      { upsert: true },
    );
  }

  async entriesOf(app: string): Promise<CatalogEntry[]> {
    return this.entries.find({ app }).toArray();
  }

  /**
   * Removes the collection: natively when the server can drop collections; otherwise its
   * documents are deleted and it moves to a new generation (the old physical collection keeps
   * its now useless indexes but is never used again).
   */
  async drop(app: string, collection: string): Promise<void> {
    const base = baseName(app, collection);
    this.registered.delete(base);
    if (this.caps.nativeDrops) {
      await dropNative(this.db, base);
      await this.entries.deleteOne({ _id: base });
      return;
    }
    const gen = await this.generation(base);
    await this.db.collection(physicalName(base, gen)).deleteMany({});
    // The entry stays (with the next generation) so the old physical name is never reused.
    await this.entries.updateOne(
      { _id: base },
      { $set: { gen: gen + 1, indexes: {}, text: null }, $setOnInsert: { app, collection } },
      { upsert: true },
    );
    this.generations.set(base, gen + 1);
  }

  /**
   * Without native index drops: copies the documents to the next generation, building only the
   * `keep` indexes there, then empties the old one. Not atomic with concurrent writes (it exists
   * for a test server; MongoDB proper drops indexes natively).
   */
  async rebuildWithout({
    app,
    collection,
    keep,
    partialFilter,
  }: {
    app: string;
    collection: string;
    keep: StoredIndex[];
    partialFilter: PartialFilterBuilder;
  }): Promise<void> {
    const base = baseName(app, collection);
    const gen = await this.generation(base);
    const from = this.db.collection<RawDoc>(physicalName(base, gen));
    const to = this.db.collection<RawDoc>(physicalName(base, gen + 1));
    await to.deleteMany({});
    for (const index of uniqueByPhysical(keep)) await createPhysicalIndex({ col: to, index, partialFilter });
    let batch: RawDoc[] = [];
    for await (const doc of from.find({})) {
      batch.push(doc);
      if (batch.length >= 500) {
        await to.insertMany(batch);
        batch = [];
      }
    }
    if (batch.length) await to.insertMany(batch);
    await this.entries.updateOne(
      { _id: base },
      { $set: { gen: gen + 1, indexes: Object.fromEntries(keep.map((i) => [i.spec.name, i])) } },
    );
    this.generations.set(base, gen + 1);
    await from.deleteMany({});
  }

  /** Drops one physical index (natively, ignoring "not found"). */
  async dropPhysicalIndex(app: string, collection: string, physical: string): Promise<void> {
    const col = await this.collection(app, collection);
    try {
      await col.dropIndex(physical);
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code !== 26 && code !== 27) throw e;
    }
  }

  /** The app's collections according to the server (MongoDB proper), to catch any the catalog missed. */
  async listAppCollections(app: string): Promise<string[]> {
    if (!this.caps.nativeDrops) return [];
    const prefix = `a.${app}.`;
    try {
      const found = await this.db
        .listCollections({ name: { $regex: `^${prefix.replace(/\./g, '\\.')}` } }, { nameOnly: true })
        .toArray();
      return found.map((c) => c.name.slice(prefix.length)).filter((name) => NAME_PATTERN.test(name));
    } catch (e) {
      // Best effort: without listCollections (or the privilege for it) the catalog alone decides.
      if (e instanceof MongoServerError) return [];
      throw e;
    }
  }

  forget(app: string): void {
    for (const base of [...this.registered]) if (base.startsWith(`a.${app}.`)) this.registered.delete(base);
  }
}

function uniqueByPhysical(indexes: StoredIndex[]): StoredIndex[] {
  const seen = new Set<string>();
  return indexes.filter((i) => !seen.has(i.physical) && seen.add(i.physical));
}

export async function dropNative(db: Db, name: string): Promise<void> {
  try {
    await db.collection(name).drop();
  } catch (e) {
    if ((e as { code?: number }).code !== 26) throw e; // NamespaceNotFound: nothing to drop
  }
}

export type PartialFilterBuilder = (paths: string[]) => Document;

/**
 * The MongoDB key pattern of a spec. A non-unique index ends with `_id` (like the SQLite engine's
 * `id` column): the port's order always ends with `id` ascending, so an ascending sort on the
 * index's keys is read from the index without a sort stage, and keyset cursors seek into it.
 */
export function physicalKeys(spec: StoredIndex['spec']): Array<[string, 1 | -1]> {
  const keys: Array<[string, 1 | -1]> = spec.fields.map((f) => [storedPath(f.path), f.dir]);
  if (!spec.unique && !keys.some(([path]) => path === '_id')) keys.push(['_id', 1]);
  return keys;
}

export async function createPhysicalIndex({
  col,
  index,
  partialFilter,
}: {
  col: Collection<RawDoc>;
  index: StoredIndex;
  partialFilter: PartialFilterBuilder;
}): Promise<void> {
  const keys = new Map<string, 1 | -1>(physicalKeys(index.spec));
  const paths = index.spec.fields.map((f) => storedPath(f.path));
  await col.createIndex(keys as unknown as Document, {
    name: index.physical,
    ...(index.spec.unique ? { unique: true, partialFilterExpression: partialFilter(paths) } : {}),
  });
}

/** Probes what the server supports, without side effects on data. */
export async function probeCapabilities({
  db,
  hello,
  allowTransactions,
}: {
  db: Db;
  /** The server's `hello` (or `isMaster`) answer. */
  hello: Document;
  allowTransactions: boolean;
}): Promise<Capabilities> {
  const replicated = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
  const transactions = allowTransactions && replicated && hello.logicalSessionTimeoutMinutes != null;
  let nativeDrops = true;
  try {
    await db.command({ dropIndexes: CATALOG, index: 'hearth_probe_no_such_index' });
  } catch (e) {
    if (isUnsupported(e)) nativeDrops = false;
  }
  let typeLists = true;
  try {
    // A server only checks the operator when a document reaches it, so one is there to test.
    const probes = db.collection<{ _id: string; probe: number }>(CATALOG);
    await probes.updateOne({ _id: '_probe' }, { $set: { probe: 1 } }, { upsert: true });
    await probes.findOne({ _id: '_probe', probe: { $type: ['string', 'number'] } } as Document);
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 2 || code === 14 || isUnsupported(e)) typeLists = false;
    else throw e;
  }
  return { transactions, nativeDrops, typeLists };
}
