import fc from 'fast-check';
import {
  FORGED_CREDENTIALS,
  HOSTILE_HEADERS,
  HOSTILE_JSON,
  QUERY_STRINGS,
  RAW_BODIES,
  RAW_SEGMENTS,
  hostileString,
} from './hostile.js';
import type { Operation, Parameter } from './operations.js';
import { breakingArb, smallJson, validArb, type SchemaContext } from './schema-arbitraries.js';
import { COLLECTION_FIELDS } from './world.js';

/**
 * One generated request for an operation, before it meets a world: fixtures are named, not
 * inlined (`FixtureRef('userId', 0)` is "the first user id of whichever world is current"), so
 * cases are generated once per operation from the seed and stay meaningful when the runner
 * rebuilds its fixtures mid-run.
 */
export class FixtureRef {
  constructor(
    readonly name: string,
    readonly pick: number,
  ) {}
}

/** A path segment: a fixture, or text sent exactly as given (already percent-encoded). */
export type Segment = { ref: FixtureRef } | { raw: string };

export interface QueryPart {
  name: string;
  value: unknown;
  /** Send the value unencoded (it holds percent-encoding on purpose). */
  raw?: boolean;
}

export type Body = { json: unknown } | { raw: string; contentType: string } | null;

export interface CaseInput {
  kind: 'valid' | 'breaking' | 'hostile';
  /** What this case does to the request, for reports. */
  note: string;
  path: Record<string, Segment>;
  query: QueryPart[];
  body: Body;
  headers: Record<string, string>;
  /** Credentials sent instead of the principal's. */
  forged?: Record<string, string>;
}

/** Property and parameter names whose values also come from the fixtures. */
export const HINTED_NAMES = [
  'appId',
  'collection',
  'id',
  'keyId',
  'userId',
  'sessionId',
  'adminId',
  'email',
  'password',
  'currentPassword',
  'refreshToken',
  'to',
] as const;

const pick = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(3) });
const ref = (name: string) => pick.map((i) => new FixtureRef(name, i));
const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

// Query hints: filters, sorts, projections and expansions over the fixtures' collections.
const field = fc.constantFrom(...COLLECTION_FIELDS, 'owner', 'id', 'createdAt', 'unknown', 'label.name', 'meta.x');
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.constant(null));
const condition = fc.oneof(
  scalar,
  fc.record({ $eq: scalar }),
  fc.record({ $gt: scalar }),
  fc.record({ $in: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({
    $regex: fc.constantFrom('^m', 'e$', '(a|b)', '[', '(a+)+$', '\\p{L}{0,1000}'),
    $options: fc.constantFrom('i', 'x'),
  }),
  fc.record({ $size: fc.nat(3) }),
);
const leaf = fc.dictionary(field, condition, { minKeys: 1, maxKeys: 2 });
const filter = fc.oneof(
  leaf,
  fc.record({ $and: fc.array(leaf, { minLength: 1, maxLength: 3 }) }),
  fc.record({ $or: fc.array(leaf, { minLength: 1, maxLength: 3 }) }),
  fc.record({ $not: leaf }),
  fc.record({ $text: fc.record({ $search: fc.string({ maxLength: 10 }) }) }),
);
const QUERY_HINTS: Record<string, fc.Arbitrary<unknown>> = {
  filter: filter.map((f) => JSON.stringify(f)),
  sort: fc
    .array(fc.tuple(fc.boolean(), field), { minLength: 1, maxLength: 3 })
    .map((l) => l.map(([d, f]) => (d ? '-' : '') + f).join(',')),
  fields: fc.array(field, { minLength: 1, maxLength: 4 }).map((l) => l.join(',')),
  expand: fc.constantFrom('label', 'labels', 'label,labels', 'title', 'label.label', 'owner'),
};

// Document bodies: the fixtures' fields (and a few others), plain or as update operators.
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  ref('id'),
  fc.array(ref('id'), { maxLength: 3 }),
  smallJson,
);
const docFields = fc.dictionary(fc.constantFrom(...COLLECTION_FIELDS, 'extra', 'owner', 'createdBy'), value, {
  maxKeys: 4,
});
const updateOps = fc.record(
  {
    $set: docFields,
    $inc: fc.dictionary(fc.constantFrom('n', 'title', 'meta.count'), fc.integer({ min: -3, max: 3 }), { maxKeys: 2 }),
    $unset: fc.array(fc.constantFrom(...COLLECTION_FIELDS), { maxLength: 2 }),
    $push: fc.dictionary(fc.constantFrom('tags', 'labels'), fc.array(value, { maxLength: 2 }), { maxKeys: 1 }),
    $pull: fc.dictionary(fc.constantFrom('tags', 'labels'), value, { maxKeys: 1 }),
    $addToSet: fc.dictionary(fc.constantFrom('tags'), value, { maxKeys: 1 }),
  },
  { requiredKeys: [] },
);
const freeObject = fc.oneof(docFields, updateOps) as fc.Arbitrary<Record<string, unknown>>;

export function schemaContext(doc: unknown): SchemaContext {
  const hinted = new Set<string>(HINTED_NAMES);
  return {
    doc,
    hint: (name) => QUERY_HINTS[name] ?? (hinted.has(name) ? ref(name) : undefined),
    freeObject,
  };
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) is sent as the three bytes
 * a careless client would send (WTF-8), for the server to refuse.
 */
export function encodeAny(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g, (ch) => {
      const u = ch.charCodeAt(0);
      if (ch.length === 1 && u >= 0xd800 && u <= 0xdfff) {
        return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
          .map((b) => `%${b.toString(16).toUpperCase()}`)
          .join('');
      }
      return encodeURIComponent(ch);
    });
  }
}

const encodeSegment = (v: unknown): Segment => ({ raw: encodeAny(asText(v)) });

/** A path parameter: binding `k`'s fixture mostly, sometimes any value of its schema. */
function validSegment(p: Parameter, ctx: SchemaContext, k: number): fc.Arbitrary<Segment> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant<Segment>({ ref: new FixtureRef(p.name, k) }) },
    { weight: 1, arbitrary: validArb(p.schema, ctx).map(encodeSegment) },
  );
}

function validQuery(params: Parameter[], ctx: SchemaContext): fc.Arbitrary<QueryPart[]> {
  if (!params.length) return fc.constant([]);
  return fc
    .tuple(
      ...params.map((p) => {
        const v = validArb(p.schema, ctx, p.name).map((value): QueryPart => ({ name: p.name, value }));
        return p.required ? v.map((x) => [x]) : fc.option(v, { freq: 2 }).map((x) => (x ? [x] : []));
      }),
    )
    .map((parts) => parts.flat());
}

function validCase(op: Operation, ctx: SchemaContext): fc.Arbitrary<CaseInput> {
  // One binding for every path parameter: they name things that belong together.
  const path = pick.chain((k) =>
    fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, validSegment(p, ctx, k)]))),
  );
  const body: fc.Arbitrary<Body> = op.body ? validArb(op.body, ctx).map((json) => ({ json })) : fc.constant(null);
  return fc.record({ path, query: validQuery(op.queryParams, ctx), body }).map((c) => ({
    kind: 'valid' as const,
    note: 'schema-valid',
    headers: {},
    ...(c as Pick<CaseInput, 'path' | 'query' | 'body'>),
  }));
}

function breakingCase(op: Operation, ctx: SchemaContext): fc.Arbitrary<CaseInput> {
  const spots: fc.Arbitrary<(c: CaseInput) => CaseInput>[] = [];
  for (const p of op.pathParams) {
    spots.push(
      // An empty segment would name another route (…/sessions/ is …/sessions), not break this one.
      breakingArb(p.schema, ctx)
        .filter((b) => asText(b.value) !== '')
        .map((b) => (c: CaseInput) => ({
          ...c,
          note: `path ${p.name}: ${b.why}`,
          path: { ...c.path, [p.name]: encodeSegment(b.value) },
        })),
    );
  }
  for (const p of op.queryParams) {
    spots.push(
      breakingArb(p.schema, ctx).map((b) => (c: CaseInput) => ({
        ...c,
        note: `query ${p.name}: ${b.why}`,
        query: [...c.query.filter((q) => q.name !== p.name), { name: p.name, value: b.value }],
      })),
    );
  }
  if (op.body) {
    spots.push(
      breakingArb(op.body, ctx).map((b) => (c: CaseInput) => ({
        ...c,
        note: `body: ${b.why}`,
        body: { json: b.value },
      })),
    );
    spots.push(fc.constant((c: CaseInput) => ({ ...c, note: 'body: missing', body: null })));
  }
  if (!spots.length) return hostileCase(op, ctx);
  return fc.tuple(validCase(op, ctx), fc.oneof(...spots)).map(([c, f]) => ({ ...f(c), kind: 'breaking' as const }));
}

function hostileCase(op: Operation, ctx: SchemaContext): fc.Arbitrary<CaseInput> {
  type Edit = (c: CaseInput) => CaseInput;
  const spots: fc.Arbitrary<Edit>[] = [];
  const names = op.pathParams.map((p) => p.name);
  if (names.length) {
    spots.push(
      fc.tuple(...names.map(() => fc.nat(3))).map((picks): Edit => (c) => ({
        ...c,
        note: `path: mixed fixtures ${picks.join(',')}`,
        path: Object.fromEntries(names.map((n, i) => [n, { ref: new FixtureRef(n, picks[i]!) }])),
      })),
      fc.tuple(fc.constantFrom(...names), fc.constantFrom(...RAW_SEGMENTS)).map(([n, raw]): Edit => (c) => ({
        ...c,
        note: `path ${n}: raw ${raw.slice(0, 40)}`,
        path: { ...c.path, [n]: { raw } },
      })),
      fc
        .tuple(
          fc.constantFrom(...names),
          hostileString.filter((h) => h !== ''),
        )
        .map(([n, s]): Edit => (c) => ({
          ...c,
          note: `path ${n}: ${JSON.stringify(s.slice(0, 40))}`,
          path: { ...c.path, [n]: encodeSegment(s) },
        })),
    );
  }
  const queryNames = [...op.queryParams.map((p) => p.name), '$where', '__proto__', 'filter'];
  spots.push(
    fc
      .tuple(fc.constantFrom(...queryNames), fc.constantFrom(...QUERY_STRINGS), fc.boolean())
      .map(([n, s, raw]): Edit => (c) => ({
        ...c,
        note: `query ${n}=${JSON.stringify(s.slice(0, 40))}${raw ? ' (raw)' : ''}`,
        query: [...c.query.filter((q) => q.name !== n), { name: n, value: s, raw }],
      })),
    fc.constantFrom(...queryNames).map((n): Edit => (c) => ({
      ...c,
      note: `query ${n} repeated`,
      query: [...c.query, { name: n, value: '1' }, { name: n, value: '2' }],
    })),
    fc
      .constantFrom(...HOSTILE_JSON)
      .map((h): Edit => (c) => ({ ...c, note: `body: ${h.why}`, body: { json: h.value() } })),
    fc.constantFrom(...RAW_BODIES).map((r): Edit => (c) => ({
      ...c,
      note: `raw body: ${r.why}`,
      body: { raw: r.body, contentType: r.contentType },
    })),
    fc
      .constantFrom(...HOSTILE_HEADERS)
      .map((h): Edit => (c) => ({ ...c, note: `header ${Object.keys(h)[0]}`, headers: h })),
    fc
      .constantFrom(...FORGED_CREDENTIALS)
      .map((f): Edit => (c) => ({ ...c, note: `forged ${JSON.stringify(f).slice(0, 60)}`, forged: f })),
  );
  if (op.body) {
    spots.push(
      fc.tuple(fc.constantFrom(...HOSTILE_JSON), validArb(op.body, ctx)).map(([h, v]): Edit => (c) => {
        const obj = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
        const keys = Object.keys(obj);
        const k = keys[0] ?? 'title';
        return { ...c, note: `body.${k}: ${h.why}`, body: { json: { ...obj, [k]: h.value() } } };
      }),
    );
  }
  return fc.tuple(validCase(op, ctx), fc.oneof(...spots)).map(([c, f]) => ({ ...f(c), kind: 'hostile' as const }));
}

export function caseArb(op: Operation, ctx: SchemaContext): fc.Arbitrary<CaseInput> {
  return fc.oneof(
    { weight: 4, arbitrary: validCase(op, ctx) },
    { weight: 3, arbitrary: breakingCase(op, ctx) },
    { weight: 3, arbitrary: hostileCase(op, ctx) },
  );
}

/** Cases every operation gets regardless of the sample: bad percent-encoding in each path parameter, and malformed bodies. */
export function edgeCases(op: Operation): CaseInput[] {
  const base: CaseInput = {
    kind: 'hostile',
    note: '',
    path: Object.fromEntries(op.pathParams.map((p) => [p.name, { ref: new FixtureRef(p.name, 0) }])),
    query: [],
    body: op.body ? { json: {} } : null,
    headers: {},
  };
  const out: CaseInput[] = [];
  for (const p of op.pathParams) {
    out.push({ ...base, note: `path ${p.name}: raw %E0%A4%A`, path: { ...base.path, [p.name]: { raw: '%E0%A4%A' } } });
  }
  if (op.body || op.method !== 'get') {
    out.push({ ...base, note: 'raw body: truncated JSON', body: { raw: '{"a": ', contentType: 'application/json' } });
    out.push({ ...base, note: 'raw body: text/plain', body: { raw: 'a=1', contentType: 'text/plain' } });
  }
  return out;
}

export { asText };
