import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The rules cookbook of docs/collections.md as test data: each recipe's rules, and what each
 * caller may do with each write form on a document alice owns. `cookbookRulesInDocs` reads the
 * recipes back from the docs, so a recipe added there without a row here fails the suite.
 *
 * Callers: alice owns the seeded documents; bob has the role `editor` and is a member (team);
 * carol has the role `admin` and is not a member; anon is an anonymous user; public is the
 * public key without a user; secret is the secret key (bypasses rules).
 */
export type Actor = 'alice' | 'bob' | 'carol' | 'anon' | 'public' | 'secret';
export const ACTORS: Actor[] = ['alice', 'bob', 'carol', 'anon', 'public', 'secret'];

/** What the seeded document holds; every form is tried on a fresh copy. */
export const seedFields = (ids: { alice: string; bob: string }) => ({
  title: 'seed',
  n: 1,
  tags: ['seed'],
  members: [ids.alice, ids.bob],
  createdBy: ids.alice,
});

export interface WriteForm {
  name: string;
  kind: 'create' | 'update' | 'replace' | 'delete';
  /** Create: the new document (`me` is the caller's user id, or null); update/replace: the body. */
  body?: (ids: { me: string | null; alice: string; bob: string }) => Record<string, unknown>;
  /** The fields the form touches, for the expectations below. */
  touches: Array<'createdBy' | 'members' | 'other'>;
}

const full = (ids: { alice: string; bob: string }) => seedFields(ids);
const without = (key: string) => (ids: { alice: string; bob: string }) => {
  const rest: Record<string, unknown> = { ...seedFields(ids) };
  delete rest[key];
  return rest;
};

export const WRITE_FORMS: WriteForm[] = [
  {
    name: 'create',
    kind: 'create',
    body: ({ me }) => ({ title: 'new', members: me ? [me] : [], createdBy: me ?? 'nobody' }),
    touches: [],
  },
  { name: 'PATCH set', kind: 'update', body: () => ({ title: 'changed' }), touches: ['other'] },
  { name: 'PATCH $inc', kind: 'update', body: () => ({ $inc: { n: 1 } }), touches: ['other'] },
  { name: 'PATCH $push', kind: 'update', body: () => ({ $push: { tags: 'x' } }), touches: ['other'] },
  { name: 'PATCH $addToSet', kind: 'update', body: () => ({ $addToSet: { tags: 'y' } }), touches: ['other'] },
  { name: 'PATCH $pull', kind: 'update', body: () => ({ $pull: { tags: 'seed' } }), touches: ['other'] },
  { name: 'PATCH $unset', kind: 'update', body: () => ({ $unset: ['title'] }), touches: ['other'] },
  { name: 'PATCH set createdBy', kind: 'update', body: () => ({ createdBy: 'forged' }), touches: ['createdBy'] },
  { name: 'PATCH $unset createdBy', kind: 'update', body: () => ({ $unset: ['createdBy'] }), touches: ['createdBy'] },
  {
    name: 'PATCH $unset createdBy (object form)',
    kind: 'update',
    body: () => ({ $unset: { createdBy: true } }),
    touches: ['createdBy'],
  },
  { name: 'PATCH createdBy null', kind: 'update', body: () => ({ createdBy: null }), touches: ['createdBy'] },
  {
    name: 'PATCH $push members',
    kind: 'update',
    body: () => ({ $push: { members: 'intruder' } }),
    touches: ['members'],
  },
  {
    name: 'PATCH $addToSet members',
    kind: 'update',
    body: () => ({ $addToSet: { members: 'intruder' } }),
    touches: ['members'],
  },
  {
    name: 'PATCH $pull members',
    kind: 'update',
    body: ({ alice }) => ({ $pull: { members: alice } }),
    touches: ['members'],
  },
  { name: 'PATCH $unset members', kind: 'update', body: () => ({ $unset: ['members'] }), touches: ['members'] },
  { name: 'PUT all fields', kind: 'replace', body: full, touches: ['createdBy', 'members', 'other'] },
  {
    name: 'PUT without createdBy',
    kind: 'replace',
    body: without('createdBy'),
    touches: ['createdBy', 'members', 'other'],
  },
  {
    name: 'PUT without members',
    kind: 'replace',
    body: without('members'),
    touches: ['createdBy', 'members', 'other'],
  },
  { name: 'DELETE', kind: 'delete', touches: [] },
];

/** The expected answer: 'ok' (201/200/204), or an error status (403 forbidden, 404 not_found). */
export type Outcome = 'ok' | 403 | 404;

export interface Recipe {
  name: string;
  rules: Record<string, unknown>;
  expect: (actor: Actor, form: WriteForm) => Outcome;
}

const signedIn = (a: Actor) => a !== 'public';

/** The default rules: signed-in users create; only the owner (alice) updates and deletes. */
function ownerWrites(actor: Actor, form: WriteForm): Outcome {
  if (actor === 'secret') return 'ok';
  if (form.kind === 'create') return signedIn(actor) ? 'ok' : 403;
  return actor === 'alice' ? 'ok' : 404;
}

const readOnly = (name: string, rules: Record<string, unknown>): Recipe => ({ name, rules, expect: ownerWrites });

export const RECIPES: Recipe[] = [
  readOnly('owner only (the default)', {
    list: { owner: '@auth.id' },
    get: { owner: '@auth.id' },
    create: 'authenticated',
    update: { owner: '@auth.id' },
    delete: { owner: '@auth.id' },
  }),
  readOnly('public read, owner writes', {
    list: 'public',
    get: 'public',
    create: 'authenticated',
    update: { owner: '@auth.id' },
    delete: { owner: '@auth.id' },
  }),
  readOnly('published or own drafts', {
    list: { $or: [{ published: true }, { owner: '@auth.id' }] },
    get: { $or: [{ published: true }, { owner: '@auth.id' }] },
  }),
  {
    name: 'team membership',
    rules: {
      list: { members: '@auth.id' },
      get: { members: '@auth.id' },
      create: { members: '@auth.id' },
      update: { $and: [{ members: '@auth.id' }, { '@data.members': { $exists: false } }] },
      delete: { owner: '@auth.id' },
    },
    expect: (actor, form) => {
      if (actor === 'secret') return 'ok';
      if (form.kind === 'create') return signedIn(actor) ? 'ok' : 403;
      if (form.kind === 'delete') return actor === 'alice' ? 'ok' : 404;
      if (actor !== 'alice' && actor !== 'bob') return 404;
      return form.touches.includes('members') ? 403 : 'ok';
    },
  },
  {
    name: 'roles',
    rules: {
      list: 'public',
      get: 'public',
      create: { '@auth.roles': 'editor' },
      update: { $or: [{ '@auth.roles': 'editor' }, { owner: '@auth.id' }] },
      delete: { '@auth.roles': 'admin' },
    },
    expect: (actor, form) => {
      if (actor === 'secret') return 'ok';
      if (form.kind === 'create') return actor === 'bob' ? 'ok' : 403;
      if (form.kind === 'delete') return actor === 'carol' ? 'ok' : 404;
      return actor === 'bob' || actor === 'alice' ? 'ok' : 404;
    },
  },
  readOnly('visible to a role named in the document', { list: { audience: '@auth.roles' } }),
  readOnly('registered users only', { list: { '@auth.anonymous': false } }),
  readOnly('scheduled publishing', { list: { publishAt: { $lte: '@now' } } }),
  {
    name: 'write-once fields',
    rules: { update: { $and: [{ owner: '@auth.id' }, { '@data.createdBy': { $exists: false } }] } },
    expect: (actor, form) => {
      const base = ownerWrites(actor, form);
      if (base !== 'ok' || actor !== 'alice' || form.kind === 'create' || form.kind === 'delete') return base;
      return form.touches.includes('createdBy') ? 403 : 'ok';
    },
  },
  {
    name: 'server-side only',
    rules: { list: null, get: null, create: null, update: null, delete: null },
    expect: (actor, form) => (actor === 'secret' ? 'ok' : form.kind === 'create' ? 403 : 404),
  },
  {
    name: 'anonymous feedback box',
    rules: { create: 'public', list: null, get: null },
    expect: (actor, form) => (form.kind === 'create' ? 'ok' : ownerWrites(actor, form)),
  },
];

/** The rule objects the cookbook section of docs/collections.md shows (JSON blocks and inline code). */
export function cookbookRulesInDocs(): Array<Record<string, unknown>> {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'collections.md'), 'utf8');
  const start = doc.indexOf('### Rules cookbook');
  const section = doc.slice(start, doc.indexOf('\n## ', start));
  const snippets = [
    ...[...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!),
    ...[...section.replace(/```json\n[\s\S]*?```/g, '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\n/g, ' ')),
  ];
  const kinds = new Set(['list', 'get', 'create', 'update', 'delete']);
  const out: Array<Record<string, unknown>> = [];
  for (const text of snippets) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    if (value && typeof value === 'object' && Object.keys(value).every((k) => kinds.has(k))) {
      out.push(value as Record<string, unknown>);
    }
  }
  return out;
}
