import { HearthError } from '../../errors.js';
import { sha256 } from '../../lib/hash.js';
import type { AppStore, IndexSpec } from '../../ports/document-store.js';
import { AUTO_INDEX_PREFIX, type CollectionDef, type RuleDef } from './collection.schema.js';

/**
 * The indexes a collection definition implies, and bringing an engine's indexes in line with
 * them online. Besides the admin's own `indexes`, Hearth keeps:
 * - `auto_unique_<field>` for each `unique` field,
 * - `auto_rel_<field>` for each relation (onDelete lookups and expand),
 * - `auto_text` over the searchable fields (`$text`),
 * - `auto_created` and `auto_owner` for the default sort and the default owner rules,
 * - `auto_owner_<name>` for each of the admin's indexes when the list rule restricts `owner` by
 *   equality (`{"owner": "@auth.id"}`, also inside a top-level `$and`): the same keys behind
 *   `owner`, so a signed-in list with the index's filter and sort is one index range (the rule's
 *   condition and the filter cannot share the admin's index; without it the engine walks every
 *   document of the filter, or every document of the owner, and sorts). Never unique.
 */
export function desiredIndexes(def: CollectionDef): IndexSpec[] {
  const out: IndexSpec[] = [
    { kind: 'regular', name: `${AUTO_INDEX_PREFIX}created`, fields: [{ path: 'createdAt', dir: 1 }] },
    {
      kind: 'regular',
      name: `${AUTO_INDEX_PREFIX}owner`,
      fields: [
        { path: 'owner', dir: 1 },
        { path: 'createdAt', dir: 1 },
      ],
    },
  ];
  for (const f of def.fields) {
    if (f.unique)
      out.push({
        kind: 'regular',
        name: `${AUTO_INDEX_PREFIX}unique_${f.name}`,
        fields: [{ path: f.name, dir: 1 }],
        unique: true,
      });
    const isRelation = f.type === 'relation' || (f.type === 'array' && f.of?.type === 'relation');
    if (isRelation)
      out.push({ kind: 'regular', name: `${AUTO_INDEX_PREFIX}rel_${f.name}`, fields: [{ path: f.name, dir: 1 }] });
  }
  const searchable = def.fields.filter((f) => f.searchable).map((f) => f.name);
  if (searchable.length) out.push({ kind: 'text', name: `${AUTO_INDEX_PREFIX}text`, fields: searchable });
  const twins: IndexSpec[] = [];
  for (const index of def.indexes) {
    const fields = index.fields.map((key) =>
      key.startsWith('-') ? { path: key.slice(1), dir: -1 as const } : { path: key, dir: 1 as const },
    );
    out.push({ kind: 'regular', name: index.name, fields, ...(index.unique ? { unique: true } : {}) });
    if (fields[0]!.path !== 'owner') {
      twins.push({
        kind: 'regular',
        name: twinName(index.name),
        fields: [{ path: 'owner', dir: 1 }, ...fields.filter((f) => f.path !== 'owner')],
      });
    }
  }
  if (!listRestrictsOwner(def.rules.list)) return out;
  // A twin whose keys another index already has is left out (MongoDB refuses the same keys under
  // two names), and twins stop at MongoDB's 64 indexes per collection (its own `_id` included).
  const keys = new Set(out.map(keysOf));
  for (const twin of twins) {
    if (out.length >= MAX_INDEXES - 1 || keys.has(keysOf(twin))) continue;
    keys.add(keysOf(twin));
    out.push(twin);
  }
  return out;
}

const MAX_INDEXES = 64;
/** The engines' longest index name (engines/shared/documents.ts). */
const MAX_INDEX_NAME = 63;

/**
 * `auto_owner_<name>`, or for a long admin name (over 52 characters) its first 40 characters and
 * a hash of the whole name, so the twin's name is always one the engines take and stays unique.
 */
export function twinName(name: string): string {
  const plain = `${AUTO_INDEX_PREFIX}owner_${name}`;
  if (plain.length <= MAX_INDEX_NAME) return plain;
  return `${AUTO_INDEX_PREFIX}owner_${name.slice(0, 40)}_${sha256(name).slice(0, 8)}`;
}
const keysOf = (spec: IndexSpec): string =>
  spec.kind === 'text' ? 'text' : spec.fields.map((f) => `${f.dir === -1 ? '-' : ''}${f.path}`).join(',');

/** Whether every document a list rule lets through has one `owner` value: an equality on `owner` at its top. */
export function listRestrictsOwner(rule: RuleDef): boolean {
  if (rule === null || typeof rule !== 'object') return false;
  const ownerEq = (part: unknown): boolean => {
    if (part === null || typeof part !== 'object' || Array.isArray(part)) return false;
    const cond = (part as Record<string, unknown>).owner;
    if (typeof cond === 'string') return true;
    if (cond === null || typeof cond !== 'object') return false;
    const keys = Object.keys(cond);
    return keys.length === 1 && keys[0] === '$eq' && typeof (cond as { $eq: unknown }).$eq === 'string';
  };
  return ownerEq(rule) || (Array.isArray(rule.$and) && rule.$and.some(ownerEq));
}

const signature = (spec: IndexSpec): string =>
  spec.kind === 'text'
    ? `text:${spec.fields.join(',')}`
    : `regular:${spec.fields.map((f) => `${f.dir === -1 ? '-' : ''}${f.path}`).join(',')}:${spec.unique ? 'u' : ''}`;

export interface IndexPlan {
  create: IndexSpec[];
  drop: string[];
}

/** What to create and drop to get from `current` to `desired` (a changed index is dropped and re-created). */
export function planIndexes(current: IndexSpec[], desired: IndexSpec[]): IndexPlan {
  const have = new Map(current.map((s) => [s.name, s]));
  const want = new Map(desired.map((s) => [s.name, s]));
  const create: IndexSpec[] = [];
  const drop: string[] = [];
  for (const [name, spec] of want) {
    const existing = have.get(name);
    if (!existing) create.push(spec);
    else if (signature(existing) !== signature(spec)) {
      drop.push(name);
      create.push(spec);
    }
  }
  for (const name of have.keys()) if (!want.has(name)) drop.push(name);
  return { create, drop };
}

/**
 * Applies the index changes a new definition needs, in an order that keeps data safe: new
 * unique indexes first (existing data that violates one refuses the change with `conflict`
 * naming the clashing ids, and indexes made so far are removed again); old indexes are dropped
 * last, by `finish`, once the caller has stored the new definition.
 */
export async function applyIndexes(
  store: AppStore,
  collection: string,
  desired: IndexSpec[],
): Promise<{ finish: () => Promise<void> }> {
  const current = await store.listIndexes(collection);
  const plan = planIndexes(current, desired);
  const created: string[] = [];
  const replaced = new Set(plan.drop.filter((name) => plan.create.some((s) => s.name === name)));
  const textChanges = plan.create.some((s) => s.kind === 'text');
  try {
    // An index whose definition changed must go before its new version is made; a collection
    // has at most one text index.
    for (const name of plan.drop) {
      const old = current.find((s) => s.name === name);
      if (replaced.has(name) || (textChanges && old?.kind === 'text')) await store.dropIndex(collection, name);
    }
    for (const spec of plan.create) {
      await store.ensureIndex(collection, spec);
      created.push(spec.name);
    }
  } catch (e) {
    for (const name of created) await store.dropIndex(collection, name).catch(() => {});
    if (e instanceof HearthError && e.code === 'conflict') {
      const details = (e.details ?? {}) as Record<string, unknown>;
      throw new HearthError('conflict', 'Existing documents violate a unique index; fix them first.', {
        reason: 'unique',
        ...details,
      });
    }
    throw e;
  }
  return {
    finish: async () => {
      for (const name of plan.drop) {
        if (replaced.has(name)) continue;
        const old = current.find((s) => s.name === name);
        if (textChanges && old?.kind === 'text') continue;
        await store.dropIndex(collection, name);
      }
    },
  };
}
