import { isError, reasonError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { RequestMeta } from '../../principals.js';
import type { AppStore, DocumentStore } from '../../ports/document-store.js';
import { auditMeta } from '../audit/index.js';
import type { AuditLog } from '../audit/index.js';
import { checkDefinition, ruleFieldNames } from './collection.compile.js';
import {
  DEFAULT_RULES,
  RULE_KINDS,
  type CollectionDef,
  type CollectionView,
  type CreateCollectionInput,
  type UpdateCollectionInput,
} from './collection.schema.js';
import { collectionErrors } from './collections.errors.js';
import { applyIndexes, desiredIndexes } from './indexes.js';
import {
  SCHEMAS,
  readSchemas,
  schemaDocId,
  toStored,
  toView,
  fromStored,
  type CollectionRegistry,
} from './registry.js';
import { removeFieldData, renameFieldData } from './schemas.migrate.js';
import { validationFailed, newFieldErrors, type FieldErrors } from './validate.js';

/**
 * The admin schema API: create, change online, delete collections. Every change is checked as a
 * whole definition first (validation_failed naming each bad piece), then indexes are brought in
 * line (a unique index that existing data violates refuses the change with the clashing ids),
 * then the definition is stored (its version bumps), then data is migrated (renamed / removed
 * fields) and old indexes dropped.
 */
export interface SchemasDeps {
  store: DocumentStore;
  /** The system store, where schemas live. */
  system: AppStore;
  registry: CollectionRegistry;
  audit: AuditLog;
}

export class SchemasService {
  private readonly store: DocumentStore;
  private readonly system: AppStore;
  private readonly registry: CollectionRegistry;
  private readonly audit: AuditLog;

  constructor(deps: SchemasDeps) {
    this.store = deps.store;
    this.system = deps.system;
    this.registry = deps.registry;
    this.audit = deps.audit;
  }

  async list(appId: string): Promise<CollectionView[]> {
    return (await readSchemas(this.system, appId)).map(toView);
  }

  async get(appId: string, name: string): Promise<CollectionView> {
    const doc = await this.system.get(SCHEMAS, schemaDocId(appId, name));
    if (!doc) throw collectionErrors.noSuchCollection();
    return toView(doc);
  }

  private async existing(appId: string): Promise<Set<string>> {
    return new Set((await this.list(appId)).map((c) => c.name));
  }

  async create(appId: string, input: CreateCollectionInput, meta: RequestMeta): Promise<CollectionView> {
    const def: CollectionDef = {
      name: input.name,
      fields: input.fields,
      indexes: input.indexes,
      strict: input.strict,
      rules: { ...DEFAULT_RULES, ...definedRules(input.rules) },
    };
    const names = await this.existing(appId);
    if (names.has(def.name)) throw collectionErrors.collectionExists(def.name);
    const errors = checkDefinition(def, (n) => names.has(n));
    if (Object.keys(errors).length) throw validationFailed(errors);
    const data = this.store.forApp(appId);
    const indexes = await applyIndexes(data, def.name, desiredIndexes(def));
    let doc;
    try {
      doc = await this.system.create(SCHEMAS, { id: schemaDocId(appId, def.name), data: toStored(appId, def) });
    } catch (e) {
      if (isError(e, 'conflict')) throw collectionErrors.collectionExists(def.name);
      throw e;
    }
    await indexes.finish();
    this.registry.invalidate(appId, def.name);
    await this.record(meta, 'collection.create', appId, def.name, { fields: def.fields.map((f) => f.name) });
    return toView(doc);
  }

  async update(
    appId: string,
    name: string,
    patch: UpdateCollectionInput,
    meta: RequestMeta,
    ifMatch?: number,
  ): Promise<CollectionView> {
    const stored = await this.system.get(SCHEMAS, schemaDocId(appId, name));
    if (!stored) throw collectionErrors.noSuchCollection();
    if (ifMatch !== undefined && ifMatch !== stored.version) {
      throw collectionErrors.changedSinceRead('collection', ifMatch, stored.version);
    }
    const current = fromStored(stored).def;
    const { def, renames, removed, errors } = applyPatch(current, patch);
    const names = await this.existing(appId);
    Object.assign(
      errors,
      checkDefinition(def, (n) => names.has(n)),
    );
    if (Object.keys(errors).length) throw validationFailed(errors);

    const data = this.store.forApp(appId);
    const indexes = await applyIndexes(data, name, desiredIndexes(def));
    const doc = await this.system
      .update(SCHEMAS, stored.id, { set: toStored(appId, def) }, { expectedVersion: stored.version })
      .catch((e: unknown) => {
        if (isError(e, 'conflict')) {
          throw reasonError('conflict', 'version', 'The collection was changed concurrently; retry.');
        }
        throw e;
      });
    this.registry.invalidate(appId, name);
    for (const { from, to } of renames) await renameFieldData(data, name, from, to);
    for (const field of removed) await removeFieldData(data, name, field);
    await indexes.finish();
    await this.record(meta, 'collection.update', appId, name, patch as unknown as Record<string, JsonValue>);
    return toView(doc);
  }

  async remove(appId: string, name: string, meta: RequestMeta): Promise<void> {
    const stored = await this.system.get(SCHEMAS, schemaDocId(appId, name));
    if (!stored) throw collectionErrors.noSuchCollection();
    const referencing = (await this.list(appId))
      .filter((c) => c.name !== name)
      .flatMap((c) =>
        c.fields
          .filter((f) => (f.type === 'relation' ? f.to : f.of?.type === 'relation' ? f.of.to : undefined) === name)
          .map((f) => ({ collection: c.name, field: f.name })),
      );
    if (referencing.length) {
      throw reasonError(
        'conflict',
        'referenced',
        'Other collections have relations to this one; remove those fields first.',
        { referencedBy: referencing },
      );
    }
    await this.store.forApp(appId).dropCollection(name);
    await this.system.delete(SCHEMAS, stored.id);
    this.registry.invalidate(appId, name);
    await this.record(meta, 'collection.delete', appId, name, {});
  }

  /** Deletes every schema of an app (its data goes with the app's store). */
  async removeAllForApp(appId: string): Promise<void> {
    for (const c of await this.list(appId))
      await this.system.delete(SCHEMAS, schemaDocId(appId, c.name)).catch(() => {});
    this.registry.invalidate(appId);
  }

  private async record(
    meta: RequestMeta,
    action: string,
    appId: string,
    name: string,
    details: Record<string, JsonValue>,
  ): Promise<void> {
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action,
      target: { type: 'collection', id: `${appId}/${name}` },
      details: { appId, name, ...details },
      ...auditMeta(meta),
    });
  }
}

function definedRules(rules: CreateCollectionInput['rules']): Partial<CollectionDef['rules']> {
  const out: Partial<CollectionDef['rules']> = {};
  for (const kind of RULE_KINDS) if (rules && rules[kind] !== undefined) out[kind] = rules[kind]!;
  return out;
}

/** Applies a schema PATCH to a definition; collects problems rather than stopping at the first. */
function applyPatch(
  current: CollectionDef,
  patch: UpdateCollectionInput,
): { def: CollectionDef; renames: Array<{ from: string; to: string }>; removed: string[]; errors: FieldErrors } {
  const errors: FieldErrors = newFieldErrors();
  let fields = [...current.fields];
  let indexes = [...current.indexes];
  const has = (n: string) => fields.some((f) => f.name === n);
  const rules = { ...current.rules, ...definedRules(patch.rules) };

  for (const [i, n] of (patch.removeFields ?? []).entries()) {
    if (!has(n)) errors[`removeFields.${i}`] = `no field named ${n}`;
    fields = fields.filter((f) => f.name !== n);
  }
  for (const name of patch.dropIndexes ?? []) {
    if (!indexes.some((x) => x.name === name)) errors[`dropIndexes`] = `no index named ${name}`;
    indexes = indexes.filter((x) => x.name !== name);
  }
  const renames = patch.renameFields ?? [];
  for (const [i, { from, to }] of renames.entries()) {
    if (!has(from)) errors[`renameFields.${i}.from`] = `no field named ${from}`;
    else if (has(to)) errors[`renameFields.${i}.to`] = `a field named ${to} exists`;
    else {
      fields = fields.map((f) => (f.name === from ? { ...f, name: to } : f));
      indexes = indexes.map((x) => ({
        ...x,
        fields: x.fields.map((k) => {
          const desc = k.startsWith('-');
          const path = desc ? k.slice(1) : k;
          const [first, ...rest] = path.split('.');
          return first === from ? `${desc ? '-' : ''}${[to, ...rest].join('.')}` : k;
        }),
      }));
    }
  }
  for (const [i, field] of (patch.updateFields ?? []).entries()) {
    if (!has(field.name)) errors[`updateFields.${i}.name`] = `no field named ${field.name}`;
    fields = fields.map((f) => (f.name === field.name ? field : f));
  }
  for (const [i, field] of (patch.addFields ?? []).entries()) {
    if (has(field.name)) errors[`addFields.${i}.name`] = `a field named ${field.name} exists`;
    else fields.push(field);
  }
  for (const [i, index] of (patch.addIndexes ?? []).entries()) {
    if (indexes.some((x) => x.name === index.name))
      errors[`addIndexes.${i}.name`] = `an index named ${index.name} exists`;
    else indexes.push(index);
  }
  // Rules are not rewritten: a rule that still names a removed or renamed field must change too.
  const gone = [...(patch.removeFields ?? []), ...renames.map((r) => r.from)];
  for (const kind of RULE_KINDS) {
    const used = ruleFieldNames(rules[kind]);
    for (const n of gone) if (used.has(n)) errors[`rules.${kind}`] = `still refers to field ${n}`;
  }
  for (const [i, index] of indexes.entries()) {
    for (const key of index.fields) {
      const first = (key.startsWith('-') ? key.slice(1) : key).split('.')[0]!;
      if ((patch.removeFields ?? []).includes(first))
        errors[`indexes.${i}`] = `index ${index.name} uses removed field ${first}; drop it too`;
    }
  }
  const removed = (patch.removeFields ?? []).filter((n) => !renames.some((r) => r.to === n));
  return {
    def: { name: current.name, fields, indexes, strict: patch.strict ?? current.strict, rules },
    renames: renames.filter((r) => !errors[`renameFields.${renames.indexOf(r)}.from`]),
    removed,
    errors,
  };
}
