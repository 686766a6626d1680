import type { AppStore, BatchOp, DocumentStore, IndexSpec, StoredDocument } from '../../src/ports/document-store.js';
import { readAllArray } from '../../src/ports/read-all.js';

/**
 * A DocumentStore decorator that lets the fuzzer prove "a rejected request changed nothing"
 * without reading the whole store around every request:
 *
 * - it learns every collection any code names (system app and every app);
 * - inside a window (one request), before a write lets through, it keeps a before-image of what
 *   the write can touch: the document of an update/replace/delete (by id, `null` when missing),
 *   the documents named by a batch, the index list of an index change, and the whole collection
 *   (every document and index) for dropCollection/dropApp; a create's new id is noted once known;
 * - after the request, `changes(window)` reads the same things again and returns what differs.
 *
 * Every piece of state goes through the DocumentStore port (docs/architecture.md), so nothing a
 * window did not write can have changed. Rate-limit counters live behind the limiter port
 * (memory or Redis), not here: they are expected to move on a rejected request (that is how
 * lockouts work) and are not part of the comparison.
 */
export interface Write {
  appId: string;
  collection: string;
  op: string;
}

type Image = StoredDocument | null;

export interface Window {
  writes: Write[];
  /** app/collection/id → the document before the window's first write to it. */
  documents: Map<string, Promise<Image>>;
  /** app/collection → its index list before the window's first index change. */
  indexes: Map<string, Promise<IndexSpec[] | string>>;
  /** app/collection → all of it, before a drop. */
  whole: Map<string, Promise<CollectionState>>;
}

export interface CollectionState {
  documents: StoredDocument[];
  indexes: IndexSpec[] | string;
}

export interface Change {
  appId: string;
  collection: string;
  added: StoredDocument[];
  removed: StoredDocument[];
  modified: Array<{ before: StoredDocument; after: StoredDocument }>;
  indexesChanged: boolean;
}

const SEP = '\u0000';
const keyOf = (...parts: string[]) => parts.join(SEP);
const splitKey = (key: string) => key.split(SEP) as [string, string, string?];

export class StoreRecorder {
  readonly store: DocumentStore;
  private readonly collections = new Map<string, Set<string>>();
  private window: Window | null = null;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(readonly inner: DocumentStore) {
    this.store = {
      engine: inner.engine,
      forApp: (appId: string): AppStore => this.wrap(inner.forApp(appId)),
      ping: () => inner.ping(),
      close: () => inner.close(),
    };
  }

  /** Collections seen so far, by app. */
  known(): Map<string, Set<string>> {
    return this.collections;
  }

  begin(): void {
    if (this.window) throw new Error('fuzzer: a recording window is already open');
    this.window = { writes: [], documents: new Map(), indexes: new Map(), whole: new Map() };
  }

  end(): Window {
    const w = this.window;
    if (!w) throw new Error('fuzzer: no recording window is open');
    this.window = null;
    return w;
  }

  /** Resolves once no store call started so far is still running (fire-and-forget work included). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  async read(appId: string, collection: string): Promise<CollectionState> {
    const documents = await readAllArray(this.inner.forApp(appId), collection, { max: 1_000_000 });
    return { documents, indexes: await this.readIndexes(appId, collection) };
  }

  private async readIndexes(appId: string, collection: string): Promise<IndexSpec[] | string> {
    try {
      return await this.inner.forApp(appId).listIndexes(collection);
    } catch (e) {
      return `unreadable: ${(e as Error).message}`;
    }
  }

  private readDocument(appId: string, collection: string, id: string): Promise<Image> {
    return this.inner.forApp(appId).get(collection, id);
  }

  /** What the window's writes changed, collection by collection (empty: nothing). */
  async changes(window: Window): Promise<Change[]> {
    const byCollection = new Map<string, Change>();
    const changeOf = (appId: string, collection: string): Change => {
      const k = keyOf(appId, collection);
      let c = byCollection.get(k);
      if (!c)
        byCollection.set(k, (c = { appId, collection, added: [], removed: [], modified: [], indexesChanged: false }));
      return c;
    };
    for (const [key, beforeP] of window.whole) {
      const [appId, collection] = splitKey(key);
      const d = diff(await beforeP, await this.read(appId, collection));
      if (d) Object.assign(changeOf(appId, collection), d);
    }
    for (const [key, beforeP] of window.documents) {
      const [appId, collection, id] = splitKey(key);
      if (window.whole.has(keyOf(appId, collection))) continue;
      const before = await beforeP;
      const after = await this.readDocument(appId, collection, id!);
      if (!before && after) changeOf(appId, collection).added.push(after);
      else if (before && !after) changeOf(appId, collection).removed.push(before);
      else if (before && after && stable(before) !== stable(after))
        changeOf(appId, collection).modified.push({ before, after });
    }
    for (const [key, beforeP] of window.indexes) {
      const [appId, collection] = splitKey(key);
      if (window.whole.has(key)) continue;
      if (stable(await beforeP) !== stable(await this.readIndexes(appId, collection))) {
        changeOf(appId, collection).indexesChanged = true;
      }
    }
    return [...byCollection.values()].filter(
      (c) => c.added.length || c.removed.length || c.modified.length || c.indexesChanged,
    );
  }

  private see(appId: string, collection: string): void {
    let set = this.collections.get(appId);
    if (!set) this.collections.set(appId, (set = new Set()));
    set.add(collection);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Before-images for one write; resolves when they are taken. */
  private async images(
    appId: string,
    op: string,
    targets: Array<{ collection: string; id?: string; indexes?: boolean; whole?: boolean }>,
  ): Promise<void> {
    const w = this.window;
    if (!w) return;
    const waits: Promise<unknown>[] = [];
    for (const t of targets) {
      w.writes.push({ appId, collection: t.collection, op });
      const once = <T>(map: Map<string, Promise<T>>, key: string, take: () => Promise<T>) => {
        if (!map.has(key)) map.set(key, take());
        waits.push(map.get(key)!);
      };
      if (t.whole) once(w.whole, keyOf(appId, t.collection), () => this.read(appId, t.collection));
      if (t.indexes) once(w.indexes, keyOf(appId, t.collection), () => this.readIndexes(appId, t.collection));
      if (t.id !== undefined)
        once(w.documents, keyOf(appId, t.collection, t.id), () => this.readDocument(appId, t.collection, t.id!));
    }
    await Promise.all(waits);
  }

  /** A create's id is only known once it returns: its before-image is "missing". */
  private created(appId: string, collection: string, doc: StoredDocument): StoredDocument {
    const w = this.window;
    const key = keyOf(appId, collection, doc.id);
    if (w && !w.documents.has(key)) w.documents.set(key, Promise.resolve(null));
    return doc;
  }

  private wrap(app: AppStore): AppStore {
    const appId = app.appId;
    const run = <T>(collections: string[], before: Promise<void>, fn: () => Promise<T>): Promise<T> => {
      for (const c of collections) this.see(appId, c);
      return this.track(before.then(fn));
    };
    const read =
      <A extends unknown[], R>(fn: (c: string, ...a: A) => Promise<R>) =>
      (c: string, ...a: A): Promise<R> =>
        run([c], Promise.resolve(), () => fn.call(app, c, ...a));
    const byId =
      <A extends unknown[], R>(op: string, fn: (c: string, id: string, ...a: A) => Promise<R>) =>
      (c: string, id: string, ...a: A): Promise<R> =>
        run([c], this.images(appId, op, [{ collection: c, id }]), () => fn.call(app, c, id, ...a));
    const onIndexes =
      <A extends unknown[], R>(op: string, fn: (c: string, ...a: A) => Promise<R>) =>
      (c: string, ...a: A): Promise<R> =>
        run([c], this.images(appId, op, [{ collection: c, indexes: true }]), () => fn.call(app, c, ...a));
    return {
      appId,
      get: read(app.get),
      find: read(app.find),
      findJson: read(app.findJson),
      count: read(app.count),
      aggregate: read(app.aggregate),
      listIndexes: read(app.listIndexes),
      create: (c, input) =>
        run(
          [c],
          this.images(appId, 'create', input.id ? [{ collection: c, id: input.id }] : [{ collection: c }]),
          async () => this.created(appId, c, await app.create(c, input)),
        ),
      update: byId('update', app.update),
      replace: byId('replace', app.replace),
      delete: byId('delete', app.delete),
      ensureIndex: onIndexes('ensureIndex', app.ensureIndex),
      dropIndex: onIndexes('dropIndex', app.dropIndex),
      dropCollection: (c) =>
        run([c], this.images(appId, 'dropCollection', [{ collection: c, whole: true }]), () => app.dropCollection(c)),
      batch: (ops: BatchOp[], options) => {
        const targets = ops.map((o) => ({ collection: o.collection, ...('id' in o && o.id ? { id: o.id } : {}) }));
        return run(
          ops.map((o) => o.collection),
          this.images(appId, 'batch', targets),
          async () => {
            const docs = await app.batch(ops, options);
            ops.forEach((o, i) => {
              if (o.op === 'create' && docs[i]) this.created(appId, o.collection, docs[i]);
            });
            return docs;
          },
        );
      },
      listCollections: () => run([], Promise.resolve(), () => app.listCollections()),
      importDocuments: (c, docs) =>
        run([c], this.images(appId, 'importDocuments', [{ collection: c, whole: true }]), () =>
          app.importDocuments(c, docs),
        ),
      dropApp: () => {
        const targets = [...(this.collections.get(appId) ?? [])].map((collection) => ({ collection, whole: true }));
        return run([], this.images(appId, 'dropApp', targets), () => app.dropApp());
      },
    };
  }
}

const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

function diff(before: CollectionState, after: CollectionState): Omit<Change, 'appId' | 'collection'> | null {
  const was = new Map(before.documents.map((d) => [d.id, d]));
  const is = new Map(after.documents.map((d) => [d.id, d]));
  const added = after.documents.filter((d) => !was.has(d.id));
  const removed = before.documents.filter((d) => !is.has(d.id));
  const modified: Change['modified'] = [];
  for (const [id, b] of was) {
    const a = is.get(id);
    if (a && stable(a) !== stable(b)) modified.push({ before: b, after: a });
  }
  const indexesChanged = stable(before.indexes) !== stable(after.indexes);
  if (!added.length && !removed.length && !modified.length && !indexesChanged) return null;
  return { added, removed, modified, indexesChanged };
}

/** The fields that differ between two versions of a document. */
export function changedFields(before: StoredDocument, after: StoredDocument): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => stable(before[k]) !== stable(after[k])).sort();
}
