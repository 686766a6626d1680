import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { sha256 } from '../../lib/hash.js';
import { USER_COLLECTION_PATTERN } from '../../lib/ids.js';
import type { AppStore, StoredDocument } from '../../ports/document-store.js';
import { readAllArray } from '../../ports/read-all.js';
import {
  DEFAULT_RULES,
  type CollectionDef,
  type CollectionView,
  type FieldDef,
  type IndexDef,
  type Rules,
} from './collection.schema.js';
import { compileCollection, type CompiledCollection } from './collection.compile.js';
import { collectionErrors } from './collections.errors.js';

/**
 * Where collection schemas live and how requests get them compiled.
 *
 * Schemas are documents of the system store's `collections` collection, one per (app, name), with
 * a deterministic id (so creating one twice is a `conflict`, not a duplicate). The document's own
 * `version` is the schema version: it bumps on every change. Rules are stored as a JSON string,
 * since rule filters have `$`-keys that document stores treat specially.
 *
 * The registry caches compiled collections per (app, name, version). A cached entry is re-checked
 * against the stored version after CHECK_AFTER_MS, so a change made on another replica applies
 * within that time; a change made here applies at once (the service invalidates).
 */
export const SCHEMAS = 'collections';
const CHECK_AFTER_MS = 2_000;

export const schemaDocId = (appId: string, name: string): string => sha256(`${appId}/${name}`);

/**
 * Every stored schema of an app, by name (all of them: a missing one would be a wrong answer).
 * `fields` narrows what is read (the registry needs names only).
 */
export function readSchemas(system: AppStore, appId: string, fields?: string[]): Promise<StoredDocument[]> {
  return readAllArray(system, SCHEMAS, {
    filter: where.eq('appId', appId),
    sort: [{ path: 'name', dir: 1 }],
    pageSize: 500,
    max: Number.POSITIVE_INFINITY,
    ...(fields ? { fields } : {}),
  });
}

export function toStored(appId: string, def: CollectionDef): Record<string, JsonValue> {
  return {
    appId,
    name: def.name,
    fields: def.fields as unknown as JsonValue,
    indexes: def.indexes as unknown as JsonValue,
    strict: def.strict,
    rulesJson: JSON.stringify(def.rules),
  };
}

export function fromStored(doc: StoredDocument): { appId: string; def: CollectionDef } {
  const rules = { ...DEFAULT_RULES, ...(JSON.parse(String(doc.rulesJson ?? '{}')) as Partial<Rules>) };
  return {
    appId: String(doc.appId),
    def: {
      name: String(doc.name),
      fields: (doc.fields as FieldDef[]) ?? [],
      indexes: (doc.indexes as IndexDef[]) ?? [],
      strict: doc.strict !== false,
      rules,
    },
  };
}

export function toView(doc: StoredDocument): CollectionView {
  const { appId, def } = fromStored(doc);
  return { appId, ...def, version: doc.version, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

interface Entry {
  compiled: CompiledCollection | null;
  checkedAt: number;
}

export class CollectionRegistry {
  private readonly cache = new Map<string, Entry>();
  private readonly byApp = new Map<string, { names: string[]; checkedAt: number }>();

  private readonly system: AppStore;
  private readonly now: () => Date;

  constructor(options: { system: AppStore; now: () => Date }) {
    this.system = options.system;
    this.now = options.now;
  }

  async init(): Promise<void> {
    await this.system.ensureIndex(SCHEMAS, {
      kind: 'regular',
      name: 'by_app',
      fields: [
        { path: 'appId', dir: 1 },
        { path: 'name', dir: 1 },
      ],
    });
  }

  /** The compiled collection, or null when the app has no such (user) collection. */
  async get(appId: string, name: string): Promise<CompiledCollection | null> {
    if (!USER_COLLECTION_PATTERN.test(name)) return null;
    const key = `${appId}/${name}`;
    const nowMs = this.now().getTime();
    const hit = this.cache.get(key);
    if (hit && nowMs - hit.checkedAt < CHECK_AFTER_MS) return hit.compiled;
    const doc = await this.system.get(SCHEMAS, schemaDocId(appId, name));
    let compiled: CompiledCollection | null = null;
    if (doc) {
      compiled =
        hit?.compiled && hit.compiled.version === doc.version
          ? hit.compiled
          : compileCollection(appId, fromStored(doc).def, doc.version);
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { compiled, checkedAt: nowMs });
    return compiled;
  }

  /** Like get, but a missing collection is `not_found`. */
  async require(appId: string, name: string): Promise<CompiledCollection> {
    const col = await this.get(appId, name);
    if (!col) throw collectionErrors.noSuchCollection(name);
    return col;
  }

  /** Every collection of an app (names cached like schemas). */
  async list(appId: string): Promise<CompiledCollection[]> {
    const nowMs = this.now().getTime();
    let names = this.byApp.get(appId);
    if (!names || nowMs - names.checkedAt >= CHECK_AFTER_MS) {
      const found = await readSchemas(this.system, appId, ['name']);
      names = { names: found.map((d) => String(d.name)), checkedAt: nowMs };
      if (this.byApp.size > 10_000) this.byApp.clear();
      this.byApp.set(appId, names);
    }
    const out: CompiledCollection[] = [];
    for (const name of names.names) {
      const col = await this.get(appId, name);
      if (col) out.push(col);
    }
    return out;
  }

  /** Drops cached entries after a local change. */
  invalidate(appId: string, name?: string): void {
    if (name) this.cache.delete(`${appId}/${name}`);
    else for (const key of this.cache.keys()) if (key.startsWith(`${appId}/`)) this.cache.delete(key);
    this.byApp.delete(appId);
  }
}
