import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  documentArb,
  documentsArb,
  filterArb,
  filterToJson,
  jongodbSafe,
  sortArb,
} from '../../../test/support/filter-arbitraries.js';
import { sortFingerprint } from '../cursor.js';
import { compareValues, getPath } from './compare.js';
import { matches } from './evaluate.js';
import { parseFilter, parseSort } from './parse.js';
import type { FilterNode } from './types.js';

describe('filter arbitraries and the parser', () => {
  it.each([
    ['full', filterArb],
    ['jongodb-safe', jongodbSafe.filterArb],
  ])('every generated filter (%s) survives JSON and parses back to the same tree', (_name, arb) => {
    fc.assert(
      fc.property(arb, (node) => {
        expect(parseFilter(filterToJson(node))).toEqual(node);
        expect(parseFilter(JSON.stringify(filterToJson(node)))).toEqual(node);
      }),
      { numRuns: 1000 },
    );
  });

  it('every generated sort round-trips through the sort parameter syntax', () => {
    fc.assert(
      fc.property(sortArb, (sort) => {
        expect(parseSort(sortFingerprint(sort))).toEqual(sort);
      }),
    );
  });

  it.each([
    ['full', filterArb, documentArb],
    ['jongodb-safe', jongodbSafe.filterArb, jongodbSafe.documentArb],
  ])('generated filters (%s) hit: most match some documents and miss others', (_name, filters, documents) => {
    const samples = fc.sample(fc.tuple(filters, fc.array(documents, { minLength: 20, maxLength: 20 })), {
      numRuns: 500,
      seed: 42,
    });
    let someMatch = 0;
    let someMiss = 0;
    for (const [filter, docs] of samples) {
      const hits = docs.filter((d) => matches(filter, d)).length;
      if (hits > 0) someMatch++;
      if (hits < docs.length) someMiss++;
    }
    expect(someMatch / samples.length).toBeGreaterThan(0.6);
    expect(someMiss / samples.length).toBeGreaterThan(0.6);
    const sizes = fc.sample(documentsArb, { numRuns: 200, seed: 1 }).map((d) => d.length);
    expect(sizes.filter((n) => n >= 10).length).toBeGreaterThan(100);
  });

  it('uses every operator', () => {
    const seen = new Set<string>();
    const visit = (n: FilterNode): void => {
      seen.add(n.op);
      if (n.op === 'and' || n.op === 'or' || n.op === 'nor') n.children.forEach(visit);
      if (n.op === 'field') {
        const conds = [...n.conds];
        while (conds.length > 0) {
          const c = conds.pop()!;
          seen.add(c.op);
          if (c.op === 'not' || (c.op === 'elemMatch' && c.conds)) conds.push(...(c.conds ?? []));
        }
      }
    };
    fc.sample(filterArb, { numRuns: 2000, seed: 7 }).forEach(visit);
    for (const op of [
      'all',
      'and',
      'or',
      'nor',
      'field',
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
      'elemMatch',
      'not',
    ]) {
      expect(seen, op).toContain(op);
    }
  });
});

describe('reference semantics: algebraic laws', () => {
  const lawOn = (name: string, law: (filter: FilterNode, doc: Record<string, unknown>) => void) =>
    it(name, () => fc.assert(fc.property(filterArb, documentArb, law), { numRuns: 500 }));

  lawOn('$nor is the negation of $or', (filter, doc) => {
    expect(matches({ op: 'nor', children: [filter] }, doc)).toBe(!matches(filter, doc));
  });

  lawOn('$ne / $nin / $not are negations of $eq / $in / the conditions', (filter, doc) => {
    if (filter.op !== 'field') return;
    for (const cond of filter.conds) {
      const holds = matches({ op: 'field', path: filter.path, conds: [cond] }, doc);
      const negated = matches({ op: 'field', path: filter.path, conds: [{ op: 'not', conds: [cond] }] }, doc);
      expect(negated).toBe(!holds);
      if (cond.op === 'eq') {
        expect(matches({ op: 'field', path: filter.path, conds: [{ op: 'ne', value: cond.value }] }, doc)).toBe(!holds);
        expect(matches({ op: 'field', path: filter.path, conds: [{ op: 'in', values: [cond.value] }] }, doc)).toBe(
          holds,
        );
      }
      if (cond.op === 'in') {
        expect(matches({ op: 'field', path: filter.path, conds: [{ op: 'nin', values: cond.values }] }, doc)).toBe(
          !holds,
        );
      }
    }
  });

  lawOn('conditions on one field are ANDed', (filter, doc) => {
    if (filter.op !== 'field') return;
    const each = filter.conds.map((cond) => matches({ op: 'field', path: filter.path, conds: [cond] }, doc));
    expect(matches(filter, doc)).toBe(each.every(Boolean));
  });

  it('sorting generated documents by a generated sort is consistent', () => {
    fc.assert(
      fc.property(documentsArb, sortArb, (docs, sort) => {
        const cmp = (x: Record<string, unknown>, y: Record<string, unknown>) => {
          for (const { path, dir } of sort) {
            const c = compareValues(getPath(x, path), getPath(y, path));
            if (c !== 0) return c * dir;
          }
          return 0;
        };
        const sorted = [...docs].sort(cmp);
        for (let i = 1; i < sorted.length; i++) expect(cmp(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
      }),
    );
  });
});
