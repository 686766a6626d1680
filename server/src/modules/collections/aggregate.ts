import { z } from 'zod';
import { invalidRequest } from '../../errors.js';
import { isPlainObject } from '../../lib/filter/compare.js';
import { collectPaths, parseFilter, parsePath, parseSort } from '../../lib/filter/parse.js';
import type { SortSpec } from '../../lib/filter/types.js';
import type { Accumulator, AggregateStage, DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { accessFilter, assertTextAllowed, assertVisiblePaths, requireScope, type Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import { collectionErrors } from './collections.errors.js';
import type { CollectionRegistry } from './registry.js';
import { andFilters } from './rules.compile.js';
import { toClientDocument } from './view.js';

/**
 * `POST …/collections/{col}/aggregate` with `{"pipeline": [...]}`, a MongoDB-like subset:
 *   {"$match": filter}
 *   {"$group": {"_id": "$field" | ["$a", "$b"] | null, "<name>": {"$count": {}} | {"$sum": 1}
 *              | {"$sum" | "$avg" | "$min" | "$max": "$field"}, ...}}
 *   {"$sort": {"field": 1 | -1, ...} | "-field,other"}
 *   {"$limit": n}
 * Group rows are flat: `{"<groupField>": value, ..., "<name>": value}`; stages after a `$group`
 * refer to those names. The caller's `list` rule is ANDed into the first `$match` (one is added
 * when the pipeline does not start with one), so aggregates only ever see permitted documents.
 * Hidden fields cannot be named before the first `$group`, and rows that are still documents
 * have hidden fields stripped. At most MAX_ROWS rows come back.
 */
export const MAX_STAGES = 10;
export const MAX_ROWS = 1000;

const stageSchema = z.custom<Record<string, unknown>>(
  (v) => isPlainObject(v) && Object.keys(v).length === 1,
  'must be an object with one stage operator',
);
export const aggregateBody = z.strictObject({
  pipeline: z
    .array(stageSchema.meta({ type: 'object' }))
    .min(1)
    .max(MAX_STAGES),
});
export type AggregateBody = z.output<typeof aggregateBody>;

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

function fieldRef(value: unknown, where: string): string {
  if (typeof value !== 'string' || !value.startsWith('$')) {
    throw invalidRequest(`${where} needs a field reference like "$amount".`, { operator: where });
  }
  return parsePath(value.slice(1), { operator: where });
}

function parseGroup(spec: unknown): Extract<AggregateStage, { stage: 'group' }> {
  if (!isPlainObject(spec) || !Object.hasOwn(spec, '_id')) {
    throw invalidRequest('$group needs an object with _id (a "$field", a list of them, or null).', {
      operator: '$group',
    });
  }
  const id = spec._id;
  const by =
    id === null ? [] : Array.isArray(id) ? id.map((v) => fieldRef(v, '$group._id')) : [fieldRef(id, '$group._id')];
  if (by.some((p) => p.includes('.')))
    throw invalidRequest('$group._id takes top-level fields.', { operator: '$group' });
  if (new Set(by).size !== by.length || by.length > 8)
    throw invalidRequest('$group._id lists a field twice or more than 8 fields.', { operator: '$group' });
  const accumulators: Record<string, Accumulator> = {};
  for (const [name, acc] of Object.entries(spec)) {
    if (name === '_id') continue;
    if (!NAME.test(name) || by.includes(name)) {
      throw invalidRequest(
        `$group output name ${JSON.stringify(name.slice(0, 64))} is invalid or clashes with a group field.`,
        { operator: '$group' },
      );
    }
    if (!isPlainObject(acc) || Object.keys(acc).length !== 1) {
      throw invalidRequest(`$group.${name} needs one accumulator: $count, $sum, $avg, $min or $max.`, {
        operator: '$group',
      });
    }
    const [op, arg] = Object.entries(acc)[0]!;
    if (op === '$count') {
      if (!isPlainObject(arg) || Object.keys(arg).length)
        throw invalidRequest('$count takes {}.', { operator: '$count' });
      accumulators[name] = { op: 'count' };
    } else if (op === '$sum' && arg === 1) {
      accumulators[name] = { op: 'count' };
    } else if (op === '$sum' || op === '$avg' || op === '$min' || op === '$max') {
      accumulators[name] = { op: op.slice(1) as 'sum' | 'avg' | 'min' | 'max', path: fieldRef(arg, op) };
    } else {
      throw invalidRequest(`Unknown or unsupported accumulator ${op.slice(0, 64)}.`, { operator: op.slice(0, 64) });
    }
  }
  if (Object.keys(accumulators).length > 16)
    throw invalidRequest('$group has more than 16 outputs.', { operator: '$group' });
  return { stage: 'group', by, accumulators };
}

function parseSortStage(spec: unknown): SortSpec {
  if (typeof spec === 'string') return parseSort(spec);
  if (!isPlainObject(spec) || Object.keys(spec).length === 0)
    throw invalidRequest('$sort needs {"field": 1 | -1}.', { operator: '$sort' });
  const keys = Object.entries(spec);
  if (keys.some(([, dir]) => dir !== 1 && dir !== -1))
    throw invalidRequest('$sort directions are 1 or -1.', { operator: '$sort' });
  return parseSort(keys.map(([k, dir]) => `${dir === -1 ? '-' : ''}${k}`).join(','));
}

export interface ParsedPipeline {
  stages: AggregateStage[];
  /** Rows are documents (no $group), so hidden fields must be stripped from them. */
  rowsAreDocuments: boolean;
}

/** Parses and checks a pipeline for a caller, and puts the read rule in front. */
export function parsePipeline(
  caller: Caller,
  col: CompiledCollection,
  pipeline: Record<string, unknown>[],
  rule: ReturnType<typeof accessFilter>,
): ParsedPipeline {
  const stages: AggregateStage[] = [];
  let grouped = false;
  pipeline.forEach((raw, i) => {
    const [op, spec] = Object.entries(raw)[0]!;
    switch (op) {
      case '$match': {
        if (!isPlainObject(spec)) throw invalidRequest('$match needs a filter object.', { operator: '$match' });
        const filter = parseFilter(spec);
        if (!grouped) {
          assertVisiblePaths(caller, col, collectPaths(filter), '$match');
          assertTextAllowed(col, filter);
        }
        stages.push({ stage: 'match', filter });
        break;
      }
      case '$group': {
        const group = parseGroup(spec);
        if (!grouped) {
          assertVisiblePaths(
            caller,
            col,
            [...group.by, ...Object.values(group.accumulators).flatMap((a) => ('path' in a ? [a.path] : []))],
            '$group',
          );
        }
        grouped = true;
        stages.push(group);
        break;
      }
      case '$sort': {
        const sort = parseSortStage(spec);
        if (!grouped)
          assertVisiblePaths(
            caller,
            col,
            sort.map((s) => s.path),
            '$sort',
          );
        stages.push({ stage: 'sort', sort });
        break;
      }
      case '$limit':
        if (typeof spec !== 'number' || !Number.isSafeInteger(spec) || spec < 1 || spec > MAX_ROWS) {
          throw invalidRequest(`$limit needs an integer from 1 to ${MAX_ROWS}.`, { operator: '$limit' });
        }
        stages.push({ stage: 'limit', limit: spec });
        break;
      default:
        throw invalidRequest(`Unknown or unsupported pipeline stage ${op.slice(0, 64)} (stage ${i}).`, {
          operator: op.slice(0, 64),
        });
    }
  });
  if (rule) {
    const first = stages[0];
    if (first?.stage === 'match') stages[0] = { stage: 'match', filter: andFilters(rule, first.filter) };
    else stages.unshift({ stage: 'match', filter: rule });
  }
  const last = stages[stages.length - 1];
  if (last?.stage !== 'limit') stages.push({ stage: 'limit', limit: MAX_ROWS });
  return { stages, rowsAreDocuments: !grouped };
}

export class AggregateService {
  constructor(private readonly deps: { store: DocumentStore; registry: CollectionRegistry; now: () => Date }) {}

  async run(caller: Caller, collection: string, body: AggregateBody): Promise<{ items: Record<string, unknown>[] }> {
    requireScope(caller, 'documents:read');
    const col = await this.deps.registry.require(caller.appId, collection);
    const rule = accessFilter(caller, col, 'list', this.deps.now());
    if (rule === null) throw collectionErrors.listDenied();
    const { stages, rowsAreDocuments } = parsePipeline(caller, col, body.pipeline, rule);
    const rows = await this.deps.store.forApp(caller.appId).aggregate(col.name, stages);
    return {
      items: rowsAreDocuments
        ? rows.map((r) => toClientDocument(col, r as unknown as StoredDocument, { privileged: caller.privileged }))
        : rows,
    };
  }
}
