import { describe, expect, it } from 'vitest';
import { HearthError } from '../../errors.js';
import type { FieldDef } from './collection.schema.js';
import { normaliseDate, validateDocument, validateTouched, type ValidationSchema } from './validate.js';

const schema = (fields: FieldDef[], strict = true): ValidationSchema => ({
  strict,
  fields: new Map(fields.map((f) => [f.name, f])),
});

const todo = schema([
  { name: 'title', type: 'string', required: true, minLength: 1, maxLength: 10 },
  { name: 'done', type: 'boolean', default: false },
  { name: 'priority', type: 'integer', min: 1, max: 5 },
  { name: 'score', type: 'number' },
  { name: 'status', type: 'string', enum: ['open', 'closed'] },
  { name: 'code', type: 'string', pattern: '^[A-Z]{3}$' },
  { name: 'due', type: 'date', min: '2020-01-01' },
  { name: 'contact', type: 'email' },
  { name: 'site', type: 'url' },
  { name: 'meta', type: 'json' },
  { name: 'tags', type: 'array', of: { type: 'string', maxLength: 5 }, maxLength: 3 },
  { name: 'where', type: 'geopoint' },
  { name: 'avatar', type: 'file' },
  { name: 'project', type: 'relation', to: 'projects' },
]);

function fieldsOf(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HearthError);
    expect((e as HearthError).code).toBe('validation_failed');
    return (e as HearthError).details!.fields as Record<string, string>;
  }
  throw new Error('expected validation_failed');
}

describe('validateDocument', () => {
  it('accepts a valid document, fills defaults and normalises dates', () => {
    const data = validateDocument(todo, {
      title: 'Buy milk',
      priority: 3,
      score: 1.5,
      status: 'open',
      code: 'ABC',
      due: '2024-05-01T14:00:00+02:00',
      contact: 'a@example.com',
      site: 'https://example.com/x',
      meta: { nested: [1, { deep: true }] },
      tags: ['a', 'b'],
      where: { lat: 48.85, lng: 2.35 },
      avatar: 'file_123',
      project: 'p1',
    });
    expect(data.done).toBe(false);
    expect(data.due).toBe('2024-05-01T12:00:00.000Z');
    expect(data.tags).toEqual(['a', 'b']);
  });

  it('reports one message per bad field, all at once', () => {
    const fields = fieldsOf(() =>
      validateDocument(todo, {
        title: 42,
        priority: 2.5,
        score: 'high',
        status: 'pending',
        code: 'abcd',
        due: '2019-12-31',
        contact: 'not-an-email',
        site: 'javascript:alert(1)',
        tags: ['ok', 'toolong', 7],
        where: { lat: 91, lng: 0 },
        avatar: '../etc/passwd',
        project: '',
        done: 'yes',
      }),
    );
    expect(fields).toMatchObject({
      title: 'must be a string',
      priority: 'must be an integer',
      score: 'must be a number',
      status: expect.stringContaining('must be one of'),
      code: 'does not match the required pattern',
      due: expect.stringContaining('on or after'),
      contact: 'must be an email address',
      site: 'must be an http(s) URL',
      'tags.1': 'must be at most 5 characters',
      'tags.2': 'must be a string',
      where: expect.stringContaining('lat'),
      avatar: 'must be a document id',
      project: 'must be a document id',
      done: 'must be true or false',
    });
  });

  it('required, min/max, lengths', () => {
    expect(fieldsOf(() => validateDocument(todo, {}))).toEqual({ title: 'is required' });
    expect(fieldsOf(() => validateDocument(todo, { title: null }))).toEqual({ title: 'is required' });
    expect(fieldsOf(() => validateDocument(todo, { title: '' }))).toEqual({ title: 'must be at least 1 characters' });
    expect(fieldsOf(() => validateDocument(todo, { title: 'x'.repeat(11) }))).toEqual({
      title: 'must be at most 10 characters',
    });
    expect(fieldsOf(() => validateDocument(todo, { title: 'x', priority: 0 }))).toEqual({
      priority: 'must be at least 1',
    });
    expect(fieldsOf(() => validateDocument(todo, { title: 'x', priority: 6 }))).toEqual({
      priority: 'must be at most 5',
    });
    expect(fieldsOf(() => validateDocument(todo, { title: 'x', tags: ['a', 'b', 'c', 'd'] }))).toEqual({
      tags: 'must have at most 3 items',
    });
    expect(fieldsOf(() => validateDocument(todo, { title: 'x', tags: [null] }))).toEqual({
      'tags.0': 'must not be null',
    });
    // unicode length counts code points
    expect(validateDocument(todo, { title: '😀'.repeat(10) }).title).toBe('😀'.repeat(10));
  });

  it('system fields are read-only; $-names, __proto__, dotted names and unknown fields (strict) are refused', () => {
    const body = JSON.parse(
      '{"title":"x","id":"1","createdAt":"2020-01-01","owner":"me","version":9,"updatedAt":"x","$set":{"a":1},"__proto__":{"polluted":true},"a.b":1,"constructor":1,"extra":1}',
    );
    const fields = fieldsOf(() => validateDocument(todo, body));
    // built with JSON.parse so "__proto__" is a real key of the expectation too
    expect({ ...fields }).toEqual(
      JSON.parse(
        JSON.stringify({
          id: 'is read-only',
          createdAt: 'is read-only',
          owner: 'is read-only',
          version: 'is read-only',
          updatedAt: 'is read-only',
          $set: 'field names cannot start with $',
          PROTO: 'is not an allowed field name',
          'a.b': 'field names cannot contain "."',
          constructor: 'is not an allowed field name',
          extra: 'is not a field of this collection',
        }).replace('PROTO', '__proto__'),
      ),
    );
    expect(Object.keys(fields)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('non-strict collections take unknown fields as JSON, with safe keys only', () => {
    const loose = schema([{ name: 'title', type: 'string' }], false);
    expect(validateDocument(loose, { title: 'x', extra: { a: [1, 2] } })).toEqual({ title: 'x', extra: { a: [1, 2] } });
    const fields = fieldsOf(() =>
      validateDocument(loose, JSON.parse('{"extra":{"$gt":1,"a.b":2,"__proto__":{"x":1}}}')),
    );
    expect(fields).toEqual({
      'extra.$gt': 'keys cannot start with $',
      'extra.a.b': 'keys cannot contain "."',
      'extra.__proto__': 'is not an allowed key',
    });
  });

  it('json values deeper than 32 levels are refused', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const fields = fieldsOf(() => validateDocument(todo, { title: 'x', meta: deep }));
    expect(Object.values(fields)[0]).toMatch(/nested deeper/);
  });

  it('normaliseDate rejects impossible dates and non-ISO strings', () => {
    expect(normaliseDate('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(normaliseDate('2023-02-29')).toBeNull();
    expect(normaliseDate('2024-13-01')).toBeNull();
    expect(normaliseDate('2024-01-01T24:00:00Z')).toBeNull();
    expect(normaliseDate('2024-01-01T10:00:00')).toBeNull(); // no zone: ambiguous
    expect(normaliseDate('May 1, 2024')).toBeNull();
    expect(normaliseDate(1714564800000)).toBeNull();
    expect(normaliseDate('2024-05-01T12:00:00.123456Z')).toBe('2024-05-01T12:00:00.123Z');
  });
});

describe('validateTouched (PATCH)', () => {
  it('checks only the touched fields, with their resulting values', () => {
    const result = { title: 'x', priority: 9, legacy: 'whatever' };
    expect(fieldsOf(() => validateTouched(todo, result, ['priority']))).toEqual({ priority: 'must be at most 5' });
    expect(validateTouched(todo, { title: 'ok' }, ['title'])).toEqual({ title: 'ok' });
    expect(fieldsOf(() => validateTouched(todo, {}, ['title']))).toEqual({ title: 'is required' });
    expect(validateTouched(todo, { title: 'ok' }, ['score'])).toEqual({});
  });
});
