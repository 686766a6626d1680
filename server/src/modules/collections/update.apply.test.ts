import { describe, expect, it } from 'vitest';
import { HearthError } from '../../errors.js';
import type { StoredDocument } from '../../ports/document-store.js';
import { applyPatch, isEmptyPatch, parsePatch, touchedFields } from './update.apply.js';

const stored: StoredDocument = {
  id: 'd1',
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  owner: 'alice',
  version: 3,
  title: 'a',
  count: 1,
  tags: ['x', 'y'],
  meta: { views: 2, nested: { a: 1 } },
};

const error = (fn: () => unknown): HearthError => {
  try {
    fn();
  } catch (e) {
    return e as HearthError;
  }
  throw new Error('expected an error');
};

describe('parsePatch + applyPatch', () => {
  it('merges fields and applies every operator on a copy', () => {
    const ops = parsePatch(
      {
        title: 'b',
        $inc: { count: 2, 'meta.views': 1, fresh: 5 },
        $push: { tags: 'z' },
        $addToSet: { more: { $each: ['q', 'q'] } },
        $pull: { 'meta.list': 1 },
        $unset: ['meta.nested'],
      },
      { privileged: false },
    );
    const result = applyPatch(stored, ops);
    expect(result).toEqual({ title: 'b', count: 3, fresh: 5, tags: ['x', 'y', 'z'], more: ['q'], meta: { views: 3 } });
    expect(stored.tags).toEqual(['x', 'y']); // untouched original
    expect((stored.meta as { nested: unknown }).nested).toEqual({ a: 1 });
    expect([...touchedFields(ops)].sort()).toEqual(['count', 'fresh', 'meta', 'more', 'tags', 'title']);
  });

  it('$pull with $in, $addToSet deep equality, $unset object form', () => {
    const doc = { ...stored, items: [{ a: 1 }, { a: 2 }, 3] };
    const result = applyPatch(
      doc,
      parsePatch({ $pull: { items: { $in: [{ a: 1 }, 3] } }, $unset: { title: true } }, { privileged: false }),
    );
    expect(result.items).toEqual([{ a: 2 }]);
    expect(result).not.toHaveProperty('title');
    const added = applyPatch(doc, parsePatch({ $addToSet: { items: { a: 2 } } }, { privileged: false }));
    expect(added.items).toEqual([{ a: 1 }, { a: 2 }, 3]);
  });

  it('refuses unknown operators naming them (invalid_request)', () => {
    for (const op of ['$set', '$where', '$rename', '$min', '$']) {
      const e = error(() => parsePatch({ [op]: { a: 1 } }, { privileged: false }));
      expect(e.code).toBe('invalid_request');
      expect(e.details).toEqual({ operator: op });
    }
  });

  it('refuses read-only and dangerous paths (validation_failed per path)', () => {
    const e = error(() =>
      parsePatch(
        JSON.parse(
          '{"id":"x","version":1,"__proto__":{"a":1},"$inc":{"createdAt":1,"meta.__proto__.x":1,"constructor.prototype":1},"owner":"bob"}',
        ),
        { privileged: false },
      ),
    );
    expect(e.code).toBe('validation_failed');
    const fields = e.details!.fields as Record<string, string>;
    expect(Object.keys(fields).sort()).toEqual([
      '__proto__',
      'constructor.prototype',
      'createdAt',
      'id',
      'meta.__proto__.x',
      'owner',
      'version',
    ]);
    expect(fields['__proto__']).toBe('is not an allowed field name');
    expect(fields['meta.__proto__.x']).toBe('is not an allowed field path');
    expect(fields['constructor.prototype']).toBe('is not an allowed field name');
    expect(fields.createdAt).toBe('is read-only');
  });

  it('owner may be changed by privileged callers only', () => {
    expect(parsePatch({ owner: 'bob' }, { privileged: true }).owner).toBe('bob');
    expect(parsePatch({ owner: null }, { privileged: true }).owner).toBeNull();
    expect(error(() => parsePatch({ owner: 5 }, { privileged: true })).details!.fields).toEqual({
      owner: 'must be a user id or null',
    });
  });

  it('refuses two changes to one path or to a path and its parent', () => {
    expect(error(() => parsePatch({ meta: {}, $inc: { 'meta.views': 1 } }, { privileged: false })).code).toBe(
      'invalid_request',
    );
    expect(error(() => parsePatch({ $inc: { count: 1 }, $unset: ['count'] }, { privileged: false })).code).toBe(
      'invalid_request',
    );
  });

  it('type errors against the stored document are invalid_request', () => {
    expect(error(() => applyPatch(stored, parsePatch({ $inc: { title: 1 } }, { privileged: false }))).code).toBe(
      'invalid_request',
    );
    expect(error(() => applyPatch(stored, parsePatch({ $push: { title: 1 } }, { privileged: false }))).code).toBe(
      'invalid_request',
    );
    expect(error(() => applyPatch(stored, parsePatch({ $inc: { 'title.x': 1 } }, { privileged: false }))).code).toBe(
      'invalid_request',
    );
    expect(error(() => parsePatch({ $inc: { count: '1' } }, { privileged: false })).code).toBe('validation_failed');
    expect(error(() => parsePatch({ $push: { tags: { $each: 'x' } } }, { privileged: false })).code).toBe(
      'invalid_request',
    );
  });

  it('an empty patch is recognised', () => {
    expect(isEmptyPatch(parsePatch({}, { privileged: false }))).toBe(true);
    expect(isEmptyPatch(parsePatch({ title: 'x' }, { privileged: false }))).toBe(false);
  });
});
