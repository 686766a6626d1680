import fc from 'fast-check';
import { resolveRef, type JsonSchema } from './operations.js';

/**
 * fast-check arbitraries derived from the JSON schemas of /openapi.json (draft 2020-12, as zod
 * renders them): `validArb` produces values the schema accepts, `breakingArb` values it refuses,
 * each with a short note saying what was broken (`ops.0.collection: longer than 64`).
 *
 * Bounds are kept small on purpose (strings ≤ 24 characters beyond their minimum, arrays ≤ 3
 * items beyond theirs): the point is many different requests, not big ones; big ones come from
 * hostile.ts. A property whose name has a hint (`email`, `refreshToken`…, see world.ts) draws
 * from the fixtures' own values as often as from its schema, so valid requests get past the
 * first lookup and reach deeper code.
 */
export interface SchemaContext {
  /** The OpenAPI document, for `$ref`. */
  doc: unknown;
  /** Values for a property or parameter by name (fixture references), or undefined. */
  hint(name: string): fc.Arbitrary<unknown> | undefined;
  /** Stands for `{type: "object"}` without properties (document bodies: any fields). */
  freeObject: fc.Arbitrary<Record<string, unknown>>;
}

export interface Broken {
  value: unknown;
  why: string;
}

const MAX_DEPTH = 6;
const SMALL_INT = 1_000_000;

const deref = (schema: JsonSchema, ctx: SchemaContext): JsonSchema =>
  schema.$ref ? deref(resolveRef(ctx.doc, schema.$ref), ctx) : schema;

const typesOf = (s: JsonSchema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

export const smallJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 }).map((v) => v as unknown);

export function validArb(schema: JsonSchema, ctx: SchemaContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  const hinted = name ? ctx.hint(name) : undefined;
  const plain = validPlain(s, ctx, depth);
  return hinted ? fc.oneof({ arbitrary: hinted, weight: 2 }, { arbitrary: plain, weight: 1 }) : plain;
}

function validPlain(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  if ('const' in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => validArb(a, ctx, undefined, depth + 1)));
  if (s.allOf) return validArb(s.allOf[0] ?? {}, ctx, undefined, depth + 1);
  const types = typesOf(s);
  if (types.length > 1) return fc.oneof(...types.map((type) => validPlain({ ...s, type }, ctx, depth)));
  switch (types[0]) {
    case 'string':
      return validString(s);
    case 'integer':
      return validInteger(s);
    case 'number':
      return validNumber(s);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return validArray(s, ctx, depth);
    case 'object':
      return validObject(s, ctx, depth);
    default:
      return smallJson;
  }
}

function validString(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? min + 24, min + 24);
  const fits = (v: string) => v.length >= min && v.length <= (s.maxLength ?? Infinity);
  if (s.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  if (s.format === 'uri') return fc.webUrl().filter(fits);
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    // stringMatching honours the anchors; lengths beyond the pattern's own bounds are filtered.
    return fc
      .stringMatching(re)
      .map((v) => (v.length > max && !s.pattern!.endsWith('$') ? v.slice(0, max) : v))
      .filter((v) => fits(v) && re.test(v));
  }
  if (s.format === 'email') return fc.emailAddress().filter(fits);
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }),
  );
}

function bounds(s: JsonSchema, fallback: number): { min: number; max: number } {
  const min = s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? -fallback);
  const max = s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : (s.maximum ?? fallback);
  return { min, max };
}

function validInteger(s: JsonSchema): fc.Arbitrary<number> {
  const { min, max } = bounds(s, SMALL_INT);
  const lo = Math.ceil(Math.max(min, Number.MIN_SAFE_INTEGER));
  const hi = Math.floor(Math.min(max, Number.MAX_SAFE_INTEGER));
  const small = fc.integer({
    min: Math.max(lo, -SMALL_INT),
    max: Math.max(Math.min(hi, SMALL_INT), Math.max(lo, -SMALL_INT)),
  });
  const edges = fc.constantFrom(lo, hi);
  const wide = fc.bigInt({ min: BigInt(lo), max: BigInt(hi) }).map(Number);
  return fc.oneof({ arbitrary: small, weight: 4 }, { arbitrary: edges, weight: 1 }, { arbitrary: wide, weight: 1 });
}

function validNumber(s: JsonSchema): fc.Arbitrary<number> {
  const { min, max } = bounds(s, SMALL_INT);
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
}

function validArray(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown[]> {
  const minLength = s.minItems ?? 0;
  const maxLength = depth >= MAX_DEPTH ? minLength : Math.min(s.maxItems ?? minLength + 3, minLength + 3);
  if (s.prefixItems) return fc.tuple(...s.prefixItems.map((p) => validArb(p, ctx, undefined, depth + 1)));
  return fc.array(validArb(s.items ?? {}, ctx, undefined, depth + 1), { minLength, maxLength });
}

function validObject(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const names = Object.keys(props);
  if (names.length === 0) {
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      const keys = s.propertyNames ? (validString(deref(s.propertyNames, ctx)) as fc.Arbitrary<string>) : fc.string();
      return fc.dictionary(keys, validArb(s.additionalProperties, ctx, undefined, depth + 1), {
        maxKeys: depth >= MAX_DEPTH ? 0 : 3,
      });
    }
    return ctx.freeObject;
  }
  const required = s.required ?? [];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const n of names) {
    if (depth >= MAX_DEPTH && !required.includes(n)) continue;
    model[n] = validArb(props[n]!, ctx, n, depth + 1);
  }
  return fc.record(model, { requiredKeys: required.filter((r) => r in model) });
}

// ---------------------------------------------------------------------------------------------
// Breaking values
// ---------------------------------------------------------------------------------------------

const OTHER_TYPES: Record<string, unknown[]> = {
  string: [12, true, null, {}, [], { $gt: '' }, ['a', 'b']],
  integer: ['1', '', 1.5, true, null, {}, [1], 'NaN', { $ne: 0 }],
  number: ['1', '', true, null, {}, [], '1e309', { $gt: 0 }],
  boolean: ['true', 1, 0, null, [], {}, 'false'],
  null: [0, '', false, 'null', {}, []],
  array: [{}, 'a,b', 1, null, true, { 0: 'a', length: 1 }],
  object: [[], 'x', 1, null, true, [{}]],
};

const note = (why: string, value: unknown): Broken => ({ value, why });

function wrongType(s: JsonSchema): fc.Arbitrary<Broken> {
  const allowed = new Set(typesOf(s));
  if (allowed.has('integer')) allowed.add('number');
  if (allowed.has('number')) allowed.add('integer');
  const candidates = Object.entries(OTHER_TYPES)
    .filter(([t]) => !allowed.has(t))
    .flatMap(([, vs]) => vs)
    .filter((v) => !(allowed.has('object') && v !== null && typeof v === 'object' && !Array.isArray(v)))
    .filter((v) => !(allowed.has('array') && Array.isArray(v)));
  return fc.constantFrom(...candidates).map((v) => note(`wrong type ${JSON.stringify(v)}`, v));
}

export function breakingArb(schema: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<Broken> {
  const s = deref(schema, ctx);
  const options: fc.Arbitrary<Broken>[] = [];
  if (s.enum || 'const' in s) {
    options.push(fc.constant(note('not one of the allowed values', '__not_allowed__')));
  }
  const types = typesOf(s);
  if (types.length) options.push(wrongType(s));
  if (types.includes('string') && !s.enum && !('const' in s)) options.push(...breakString(s));
  if (types.includes('integer') || types.includes('number')) options.push(...breakNumber(s, types.includes('integer')));
  if (types.includes('array')) options.push(...breakArray(s, ctx, depth));
  if (types.includes('object')) options.push(...breakObject(s, ctx, depth));
  if (options.length === 0) {
    // A union or an open schema: only values no branch takes (an undefined-like hole).
    const branches = (s.anyOf ?? s.oneOf ?? []).map((b) => deref(b, ctx));
    const union = branches.flatMap(typesOf);
    if (union.length && branches.every((b) => typesOf(b).length)) return wrongType({ type: union });
    return fc.constant(note('a function-like string where anything goes', '() => {}'));
  }
  return fc.oneof(...options);
}

function breakString(s: JsonSchema): fc.Arbitrary<Broken>[] {
  const out: fc.Arbitrary<Broken>[] = [];
  if (s.maxLength !== undefined && s.maxLength < 200_000) {
    out.push(fc.constant(note(`longer than ${s.maxLength}`, 'a'.repeat(s.maxLength + 1))));
  }
  if ((s.minLength ?? 0) > 0) out.push(fc.constant(note(`shorter than ${s.minLength}`, 'a'.repeat(s.minLength! - 1))));
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    const misses = ['', ' ', '../..', 'a b', '%00', '\u0000', 'é', '😀', '-', '$where', 'x'.repeat(70)].filter(
      (v) => !re.test(v),
    );
    if (misses.length) out.push(fc.constantFrom(...misses).map((v) => note(`does not match ${s.pattern}`, v)));
  }
  if (s.format === 'date-time') {
    out.push(fc.constantFrom('2024-13-45T99:99:99Z', 'yesterday', '0', '').map((v) => note('not a date-time', v)));
  }
  if (s.format === 'email')
    out.push(fc.constantFrom('not-an-email', '@', 'a@', '<a@b.c>').map((v) => note('not an email', v)));
  return out;
}

function breakNumber(s: JsonSchema, integer: boolean): fc.Arbitrary<Broken>[] {
  const out: Broken[] = [];
  if (integer) out.push(note('not an integer', 1.5));
  if (s.minimum !== undefined) out.push(note(`below ${s.minimum}`, s.minimum - 1));
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER)
    out.push(note(`above ${s.maximum}`, s.maximum + 1));
  out.push(note('huge', 1e308), note('huge negative', -1e308), note('beyond 2^53', 2 ** 64));
  return [fc.constantFrom(...out)];
}

function breakArray(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<Broken>[] {
  const out: fc.Arbitrary<Broken>[] = [];
  const item = s.items ?? {};
  if (s.maxItems !== undefined && s.maxItems <= 1000) {
    out.push(
      fc
        .array(validArb(item, ctx, undefined, MAX_DEPTH), { minLength: s.maxItems + 1, maxLength: s.maxItems + 1 })
        .map((v) => note(`more than ${s.maxItems} items`, v)),
    );
  }
  if ((s.minItems ?? 0) > 0) out.push(fc.constant(note(`fewer than ${s.minItems} items`, [])));
  if (depth < MAX_DEPTH && (deref(item, ctx).type || deref(item, ctx).enum || deref(item, ctx).anyOf)) {
    out.push(breakingArb(item, ctx, depth + 1).map((b) => note(`[0]: ${b.why}`, [b.value])));
  }
  return out;
}

function breakObject(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<Broken>[] {
  const out: fc.Arbitrary<Broken>[] = [];
  const props = s.properties ?? {};
  const names = Object.keys(props);
  const valid = validObject(s, ctx, depth) as fc.Arbitrary<Record<string, unknown>>;
  for (const r of s.required ?? []) {
    out.push(valid.map((v) => note(`missing ${r}`, Object.fromEntries(Object.entries(v).filter(([k]) => k !== r)))));
  }
  if (s.additionalProperties === false) {
    out.push(
      fc
        .tuple(valid, fc.constantFrom('unexpected', '$where', '__proto__x', 'constructor'))
        .map(([v, k]) => note(`unknown property ${k}`, { ...v, [k]: 1 })),
    );
  }
  if (names.length && depth < MAX_DEPTH) {
    out.push(
      fc
        .constantFrom(...names)
        .chain((k) =>
          fc
            .tuple(valid, breakingArb(props[k]!, ctx, depth + 1))
            .map(([v, b]) => note(`${k}: ${b.why}`, { ...v, [k]: b.value })),
        ),
    );
  }
  return out;
}
