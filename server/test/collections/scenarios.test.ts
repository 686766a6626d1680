import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { openWorld, otherApp, type CollectionsWorld, type Headers } from './support.js';
import { authAvailable, setRoles, signInAnonymously, signUp, type TestUser } from './users.js';

/**
 * The access scenario table (issue 4): method, url, credentials, body → status, body, events.
 * It covers every rule kind — owner-only (the default), public-or-own, team membership with an
 * `@data` guard, roles, secret-only (null), public create, registered-only — for two users, an
 * anonymous user, the public key alone, a secret key, an admin, and another app's keys and user,
 * through list, get, count, create, update, replace, delete, expand, aggregate and batch.
 *
 * Rows run in order against one fixture; rows that delete use documents no later row needs.
 */
type Cred = 'alice' | 'bob' | 'anon' | 'public' | 'secret' | 'admin' | 'otherPk' | 'otherSk' | 'otherUser';

interface Row {
  name: string;
  as: Cred;
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** A url; `{key}` is replaced by a fixture document's id, `{alice}`/`{bob}` by user ids. */
  url: string;
  body?: unknown;
  status: number;
  /** Error code, for error statuses. */
  code?: string;
  /** For lists: exactly these fixture keys (in any order). */
  ids?: string[];
  /** Anything else to check on the body. */
  check?: (body: Record<string, unknown>, f: Fixture) => void;
  /** Events emitted by this request, as `type:collection` (default: none). */
  events?: string[];
}

interface Fixture {
  ids: Record<string, string>;
  keyOf: Map<string, string>;
  users: Record<'alice' | 'bob' | 'anon', TestUser>;
}

const C = '/v1/apps/{app}/collections';
const q = (filter: unknown) => encodeURIComponent(JSON.stringify(filter));

const ROWS: Row[] = [
  // ── notes: default rules — create "authenticated"; list/get/update/delete {"owner": "@auth.id"}
  {
    name: 'owner lists only their notes',
    as: 'alice',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 200,
    ids: ['nA', 'nDel'],
  },
  {
    name: 'the other user lists only theirs',
    as: 'bob',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 200,
    ids: ['nB'],
  },
  {
    name: 'anonymous user owns nothing yet',
    as: 'anon',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 200,
    ids: [],
  },
  {
    name: 'public key alone sees nothing (not even ownerless notes)',
    as: 'public',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 200,
    ids: [],
  },
  {
    name: 'secret key sees all',
    as: 'secret',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 200,
    ids: ['nA', 'nB', 'nNull', 'nDel'],
  },
  {
    name: 'admin sees all',
    as: 'admin',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 200,
    ids: ['nA', 'nB', 'nNull', 'nDel'],
  },
  {
    name: "another app's public key is refused",
    as: 'otherPk',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 401,
    code: 'invalid_api_key',
  },
  {
    name: "another app's secret key is refused",
    as: 'otherSk',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 401,
    code: 'invalid_api_key',
  },
  {
    name: "another app's user token is refused",
    as: 'otherUser',
    method: 'get',
    url: `${C}/notes/documents`,
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'a filter cannot widen the rule',
    as: 'alice',
    method: 'get',
    url: `${C}/notes/documents?filter=${q({ $or: [{ owner: '{bob}' }, { owner: null }, { title: { $exists: true } }] })}`,
    status: 200,
    ids: ['nA', 'nDel'],
  },
  {
    name: 'count follows the rule',
    as: 'alice',
    method: 'get',
    url: `${C}/notes/documents?count=exact&limit=1`,
    status: 200,
    check: (b) => expect(b.count).toBe(2),
  },
  {
    name: "get another user's note → 404",
    as: 'alice',
    method: 'get',
    url: `${C}/notes/documents/{nB}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'get own note',
    as: 'bob',
    method: 'get',
    url: `${C}/notes/documents/{nB}`,
    status: 200,
    check: (b) => expect(b.title).toBe('bob note'),
  },
  {
    name: 'public key cannot get an ownerless note',
    as: 'public',
    method: 'get',
    url: `${C}/notes/documents/{nNull}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'create sets the owner to the signed-in user',
    as: 'alice',
    method: 'post',
    url: `${C}/notes/documents`,
    body: { title: 'new' },
    status: 201,
    check: (b, f) => expect(b.owner).toBe(f.users.alice.id),
    events: ['documents.create:notes'],
  },
  {
    name: 'anonymous users are authenticated',
    as: 'anon',
    method: 'post',
    url: `${C}/notes/documents`,
    body: { title: 'anon' },
    status: 201,
    events: ['documents.create:notes'],
  },
  {
    name: 'the public key alone cannot create',
    as: 'public',
    method: 'post',
    url: `${C}/notes/documents`,
    body: { title: 'x' },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'clients cannot set the owner',
    as: 'bob',
    method: 'post',
    url: `${C}/notes/documents`,
    body: { title: 'x', owner: '{alice}' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'the secret key may set the owner',
    as: 'secret',
    method: 'post',
    url: `${C}/notes/documents`,
    body: { title: 'gift', owner: '{bob}' },
    status: 201,
    check: (b, f) => expect(b.owner).toBe(f.users.bob.id),
    events: ['documents.create:notes'],
  },
  {
    name: "update another user's note → 404, no event",
    as: 'alice',
    method: 'patch',
    url: `${C}/notes/documents/{nB}`,
    body: { title: 'hacked' },
    status: 404,
    code: 'not_found',
  },
  {
    name: "replace another user's note → 404",
    as: 'alice',
    method: 'put',
    url: `${C}/notes/documents/{nB}`,
    body: { title: 'hacked' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'update own note',
    as: 'bob',
    method: 'patch',
    url: `${C}/notes/documents/{nB}`,
    body: { title: 'bob note' },
    status: 200,
    events: ['documents.update:notes'],
  },
  {
    name: "delete another user's note → 404",
    as: 'bob',
    method: 'delete',
    url: `${C}/notes/documents/{nDel}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'anonymous cannot delete either',
    as: 'anon',
    method: 'delete',
    url: `${C}/notes/documents/{nDel}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'owner deletes',
    as: 'alice',
    method: 'delete',
    url: `${C}/notes/documents/{nDel}`,
    status: 204,
    events: ['documents.delete:notes'],
  },
  {
    name: 'aggregate sees only permitted documents',
    as: 'bob',
    method: 'post',
    url: `${C}/notes/aggregate`,
    body: { pipeline: [{ $group: { _id: null, n: { $count: {} } } }] },
    status: 200,
    check: (b) => expect(b.items).toEqual([{ n: 2 }]), // nB and the secret key's gift
  },
  {
    name: 'aggregate that does not start with $match still gets the rule',
    as: 'public',
    method: 'post',
    url: `${C}/notes/aggregate`,
    body: { pipeline: [{ $sort: { title: 1 } }] },
    status: 200,
    check: (b) => expect(b.items).toEqual([]),
  },
  {
    name: 'batch: one denied op fails the whole batch, naming it; nothing written',
    as: 'alice',
    method: 'post',
    url: '/v1/apps/{app}/batch',
    body: {
      ops: [
        { op: 'update', collection: 'notes', id: '{nA}', data: { title: 'changed' } },
        { op: 'update', collection: 'notes', id: '{nB}', data: { title: 'hacked' } },
      ],
    },
    status: 404,
    code: 'not_found',
    check: (b) => expect((b.error as { details: unknown }).details).toMatchObject({ index: 1 }),
  },
  {
    name: 'batch left the first op unapplied',
    as: 'alice',
    method: 'get',
    url: `${C}/notes/documents/{nA}`,
    status: 200,
    check: (b) => expect(b.title).toBe('alice note'),
  },
  {
    name: 'batch of permitted ops',
    as: 'alice',
    method: 'post',
    url: '/v1/apps/{app}/batch',
    body: {
      ops: [
        { op: 'create', collection: 'notes', data: { title: 'b1' } },
        { op: 'update', collection: 'notes', id: '{nA}', data: { title: 'alice note' } },
      ],
    },
    status: 200,
    events: ['documents.create:notes', 'documents.update:notes'],
  },

  // ── posts: list/get {"$or": [{"published": true}, {"owner": "@auth.id"}]}; create authenticated; update owner; delete null
  {
    name: 'published or own',
    as: 'bob',
    method: 'get',
    url: `${C}/posts/documents`,
    status: 200,
    ids: ['pPubA', 'pDraftB'],
  },
  {
    name: 'author sees own drafts',
    as: 'alice',
    method: 'get',
    url: `${C}/posts/documents`,
    status: 200,
    ids: ['pPubA', 'pDraftA'],
  },
  {
    name: 'public sees published only',
    as: 'public',
    method: 'get',
    url: `${C}/posts/documents`,
    status: 200,
    ids: ['pPubA'],
  },
  {
    name: 'anonymous sees published only',
    as: 'anon',
    method: 'get',
    url: `${C}/posts/documents?count=exact`,
    status: 200,
    ids: ['pPubA'],
    check: (b) => expect(b.count).toBe(1),
  },
  {
    name: "someone else's draft → 404",
    as: 'bob',
    method: 'get',
    url: `${C}/posts/documents/{pDraftA}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: "cannot edit someone else's published post",
    as: 'bob',
    method: 'patch',
    url: `${C}/posts/documents/{pPubA}`,
    body: { title: 'x' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'author edits',
    as: 'alice',
    method: 'patch',
    url: `${C}/posts/documents/{pDraftA}`,
    body: { published: false },
    status: 200,
    events: ['documents.update:posts'],
  },
  {
    name: 'delete rule null: even the author cannot delete',
    as: 'alice',
    method: 'delete',
    url: `${C}/posts/documents/{pDraftA}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'aggregate counts per owner only over visible posts',
    as: 'public',
    method: 'post',
    url: `${C}/posts/aggregate`,
    body: { pipeline: [{ $match: {} }, { $group: { _id: '$published', n: { $count: {} } } }] },
    status: 200,
    check: (b) => expect(b.items).toEqual([{ published: true, n: 1 }]),
  },

  // ── comments → posts relation: expand applies the posts rule
  {
    name: 'expand hides a post the caller may not read',
    as: 'alice',
    method: 'get',
    url: `${C}/comments/documents?expand=post&sort=text`,
    status: 200,
    check: (b, f) => {
      const items = b.items as Array<{ text: string; post: string; expand: { post: unknown } }>;
      expect(items.map((c) => c.text)).toEqual(['on bob draft', 'on published']);
      expect(items[0]!.post).toBe(f.ids.pDraftB);
      expect(items[0]!.expand.post).toBeNull();
      expect(items[1]!.expand.post).toMatchObject({ id: f.ids.pPubA });
    },
  },
  {
    name: 'expand shows it to its author',
    as: 'bob',
    method: 'get',
    url: `${C}/comments/documents/{cDraftB}?expand=post`,
    status: 200,
    check: (b, f) => expect(b.expand).toEqual({ post: expect.objectContaining({ id: f.ids.pDraftB }) }),
  },

  // ── boards: list/get {"members": "@auth.id"}; create {"members": "@auth.id"};
  //    update {"$and": [{"members": "@auth.id"}, {"@data.members": {"$exists": false}}]}; delete owner
  {
    name: 'members see their boards',
    as: 'bob',
    method: 'get',
    url: `${C}/boards/documents`,
    status: 200,
    ids: ['bAB'],
  },
  { name: 'member of both', as: 'alice', method: 'get', url: `${C}/boards/documents`, status: 200, ids: ['bA', 'bAB'] },
  { name: 'non-members see none', as: 'anon', method: 'get', url: `${C}/boards/documents`, status: 200, ids: [] },
  {
    name: 'create a board you are a member of',
    as: 'bob',
    method: 'post',
    url: `${C}/boards/documents`,
    body: { title: 'b', members: ['{bob}'] },
    status: 201,
    events: ['documents.create:boards'],
  },
  {
    name: 'cannot create a board for others only',
    as: 'bob',
    method: 'post',
    url: `${C}/boards/documents`,
    body: { title: 'b', members: ['{alice}'] },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'members may edit the title',
    as: 'bob',
    method: 'patch',
    url: `${C}/boards/documents/{bAB}`,
    body: { title: 'renamed' },
    status: 200,
    events: ['documents.update:boards'],
  },
  {
    name: 'but not the membership (@data guard)',
    as: 'bob',
    method: 'patch',
    url: `${C}/boards/documents/{bAB}`,
    body: { members: ['{bob}'] },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'nor with $pull',
    as: 'bob',
    method: 'patch',
    url: `${C}/boards/documents/{bAB}`,
    body: { $pull: { members: '{alice}' } },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'non-members get 404 on update',
    as: 'bob',
    method: 'patch',
    url: `${C}/boards/documents/{bA}`,
    body: { title: 'x' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'only the owner deletes',
    as: 'bob',
    method: 'delete',
    url: `${C}/boards/documents/{bAB}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'the owner deletes',
    as: 'alice',
    method: 'delete',
    url: `${C}/boards/documents/{bAB}`,
    status: 204,
    events: ['documents.delete:boards'],
  },

  // ── articles: roles — get/list public; create {"@auth.roles": "editor"};
  //    update {"$or": [{"@auth.roles": "editor"}, {"owner": "@auth.id"}]}; delete {"@auth.roles": "admin"}
  {
    name: 'editors create',
    as: 'alice',
    method: 'post',
    url: `${C}/articles/documents`,
    body: { title: 'a' },
    status: 201,
    events: ['documents.create:articles'],
  },
  {
    name: 'non-editors cannot',
    as: 'bob',
    method: 'post',
    url: `${C}/articles/documents`,
    body: { title: 'a' },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'anonymous cannot',
    as: 'anon',
    method: 'post',
    url: `${C}/articles/documents`,
    body: { title: 'a' },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'editors edit any article',
    as: 'alice',
    method: 'patch',
    url: `${C}/articles/documents/{aB}`,
    body: { title: 'edited' },
    status: 200,
    events: ['documents.update:articles'],
  },
  {
    name: 'owners edit their own',
    as: 'bob',
    method: 'put',
    url: `${C}/articles/documents/{aB}`,
    body: { title: 'mine' },
    status: 200,
    events: ['documents.update:articles'],
  },
  {
    name: 'others cannot edit',
    as: 'anon',
    method: 'patch',
    url: `${C}/articles/documents/{aB}`,
    body: { title: 'x' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'no admin role: cannot delete',
    as: 'alice',
    method: 'delete',
    url: `${C}/articles/documents/{aB}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'the secret key deletes',
    as: 'secret',
    method: 'delete',
    url: `${C}/articles/documents/{aB}`,
    status: 204,
    events: ['documents.delete:articles'],
  },

  // ── logs: every rule null — secret key and admin only
  {
    name: 'null list rule → 403 for users',
    as: 'alice',
    method: 'get',
    url: `${C}/logs/documents`,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'null list rule → 403 for the public key',
    as: 'public',
    method: 'get',
    url: `${C}/logs/documents`,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'null get rule → 404',
    as: 'alice',
    method: 'get',
    url: `${C}/logs/documents/{l1}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'null create rule → 403',
    as: 'bob',
    method: 'post',
    url: `${C}/logs/documents`,
    body: { line: 'x' },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'null aggregate → 403',
    as: 'bob',
    method: 'post',
    url: `${C}/logs/aggregate`,
    body: { pipeline: [{ $match: {} }] },
    status: 403,
    code: 'forbidden',
  },
  { name: 'secret key reads logs', as: 'secret', method: 'get', url: `${C}/logs/documents`, status: 200, ids: ['l1'] },
  { name: 'admin reads logs', as: 'admin', method: 'get', url: `${C}/logs/documents/{l1}`, status: 200 },
  {
    name: 'admin writes logs',
    as: 'admin',
    method: 'post',
    url: `${C}/logs/documents`,
    body: { line: 'y' },
    status: 201,
    events: ['documents.create:logs'],
  },

  // ── feedback: create public (no user needed), nothing else
  {
    name: 'anyone with the public key may send feedback',
    as: 'public',
    method: 'post',
    url: `${C}/feedback/documents`,
    body: { text: 'hi' },
    status: 201,
    check: (b) => expect(b.owner).toBeNull(),
    events: ['documents.create:feedback'],
  },
  {
    name: 'but not read it',
    as: 'public',
    method: 'get',
    url: `${C}/feedback/documents`,
    status: 403,
    code: 'forbidden',
  },

  // ── lounge: list/get {"@auth.anonymous": false}
  {
    name: 'registered users only: anonymous refused',
    as: 'anon',
    method: 'get',
    url: `${C}/lounge/documents`,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'registered users only: no user refused',
    as: 'public',
    method: 'get',
    url: `${C}/lounge/documents`,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'registered users only: allowed',
    as: 'bob',
    method: 'get',
    url: `${C}/lounge/documents`,
    status: 200,
    ids: ['lg1'],
  },
];

describe.each(ENGINES)('access scenarios [%s]', (engine) => {
  let w: CollectionsWorld;
  let creds: Record<Cred, Headers>;
  let fixture: Fixture | null = null;

  beforeAll(async () => {
    w = await openWorld(engine);
    if (!(await authAvailable(w.h, w.appId, w.publicKey))) return;
    const other = await otherApp(w);
    const alice = await signUp(w.h, w.appId, w.publicKey, 'alice@example.com');
    const bob = await signUp(w.h, w.appId, w.publicKey, 'bob@example.com');
    const anon = await signInAnonymously(w.h, w.appId, w.publicKey);
    await setRoles(w.h, w.appId, w.adminToken, alice, ['editor']);
    const stranger = await signUp(w.h, other.appId, other.publicKey, 'alice@example.com');
    creds = {
      alice: alice.headers,
      bob: bob.headers,
      anon: anon.headers,
      public: w.pk,
      secret: w.sk,
      admin: w.admin,
      otherPk: { 'X-Hearth-Key': other.publicKey },
      otherSk: { 'X-Hearth-Key': other.secretKey },
      otherUser: { 'X-Hearth-Key': w.publicKey, Authorization: `Bearer ${stranger.token}` },
    };

    const str = (name: string) => ({ name, type: 'string' });
    await w.createCollection({ name: 'notes', fields: [str('title')] });
    await w.createCollection({
      name: 'posts',
      fields: [str('title'), { name: 'published', type: 'boolean', default: false }],
      rules: {
        list: { $or: [{ published: true }, { owner: '@auth.id' }] },
        get: { $or: [{ published: true }, { owner: '@auth.id' }] },
        create: 'authenticated',
        update: { owner: '@auth.id' },
        delete: null,
      },
    });
    await w.createCollection({
      name: 'comments',
      fields: [str('text'), { name: 'post', type: 'relation', to: 'posts' }],
      rules: { list: 'public', get: 'public', create: 'authenticated' },
    });
    await w.createCollection({
      name: 'boards',
      fields: [str('title'), { name: 'members', type: 'array', of: 'string' }],
      rules: {
        list: { members: '@auth.id' },
        get: { members: '@auth.id' },
        create: { members: '@auth.id' },
        update: { $and: [{ members: '@auth.id' }, { '@data.members': { $exists: false } }] },
        delete: { owner: '@auth.id' },
      },
    });
    await w.createCollection({
      name: 'articles',
      fields: [str('title')],
      rules: {
        list: 'public',
        get: 'public',
        create: { '@auth.roles': 'editor' },
        update: { $or: [{ '@auth.roles': 'editor' }, { owner: '@auth.id' }] },
        delete: { '@auth.roles': 'admin' },
      },
    });
    await w.createCollection({
      name: 'logs',
      fields: [str('line')],
      rules: { list: null, get: null, create: null, update: null, delete: null },
    });
    await w.createCollection({
      name: 'feedback',
      fields: [str('text')],
      rules: { create: 'public', list: null, get: null, update: null, delete: null },
    });
    await w.createCollection({
      name: 'lounge',
      fields: [str('topic')],
      rules: { list: { '@auth.anonymous': false }, get: { '@auth.anonymous': false }, create: null },
    });

    const ids: Record<string, string> = {};
    const make = async (key: string, collection: string, data: Record<string, unknown>, owner: string | null) => {
      const res = await w.h.http
        .post(w.docs(collection))
        .set(w.sk)
        .send({ ...data, owner });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[key] = res.body.id;
    };
    await make('nA', 'notes', { title: 'alice note' }, alice.id);
    await make('nB', 'notes', { title: 'bob note' }, bob.id);
    await make('nNull', 'notes', { title: 'nobody' }, null);
    await make('nDel', 'notes', { title: 'to delete' }, alice.id);
    await make('pPubA', 'posts', { title: 'hello', published: true }, alice.id);
    await make('pDraftA', 'posts', { title: 'draft a' }, alice.id);
    await make('pDraftB', 'posts', { title: 'draft b' }, bob.id);
    await make('cPub', 'comments', { text: 'on published', post: ids.pPubA }, bob.id);
    await make('cDraftB', 'comments', { text: 'on bob draft', post: ids.pDraftB }, bob.id);
    await make('bA', 'boards', { title: 'a', members: [alice.id] }, alice.id);
    await make('bAB', 'boards', { title: 'ab', members: [alice.id, bob.id] }, alice.id);
    await make('aB', 'articles', { title: 'by bob' }, bob.id);
    await make('l1', 'logs', { line: 'boot' }, null);
    await make('lg1', 'lounge', { topic: 'welcome' }, null);
    fixture = { ids, keyOf: new Map(Object.entries(ids).map(([k, v]) => [v, k])), users: { alice, bob, anon } };
  });
  afterAll(async () => {
    await w.close();
  });

  const fill = (text: string, f: Fixture): string =>
    text
      .replaceAll('{app}', w.appId)
      .replace(/\{(alice|bob)\}/g, (_, u: 'alice' | 'bob') => f.users[u].id)
      .replace(/\{(\w+)\}/g, (m, key: string) => f.ids[key] ?? m);
  const fillDeep = (value: unknown, f: Fixture): unknown => {
    if (typeof value === 'string') return fill(value, f);
    if (Array.isArray(value)) return value.map((v) => fillDeep(v, f));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, f)]));
    return value;
  };

  for (const row of ROWS) {
    it(`${row.as}: ${row.name}`, async (ctx) => {
      // The auth module (issue 5) provides the users; without it these rows cannot run.
      if (!fixture) return ctx.skip('the auth module is not mounted: scenario rows need app users');
      const f = fixture;
      const url = fill(row.url.replace(/%7B(\w+)%7D/g, '{$1}'), f);
      const before = w.events.length;
      let req = w.h.http[row.method](url).set(creds[row.as]);
      if (row.body !== undefined) req = req.send(fillDeep(row.body, f) as object);
      const res = await req;
      expect(res.status, JSON.stringify(res.body)).toBe(row.status);
      if (row.code) expect(res.body.error?.code).toBe(row.code);
      if (row.ids) {
        const got = (res.body.items as Array<{ id: string }>).map(
          (d) => f.keyOf.get(d.id) ?? `(not a fixture: ${d.id})`,
        );
        expect(got.sort()).toEqual([...row.ids].sort());
      }
      row.check?.(res.body, f);
      const emitted = w.events.slice(before).map((e) => `${e.type}:${e.collection}`);
      expect(emitted).toEqual(row.events ?? []);
    });
  }
});
