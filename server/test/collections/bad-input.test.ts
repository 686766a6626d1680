import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openWorld, type CollectionsWorld } from './support.js';

/**
 * Every kind of bad input the document API must refuse cleanly: the right error code, naming the
 * offending field / operator / parameter, never a 500, never a write (checked after every case).
 */
const deepFilter = (depth: number): string => {
  let f = '{"a":1}';
  for (let i = 0; i < depth; i++) f = `{"$and":[${f}]}`;
  return f;
};

describe.each(ENGINES)('bad input [%s]', (engine) => {
  let w: CollectionsWorld;
  let id: string;
  beforeAll(async () => {
    w = await openWorld(engine);
    await w.createCollection({
      name: 'items',
      fields: [
        { name: 'title', type: 'string', required: true },
        { name: 'n', type: 'integer' },
        { name: 'meta', type: 'json' },
      ],
      rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
    });
    for (let i = 0; i < 3; i++)
      id = (
        await w.h.http
          .post(w.docs('items'))
          .set(w.sk)
          .send({ title: `t${i}`, n: i })
          .expect(201)
      ).body.id;
  });
  afterAll(async () => {
    await w.close();
  });
  // Each case must leave the three documents exactly as they were created, and emit nothing.
  afterEach(async () => {
    const res = await list({ limit: '100' }).expect(200);
    expect(res.body.items.map((d: { title: string }) => d.title).sort()).toEqual(['t0', 't1', 't2']);
    expect(res.body.items.every((d: { version: number }) => d.version === 1)).toBe(true);
    expect(w.events.filter((e) => e.collection === 'items').length).toBe(3); // the three creates
  });

  const list = (query: Record<string, string>) => w.h.http.get(w.docs('items')).query(query).set(w.pk);

  describe('document bodies', () => {
    it.each<[string, unknown, Record<string, string>]>([
      ['wrong type', { title: 1, n: 'two' }, { title: 'must be a string', n: 'must be an integer' }],
      ['unknown field (strict)', { title: 'x', nope: true }, { nope: 'is not a field of this collection' }],
      ['$set as a field name', { title: 'x', $set: { n: 1 } }, { $set: 'field names cannot start with $' }],
      [
        'constructor.prototype as a field name',
        { title: 'x', 'constructor.prototype': 1 },
        { 'constructor.prototype': 'field names cannot contain "."' },
      ],
      [
        'constructor',
        { title: 'x', constructor: { prototype: { polluted: 1 } } },
        { constructor: 'is not an allowed field name' },
      ],
      ['$-keys inside json', { title: 'x', meta: { $where: 'x' } }, { 'meta.$where': 'keys cannot start with $' }],
      [
        'system fields',
        { title: 'x', id: 'mine', version: 9, createdAt: 'now' },
        { id: 'is read-only', version: 'is read-only', createdAt: 'is read-only' },
      ],
    ])('%s → validation_failed naming each field', async (_name, body, fields) => {
      const res = await w.h.http
        .post(w.docs('items'))
        .set(w.sk)
        .send(body as object);
      expect(expectError(res, 400, 'validation_failed').fields).toEqual(fields);
    });

    it('__proto__ as a field name is refused and pollutes nothing', async () => {
      const raw = '{"title":"x","__proto__":{"polluted":"yes"}}';
      const res = await w.h.http.post(w.docs('items')).set(w.sk).set('Content-Type', 'application/json').send(raw);
      const fields = expectError(res, 400, 'validation_failed').fields as Record<string, string>;
      expect(Object.keys(fields)).toEqual(['__proto__']);
      expect(fields['__proto__']).toBe('is not an allowed field name');
      const patch = await w.h.http
        .patch(w.docs('items', id))
        .set(w.sk)
        .set('Content-Type', 'application/json')
        .send('{"$inc":{"__proto__.polluted":1}}');
      expectError(patch, 400, 'validation_failed');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a 10,000-deep document is refused, not a crash', async () => {
      let v = '1';
      for (let i = 0; i < 10_000; i++) v = `{"a":${v}}`;
      const res = await w.h.http
        .post(w.docs('items'))
        .set(w.sk)
        .set('Content-Type', 'application/json')
        .send(`{"title":"x","meta":${v}}`);
      expectError(res, 400, 'validation_failed');
    });

    it('a 10 MB body is 413; a non-JSON body is 415; malformed JSON is 400', async () => {
      const big = JSON.stringify({ title: 'x'.repeat(10 * 1024 * 1024) });
      expectError(
        await w.h.http.post(w.docs('items')).set(w.sk).set('Content-Type', 'application/json').send(big),
        413,
        'payload_too_large',
      );
      expectError(
        await w.h.http.post(w.docs('items')).set(w.sk).set('Content-Type', 'text/plain').send('title=x'),
        415,
        'unsupported_media_type',
      );
      expectError(
        await w.h.http.post(w.docs('items')).set(w.sk).set('Content-Type', 'application/json').send('{"title":'),
        400,
        'invalid_request',
      );
      expectError(
        await w.h.http
          .post(w.docs('items'))
          .set(w.sk)
          .send([{ title: 'x' }]),
        400,
        'validation_failed',
      );
    });

    it('PATCH: unknown operators are named; read-only fields refused', async () => {
      for (const op of ['$set', '$where', '$rename', '$currentDate']) {
        const res = await w.h.http
          .patch(w.docs('items', id))
          .set(w.sk)
          .send({ [op]: { n: 1 } });
        expect(expectError(res, 400, 'invalid_request')).toEqual({ operator: op });
      }
      expect(
        expectError(
          await w.h.http
            .patch(w.docs('items', id))
            .set(w.sk)
            .send({ $inc: { title: 1 } }),
          400,
          'invalid_request',
        ),
      ).toMatchObject({ operator: '$inc' });
      expect(
        expectError(
          await w.h.http.patch(w.docs('items', id)).set(w.sk).send({ owner: 'x' }).set('X-Hearth-Key', w.publicKey),
          400,
          'validation_failed',
        ).fields,
      ).toEqual({ owner: 'is read-only' });
    });
  });

  describe('query parameters', () => {
    it.each<[string, Record<string, string>, Record<string, unknown>]>([
      ['unknown operator', { filter: '{"n":{"$foo":1}}' }, { operator: '$foo' }],
      ['$where', { filter: '{"$where":"sleep(1000)"}' }, { operator: '$where' }],
      ['$expr', { filter: '{"$expr":{"$gt":["$n",1]}}' }, { operator: '$expr' }],
      ['$function', { filter: '{"n":{"$function":{}}}' }, { operator: '$function' }],
      ['unsafe regex', { filter: '{"title":{"$regex":"(a+)+$"}}' }, { operator: '$regex' }],
      ['regex of repeated alternatives', { filter: '{"title":{"$regex":"^(.|.)*#$"}}' }, { operator: '$regex' }],
      ['regex with lookahead', { filter: '{"title":{"$regex":"(?=a)b"}}' }, { operator: '$regex' }],
      ['malformed JSON filter', { filter: '{"n":' }, { reason: 'invalid_json' }],
      ['filter not an object', { filter: '[1,2]' }, { expected: 'object' }],
      ['$set as a filter path', { filter: '{"title":{"$set":1}}' }, { operator: '$set' }],
      ['__proto__ path', { filter: '{"__proto__":{"a":1}}' }, { path: '__proto__' }],
      ['constructor.prototype path', { filter: '{"constructor.prototype":1}' }, { path: 'constructor.prototype' }],
      ['sort by __proto__', { sort: '__proto__' }, { parameter: 'sort' }],
      ['sort by $natural', { sort: '$natural' }, { parameter: 'sort' }],
      ['fields constructor.prototype', { fields: 'constructor.prototype' }, { parameter: 'fields' }],
      ['a deep filter', { filter: deepFilter(300) }, { limit: 'depth' }],
      ['garbage cursor', { after: 'not a cursor!' }, { parameter: 'after' }],
      [
        'forged cursor',
        { after: Buffer.from(JSON.stringify({ s: 'createdAt', v: [{ $gt: '' }], i: 'x' })).toString('base64url') },
        { parameter: 'after' },
      ],
    ])('%s → invalid_request naming it', async (_name, query, details) => {
      expect(expectError(await list(query), 400, 'invalid_request')).toMatchObject(details);
    });

    it.each<[string, Record<string, string>]>([
      ['limit=1e9', { limit: '1e9' }],
      ['limit=0', { limit: '0' }],
      ['limit=abc', { limit: 'abc' }],
      ['limit=1.5', { limit: '1.5' }],
      ['offset too large', { offset: '1000000000' }],
      ['count=maybe', { count: 'maybe' }],
    ])('%s → invalid_request naming the parameter', async (_name, query) => {
      const details = expectError(await list(query), 400, 'invalid_request');
      expect(Object.keys(details.query as object)).toEqual(Object.keys(query));
    });

    it('a cursor made for another sort is refused', async () => {
      const page = await list({ sort: 'title', limit: '1' }).expect(200);
      expect(page.body.next).toBeTruthy();
      expect(expectError(await list({ sort: '-title', after: page.body.next }), 400, 'invalid_request')).toMatchObject({
        parameter: 'after',
      });
    });

    it('a 10,000-deep filter is refused (aggregate $match, in a body: too big for a URL)', async () => {
      const res = await w.h.http
        .post(`/v1/apps/${w.appId}/collections/items/aggregate`)
        .set(w.pk)
        .set('Content-Type', 'application/json')
        .send(`{"pipeline":[{"$match":${deepFilter(10_000)}}]}`);
      expect(expectError(res, 400, 'invalid_request')).toMatchObject({ limit: 'depth' });
    });

    it('a filter too long for a URL is payload_too_large (headers_too_large) in the error shape, not crashed on', async () => {
      const res = await list({ filter: deepFilter(10_000) });
      // Node's HTTP parser refuses it before the app runs; the clientError handler answers.
      expect(expectError(res, 413, 'payload_too_large')).toMatchObject({ reason: 'headers_too_large' });
    });
  });

  describe('headers and batches', () => {
    it('a malformed If-Match or Idempotency-Key is invalid_request naming the header', async () => {
      for (const [header, value] of [
        ['If-Match', 'abc'],
        ['If-Match', '"1", "2"'],
        ['Idempotency-Key', 'x'.repeat(256)],
        ['Idempotency-Key', 'with space'],
      ] as const) {
        const res = await w.h.http.patch(w.docs('items', id)).set(w.sk).set(header, value).send({ n: 9 });
        expect(expectError(res, 400, 'invalid_request'), `${header}: ${value}`).toEqual({ header });
      }
    });

    it('a batch with one bad op is refused naming the op, and writes none of the others', async () => {
      const batch = (ops: unknown[]) => w.h.http.post(`/v1/apps/${w.appId}/batch`).set(w.sk).send({ ops });
      const badData = await batch([
        { op: 'create', collection: 'items', data: { title: 'new' } },
        { op: 'update', collection: 'items', id, data: { n: 5 } },
        { op: 'create', collection: 'items', data: { title: 7 } },
      ]);
      expect(expectError(badData, 400, 'validation_failed')).toMatchObject({
        index: 2,
        fields: { title: 'must be a string' },
      });
      const badOperator = await batch([{ op: 'update', collection: 'items', id, data: { $rename: { n: 'm' } } }]);
      expect(expectError(badOperator, 400, 'invalid_request')).toMatchObject({ index: 0, operator: '$rename' });
      const unknownCollection = await batch([{ op: 'create', collection: 'nope', data: { title: 'x' } }]);
      expect(expectError(unknownCollection, 404, 'not_found')).toMatchObject({ index: 0, collection: 'nope' });
      const systemCollection = await batch([{ op: 'create', collection: '_users', data: { email: 'a@b.c' } }]);
      expect(expectError(systemCollection, 400, 'validation_failed').fields).toMatchObject({
        'ops.0.collection': expect.any(String),
      });
    });
  });
});
