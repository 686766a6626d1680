import type request from 'supertest';

/**
 * The fixtures the fuzzer points its requests at (built and repaired by fixtures.ts through the
 * public API only): app A, the one fuzzed, with two collections, three documents, a password user
 * and an anonymous one; app B, another tenant, with its own keys, user and document; an admin
 * session and, for operations that name an admin, a second admin to act on.
 *
 * The world is mutable: when a successful request destroys a fixture (a delete, a rotation, a
 * logout), fixtures.ts repairs that part and the ids below change; cases name fixtures by role
 * (FixtureRef), so they follow.
 */
export type Agent = ReturnType<typeof request>;

export const FUZZ_ADMIN = { email: 'fuzz-owner@example.com', password: 'correct horse battery staple' };
export const USER_PASSWORD = 'a long enough password 1!';

export const PRINCIPALS = [
  'anonymous',
  'publicKey',
  'secretKey',
  'user',
  'otherAppKey',
  'otherAppUser',
  'admin',
  'forged',
] as const;
export type Principal = (typeof PRINCIPALS)[number];

export interface AppFixture {
  id: string;
  publicKey: string;
  secretKey: string;
  publicKeyId: string;
  secretKeyId: string;
}

export interface UserFixture {
  id: string;
  email: string | null;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export interface AdminSession {
  id: string;
  accessToken: string;
  refreshToken: string;
}

export interface World {
  admin: AdminSession;
  victimAdmin: { id: string; email: string } | null;
  a: AppFixture;
  b: AppFixture;
  /** A's password user (the `user` principal). */
  user: UserFixture;
  /** A's anonymous user. */
  anon: UserFixture;
  /** B's anonymous user (the `otherAppUser` principal). */
  otherUser: UserFixture;
  /** Document ids: A's notes (the user's, the secret key's), A's label, B's note. */
  docs: { userNote: string; keyNote: string; label: string; otherNote: string };
}

/** The fields of the `notes` collection every world has (cases use them in bodies and queries). */
export const COLLECTION_FIELDS = ['title', 'n', 'done', 'tags', 'label', 'labels', 'secret', 'meta', 'due'];

/**
 * Values for a parameter or property by name. Entry k of every pool belongs with entry k of the
 * others (binding k), so a case that uses one binding for all its path parameters names things
 * that exist together. Bindings 0–2 are app A's, binding 3 is app B's (A's routes with B's ids
 * are the cross-tenant cases). A name without a pool draws from every id of the world.
 */
export function pool(w: World, name: string): string[] {
  const victim = w.victimAdmin?.id ?? w.admin.id;
  const pools: Record<string, string[]> = {
    appId: [w.a.id, w.a.id, w.a.id, w.b.id],
    collection: ['notes', 'labels', 'notes', 'notes'],
    name: ['notes', 'labels', 'notes', 'notes'],
    id: [w.docs.userNote, w.docs.label, w.docs.keyNote, w.docs.otherNote],
    keyId: [w.a.secretKeyId, w.a.publicKeyId, w.a.secretKeyId, w.b.secretKeyId],
    userId: [w.user.id, w.anon.id, w.user.id, w.otherUser.id],
    sessionId: [w.user.sessionId, w.anon.sessionId, w.user.sessionId, w.otherUser.sessionId],
    adminId: [victim, w.admin.id, victim, w.admin.id],
    email: [w.user.email ?? '', FUZZ_ADMIN.email, w.victimAdmin?.email ?? FUZZ_ADMIN.email, 'nobody@example.com'],
    password: [USER_PASSWORD, FUZZ_ADMIN.password, USER_PASSWORD, 'wrong password 123'],
    currentPassword: [USER_PASSWORD, FUZZ_ADMIN.password, USER_PASSWORD, 'wrong password 123'],
    refreshToken: [w.user.refreshToken, w.admin.refreshToken, w.anon.refreshToken, w.otherUser.refreshToken],
    to: ['labels', 'labels', 'notes', 'notes'],
  };
  return (
    pools[name] ?? [...new Set(['appId', 'id', 'keyId', 'userId', 'sessionId', 'adminId'].flatMap((k) => pools[k]!))]
  );
}

/** The ids that belong to each app (documents, users, sessions, keys): a path naming one app with the other's id names nothing. */
export function idsByApp(w: World): { a: Set<string>; b: Set<string> } {
  return {
    a: new Set([
      w.docs.userNote,
      w.docs.keyNote,
      w.docs.label,
      w.user.id,
      w.anon.id,
      w.user.sessionId,
      w.anon.sessionId,
      w.a.publicKeyId,
      w.a.secretKeyId,
    ]),
    b: new Set([w.docs.otherNote, w.otherUser.id, w.otherUser.sessionId, w.b.publicKeyId, w.b.secretKeyId]),
  };
}

/** A principal's credentials in the current world. */
export function headersOf(w: World, p: Exclude<Principal, 'forged'>): Record<string, string> {
  switch (p) {
    case 'anonymous':
      return {};
    case 'publicKey':
      return { 'X-Hearth-Key': w.a.publicKey };
    case 'secretKey':
      return { 'X-Hearth-Key': w.a.secretKey };
    case 'user':
      return { 'X-Hearth-Key': w.a.publicKey, Authorization: `Bearer ${w.user.accessToken}` };
    case 'otherAppKey':
      return { 'X-Hearth-Key': w.b.secretKey };
    case 'otherAppUser':
      return { 'X-Hearth-Key': w.a.publicKey, Authorization: `Bearer ${w.otherUser.accessToken}` };
    case 'admin':
      return { Authorization: `Bearer ${w.admin.accessToken}` };
  }
}

/** The value of the hidden field of the user's note: public-key callers and users never see it. */
export const HIDDEN_VALUE = 's3cr3t-value';

/** Secrets no response may contain: they were handed out once, at creation. */
export function secretsOf(w: World): string[] {
  return [w.a.secretKey, w.b.secretKey, USER_PASSWORD, FUZZ_ADMIN.password];
}
