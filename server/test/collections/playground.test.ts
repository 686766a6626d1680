import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { openWorld, type CollectionsWorld } from './support.js';

/** The admin rules playground: a list as a chosen user or anonymous, the list rule in the query. */
describe.each(ENGINES)('rules playground [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeEach(async () => {
    w = await openWorld(engine);
    await w.createCollection({
      name: 'notes',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'shared', type: 'boolean', default: false },
      ],
      rules: { list: { $or: [{ owner: '@auth.id' }, { shared: true }, { '@auth.roles': { $in: ['staff'] } }] } },
    });
    for (const [title, owner, shared] of [
      ['a1', 'useralice', false],
      ['a2', 'useralice', false],
      ['b1', 'userbob', false],
      ['s1', 'userbob', true],
    ] as const) {
      const res = await w.h.http.post(w.docs('notes')).set(w.sk).send({ title, owner, shared });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });
  afterEach(async () => {
    await w.close();
  });
  const play = (body: Record<string, unknown>, name = 'notes') =>
    w.h.http.post(`/v1/admin/apps/${w.appId}/collections/${name}/playground`).set(w.admin).send(body);
  const titles = (items: { title: string }[]) => items.map((d) => d.title).sort();

  it('shows what a user sees: their own documents plus shared ones, with count and the rule', async () => {
    const res = await play({ as: { id: 'useralice', roles: [] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(titles(res.body.items)).toEqual(['a1', 'a2', 's1']);
    expect(res.body.count).toBe(3);
    expect(res.body.denied).toBe(false);
    expect(res.body.rule).toHaveProperty('$or');
  });

  it('applies roles, the caller filter and sort inside the same query; anonymous sees shared only', async () => {
    const staff = await play({ as: { id: 'usercarol', roles: ['staff'] }, sort: '-title', limit: 2 });
    expect(staff.body.items.map((d: { title: string }) => d.title)).toEqual(['s1', 'b1']);
    expect(staff.body.count).toBe(4);
    expect(staff.body.next).toEqual(expect.any(String));
    const filtered = await play({ as: { id: 'useralice', roles: [] }, filter: '{"title":{"$ne":"a1"}}' });
    expect(titles(filtered.body.items)).toEqual(['a2', 's1']);
    const anon = await play({ as: null });
    expect(titles(anon.body.items)).toEqual(['s1']);
  });

  it('answers denied for a rule that refuses the caller, without documents', async () => {
    await w.createCollection({
      name: 'closed',
      fields: [{ name: 't', type: 'string' }],
      rules: { list: 'authenticated' },
    });
    await w.h.http.post(w.docs('closed')).set(w.sk).send({ t: 'x' }).expect(201);
    const anon = await play({ as: null }, 'closed');
    expect(anon.status).toBe(200);
    expect(anon.body).toMatchObject({ items: [], count: 0, denied: true, rule: 'authenticated' });
    const user = await play({ as: { id: 'userdave' } }, 'closed');
    expect(user.body).toMatchObject({ count: 1, denied: false });
  });

  it('refuses bad input and non-admins', async () => {
    expect((await play({ as: { id: 'bad id!' } })).status).toBe(400);
    expect((await play({ as: null, filter: '{"title":{"$bogus":1}}' })).status).toBe(400);
    expect((await play({ as: null, extra: 1 })).status).toBe(400);
    expect((await play({ as: null }, 'missing')).status).toBe(404);
    const res = await w.h.http
      .post(`/v1/admin/apps/${w.appId}/collections/notes/playground`)
      .set(w.sk)
      .send({ as: null });
    expect(res.status).toBe(401);
  });
});
