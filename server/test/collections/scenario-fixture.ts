import { expect } from 'vitest';
import type { DocumentEvent } from '../../src/modules/collections/events.js';
import type { DocumentData, StoredDocument } from '../../src/ports/document-store.js';
import type { Cred, Fixture } from './scenario-rows/types.js';
import { openWorld, otherApp, type CollectionsWorld, type Headers } from './support.js';
import { authAvailable, setRoles, signInAnonymously, signUp } from './users.js';

/**
 * The world the access scenarios run in: two users, an anonymous user and a user of another
 * app; one collection per kind of rule; a few documents each. `restore` puts back whatever a row
 * changed (from the document events it emitted) and checks the documents are exactly the fixture
 * again, so every row starts from the same state.
 */
export interface ScenarioWorld {
  w: CollectionsWorld;
  fixture: Fixture;
  creds: Record<Cred, Headers>;
  /** The fixture's collections: a row naming another one is a typo, not a scenario. */
  collections: ReadonlySet<string>;
  /** Undoes the changes behind `events` (newest first), then checks nothing else changed. */
  restore(events: readonly DocumentEvent[]): Promise<void>;
  close(): Promise<void>;
}

const str = (name: string) => ({ name, type: 'string' });

const COLLECTIONS: Array<Record<string, unknown> & { name: string }> = [
  // default rules: create "authenticated"; list/get/update/delete {"owner": "@auth.id"}
  { name: 'notes', fields: [str('title')] },
  {
    name: 'posts',
    fields: [str('title'), { name: 'published', type: 'boolean', default: false }],
    rules: {
      list: { $or: [{ published: true }, { owner: '@auth.id' }] },
      get: { $or: [{ published: true }, { owner: '@auth.id' }] },
      create: 'authenticated',
      update: { owner: '@auth.id' },
      delete: null,
    },
  },
  {
    name: 'comments',
    fields: [str('text'), { name: 'post', type: 'relation', to: 'posts' }],
    rules: { list: 'public', get: 'public', create: 'authenticated' },
  },
  {
    name: 'boards',
    fields: [str('title'), { name: 'members', type: 'array', of: 'string' }],
    rules: {
      list: { members: '@auth.id' },
      get: { members: '@auth.id' },
      create: { members: '@auth.id' },
      update: { $and: [{ members: '@auth.id' }, { '@data.members': { $exists: false } }] },
      delete: { owner: '@auth.id' },
    },
  },
  {
    name: 'articles',
    fields: [str('title')],
    rules: {
      list: 'public',
      get: 'public',
      create: { '@auth.roles': 'editor' },
      update: { $or: [{ '@auth.roles': 'editor' }, { owner: '@auth.id' }] },
      delete: { '@auth.roles': 'admin' },
    },
  },
  {
    name: 'logs',
    fields: [str('line')],
    rules: { list: null, get: null, create: null, update: null, delete: null },
  },
  {
    name: 'feedback',
    fields: [str('text')],
    rules: { create: 'public', list: null, get: null, update: null, delete: null },
  },
  {
    name: 'lounge',
    fields: [str('topic')],
    rules: { list: { '@auth.anonymous': false }, get: { '@auth.anonymous': false }, create: null },
  },
];

/** A document as the fixture compares it: its content and owner (versions and times move). */
const contentOf = ({ version: _v, createdAt: _c, updatedAt: _u, ...rest }: StoredDocument) => rest;

export async function openScenarioWorld(engine: Parameters<typeof openWorld>[0]): Promise<ScenarioWorld> {
  const w = await openWorld(engine);
  // The users come from the auth module's routes: without them no row can run, so none passes.
  if (!(await authAvailable(w.h, w.appId, w.publicKey))) {
    await w.close();
    throw new Error('the auth routes are not mounted: the access scenarios need app users');
  }
  const other = await otherApp(w);
  const alice = await signUp(w.h, w.appId, w.publicKey, 'alice@example.com');
  const bob = await signUp(w.h, w.appId, w.publicKey, 'bob@example.com');
  const anon = await signInAnonymously(w.h, w.appId, w.publicKey);
  await setRoles(w.h, w.appId, w.adminToken, alice, ['editor']);
  const stranger = await signUp(w.h, other.appId, other.publicKey, 'alice@example.com');
  const creds: Record<Cred, Headers> = {
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
  for (const def of COLLECTIONS) await w.createCollection(def);

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

  const store = w.h.store.forApp(w.appId);
  const snapshot = async () => {
    const out: Record<string, unknown[]> = {};
    for (const { name } of COLLECTIONS) {
      const page = await store.find(name, { limit: 1000 });
      out[name] = page.items.map(contentOf);
    }
    return out;
  };
  const initial = await snapshot();
  expect(Object.values(initial).flat()).toHaveLength(Object.keys(ids).length);

  const undo = async (e: DocumentEvent) => {
    if (e.type === 'documents.create') {
      await store.delete(e.collection, e.after!.id);
    } else if (e.type === 'documents.delete') {
      const { id, owner, ...data } = contentOf(e.before!);
      await store.create(e.collection, { id, data: data as DocumentData, owner });
    } else {
      const { id, owner, ...data } = contentOf(e.before!);
      await store.replace(e.collection, id, data as DocumentData);
      if (owner !== e.after!.owner) await store.update(e.collection, id, { owner });
    }
  };

  return {
    w,
    creds,
    collections: new Set(COLLECTIONS.map((c) => c.name)),
    fixture: {
      appId: w.appId,
      ids,
      keyOf: new Map(Object.entries(ids).map(([k, v]) => [v, k])),
      users: { alice, bob, anon },
    },
    restore: async (events) => {
      for (const e of [...events].reverse()) await undo(e);
      expect(await snapshot(), 'the row changed documents without an event, or they were not put back').toEqual(
        initial,
      );
    },
    close: () => w.close(),
  };
}
