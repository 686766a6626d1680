import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, openWorld, type CollectionsWorld } from '../collections/support.js';
import { ENGINES } from '../support/harness.js';

/**
 * Finding 5 of the security probe, through the API: distinct expensive regexes (`\p{L}{0,1000}`
 * × 15) compiled in 55–170 ms each, and 20 in parallel held /healthz for a second with only a
 * public key. They are now refused before compiling (`regex_too_complex`), and a malformed one
 * is `regex_invalid` (it used to say "could take too long").
 */
describe.each(ENGINES)('regex cost through the API [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeAll(async () => {
    w = await openWorld(engine);
    await w.createCollection({
      name: 'items',
      fields: [{ name: 's', type: 'string' }],
      rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
    });
    await w.h.http.post(w.docs('items')).set(w.sk).send({ s: 'hello' }).expect(201);
    await w.h.http
      .post(w.docs('items'))
      .set(w.sk)
      .send({ s: 'x'.repeat(10_001) })
      .expect(201);
  });
  afterAll(async () => {
    await w.close();
  });

  const list = (filter: unknown) =>
    w.h.http
      .get(w.docs('items'))
      .query({ filter: JSON.stringify(filter) })
      .set(w.pk);

  it('20 distinct expensive patterns in parallel: each a fast 400 regex_too_complex, /healthz unaffected', async () => {
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => list({ s: { $regex: `${i}${'\\p{L}{0,1000}'.repeat(15)}` } })),
    );
    const health = performance.now();
    await w.h.http.get('/healthz').expect(200);
    expect(performance.now() - health).toBeLessThan(200);
    for (const res of answers) {
      expect(expectError(res, 400, 'invalid_request')).toMatchObject({
        operator: '$regex',
        reason: 'regex_too_complex',
      });
    }
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('an unbalanced pattern is regex_invalid, with a message that says so', async () => {
    const res = await list({ s: { $regex: '(ab' } });
    expect(expectError(res, 400, 'invalid_request')).toEqual({ operator: '$regex', reason: 'regex_invalid' });
    expect(res.body.error.message).toContain('not a valid regular expression');
  });

  it('a schema pattern over the budget is refused when the schema is saved', async () => {
    const res = await w.h.http
      .post(`/v1/admin/apps/${w.appId}/collections`)
      .set(w.admin)
      .send({ name: 'codes', fields: [{ name: 'c', type: 'string', pattern: '[a-z]{0,800}[0-9]{0,800}' }] });
    const details = expectError(res, 400, 'validation_failed');
    expect((details.fields as Record<string, string>)['fields.0.pattern']).toContain('too complex');
  });

  it('strings over 10,000 characters: Hearth never matches them, MongoDB does (documented)', async () => {
    // Where Hearth evaluates the regex (SQLite, rules checked in memory) the subject is capped;
    // the MongoDB engine leaves matching to the database.
    const res = await list({ s: { $regex: '^x' } }).expect(200);
    expect(res.body.items).toHaveLength(engine === 'sqlite' ? 0 : 1);
    const hello = await list({ s: { $regex: '^h' } }).expect(200);
    expect(hello.body.items).toHaveLength(1);
  });
});
