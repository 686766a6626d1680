import { HearthError } from '../../errors.js';
import { isPlainObject } from '../../lib/filter/compare.js';
import { matches } from '../../lib/filter/evaluate.js';
import type { FilterNode, JsonValue } from '../../lib/filter/types.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type {
  AppStore,
  BatchOp,
  BatchRequirement,
  DocumentData,
  DocumentStore,
  StoredDocument,
  UpdateSpec,
} from '../../ports/document-store.js';
import { accessFilter, requireScope, visibleTo, type Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import type { DocumentEvents } from './events.js';
import type { CollectionRegistry } from './registry.js';
import { updateRuleData } from './rule-data.js';
import {
  assertRelationTargets,
  planDelete,
  relationRequirements,
  type CascadeEffect,
  type TargetRule,
} from './relations.js';
import { applyPatch, isEmptyPatch, parsePatch, touchedFields } from './update.apply.js';
import { setOwn, validateDocument, validateTouched, validationFailed } from './validate.js';

/**
 * Writing documents: create, update (PATCH), replace (PUT), delete. Each write is *prepared*
 * (validated, rule-checked, turned into port ops) and then *committed*; batch prepares many and
 * commits them in one all-or-nothing store batch.
 *
 * How write rules hold (PRODUCT.md "Rules"):
 * - create: the rule is evaluated on the document about to be stored (owner, fields, `@data`).
 * - update/replace: the stored document is read, the result computed in memory and validated;
 *   the rule must hold for the stored document (else `not_found`: nothing leaks about documents
 *   the caller may not change) and for the result (else `forbidden`). The write then carries the
 *   rule as its `where` and the read version as `expectedVersion`, so it only lands if the stored
 *   document is still exactly the one that was checked. A concurrent change makes the write a
 *   version conflict, which is retried from the read (or answered 409 when the client sent
 *   If-Match).
 * - delete: the rule is the delete's `where` (atomic), and relation onDelete effects go in the
 *   same batch.
 * A denied get/update/delete answers `not_found`; a denied create answers `forbidden`.
 */
export interface WriteDeps {
  store: DocumentStore;
  registry: CollectionRegistry;
  events: DocumentEvents;
  now: () => Date;
}

export type WriteKind = 'create' | 'update' | 'replace' | 'delete';

export interface PreparedWrite {
  kind: WriteKind;
  col: CompiledCollection;
  /** The stored document before the write (null for create). */
  before: StoredDocument | null;
  /** The main op, then cascade ops. */
  ops: BatchOp[];
  effects: CascadeEffect[];
  /** Checked in the same transaction as the ops (referential integrity; see relations.ts). */
  requires?: BatchRequirement[];
}

const RETRIES = 5;

const notFound = () => new HearthError('not_found', 'No such document.');

function asObject(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw validationFailed({ '(body)': 'must be a JSON object' });
  return body;
}

/**
 * Splits `owner` off a create/replace body: allowed for privileged callers only. Problems with it
 * are reported together with the other fields' (`validate`).
 */
function takeOwner(
  body: Record<string, unknown>,
  caller: Caller,
): { rest: Record<string, unknown>; owner: string | null | undefined; error?: string } {
  if (!Object.hasOwn(body, 'owner')) return { rest: body, owner: undefined };
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (k !== 'owner') setOwn(rest, k, v);
  const owner = body.owner;
  if (!caller.privileged) return { rest, owner: undefined, error: 'is read-only' };
  if (owner !== null && (typeof owner !== 'string' || !ID_PATTERN.test(owner)))
    return { rest, owner: undefined, error: 'must be a user id or null' };
  return { rest, owner: owner as string | null };
}

/** Validates a whole document, reporting an `owner` problem in the same answer. */
function validateWithOwner(col: CompiledCollection, taken: ReturnType<typeof takeOwner>): DocumentData {
  try {
    const data = validateDocument(col, taken.rest);
    if (taken.error) throw validationFailed({ owner: taken.error });
    return data;
  } catch (e) {
    if (taken.error && e instanceof HearthError && e.code === 'validation_failed') {
      throw validationFailed({ owner: taken.error, ...((e.details?.fields as Record<string, string>) ?? {}) });
    }
    throw e;
  }
}

/** Unique clashes name the clashing document ids only to privileged callers. */
export function sanitizeConflict(e: unknown, caller: Caller): unknown {
  if (e instanceof HearthError && e.code === 'conflict' && !caller.privileged && e.details && 'ids' in e.details) {
    const { ids: _ids, ...rest } = e.details;
    return new HearthError('conflict', e.message, rest);
  }
  return e;
}

/**
 * A commit lost a race with another writer: a version changed, or a relation requirement stopped
 * holding. Preparing again sees the new state (and may then succeed, or refuse properly).
 */
export const isLostRace = (e: unknown): boolean => {
  if (!(e instanceof HearthError) || e.code !== 'conflict') return false;
  const reason = (e.details as { reason?: string } | undefined)?.reason;
  return reason === 'version' || reason === 'precondition';
};

export class DocumentsWriter {
  constructor(private readonly deps: WriteDeps) {}

  private app(caller: Caller): AppStore {
    return this.deps.store.forApp(caller.appId);
  }

  /** The caller's `get` rule on a relation's target collection (see relations.ts). */
  private targetRule(caller: Caller): TargetRule {
    return async (to) => {
      if (caller.privileged) return undefined;
      const target = await this.deps.registry.get(caller.appId, to);
      return target ? accessFilter(caller, target, 'get', this.deps.now()) : null;
    };
  }

  async prepareCreate(caller: Caller, collection: string, body: unknown): Promise<PreparedWrite> {
    requireScope(caller, 'documents:write');
    const col = await this.deps.registry.require(caller.appId, collection);
    const taken = takeOwner(asObject(body), caller);
    const givenOwner = taken.owner;
    const data = validateWithOwner(col, taken);
    await assertRelationTargets(this.app(caller), col, data, this.targetRule(caller));
    const owner = givenOwner !== undefined ? givenOwner : (caller.user?.id ?? null);
    if (!caller.privileged) {
      const now = this.deps.now();
      const rule = accessFilter(caller, col, 'create', now, data);
      const iso = now.toISOString();
      const candidate = { ...data, id: '', createdAt: iso, updatedAt: iso, owner, version: 1 };
      if (!rule || !matches(rule, candidate, { textFields: col.searchable })) {
        throw new HearthError('forbidden', 'The create rule of this collection does not allow this document.');
      }
    }
    return {
      kind: 'create',
      col,
      before: null,
      ops: [{ op: 'create', collection: col.name, data, owner }],
      effects: [],
      requires: relationRequirements(col, data),
    };
  }

  /** PATCH (`replace` false) or PUT (`replace` true). */
  async prepareUpdate(
    caller: Caller,
    collection: string,
    id: string,
    body: unknown,
    options: { replace: boolean; ifMatch?: number | undefined },
  ): Promise<PreparedWrite> {
    requireScope(caller, 'documents:write');
    const col = await this.deps.registry.require(caller.appId, collection);
    const input = asObject(body);
    const patch = options.replace ? null : parsePatch(input, { privileged: caller.privileged });
    const replacement = options.replace ? takeOwner(input, caller) : null;
    const replacedData = replacement ? validateWithOwner(col, replacement) : null;
    if (!ID_PATTERN.test(id)) throw notFound();
    const store = this.app(caller);
    const stored = await store.get(col.name, id);
    if (!stored) throw notFound();
    const now = this.deps.now();

    let result: Record<string, unknown>;
    let touched: Set<string>;
    let writeData: Record<string, unknown>;
    try {
      if (replacedData) {
        result = replacedData;
        touched = new Set([...Object.keys(replacedData), ...Object.keys(stored).filter((k) => !isSystem(k))]);
        writeData = replacedData;
        await assertRelationTargets(store, col, replacedData, this.targetRule(caller));
      } else {
        result = applyPatch(stored, patch!);
        touched = touchedFields(patch!);
        const normalised = validateTouched(col, result, touched);
        for (const [k, v] of Object.entries(normalised)) setOwn(result, k, v);
        writeData = Object.fromEntries([...touched].filter((k) => Object.hasOwn(result, k)).map((k) => [k, result[k]]));
        await assertRelationTargets(store, col, writeData, this.targetRule(caller));
      }
    } catch (e) {
      // Errors that depend on the stored document must not reveal it to callers who cannot see it.
      if (!visibleTo(caller, col, stored, now)) throw notFound();
      throw e;
    }

    const rule = accessFilter(caller, col, 'update', now, updateRuleData(result, touched, patch?.unset));
    if (rule === null || (rule && !matches(rule, stored, { textFields: col.searchable }))) {
      // The stored document may be one the caller can change, with other content (an `@data`
      // test failed): then the content is what is refused. Otherwise nothing is revealed.
      const anyContent = accessFilter(caller, col, 'update', now, {});
      if (anyContent && matches(anyContent, stored, { textFields: col.searchable })) {
        throw new HearthError('forbidden', 'The update rule of this collection does not allow this change.');
      }
      throw notFound();
    }
    if (options.ifMatch !== undefined && options.ifMatch !== stored.version) {
      throw new HearthError('conflict', 'The document changed since you read it.', {
        reason: 'version',
        expected: options.ifMatch,
        actual: stored.version,
      });
    }
    const owner = replacement?.owner !== undefined ? replacement.owner : patch?.owner;
    const resultDoc = {
      ...result,
      id: stored.id,
      createdAt: stored.createdAt,
      updatedAt: now.toISOString(),
      owner: owner !== undefined ? owner : stored.owner,
      version: stored.version + 1,
    };
    if (rule && !matches(rule, resultDoc, { textFields: col.searchable })) {
      throw new HearthError('forbidden', 'The update rule of this collection does not allow the resulting document.');
    }
    const where: FilterNode | undefined = rule ?? undefined;
    const guard = { expectedVersion: stored.version, ...(where ? { where } : {}) };
    if (patch && isEmptyPatch(patch)) return { kind: 'update', col, before: stored, ops: [], effects: [] };
    let op: BatchOp;
    if (replacedData && owner === undefined) {
      op = { op: 'replace', collection: col.name, id, data: replacedData, ...guard };
    } else {
      const spec: UpdateSpec = {};
      const set: Record<string, JsonValue> = {};
      const unset: string[] = [];
      for (const k of touched) {
        if (Object.hasOwn(result, k)) set[k] = result[k] as JsonValue;
        else if (Object.hasOwn(stored, k)) unset.push(k);
      }
      if (Object.keys(set).length) spec.set = set;
      if (unset.length) spec.unset = unset;
      if (owner !== undefined) spec.owner = owner;
      op = { op: 'update', collection: col.name, id, update: spec, ...guard };
    }
    return {
      kind: options.replace ? 'replace' : 'update',
      col,
      before: stored,
      ops: [op],
      effects: [],
      requires: relationRequirements(col, writeData),
    };
  }

  async prepareDelete(
    caller: Caller,
    collection: string,
    id: string,
    options: { ifMatch?: number | undefined },
  ): Promise<PreparedWrite> {
    requireScope(caller, 'documents:write');
    const col = await this.deps.registry.require(caller.appId, collection);
    const rule = accessFilter(caller, col, 'delete', this.deps.now());
    if (rule === null || !ID_PATTERN.test(id)) throw notFound();
    const store = this.app(caller);
    const stored = await store.get(col.name, id, rule ? { where: rule } : {});
    if (!stored) throw notFound();
    if (options.ifMatch !== undefined && options.ifMatch !== stored.version) {
      throw new HearthError('conflict', 'The document changed since you read it.', {
        reason: 'version',
        expected: options.ifMatch,
        actual: stored.version,
      });
    }
    const plan = await planDelete(store, this.deps.registry, col, stored, { revealIds: caller.privileged });
    const main: BatchOp = {
      op: 'delete',
      collection: col.name,
      id,
      expectedVersion: stored.version,
      ...(rule ? { where: rule } : {}),
    };
    return {
      kind: 'delete',
      col,
      before: stored,
      ops: [main, ...plan.ops],
      effects: plan.effects,
      requires: plan.requires,
    };
  }

  /**
   * Commits prepared writes all-or-nothing and emits their events. Returns each write's main
   * result (the created/updated document, or the deleted one; the stored one for a no-op).
   */
  async commit(caller: Caller, prepared: PreparedWrite[]): Promise<StoredDocument[]> {
    const store = this.app(caller);
    const ops = prepared.flatMap((p) => p.ops);
    const requires = prepared.flatMap((p) => (p.ops.length > 0 ? (p.requires ?? []) : []));
    let results: StoredDocument[];
    try {
      if (ops.length === 0) results = [];
      else if (ops.length === 1 && requires.length === 0) results = [await runOne(store, ops[0]!)];
      else results = await store.batch(ops, { require: requires });
    } catch (e) {
      throw sanitizeConflict(e, caller);
    }
    const out: StoredDocument[] = [];
    let i = 0;
    for (const p of prepared) {
      if (p.ops.length === 0) {
        out.push(p.before!);
        continue;
      }
      const main = results[i++]!;
      out.push(main);
      const base = { appId: caller.appId, collection: p.col.name };
      if (p.kind === 'create') this.deps.events.emit({ ...base, type: 'documents.create', before: null, after: main });
      else if (p.kind === 'delete')
        this.deps.events.emit({ ...base, type: 'documents.delete', before: p.before, after: null });
      else this.deps.events.emit({ ...base, type: 'documents.update', before: p.before, after: main });
      for (const effect of p.effects) {
        const r = results[i++]!;
        const cause = { collection: p.col.name, id: p.before!.id };
        if (effect.type === 'delete')
          this.deps.events.emit({
            appId: caller.appId,
            collection: effect.collection,
            type: 'documents.delete',
            before: effect.before,
            after: null,
            cause,
          });
        else
          this.deps.events.emit({
            appId: caller.appId,
            collection: effect.collection,
            type: 'documents.update',
            before: effect.before,
            after: r,
            cause,
          });
      }
    }
    return out;
  }

  /** Prepares and commits one write, retrying on a concurrent change unless the client pinned a version. */
  async run(
    caller: Caller,
    prepare: () => Promise<PreparedWrite>,
    pinned: boolean,
  ): Promise<{ doc: StoredDocument; prepared: PreparedWrite }> {
    for (let attempt = 1; ; attempt++) {
      const prepared = await prepare();
      try {
        const [doc] = await this.commit(caller, [prepared]);
        return { doc: doc!, prepared };
      } catch (e) {
        if (pinned || attempt >= RETRIES || !isLostRace(e)) throw e;
      }
    }
  }
}

async function runOne(store: AppStore, op: BatchOp): Promise<StoredDocument> {
  const guard = (o: { expectedVersion?: number | undefined; where?: FilterNode | undefined }) => ({
    ...(o.expectedVersion !== undefined ? { expectedVersion: o.expectedVersion } : {}),
    ...(o.where ? { where: o.where } : {}),
  });
  switch (op.op) {
    case 'create':
      return store.create(op.collection, {
        data: op.data as DocumentData,
        ...(op.owner !== undefined ? { owner: op.owner } : {}),
      });
    case 'update':
      return store.update(op.collection, op.id, op.update, guard(op));
    case 'replace':
      return store.replace(op.collection, op.id, op.data, guard(op));
    case 'delete':
      return store.delete(op.collection, op.id, guard(op));
  }
}

const SYSTEM_KEYS = new Set(['id', 'createdAt', 'updatedAt', 'owner', 'version']);
const isSystem = (k: string) => SYSTEM_KEYS.has(k);
