import { describe, expect, it } from 'vitest';
import type { Collection } from '../api/types';
import { createBody, diffCollection, draftOf } from './diff';

const base: Collection = {
  appId: 'a',
  name: 'todos',
  fields: [
    { name: 'title', type: 'string', required: true },
    { name: 'body', type: 'string' },
    { name: 'legacy', type: 'json' },
  ],
  indexes: [{ name: 'by_title', fields: ['title'] }],
  strict: true,
  rules: { list: { owner: '@auth.id' }, create: 'authenticated' },
  version: 3,
  createdAt: '',
  updatedAt: '',
};

/** The schema editor's diff: the PATCH it sends is exactly what changed, and it says what each part does. */
describe('diffCollection', () => {
  it('sends nothing for an untouched draft', () => {
    expect(diffCollection(base, draftOf(base))).toEqual({ body: {}, changes: [] });
  });

  it('turns edits into addFields, renameFields, updateFields, removeFields, indexes, rules and strict', () => {
    const d = draftOf(base);
    d.fields[0]!.def = { ...d.fields[0]!.def, unique: true };
    d.fields[1]!.def = { ...d.fields[1]!.def, name: 'text' };
    d.fields.splice(2, 1);
    d.fields.push({ key: 'n', from: null, def: { name: 'stars', type: 'integer', default: 0 } });
    d.indexes = [
      { name: 'by_title', fields: ['-title'] },
      { name: 'by_stars', fields: ['stars'], unique: true },
    ];
    d.rules = { ...d.rules, list: 'public' };
    d.strict = false;
    const { body, changes } = diffCollection(base, d);
    expect(body).toEqual({
      addFields: [{ name: 'stars', type: 'integer', default: 0 }],
      updateFields: [{ name: 'title', type: 'string', required: true, unique: true }],
      renameFields: [{ from: 'body', to: 'text' }],
      removeFields: ['legacy'],
      dropIndexes: ['by_title'],
      addIndexes: [
        { name: 'by_title', fields: ['-title'] },
        { name: 'by_stars', fields: ['stars'], unique: true },
      ],
      rules: { list: 'public' },
      strict: false,
    });
    const text = changes.map((c) => c.text);
    expect(text).toContain('Rename field body → text');
    expect(text).toContain('Remove field legacy');
    expect(text).toContain('Rule list: {"owner":"@auth.id"} → public');
    expect(changes.find((c) => c.text === 'Remove field legacy')?.effect).toMatch(/deleted from every document/);
    expect(changes.find((c) => c.text.startsWith('Add unique index'))?.effect).toMatch(/409/);
  });

  it('drops empty optional keys so unchecked boxes are not sent', () => {
    const d = draftOf(null, 'notes');
    d.fields.push({ key: 'x', from: null, def: { name: 'n', type: 'string', required: false, pattern: '', enum: [] } });
    expect(createBody(d).fields).toEqual([{ name: 'n', type: 'string' }]);
  });
});
