import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAnonymously, signUp, setRoles, type TestUser } from '../collections/users.js';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';
import {
  ACTORS,
  RECIPES,
  WRITE_FORMS,
  cookbookRulesInDocs,
  seedFields,
  type Actor,
  type Outcome,
  type Recipe,
  type WriteForm,
} from './cookbook.recipes.js';

/**
 * Finding 4 of the security probe: the cookbook's write-once rule
 * `{"$and":[{"owner":"@auth.id"},{"@data.createdBy":{"$exists":false}}]}` blocked
 * `PATCH {"createdBy": …}` but not `PATCH {"$unset": ["createdBy"]}` nor a PUT without
 * `createdBy`: `@data` dropped the fields a write removes. Now `@data` holds every field a write
 * touches — a removed field is `null` — so each cookbook recipe is tried here against every write
 * form (create, PATCH set, PATCH with each operator, PUT, DELETE), each both as its own route and
 * as a batch op, by every kind of caller, and a refused write must leave the document as it was.
 */
type Channel = 'route' | 'batch';
const CHANNELS: Channel[] = ['route', 'batch'];

interface Case {
  actor: Actor;
  form: WriteForm;
  channel: Channel;
  expected: Outcome;
  /** The seeded document it writes (update/replace/delete). */
  id?: string;
}

interface Got {
  status: number;
  code?: string;
  id?: string;
}

it('the suite covers every recipe of the cookbook in docs/collections.md', () => {
  const documented = cookbookRulesInDocs();
  expect(documented.length).toBeGreaterThanOrEqual(9);
  for (const rules of documented) {
    expect(
      RECIPES.map((r) => r.rules),
      `a cookbook recipe with no test: ${JSON.stringify(rules)}`,
    ).toContainEqual(rules);
  }
});

describe.each(ENGINES)('rules cookbook × write forms [%s]', (engine) => {
  let h: Harness;
  let adminToken: string;
  beforeAll(async () => {
    h = await startHarness(engine);
    adminToken = (await withAdminAndApp(h)).adminToken;
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(RECIPES.map((r) => [r.name, r] as const))('%s', async (_name, recipe) => {
    const mismatches = await runRecipe(h, adminToken, recipe);
    expect(mismatches).toEqual([]);
  });
});

async function runRecipe(h: Harness, adminToken: string, recipe: Recipe): Promise<string[]> {
  // A fresh app per recipe: its own users, and its own data-route rate limit budget.
  const admin = { Authorization: `Bearer ${adminToken}` };
  const app = (
    await h.http
      .post('/v1/admin/apps')
      .set(admin)
      .send({ name: recipe.name.slice(0, 60) })
  ).body as {
    id: string;
    keys: { public: string; secret: string };
  };
  const docs = (id?: string) => `/v1/apps/${app.id}/collections/notes/documents${id ? `/${id}` : ''}`;
  const created = await h.http
    .post(`/v1/admin/apps/${app.id}/collections`)
    .set(admin)
    .send({
      name: 'notes',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'n', type: 'integer' },
        { name: 'tags', type: 'array', of: 'string' },
        { name: 'members', type: 'array', of: 'string' },
        { name: 'createdBy', type: 'string' },
        { name: 'published', type: 'boolean' },
        { name: 'audience', type: 'string' },
        { name: 'publishAt', type: 'date' },
      ],
      rules: recipe.rules,
    });
  expect(created.status, JSON.stringify(created.body)).toBe(201);

  const users: Record<'alice' | 'bob' | 'carol' | 'anon', TestUser> = {
    alice: await signUp(h, app.id, app.keys.public, 'alice@example.com'),
    bob: await signUp(h, app.id, app.keys.public, 'bob@example.com'),
    carol: await signUp(h, app.id, app.keys.public, 'carol@example.com'),
    anon: await signInAnonymously(h, app.id, app.keys.public),
  };
  await setRoles(h, app.id, adminToken, users.bob, ['editor']);
  await setRoles(h, app.id, adminToken, users.carol, ['admin']);
  const headers = (actor: Actor): Record<string, string> =>
    actor === 'public'
      ? { 'X-Hearth-Key': app.keys.public }
      : actor === 'secret'
        ? { 'X-Hearth-Key': app.keys.secret }
        : users[actor].headers;
  const ids = { alice: users.alice.id, bob: users.bob.id };
  const sk = headers('secret');

  const cases: Case[] = [];
  for (const actor of ACTORS)
    for (const form of WRITE_FORMS)
      for (const channel of CHANNELS) cases.push({ actor, form, channel, expected: recipe.expect(actor, form) });

  // One document owned by alice per case that writes one, seeded by the secret key in batches.
  const seeded = cases.filter((c) => c.form.kind !== 'create');
  for (let i = 0; i < seeded.length; i += 100) {
    const chunk = seeded.slice(i, i + 100);
    const ops = chunk.map(() => ({
      op: 'create',
      collection: 'notes',
      data: { ...seedFields(ids), owner: ids.alice },
    }));
    const res = await h.http.post(`/v1/apps/${app.id}/batch`).set(sk).send({ ops });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    chunk.forEach((c, j) => (c.id = res.body.results[j].body.id as string));
  }

  const run = async (c: Case): Promise<Got> => {
    const me = c.actor === 'public' || c.actor === 'secret' ? null : users[c.actor].id;
    const body = c.form.body?.({ me, ...ids });
    const as = headers(c.actor);
    if (c.channel === 'batch') {
      const op =
        c.form.kind === 'create'
          ? { op: 'create', collection: 'notes', data: body }
          : c.form.kind === 'delete'
            ? { op: 'delete', collection: 'notes', id: c.id }
            : { op: c.form.kind, collection: 'notes', id: c.id, data: body };
      const res = await h.http
        .post(`/v1/apps/${app.id}/batch`)
        .set(as)
        .send({ ops: [op] });
      return res.status === 200
        ? { status: res.body.results[0].status, id: res.body.results[0].body?.id }
        : { status: res.status, code: res.body.error?.code };
    }
    const res =
      c.form.kind === 'create'
        ? await h.http.post(docs()).set(as).send(body)
        : c.form.kind === 'update'
          ? await h.http.patch(docs(c.id)).set(as).send(body)
          : c.form.kind === 'replace'
            ? await h.http.put(docs(c.id)).set(as).send(body)
            : await h.http.delete(docs(c.id)).set(as);
    return { status: res.status, code: res.body?.error?.code, id: res.body?.id };
  };

  const mismatches: string[] = [];
  const got = new Map<Case, Got>();
  for (let i = 0; i < cases.length; i += 8) {
    const chunk = cases.slice(i, i + 8);
    const answers = await Promise.all(chunk.map(run));
    chunk.forEach((c, j) => got.set(c, answers[j]!));
  }
  const okStatus = { create: 201, update: 200, replace: 200, delete: 204 } as const;
  for (const c of cases) {
    const g = got.get(c)!;
    const want =
      c.expected === 'ok'
        ? `${okStatus[c.form.kind]}`
        : `${c.expected} ${c.expected === 403 ? 'forbidden' : 'not_found'}`;
    const seen = g.status < 300 ? `${g.status}` : `${g.status} ${g.code}`;
    if (seen !== want) mismatches.push(`${c.actor} ${c.form.name} (${c.channel}): expected ${want}, got ${seen}`);
  }

  // Refused writes changed nothing; allowed ones did exactly their one write.
  const stored = (await h.http.get(docs()).query({ limit: 1000 }).set(sk).expect(200)).body.items as Array<
    Record<string, unknown>
  >;
  const byId = new Map(stored.map((d) => [d.id as string, d]));
  const seed = seedFields(ids);
  for (const c of seeded) {
    const doc = byId.get(c.id!);
    const label = `${c.actor} ${c.form.name} (${c.channel})`;
    if (c.expected === 'ok') {
      if (c.form.kind === 'delete' ? doc !== undefined : doc?.version !== 2) mismatches.push(`${label}: not written`);
    } else if (!doc || doc.version !== 1 || doc.owner !== ids.alice) {
      mismatches.push(`${label}: a refused write changed the document`);
    } else {
      for (const [k, v] of Object.entries(seed))
        if (JSON.stringify(doc[k]) !== JSON.stringify(v)) mismatches.push(`${label}: ${k} changed`);
    }
  }
  const createdOk = cases.filter((c) => c.form.kind === 'create' && c.expected === 'ok').length;
  const deletedOk = seeded.filter((c) => c.form.kind === 'delete' && c.expected === 'ok').length;
  if (stored.length !== seeded.length - deletedOk + createdOk)
    mismatches.push(`expected ${seeded.length - deletedOk + createdOk} documents, found ${stored.length}`);
  return mismatches;
}
