import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, openWorld, type CollectionsWorld } from '../collections/support.js';
import { ENGINES } from '../support/harness.js';

/**
 * Finding 3 of the security probe: `expand` amplification. A relation array holding one id
 * repeated N times expanded every copy at every level (N=200: a 184 MB answer; N=600: 500 and
 * the process at 882 MB). Now the expanded output of one answer is capped — documents counted
 * with their repeats and nesting, and bytes — with a clear 400 before anything large is built,
 * and relation arrays have a default maximum length.
 */
const open = { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' };

describe.each(ENGINES)('expand limits [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeAll(async () => {
    w = await openWorld(engine);
    await w.createCollection({
      name: 'nodes',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'blob', type: 'string' },
        { name: 'links', type: 'array', of: { type: 'relation', to: 'nodes' }, maxLength: 1000 },
        { name: 'few', type: 'array', of: { type: 'relation', to: 'nodes' } },
      ],
      rules: open,
    });
  });
  afterAll(async () => {
    await w.close();
  });

  const create = async (body: Record<string, unknown>): Promise<string> => {
    const res = await w.h.http.post(w.docs('nodes')).set(w.sk).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const link = async (id: string, links: string[]) => {
    const res = await w.h.http.patch(w.docs('nodes', id)).set(w.sk).send({ links });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  it('600 repeats of one id, three levels deep: a clear 400 at once, and the process stays healthy', async () => {
    const id = await create({ name: 'self' });
    await link(
      id,
      Array.from({ length: 600 }, () => id),
    );
    const started = performance.now();
    const res = await w.h.http
      .get(w.docs('nodes', id))
      .query({ expand: 'links,links.links,links.links.links' })
      .set(w.pk);
    const elapsed = performance.now() - started;
    // 600 × 600 copies of a 12 KB document pass the bytes cap first.
    expect(expectError(res, 400, 'invalid_request')).toEqual({ parameter: 'expand', limit: 'bytes', max: 8388608 });
    expect(elapsed).toBeLessThan(2000);
    const health = performance.now();
    await w.h.http.get('/healthz').expect(200);
    expect(performance.now() - health).toBeLessThan(200);
    // The list route answers the same.
    const list = await w.h.http
      .get(w.docs('nodes'))
      .query({ expand: 'links.links', filter: JSON.stringify({ id }) })
      .set(w.pk);
    expectError(list, 400, 'invalid_request');
  });

  it('the documents cap counts repeats and nested expansions (100 × 100 copies of small documents)', async () => {
    const leaf = await create({ name: 'leaf' });
    const middle = await create({ name: 'middle' });
    await link(
      middle,
      Array.from({ length: 100 }, () => leaf),
    );
    const top = await create({ name: 'top' });
    await link(
      top,
      Array.from({ length: 100 }, () => middle),
    );
    const res = await w.h.http.get(w.docs('nodes', top)).query({ expand: 'links,links.links' }).set(w.pk);
    expect(expectError(res, 400, 'invalid_request')).toEqual({ parameter: 'expand', limit: 'documents', max: 5000 });
    expect(res.body.error.message).toBe(
      'expand would return more than 5000 related documents (repeats and nested ones count); ask for fewer items or fewer levels.',
    );
    // One level is 100 documents, well within the cap.
    await w.h.http.get(w.docs('nodes', top)).query({ expand: 'links' }).set(w.pk).expect(200);
  });

  it('repeats within the cap are kept (an array of ids expands to the same array of documents)', async () => {
    const target = await create({ name: 'target' });
    const id = await create({ name: 'many' });
    await link(
      id,
      Array.from({ length: 100 }, () => target),
    );
    const res = await w.h.http.get(w.docs('nodes', id)).query({ expand: 'links' }).set(w.pk).expect(200);
    expect(res.body.expand.links).toHaveLength(100);
    expect(res.body.expand.links[99]).toMatchObject({ id: target, name: 'target' });
  });

  it('large related documents: the bytes cap (8 MiB of expanded JSON) answers 400 with limit "bytes"', async () => {
    const big = await create({ name: 'big', blob: 'x'.repeat(100_000) });
    const id = await create({ name: 'fan' });
    await link(
      id,
      Array.from({ length: 100 }, () => big),
    );
    const res = await w.h.http.get(w.docs('nodes', id)).query({ expand: 'links' }).set(w.pk);
    expect(expectError(res, 400, 'invalid_request')).toEqual({
      parameter: 'expand',
      limit: 'bytes',
      max: 8 * 1024 * 1024,
    });
    // Fewer copies fit.
    await link(
      id,
      Array.from({ length: 20 }, () => big),
    );
    const ok = await w.h.http.get(w.docs('nodes', id)).query({ expand: 'links' }).set(w.pk).expect(200);
    expect(ok.body.expand.links).toHaveLength(20);
  });

  it('relation arrays hold at most 100 ids by default; maxLength raises it up to 1000', async () => {
    const target = await create({ name: 't' });
    const res = await w.h.http
      .post(w.docs('nodes'))
      .set(w.sk)
      .send({ name: 'x', few: Array.from({ length: 101 }, () => target) });
    expect(expectError(res, 400, 'validation_failed')).toEqual({ fields: { few: 'must have at most 100 items' } });
    await create({ name: 'x', few: Array.from({ length: 100 }, () => target) });
    const schema = await w.h.http
      .post(`/v1/admin/apps/${w.appId}/collections`)
      .set(w.admin)
      .send({
        name: 'wide',
        fields: [{ name: 'refs', type: 'array', of: { type: 'relation', to: 'nodes' }, maxLength: 1001 }],
      });
    expect(expectError(schema, 400, 'validation_failed')).toEqual({
      fields: { 'fields.0.maxLength': 'is at most 1000 for arrays of relations' },
    });
  });
});
