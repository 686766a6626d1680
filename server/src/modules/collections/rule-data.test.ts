import { describe, expect, it } from 'vitest';
import { updateRuleData } from './rule-data.js';

describe('@data of an update rule', () => {
  it('holds the touched fields with their resulting values, removed ones as null, untouched ones missing', () => {
    const result = { title: 'new', n: 2, keep: true };
    expect(updateRuleData(result, ['title', 'n', 'createdBy'])).toEqual({ title: 'new', n: 2, createdBy: null });
  });

  it('an $unset inside a json field is null at that path, without changing the result', () => {
    const result = { meta: { color: undefined, size: 3, deep: {} } } as Record<string, unknown>;
    delete (result.meta as Record<string, unknown>).color;
    const data = updateRuleData(result, ['meta'], ['meta.color', 'meta.deep.x', 'meta.size.z']);
    expect(data).toEqual({ meta: { color: null, size: 3, deep: { x: null } } });
    expect(result.meta).toEqual({ size: 3, deep: {} });
  });
});
