import { HearthError } from '../../errors.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { AppStore, BatchOp, BatchRequirement, StoredDocument, UpdateSpec } from '../../ports/document-store.js';
import type { CompiledCollection, RelationInfo } from './collection.compile.js';
import type { CollectionRegistry } from './registry.js';
import { validationFailed, newFieldErrors, type FieldErrors } from './validate.js';

/**
 * Referential integrity for relation fields.
 * - On write, every id in a relation field must name an existing document of the target
 *   collection that the caller may read (its `get` rule; otherwise it is "missing", exactly like
 *   an id that does not exist).
 * - On delete, each relation pointing at the deleted document applies its `onDelete`:
 *   `restrict` (default) refuses the delete with `conflict` while references exist, `cascade`
 *   deletes the referencing documents too (recursively), `setNull` clears the reference (null
 *   for a single relation, the id pulled from an array). Everything happens in one all-or-nothing
 *   batch with the delete. Cascades act for the schema, not the caller: the referencing
 *   collections' rules do not apply to them, exactly like a foreign key in SQL.
 */
const CHUNK = 1_000;
/** The most documents one delete may touch through cascades and set-nulls. */
export const MAX_CASCADE = 1_000;

const idsIn = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : [];

/**
 * The caller's read (`get`) rule on a target collection: undefined = no restriction (secret
 * key, admin), null = nothing visible. A caller may only point at documents it may read, so a
 * reference can neither probe for invisible ids nor pin another user's document (with
 * `restrict`, a reference blocks its owner's delete).
 */
export type TargetRule = (targetCollection: string) => Promise<FilterNode | undefined | null>;

/** Checks the relation fields present in `data` (or only `fields`) point to existing documents the caller may read. */
export async function assertRelationTargets(
  store: AppStore,
  col: CompiledCollection,
  data: Record<string, unknown>,
  targetRule: TargetRule,
  fields?: ReadonlySet<string>,
): Promise<void> {
  const errors: FieldErrors = newFieldErrors();
  for (const rel of col.relations) {
    if (!Object.hasOwn(data, rel.field) || (fields && !fields.has(rel.field))) continue;
    const value = data[rel.field];
    const ids = [...new Set(idsIn(value))];
    if (ids.length === 0) continue;
    const existing = new Set<string>();
    const rule = await targetRule(rel.to);
    for (let i = 0; i < ids.length && rule !== null; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const byId: FilterNode = { op: 'field', path: 'id', conds: [{ op: 'in', values: chunk }] };
      const page = await store.find(rel.to, {
        filter: rule ? { op: 'and', children: [byId, rule] } : byId,
        limit: chunk.length,
        fields: ['id'],
      });
      for (const d of page.items) existing.add(d.id);
    }
    if (rel.many) {
      idsIn(value).forEach((id, i) => {
        if (!existing.has(id)) errors[`${rel.field}.${i}`] = `refers to a missing ${rel.to} document`;
      });
    } else if (typeof value === 'string' && !existing.has(value)) {
      errors[rel.field] = `refers to a missing ${rel.to} document`;
    }
  }
  if (Object.keys(errors).length) throw validationFailed(errors);
}

export interface CascadeEffect {
  type: 'delete' | 'update';
  collection: string;
  before: StoredDocument;
}

export interface DeletePlan {
  /** Ops to run in the same batch after the main delete. */
  ops: BatchOp[];
  /** One per op, for events. */
  effects: CascadeEffect[];
  /** Checked in the batch's transaction: nothing refers to a deleted document any more. */
  requires: BatchRequirement[];
}

/**
 * What a write's relation fields need to hold at commit, checked in the same transaction as the
 * write (the checks in assertRelationTargets run before it): each referenced document still
 * exists. With the delete plans' requirements this closes the race between a write that adds a
 * reference and a concurrent delete of its target.
 */
export function relationRequirements(col: CompiledCollection, data: Record<string, unknown>): BatchRequirement[] {
  const out: BatchRequirement[] = [];
  for (const rel of col.relations) {
    if (!Object.hasOwn(data, rel.field)) continue;
    for (const id of new Set(idsIn(data[rel.field]))) {
      out.push({
        collection: rel.to,
        filter: { op: 'field', path: 'id', conds: [{ op: 'eq', value: id }] },
        exists: true,
        message: `${rel.field} refers to a ${rel.to} document that was deleted meanwhile; retry.`,
        details: { field: rel.field },
      });
    }
  }
  return out;
}

/** Plans what deleting `doc` of `col` does to the documents that refer to it. */
export async function planDelete(
  store: AppStore,
  registry: CollectionRegistry,
  col: CompiledCollection,
  doc: StoredDocument,
  options: { revealIds: boolean },
): Promise<DeletePlan> {
  const all = await registry.list(col.appId);
  const incoming = (name: string): Array<{ from: CompiledCollection; rel: RelationInfo }> =>
    all.flatMap((c) => c.relations.filter((r) => r.to === name).map((rel) => ({ from: c, rel })));
  if (incoming(col.name).length === 0) return { ops: [], effects: [], requires: [] };

  const key = (c: string, id: string) => `${c}/${id}`;
  const deleted = new Map<string, { collection: string; doc: StoredDocument }>([
    [key(col.name, doc.id), { collection: col.name, doc }],
  ]);
  const updates = new Map<string, { collection: string; doc: StoredDocument; spec: UpdateSpec }>();
  const restricted: Array<{ collection: string; field: string; id: string }> = [];
  const queue: Array<{ collection: string; id: string }> = [{ collection: col.name, id: doc.id }];

  while (queue.length) {
    const { collection, id } = queue.shift()!;
    for (const { from, rel } of incoming(collection)) {
      const filter: FilterNode = { op: 'field', path: rel.field, conds: [{ op: 'eq', value: id }] };
      const page = await store.find(from.name, { filter, limit: MAX_CASCADE });
      if (page.next !== null) throw tooMany();
      for (const ref of page.items) {
        const k = key(from.name, ref.id);
        if (rel.onDelete === 'restrict') {
          restricted.push({ collection: from.name, field: rel.field, id: ref.id });
        } else if (rel.onDelete === 'cascade') {
          if (!deleted.has(k)) {
            deleted.set(k, { collection: from.name, doc: ref });
            queue.push({ collection: from.name, id: ref.id });
          }
        } else {
          const entry = updates.get(k) ?? { collection: from.name, doc: ref, spec: {} };
          if (rel.many) (entry.spec.pull ??= {})[rel.field] = [...(entry.spec.pull?.[rel.field] ?? []), id];
          else (entry.spec.set ??= {})[rel.field] = null;
          updates.set(k, entry);
        }
        if (deleted.size + updates.size > MAX_CASCADE) throw tooMany();
      }
    }
  }

  const blocking = restricted.filter((r) => !deleted.has(key(r.collection, r.id)));
  if (blocking.length) {
    const first = blocking[0]!;
    throw new HearthError(
      'conflict',
      `Documents of ${first.collection} still refer to this document (${first.field}, onDelete: restrict).`,
      {
        reason: 'restricted',
        collection: first.collection,
        field: first.field,
        count: blocking.length,
        ...(options.revealIds ? { ids: blocking.slice(0, 100).map((b) => b.id) } : {}),
      },
    );
  }

  const ops: BatchOp[] = [];
  const effects: CascadeEffect[] = [];
  for (const [k, d] of deleted) {
    if (k === key(col.name, doc.id)) continue;
    ops.push({ op: 'delete', collection: d.collection, id: d.doc.id, expectedVersion: d.doc.version });
    effects.push({ type: 'delete', collection: d.collection, before: d.doc });
  }
  for (const [k, u] of updates) {
    if (deleted.has(k)) continue;
    ops.push({ op: 'update', collection: u.collection, id: u.doc.id, update: u.spec, expectedVersion: u.doc.version });
    effects.push({ type: 'update', collection: u.collection, before: u.doc });
  }
  // After the batch, nothing may refer to a deleted document: a reference written by a concurrent
  // request after this plan was made would otherwise dangle (the batch then fails and is retried).
  const deletedIds = new Map<string, string[]>();
  for (const d of deleted.values()) deletedIds.set(d.collection, [...(deletedIds.get(d.collection) ?? []), d.doc.id]);
  const requires: BatchRequirement[] = [];
  for (const [collection, ids] of deletedIds) {
    for (const { from, rel } of incoming(collection)) {
      requires.push({
        collection: from.name,
        filter: { op: 'field', path: rel.field, conds: [{ op: 'in', values: ids }] },
        exists: false,
        message: `A document of ${from.name} started to refer to this document meanwhile (${rel.field}); retry.`,
        details: { collection: from.name, field: rel.field },
      });
    }
  }
  return { ops, effects, requires };
}

function tooMany(): HearthError {
  return new HearthError(
    'conflict',
    `Deleting this document would change more than ${MAX_CASCADE} related documents.`,
    {
      reason: 'too_many_related',
      max: MAX_CASCADE,
    },
  );
}

/** The documents an op's relation fields point to (values it writes: data, set, push, addToSet). */
export function referencedTargets(col: CompiledCollection, op: BatchOp): Array<{ to: string; id: string }> {
  const written: Record<string, unknown>[] =
    op.op === 'create' || op.op === 'replace'
      ? [op.data]
      : op.op === 'update'
        ? [op.update.set ?? {}, op.update.push ?? {}, op.update.addToSet ?? {}]
        : [];
  const out: Array<{ to: string; id: string }> = [];
  for (const rel of col.relations) {
    for (const values of written) {
      if (!Object.hasOwn(values, rel.field)) continue;
      const value = values[rel.field];
      for (const id of Array.isArray(value) ? value.flatMap(idsIn) : idsIn(value)) out.push({ to: rel.to, id });
    }
  }
  return out;
}
