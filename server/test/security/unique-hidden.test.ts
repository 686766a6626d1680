import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, openWorld, type CollectionsWorld } from '../collections/support.js';
import { ENGINES } from '../support/harness.js';

/**
 * Finding 2 of the security probe: a unique index over a hidden field is a yes/no oracle on
 * other users' hidden values (create `{s: guess}` → 201 or 409 on that index). Hidden fields are
 * refused in unique indexes — single, composite, at create, through `addIndexes`, and when an
 * indexed field becomes hidden — with `validation_failed` naming the index and the field; the
 * refused change leaves the schema as it was.
 */
describe.each(ENGINES)('hidden fields in unique indexes [%s]', (engine) => {
  let w: CollectionsWorld;
  const url = (name?: string) => `/v1/admin/apps/${w.appId}/collections${name ? `/${name}` : ''}`;
  const fields = [
    { name: 's', type: 'string', hidden: true },
    { name: 't', type: 'string' },
  ];

  beforeAll(async () => {
    w = await openWorld(engine);
    await w.createCollection({ name: 'secrets', fields, indexes: [{ name: 'plain', fields: ['t'], unique: true }] });
  });
  afterAll(async () => {
    await w.close();
  });

  it.each([
    ['a single-field unique index', { name: 'u', fields: ['s'], unique: true }],
    ['a composite unique index', { name: 'u', fields: ['t', 's'], unique: true }],
    ['a descending key', { name: 'u', fields: ['t', '-s'], unique: true }],
  ])('refuses %s over a hidden field at create', async (_title, index) => {
    const res = await w.h.http
      .post(url())
      .set(w.admin)
      .send({ name: 'probe', fields, indexes: [index] });
    const details = expectError(res, 400, 'validation_failed');
    expect(details.fields).toEqual({
      'indexes.0.fields': 'index u is unique and names s, a hidden field: a conflict would reveal its values',
    });
    await w.h.http.get(url('probe')).set(w.admin).expect(404);
  });

  it('refuses the same through PATCH addIndexes, and the schema stays as it was', async () => {
    const before = (await w.h.http.get(url('secrets')).set(w.admin).expect(200)).body;
    const res = await w.patchCollection('secrets', { addIndexes: [{ name: 'u', fields: ['t', 's'], unique: true }] });
    const details = expectError(res, 400, 'validation_failed');
    expect(details.fields).toEqual({
      'indexes.1.fields': 'index u is unique and names s, a hidden field: a conflict would reveal its values',
    });
    const after = (await w.h.http.get(url('secrets')).set(w.admin).expect(200)).body;
    expect(after).toEqual(before);
    const indexes = await w.h.store.forApp(w.appId).listIndexes('secrets');
    expect(indexes.map((i) => i.name)).not.toContain('u');
  });

  it('refuses making a field of a unique index hidden (updateFields)', async () => {
    const res = await w.patchCollection('secrets', { updateFields: [{ name: 't', type: 'string', hidden: true }] });
    const details = expectError(res, 400, 'validation_failed');
    expect(details.fields).toEqual({
      'indexes.0.fields': 'index plain is unique and names t, a hidden field: a conflict would reveal its values',
    });
  });

  it('still accepts a non-unique index over a hidden field (no conflict, no oracle)', async () => {
    const res = await w.patchCollection('secrets', { addIndexes: [{ name: 'by_s', fields: ['s'] }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});
