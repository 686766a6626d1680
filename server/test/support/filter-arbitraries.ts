import fc from 'fast-check';
import type { DocumentData } from '../../src/ports/document-store.js';
import type { FieldCondition, FilterNode, JsonScalar, JsonValue, SortSpec } from '../../src/lib/filter/types.js';
import {
  INT_POOL,
  NUMBER_POOL,
  STRING_POOL,
  TAG_POOL,
  HOT_STRINGS,
  MIXED_POOL,
  OBJ_Y_POOL,
  WILD_POOL,
  rx,
  REGEX_POOL,
  SORT_FIELDS,
  type Regex,
} from './filter-pools.js';

export { INT_POOL, NUMBER_POOL, STRING_POOL, TAG_POOL, SORT_FIELDS } from './filter-pools.js';

/**
 * fast-check arbitraries for property tests of the filter language: random documents, random
 * filter trees and sorts over one small field vocabulary, with values from small pools so that
 * filters actually hit documents (most generated filters match some and miss some of 20 documents).
 *
 *   import { documentsArb, filterArb, sortArb } from '../support/filter-arbitraries.js';
 *   fc.assert(fc.asyncProperty(documentsArb, filterArb, sortArb, async (docs, filter, sort) => {
 *     // insert docs, find({filter, sort}), compare with docs.filter((d) => matches(filter, d))
 *   }));
 *
 * The generated filters stay inside the subset where the SQLite engine, MongoDB and the reference
 * evaluator (evaluate.ts) must agree:
 * - no `$text`; no dotted path through an array (documents never hold arrays of objects, and
 *   `obj` is an object, null or a scalar, never an array);
 * - `$elemMatch` only on `a` and `tags` (arrays of scalars), with scalar operator conditions;
 * - range operators only with numbers or strings; regexes from small pools that mean the same in
 *   JavaScript and PCRE (no `.` next to astral characters, case-insensitive only on ASCII);
 * - no `$not` inside `$not`, no null and no arrays inside `$all`;
 * - literal objects (equality on `obj`) always list keys in the order documents store them (x, y),
 *   since MongoDB's object equality is key-order sensitive;
 * - sorts only on fields that never hold arrays or objects (MongoDB sorts an array by its min/max
 *   element, which the plain value order does not model).
 *
 * `jongodbSafe` is the same set minus the cases where jongodb, the MongoDB-wire server the tests
 * run against, departs from real MongoDB (found by running these arbitraries against it):
 * - `$all` does not match a scalar field (`{a: {$all: [3]}}` misses `a: 3`; MongoDB matches, its
 *   `$all` is an `$and` of equalities) → `$all` only on `tags`, whose documents are then always
 *   arrays (or null/missing);
 * - `$nin: [null]` matches a missing field (MongoDB does not) → no null in `$nin`;
 * - strings compare in UTF-16 order, not UTF-8 byte order (`'\uff01' < '😀'` in MongoDB, not in
 *   jongodb) → no character in U+E000–U+FFFF next to astral ones;
 * - a sort puts missing before null (MongoDB sorts them as equal) → sortable fields are never null;
 * - `{a: [1, 2]}` does not match `a: [[1, 2]]` → (already absent: no nested arrays in documents).
 */

export interface FilterArbitraries {
  /** One document over the vocabulary `a b c n s tags obj(.x .y)`; any field may be missing. */
  documentArb: fc.Arbitrary<DocumentData>;
  /** 0–30 documents, lengths spread over the whole range. */
  documentsArb: fc.Arbitrary<DocumentData[]>;
  /** A filter tree at most 3 levels deep, using every operator except `$text`. */
  filterArb: fc.Arbitrary<FilterNode>;
  /** 1–3 distinct sort keys (engines append `id` as the final tie-break). */
  sortArb: fc.Arbitrary<SortSpec>;
}

export interface ArbitraryProfile {
  /** Leave out the cases jongodb gets wrong (see above). */
  jongodbSafe?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Value pools
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
/** null 1 time in 6, unless `never`. */
const orNull = <T>(arb: fc.Arbitrary<T>, never = false): fc.Arbitrary<T | null> =>
  never ? arb : fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) });
/** A field value that is missing (undefined) 1 time in 5. */
const present = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { freq: 5, nil: undefined });

function withoutMissing(record: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value as JsonValue;
  return out;
}

interface FieldSpec {
  path: string;
  /** Element-level values documents hold at this path. */
  scalars: readonly JsonScalar[];
  /** Documents may hold an array of scalars here. */
  arrays: boolean;
  /** `$all` / `$size` are mostly used here. */
  arrayOps: boolean;
  /** Literal objects for equality (only `obj`). */
  objects?: readonly JsonValue[];
  /** Patterns that hit this field's strings. */
  regexes?: readonly Regex[];
}

type CondKind = FieldCondition['op'];
const ELEM_MATCH_KINDS: readonly CondKind[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'regex'];
const NOT_KINDS: readonly CondKind[] = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'nin',
  'exists',
  'regex',
  'all',
  'size',
];
const FIELD_KINDS: readonly CondKind[] = [...NOT_KINDS, 'elemMatch', 'not'];

// ---------------------------------------------------------------------------------------------
// The arbitraries
// ---------------------------------------------------------------------------------------------

export function makeFilterArbitraries(profile: ArbitraryProfile = {}): FilterArbitraries {
  const safe = profile.jongodbSafe ?? false;
  const strings = safe ? STRING_POOL.filter((s) => s !== '\uff01') : STRING_POOL;

  // --- documents ---
  const objArb: fc.Arbitrary<JsonValue> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record({ x: present(orNull(pick(INT_POOL), safe)), y: present(pick(OBJ_Y_POOL)) })
        .map(withoutMissing),
    },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: pick<JsonValue>([7, 'obj']) },
  );
  const documentArb: fc.Arbitrary<DocumentData> = fc
    .record({
      a: present(
        fc.oneof(
          { weight: 3, arbitrary: pick<JsonValue>(INT_POOL) },
          { weight: 3, arbitrary: fc.array(pick(INT_POOL), { maxLength: 3 }) },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
      ),
      b: present(orNull(fc.boolean(), safe)),
      c: present(orNull(pick<JsonValue>(MIXED_POOL), safe)),
      n: present(orNull(pick<JsonValue>(NUMBER_POOL), safe)),
      s: present(
        orNull(fc.oneof({ weight: 2, arbitrary: pick(HOT_STRINGS) }, { weight: 1, arbitrary: pick(strings) }), safe),
      ),
      tags: present(
        fc.oneof(
          { weight: 4, arbitrary: fc.array(pick(TAG_POOL), { maxLength: 3 }) },
          { weight: safe ? 0 : 1, arbitrary: pick<JsonValue>(TAG_POOL) },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
      ),
      obj: present(objArb),
    })
    .map(withoutMissing);
  const documentsArb = fc.array(documentArb, { maxLength: 30, size: 'max' });

  // --- filters ---
  const fields: FieldSpec[] = [
    { path: 'a', scalars: INT_POOL, arrays: true, arrayOps: !safe },
    { path: 'b', scalars: [true, false], arrays: false, arrayOps: false },
    {
      path: 'c',
      scalars: MIXED_POOL,
      arrays: false,
      arrayOps: false,
      regexes: [rx('^a'), rx('^A', 'i'), rx('\\d'), rx('b|1')],
    },
    { path: 'n', scalars: NUMBER_POOL, arrays: false, arrayOps: false },
    {
      path: 's',
      scalars: strings,
      arrays: false,
      arrayOps: false,
      regexes: [
        rx('^a'),
        rx('^a', 'i'),
        rx('^ap+le$', 'i'),
        rx('pl'),
        rx('e$'),
        rx('^[A-Z]'),
        rx('ü'),
        rx('^$'),
        rx('p.e'),
      ],
    },
    {
      path: 'tags',
      scalars: TAG_POOL,
      arrays: true,
      arrayOps: true,
      regexes: [rx('^re'), rx('RED', 'i'), rx('e'), rx('ü'), rx('^[a-z]+$'), rx('n$')],
    },
    {
      path: 'obj',
      scalars: [7, 'obj'],
      arrays: false,
      arrayOps: false,
      objects: [{}, { x: 1 }, { y: 'a' }, { x: 1, y: 'a' }, { x: null, y: 'apple' }],
    },
    { path: 'obj.x', scalars: INT_POOL, arrays: false, arrayOps: false },
    {
      path: 'obj.y',
      scalars: OBJ_Y_POOL,
      arrays: false,
      arrayOps: false,
      regexes: [rx('^a'), rx('^a', 'i'), rx('le')],
    },
  ];

  const scalarArb = (f: FieldSpec): fc.Arbitrary<JsonScalar> =>
    fc.oneof(
      { weight: 8, arbitrary: pick(f.path === 's' ? HOT_STRINGS : f.scalars) },
      { weight: 2, arbitrary: pick(f.scalars) },
      { weight: 1, arbitrary: pick(WILD_POOL) },
    );

  /** A value for equality / `$in`: mostly hits, sometimes null, other types, arrays or objects. */
  const eqValueArb = (f: FieldSpec, allowNull = true): fc.Arbitrary<JsonValue> => {
    const options: Array<fc.WeightedArbitrary<JsonValue>> = [
      { weight: 8, arbitrary: allowNull ? scalarArb(f) : scalarArb(f).filter((v) => v !== null) },
    ];
    if (allowNull) options.push({ weight: 1, arbitrary: fc.constant(null) });
    if (f.arrays) options.push({ weight: 2, arbitrary: fc.array(pick(f.scalars), { maxLength: 2 }) });
    if (f.objects) options.push({ weight: 3, arbitrary: pick(f.objects) });
    return fc.oneof(...options);
  };

  /** Bounds for `$gt` etc.: numbers or strings, mostly of the field's own type. */
  const rangeValueArb = (f: FieldSpec): fc.Arbitrary<string | number> => {
    const own = f.scalars.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
    const options: Array<fc.WeightedArbitrary<string | number>> = [
      { weight: 1, arbitrary: pick(NUMBER_POOL) },
      { weight: 1, arbitrary: pick(strings) },
    ];
    if (own.length > 0) options.push({ weight: 6, arbitrary: pick(own) });
    return fc.oneof(...options);
  };

  const conditionArb = (f: FieldSpec, kind: CondKind): fc.Arbitrary<FieldCondition> => {
    switch (kind) {
      case 'eq':
      case 'ne':
        return eqValueArb(f).map((value) => ({ op: kind, value }));
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return rangeValueArb(f).map((value) => ({ op: kind, value }));
      case 'in':
      case 'nin':
        return fc
          .array(eqValueArb(f, !(safe && kind === 'nin')), { maxLength: 3 })
          .map((values) => ({ op: kind, values }));
      case 'exists':
        return fc.boolean().map((value) => ({ op: 'exists', value }));
      case 'regex':
        return fc
          .oneof({ weight: 4, arbitrary: pick(f.regexes ?? REGEX_POOL) }, { weight: 1, arbitrary: pick(REGEX_POOL) })
          .map(({ pattern, flags }) => ({ op: 'regex', pattern, flags }));
      case 'all':
        return fc
          .array(pick(f.scalars.filter((v) => v !== null)), { minLength: 1, maxLength: 2 })
          .map((values) => ({ op: 'all', values }));
      case 'size':
        return fc.integer({ min: 0, max: 3 }).map((value) => ({ op: 'size', value }));
      case 'elemMatch':
        return uniqueConds(f, ELEM_MATCH_KINDS).map((conds) => ({ op: 'elemMatch', conds }));
      case 'not':
        return uniqueConds(f, NOT_KINDS).map((conds) => ({ op: 'not', conds }));
    }
  };

  /**
   * How often each operator is used on a field: array operators mostly on array fields and
   * `$regex` mostly on string fields, so that conditions hit; elsewhere they are rare probes.
   */
  const kindWeight = (f: FieldSpec, kind: CondKind): number => {
    if (kind === 'elemMatch') return f.arrays ? 4 : 0;
    if (kind === 'all') return f.arrayOps ? 4 : safe ? 0 : 1;
    if (kind === 'size') return f.arrays ? 4 : 1;
    if (kind === 'regex') return f.regexes ? 4 : 1;
    return 4;
  };

  /** 1 (usually) or 2 conditions with distinct operators (so the tree has a JSON form). */
  function uniqueConds(f: FieldSpec, kinds: readonly CondKind[]): fc.Arbitrary<FieldCondition[]> {
    const kindArb = fc.oneof(
      ...kinds
        .filter((kind) => kindWeight(f, kind) > 0)
        .map((kind) => ({ weight: kindWeight(f, kind), arbitrary: fc.constant(kind) })),
    );
    return fc
      .oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) })
      .chain((n) => fc.uniqueArray(kindArb, { minLength: n, maxLength: n }))
      .chain((chosen) => fc.tuple(...chosen.map((kind) => conditionArb(f, kind))));
  }

  const fieldNodeArb: fc.Arbitrary<FilterNode> = pick(fields).chain((f) =>
    uniqueConds(f, FIELD_KINDS).map((conds): FilterNode => ({ op: 'field', path: f.path, conds })),
  );

  const nodeArb = (levels: number): fc.Arbitrary<FilterNode> => {
    if (levels <= 1) return fieldNodeArb;
    const children = fc.array(
      fc.oneof(
        { weight: 12, arbitrary: nodeArb(levels - 1) },
        { weight: 1, arbitrary: fc.constant<FilterNode>({ op: 'all' }) },
      ),
      { minLength: 1, maxLength: 3 },
    );
    return fc.oneof(
      { weight: 4, arbitrary: fieldNodeArb },
      ...(['and', 'or', 'nor'] as const).map((op) => ({
        weight: 1,
        arbitrary: children.map((c): FilterNode => ({ op, children: c })),
      })),
    );
  };

  const filterArb: fc.Arbitrary<FilterNode> = fc.oneof(
    { weight: 1, arbitrary: fc.constant<FilterNode>({ op: 'all' }) },
    { weight: 30, arbitrary: nodeArb(3) },
  );

  // --- sorts ---
  const sortArb: fc.Arbitrary<SortSpec> = fc.uniqueArray(
    fc.record({ path: pick(SORT_FIELDS), dir: pick([1, -1] as const) }),
    { minLength: 1, maxLength: 3, selector: (key) => key.path },
  );

  return { documentArb, documentsArb, filterArb, sortArb };
}

/** The full set (what SQLite and a real MongoDB must agree on with the reference evaluator). */
export const { documentArb, documentsArb, filterArb, sortArb } = makeFilterArbitraries();

/** The same minus the cases jongodb gets wrong; use these for runs against jongodb. */
export const jongodbSafe: FilterArbitraries = makeFilterArbitraries({ jongodbSafe: true });

/** The user JSON for a tree, such that `parseFilter(filterToJson(node))` gives the tree back. */
export function filterToJson(node: FilterNode): Record<string, JsonValue> {
  switch (node.op) {
    case 'all':
      return {};
    case 'and':
    case 'or':
    case 'nor':
      return { [`$${node.op}`]: node.children.map(filterToJson) };
    case 'field':
      return { [node.path]: conditionsToJson(node.conds) };
    case 'text':
      return { $text: { $search: node.search } };
  }
}

function conditionsToJson(conds: readonly FieldCondition[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const cond of conds) {
    switch (cond.op) {
      case 'in':
      case 'nin':
      case 'all':
        out[`$${cond.op}`] = cond.values;
        break;
      case 'regex':
        out.$regex = cond.pattern;
        if (cond.flags) out.$options = cond.flags;
        break;
      case 'elemMatch':
        out.$elemMatch = cond.filter ? filterToJson(cond.filter) : conditionsToJson(cond.conds ?? []);
        break;
      case 'not':
        out.$not = conditionsToJson(cond.conds);
        break;
      default:
        out[`$${cond.op}`] = cond.value;
    }
  }
  return out;
}
