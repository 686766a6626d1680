import { describe, expect, it } from 'vitest';
import { conditionsToFilter, csvRow } from './filters';

describe('filter builder', () => {
  const fields = [
    { name: 'n', type: 'integer' as const },
    { name: 'ok', type: 'boolean' as const },
    { name: 'title', type: 'string' as const },
  ];

  it('types values by field and ANDs conditions', () => {
    expect(conditionsToFilter([{ field: 'n', op: 'gte', value: '3' }], fields)).toEqual({ n: { $gte: 3 } });
    expect(
      conditionsToFilter(
        [
          { field: 'ok', op: 'eq', value: 'true' },
          { field: 'title', op: 'regex', value: 'milk' },
          { field: 'n', op: 'in', value: '1, 2' },
          { field: 'title', op: 'missing', value: '' },
        ],
        fields,
      ),
    ).toEqual({
      $and: [
        { ok: true },
        { title: { $regex: 'milk', $options: 'i' } },
        { n: { $in: [1, 2] } },
        { title: { $exists: false } },
      ],
    });
    expect(conditionsToFilter([], fields)).toBeNull();
  });

  it('keeps a number typed into a text field as text, and bad numbers as they are', () => {
    expect(conditionsToFilter([{ field: 'title', op: 'eq', value: '42' }], fields)).toEqual({ title: '42' });
    expect(conditionsToFilter([{ field: 'n', op: 'eq', value: 'abc' }], fields)).toEqual({ n: 'abc' });
  });

  it('quotes CSV cells with commas, quotes and newlines', () => {
    expect(csvRow(['a', 'b,c', 'say "hi"', 'x\ny', null, { k: 1 }])).toBe('a,"b,c","say ""hi""","x\ny",,"{""k"":1}"');
  });
});
