import { isError } from '../../errors.js';
import { isPlainObject } from '../../lib/filter/compare.js';
import { matches } from '../../lib/filter/evaluate.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type {
  AppStore,
  BatchOp,
  DocumentData,
  DocumentStore,
  StoredDocument,
  UpdateSpec,
} from '../../ports/document-store.js';
import { accessFilter, requireScope, visibleTo, type Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import { collectionErrors } from './collections.errors.js';
import { commitWrites, isLostRace, type PreparedWrite } from './documents.commit.js';
import type { DocumentEvents } from './events.js';
import type { FileFields } from './file-fields.js';
import type { CollectionRegistry } from './registry.js';
import { assertRelationTargets, planDelete, relationRequirements, type TargetRule } from './relations.js';
import { updateRuleData } from './rule-data.js';
import { applyPatch, checkOwner, isEmptyPatch, parsePatch, touchedFields } from './update.apply.js';
import { setOwn, validateDocument, validateTouched, validationFailed } from './validate.js';
import type { WriteOutbox } from './outbox.js';

/**
 * Writing documents: create, patch (PATCH), replace (PUT), delete. Each write is *prepared*
 * (validated, rule-checked, turned into port ops) and then *committed* (documents.commit.ts);
 * batch prepares many and commits them in one all-or-nothing store batch.
 *
 * How write rules hold (PRODUCT.md "Rules"):
 * - create: the rule is evaluated on the document about to be stored (owner, fields, `@data`).
 * - patch/replace: the stored document is read, the result computed in memory and validated;
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
  /** Checks file fields (files the caller may attach); absent: only their shape is checked. */
  fileFields?: FileFields;
}

/** The version the client says the document has (If-Match, or a batch op's `ifMatch`). */
export interface WriteOptions {
  ifMatch?: number | undefined;
}

const RETRIES = 5;
const SYSTEM_KEYS = new Set(['id', 'createdAt', 'updatedAt', 'owner', 'version']);

/** A patch or a replacement, computed against the stored document. */
interface Change {
  kind: 'update' | 'replace';
  /** The document's fields after the change (no system fields). */
  result: Record<string, unknown>;
  /** The fields the write sets or removes. */
  touched: Set<string>;
  /** What the write sends: the relation targets to check. */
  data: Record<string, unknown>;
  /** Paths a patch `$unset`s (for the rule's `@data`, rule-data.ts). */
  unset?: readonly string[];
  /** A new owner (privileged callers), or undefined to keep it. */
  owner: string | null | undefined;
  /** A whole new document, stored with a port `replace` when the owner stays. */
  replacement?: DocumentData;
  /** Nothing to write (an empty patch): no op, no event. */
  empty: boolean;
}

function asObject(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw validationFailed({ '(body)': 'must be a JSON object' });
  return body;
}

interface TakenOwner {
  rest: Record<string, unknown>;
  owner: string | null | undefined;
  error?: string;
}

/**
 * Splits `owner` off a create/replace body: allowed for privileged callers only. Problems with it
 * are reported together with the other fields' (`validate`).
 */
function takeOwner(body: Record<string, unknown>, caller: Caller): TakenOwner {
  if (!Object.hasOwn(body, 'owner')) return { rest: body, owner: undefined };
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (k !== 'owner') setOwn(rest, k, v);
  const owner = checkOwner(body.owner, caller.privileged);
  return owner.error ? { rest, owner: undefined, error: owner.error } : { rest, owner: owner.owner };
}

/** Validates a whole document, reporting an `owner` problem in the same answer. */
function validateWithOwner(col: CompiledCollection, taken: TakenOwner): DocumentData {
  try {
    const data = validateDocument(col, taken.rest);
    if (taken.error) throw validationFailed({ owner: taken.error });
    return data;
  } catch (e) {
    if (taken.error && isError(e, 'validation_failed')) {
      throw validationFailed({ owner: taken.error, ...((e.details?.fields as Record<string, string>) ?? {}) });
    }
    throw e;
  }
}

export class DocumentsWriter {
  constructor(private readonly deps: WriteDeps) {}

  /** The webhooks module's outbox (outbox.ts), registered through the module's `useOutbox`. */
  outbox: WriteOutbox | null = null;

  private app(caller: Caller): AppStore {
    return this.deps.store.forApp(caller.appId);
  }

  /** The collection a write goes to, once the caller's key may write at all. */
  private writableCollection(caller: Caller, collection: string): Promise<CompiledCollection> {
    requireScope(caller, 'documents:write');
    return this.deps.registry.require(caller.appId, collection);
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
    const col = await this.writableCollection(caller, collection);
    const taken = takeOwner(asObject(body), caller);
    const data = validateWithOwner(col, taken);
    await assertRelationTargets(this.app(caller), col, data, this.targetRule(caller));
    await this.deps.fileFields?.assertAttachable(col, data, caller);
    const owner = taken.owner !== undefined ? taken.owner : (caller.user?.id ?? null);
    if (!caller.privileged) {
      const now = this.deps.now();
      const rule = accessFilter(caller, col, 'create', now, data);
      const iso = now.toISOString();
      const candidate = { ...data, id: '', createdAt: iso, updatedAt: iso, owner, version: 1 };
      if (!rule || !matches(rule, candidate, { textFields: col.searchable })) {
        throw collectionErrors.ruleDenied('The create rule of this collection does not allow this document.');
      }
    }
    return {
      kind: 'create',
      col,
      before: null,
      ops: [{ op: 'create', collection: col.name, data, owner }],
      effects: [],
      requires: relationRequirements(col, data),
      retryable: false,
    };
  }

  /** PATCH: merges fields and applies operators ($inc, $push, …) to the stored document. */
  async preparePatch(
    caller: Caller,
    collection: string,
    id: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<PreparedWrite> {
    const col = await this.writableCollection(caller, collection);
    const patch = parsePatch(asObject(body), { privileged: caller.privileged });
    return this.prepareChange(caller, col, id, options, (stored) => {
      const result = applyPatch(stored, patch);
      const touched = touchedFields(patch);
      for (const [k, v] of Object.entries(validateTouched(col, result, touched))) setOwn(result, k, v);
      const data = Object.fromEntries([...touched].filter((k) => Object.hasOwn(result, k)).map((k) => [k, result[k]]));
      return {
        kind: 'update',
        result,
        touched,
        data,
        unset: patch.unset,
        owner: patch.owner,
        empty: isEmptyPatch(patch),
      };
    });
  }

  /** PUT: replaces every field of the stored document (defaults apply again). */
  async prepareReplace(
    caller: Caller,
    collection: string,
    id: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<PreparedWrite> {
    const col = await this.writableCollection(caller, collection);
    const taken = takeOwner(asObject(body), caller);
    const data = validateWithOwner(col, taken);
    return this.prepareChange(caller, col, id, options, (stored) => ({
      kind: 'replace',
      result: data,
      touched: new Set([...Object.keys(data), ...Object.keys(stored).filter((k) => !SYSTEM_KEYS.has(k))]),
      data,
      owner: taken.owner,
      replacement: data,
      empty: false,
    }));
  }

  /** What patch and replace share: the stored read, the rule on both sides, the guarded op. */
  private async prepareChange(
    caller: Caller,
    col: CompiledCollection,
    id: string,
    options: WriteOptions,
    compute: (stored: StoredDocument) => Change,
  ): Promise<PreparedWrite> {
    if (!ID_PATTERN.test(id)) throw collectionErrors.noSuchDocument();
    const store = this.app(caller);
    const stored = await store.get(col.name, id);
    if (!stored) throw collectionErrors.noSuchDocument();
    const now = this.deps.now();

    let change: Change;
    try {
      change = compute(stored);
      await assertRelationTargets(store, col, change.data, this.targetRule(caller));
      await this.deps.fileFields?.assertAttachable(col, change.data, caller);
    } catch (e) {
      // Errors that depend on the stored document must not reveal it to callers who cannot see it.
      if (!visibleTo(caller, col, stored, now)) throw collectionErrors.noSuchDocument();
      throw e;
    }

    const rule = accessFilter(caller, col, 'update', now, updateRuleData(change.result, change.touched, change.unset));
    if (rule === null || (rule && !matches(rule, stored, { textFields: col.searchable }))) {
      // The stored document may be one the caller can change, with other content (an `@data`
      // test failed): then the content is what is refused. Otherwise nothing is revealed.
      const anyContent = accessFilter(caller, col, 'update', now, {});
      if (anyContent && matches(anyContent, stored, { textFields: col.searchable })) {
        throw collectionErrors.ruleDenied('The update rule of this collection does not allow this change.');
      }
      throw collectionErrors.noSuchDocument();
    }
    if (options.ifMatch !== undefined && options.ifMatch !== stored.version) {
      throw collectionErrors.changedSinceRead('document', options.ifMatch, stored.version);
    }
    const resultDoc = {
      ...change.result,
      id: stored.id,
      createdAt: stored.createdAt,
      updatedAt: now.toISOString(),
      owner: change.owner !== undefined ? change.owner : stored.owner,
      version: stored.version + 1,
    };
    if (rule && !matches(rule, resultDoc, { textFields: col.searchable })) {
      throw collectionErrors.ruleDenied('The update rule of this collection does not allow the resulting document.');
    }
    const retryable = options.ifMatch === undefined;
    if (change.empty) return { kind: 'update', col, before: stored, ops: [], effects: [], retryable };
    const guard = { expectedVersion: stored.version, ...(rule ? { where: rule } : {}) };
    const op: BatchOp =
      change.replacement && change.owner === undefined
        ? { op: 'replace', collection: col.name, id, data: change.replacement, ...guard }
        : { op: 'update', collection: col.name, id, update: updateSpec(change, stored), ...guard };
    return {
      kind: change.kind,
      col,
      before: stored,
      ops: [op],
      effects: [],
      requires: relationRequirements(col, change.data),
      retryable,
    };
  }

  async prepareDelete(
    caller: Caller,
    collection: string,
    id: string,
    options: WriteOptions = {},
  ): Promise<PreparedWrite> {
    const col = await this.writableCollection(caller, collection);
    const rule = accessFilter(caller, col, 'delete', this.deps.now());
    if (rule === null || !ID_PATTERN.test(id)) throw collectionErrors.noSuchDocument();
    const store = this.app(caller);
    const stored = await store.get(col.name, id, rule ? { where: rule } : {});
    if (!stored) throw collectionErrors.noSuchDocument();
    if (options.ifMatch !== undefined && options.ifMatch !== stored.version) {
      throw collectionErrors.changedSinceRead('document', options.ifMatch, stored.version);
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
      retryable: options.ifMatch === undefined,
    };
  }

  /** Commits prepared writes all-or-nothing and emits their events (see documents.commit.ts). */
  commit(caller: Caller, prepared: PreparedWrite[]): Promise<StoredDocument[]> {
    return commitWrites({ store: this.app(caller), events: this.deps.events, outbox: this.outbox }, caller, prepared);
  }

  /** Prepares and commits one write, preparing it again after a lost race when it is `retryable`. */
  async run(
    caller: Caller,
    prepare: () => Promise<PreparedWrite>,
  ): Promise<{ doc: StoredDocument; prepared: PreparedWrite }> {
    for (let attempt = 1; ; attempt++) {
      const prepared = await prepare();
      try {
        const [doc] = await this.commit(caller, [prepared]);
        return { doc: doc!, prepared };
      } catch (e) {
        if (!prepared.retryable || attempt >= RETRIES || !isLostRace(e)) throw e;
      }
    }
  }
}

/** The port update for a change: set what the result has, unset what it no longer has. */
function updateSpec(change: Change, stored: StoredDocument): UpdateSpec {
  const spec: UpdateSpec = {};
  const set: Record<string, JsonValue> = {};
  const unset: string[] = [];
  for (const k of change.touched) {
    if (Object.hasOwn(change.result, k)) set[k] = change.result[k] as JsonValue;
    else if (Object.hasOwn(stored, k)) unset.push(k);
  }
  if (Object.keys(set).length) spec.set = set;
  if (unset.length) spec.unset = unset;
  if (change.owner !== undefined) spec.owner = change.owner;
  return spec;
}
