import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_APP } from '../../src/ports/document-store.js';
import { ENGINES, openStore } from '../support/harness.js';
import type { Operation } from './operations.js';
import { checkAuthorization, checkChanges, checkResponse, checkTenancy, schemesHeld, type Response } from './oracle.js';
import { StoreRecorder } from './recording-store.js';

/**
 * The fuzzer's own checks, each shown to catch what it is for: a fuzzer whose oracle never fires
 * passes every run.
 */
const op: Operation = {
  key: 'POST /v1/things',
  method: 'post',
  path: '/v1/things',
  pathParams: [],
  queryParams: [],
  body: { type: 'object' },
  security: ['appKey'],
  successStatuses: [201],
};
const json = (status: number, body: unknown): Response => ({
  status,
  body,
  text: JSON.stringify(body),
  contentType: 'application/json; charset=utf-8',
});

describe('fuzzer oracle', () => {
  it('accepts a table error and a declared success', () => {
    expect(checkResponse(op, json(404, { error: { code: 'not_found', message: 'No such thing.' } }), [])).toEqual([]);
    expect(checkResponse(op, json(201, { id: 'x' }), [])).toEqual([]);
    expect(
      checkResponse(op, json(400, { error: { code: 'invalid_request', message: 'm', details: { a: 1 } } }), []),
    ).toEqual([]);
  });

  it('flags a 5xx, a wrong shape, a status the table does not give the code, an undeclared success', () => {
    const checks = (r: Response) => checkResponse(op, r, []).map((f) => f.check);
    expect(checks(json(500, { error: { code: 'internal', message: 'x' } }))).toContain('server_error');
    expect(checks(json(400, { message: 'bad' }))).toEqual(['error_shape']);
    expect(checks(json(400, { error: { code: 'nope', message: 'x' } }))).toEqual(['error_shape']);
    expect(checks(json(400, { error: { code: 'invalid_request', message: 'x', stack: '…' } }))).toEqual([
      'error_shape',
    ]);
    expect(checks(json(400, { error: { code: 'invalid_request', message: 'x', details: 'str' } }))).toEqual([
      'error_shape',
    ]);
    expect(checks({ ...json(404, {}), contentType: 'text/html', text: '<h1>Not Found</h1>' })).toEqual(['error_shape']);
    expect(checks(json(400, { error: { code: 'not_found', message: 'x' } }))).toEqual(['error_status']);
    expect(checks(json(200, { id: 'x' }))).toEqual(['undeclared_status']);
  });

  it('flags a response that holds a secret handed out earlier or a stored hash field', () => {
    expect(checkResponse(op, json(201, { key: 'sk_live_secret' }), ['sk_live_secret']).map((f) => f.check)).toEqual([
      'leak',
    ]);
    expect(checkResponse(op, json(201, { passwordHash: '$argon2id$…' }), []).map((f) => f.check)).toContain('leak');
  });

  it('a success for a caller without any of the schemes is an authorization failure', () => {
    expect(checkAuthorization(op, 201, schemesHeld('anonymous', 'a'))).toHaveLength(1);
    expect(checkAuthorization(op, 201, schemesHeld('otherAppKey', 'a'))).toHaveLength(1);
    expect(checkAuthorization(op, 201, schemesHeld('otherAppKey', 'b'))).toEqual([]);
    expect(checkAuthorization(op, 201, schemesHeld('publicKey', 'a'))).toEqual([]);
    expect(checkAuthorization(op, 401, schemesHeld('anonymous', 'a'))).toEqual([]);
    expect(checkAuthorization({ ...op, security: ['adminBearer'] }, 200, schemesHeld('user', 'a'))).toHaveLength(1);
  });

  it("a success for a path naming one app and another app's object is a tenancy failure", () => {
    expect(checkTenancy(200, 'userId')).toEqual([
      { check: 'authorization', detail: expect.stringContaining('userId') },
    ]);
    expect(checkTenancy(404, 'userId')).toEqual([]);
    expect(checkTenancy(200, undefined)).toEqual([]);
  });
});

describe.each(ENGINES)('fuzzer store recorder [%s]', (engine) => {
  let opened: Awaited<ReturnType<typeof openStore>>;
  let rec: StoreRecorder;
  beforeAll(async () => {
    opened = await openStore(engine);
    rec = new StoreRecorder(opened.store);
  });
  afterAll(async () => {
    await opened.cleanup();
  });

  const during = async (fn: () => Promise<unknown>) => {
    rec.begin();
    try {
      await fn().catch(() => undefined);
    } finally {
      await rec.idle();
    }
    return rec.changes(rec.end());
  };

  it('sees creates, updates, deletes and batches inside a window, and nothing for reads', async () => {
    const app = rec.store.forApp('recorderApp');
    const a = await app.create('things', { data: { n: 1 } });
    const b = await app.create('things', { data: { n: 2 } });
    expect(await during(() => app.find('things', { limit: 10 }))).toEqual([]);

    const created = await during(() => app.create('things', { data: { n: 3 } }));
    expect(created.map((c) => [c.collection, c.added.length])).toEqual([['things', 1]]);
    const updated = await during(() => app.update('things', a.id, { set: { n: 10 } }));
    expect(updated[0]!.modified.map((m) => m.before.id)).toEqual([a.id]);
    const deleted = await during(() => app.delete('things', b.id));
    expect(deleted[0]!.removed.map((d) => d.id)).toEqual([b.id]);
    const batched = await during(() =>
      app.batch([
        { op: 'create', collection: 'others', data: { x: 1 } },
        { op: 'update', collection: 'things', id: a.id, update: { inc: { n: 1 } } },
      ]),
    );
    expect(batched.map((c) => c.collection).sort()).toEqual(['others', 'things']);
    const indexed = await during(() =>
      app.ensureIndex('things', { kind: 'regular', name: 'by_n', fields: [{ path: 'n', dir: 1 }] }),
    );
    expect(indexed.map((c) => c.indexesChanged)).toEqual([true]);
  });

  it('a write that fails or writes back the same state is no change', async () => {
    const app = rec.store.forApp('recorderApp2');
    const a = await app.create('things', { data: { n: 1 } });
    expect(await during(() => app.update('things', a.id, { set: { n: 2 } }, { expectedVersion: 99 }))).toEqual([]);
    expect(await during(() => app.delete('things', 'missingId'))).toEqual([]);
    expect(rec.known().get('recorderApp2')).toEqual(new Set(['things']));
  });

  it('the audit log may grow on a rejection; nothing else may change', async () => {
    const system = rec.store.forApp(SYSTEM_APP);
    const appended = await during(() => system.create('audit', { data: { action: 'x' } }));
    expect(checkChanges(appended, 403)).toEqual([]);
    const entry = appended[0]!.added[0]!;
    const rewritten = await during(() => system.update('audit', entry.id, { set: { action: 'y' } }));
    expect(checkChanges(rewritten, 403).map((f) => f.check)).toEqual(['changed']);
    const keys = await during(() => system.create('keys', { data: { kind: 'secret' } }));
    expect(checkChanges(keys, 400)).toEqual([
      { check: 'changed', detail: expect.stringContaining('_system/keys: added') },
    ]);
  });

  it('revoking a session is allowed only as the answer to a replayed refresh token (401)', async () => {
    const app = rec.store.forApp('recorderApp3');
    const s = await app.create('_sessions', { data: { userId: 'u', revokedAt: null } });
    const revoked = await during(() =>
      app.update('_sessions', s.id, { set: { revokedAt: new Date().toISOString(), revokedReason: 'reuse' } }),
    );
    expect(checkChanges(revoked, 401)).toEqual([]);
    expect(checkChanges(revoked, 400)).toHaveLength(1);
    const other = await during(() => app.update('_sessions', s.id, { set: { userId: 'someone else' } }));
    expect(checkChanges(other, 401)).toHaveLength(1);
  });
});
