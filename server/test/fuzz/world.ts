import type request from 'supertest';
import type { Test } from 'supertest';

/**
 * The fixtures the fuzzer points its requests at, made through the public API only: app A (the
 * one fuzzed, with two collections, documents, a password user and an anonymous one) and app B
 * (another tenant, with its own key, user and document), an admin session and, for operations
 * that name an admin, a second admin to act on.
 *
 * A fresh world is built for every operation, so an operation's cases never depend on what an
 * earlier operation did (and a failure reproduces by running that operation alone with its seed).
 * Inside one operation a successful request may destroy a fixture (a delete, a rotation, a
 * logout); `healthy()` notices, and the runner builds a new world before the next case.
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

interface AppFixture {
  id: string;
  publicKey: string;
  secretKey: string;
  publicKeyId: string;
  secretKeyId: string;
}

interface UserFixture {
  id: string;
  email: string | null;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export interface World {
  a: AppFixture;
  b: AppFixture;
  user: UserFixture;
  anon: UserFixture;
  otherUser: UserFixture;
  admin: AdminSession;
  victimAdmin: { id: string; email: string } | null;
  /** Document ids: A's notes (user's, secret key's), A's label, B's note. */
  docs: { userNote: string; keyNote: string; label: string; otherNote: string };
  /** Values for a parameter or property by name: aligned bindings (see buildWorld). */
  pool(name: string): string[];
  /** Credentials of a principal. */
  headers(p: Exclude<Principal, 'forged'>): Record<string, string>;
  /** Secrets that no response may contain (they were handed out at creation only). */
  secrets: string[];
}

export const COLLECTION_FIELDS = ['title', 'n', 'done', 'tags', 'label', 'labels', 'secret', 'meta', 'due'];

const NOTES = {
  name: 'notes',
  fields: [
    { name: 'title', type: 'string', maxLength: 200 },
    { name: 'n', type: 'number' },
    { name: 'done', type: 'boolean' },
    { name: 'tags', type: 'array', of: 'string' },
    { name: 'label', type: 'relation', to: 'labels', onDelete: 'setNull' },
    { name: 'labels', type: 'array', of: { type: 'relation', to: 'labels' }, onDelete: 'setNull' },
    { name: 'secret', type: 'string', hidden: true },
    { name: 'meta', type: 'json' },
    { name: 'due', type: 'date' },
  ],
  rules: {
    list: { owner: '@auth.id' },
    get: { owner: '@auth.id' },
    create: 'authenticated',
    update: { owner: '@auth.id' },
    delete: { owner: '@auth.id' },
  },
};
const LABELS = {
  name: 'labels',
  fields: [
    { name: 'name', type: 'string', unique: true, maxLength: 100 },
    { name: 'color', type: 'string' },
  ],
  rules: { list: 'public', get: 'public', create: null, update: null, delete: null },
};

async function ok(test: Test, what: string, status = [200, 201]): Promise<Record<string, unknown>> {
  const res = await test;
  if (!status.includes(res.status)) {
    throw new Error(`fuzzer fixture: ${what} answered ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body as Record<string, unknown>;
}

/** Once per server: the first admin (setup). */
export async function setupAdmin(http: Agent): Promise<void> {
  await ok(http.post('/v1/admin/setup').send(FUZZ_ADMIN), 'admin setup');
}

let serial = 0;

interface AdminSession {
  id: string;
  accessToken: string;
  refreshToken: string;
}

/** The admin's session, kept from the previous world while it still works (a login costs an argon2 hash). */
async function adminSession(http: Agent, previous: AdminSession | undefined): Promise<AdminSession> {
  if (
    previous &&
    (await http.get('/v1/admin/me').set('Authorization', `Bearer ${previous.accessToken}`)).status === 200
  ) {
    return previous;
  }
  const login = await ok(http.post('/v1/admin/login').send(FUZZ_ADMIN), 'admin login');
  const accessToken = String(login.accessToken);
  const me = await ok(http.get('/v1/admin/me').set('Authorization', `Bearer ${accessToken}`), 'admin me');
  return { id: String(me.id), accessToken, refreshToken: String(login.refreshToken) };
}

export async function buildWorld(http: Agent, options: { victimAdmin: boolean; previous?: World }): Promise<World> {
  const n = ++serial;
  const admin = await adminSession(http, options.previous?.admin);
  const adminToken = admin.accessToken;
  const asAdmin = { Authorization: `Bearer ${adminToken}` };

  const makeApp = async (name: string): Promise<AppFixture> => {
    const app = await ok(http.post('/v1/admin/apps').set(asAdmin).send({ name }), `create app ${name}`);
    const keys = app.keys as { public: string; secret: string };
    const id = String(app.id);
    const list = await ok(http.get(`/v1/admin/apps/${id}/keys`).set(asAdmin), 'list keys');
    const items = list.items as Array<{ id: string; kind: string }>;
    return {
      id,
      publicKey: keys.public,
      secretKey: keys.secret,
      publicKeyId: items.find((k) => k.kind === 'public')!.id,
      secretKeyId: items.find((k) => k.kind === 'secret')!.id,
    };
  };
  const [a, b] = await Promise.all([makeApp(`Fuzzed ${n}`), makeApp(`Neighbour ${n}`)]);

  for (const app of [a, b]) {
    await ok(http.post(`/v1/admin/apps/${app.id}/collections`).set(asAdmin).send(LABELS), 'create labels');
    await ok(http.post(`/v1/admin/apps/${app.id}/collections`).set(asAdmin).send(NOTES), 'create notes');
  }

  const session = async (app: AppFixture, body: Record<string, unknown>, anonymous: boolean): Promise<UserFixture> => {
    const path = `/v1/apps/${app.id}/auth/${anonymous ? 'anonymous' : 'signup'}`;
    const res = await ok(http.post(path).set('X-Hearth-Key', app.publicKey).send(body), path);
    const user = res.user as { id: string; email?: string | null };
    const accessToken = String(res.accessToken);
    const sessions = await ok(
      http
        .get(`/v1/apps/${app.id}/auth/sessions`)
        .set({ 'X-Hearth-Key': app.publicKey, Authorization: `Bearer ${accessToken}` }),
      'list sessions',
    );
    return {
      id: user.id,
      email: user.email ?? null,
      accessToken,
      refreshToken: String(res.refreshToken),
      sessionId: (sessions.items as Array<{ id: string }>)[0]!.id,
    };
  };
  const [user, anon, otherUser] = await Promise.all([
    session(a, { email: `fuzz-user-${n}@example.com`, password: USER_PASSWORD }, false),
    session(a, {}, true),
    session(b, {}, true),
  ]);

  const docs = (app: AppFixture, c: string) => `/v1/apps/${app.id}/collections/${c}/documents`;
  const label = await ok(
    http.post(docs(a, 'labels')).set('X-Hearth-Key', a.secretKey).send({ name: 'red', color: '#f00' }),
    'create label',
  );
  const userHeaders = { 'X-Hearth-Key': a.publicKey, Authorization: `Bearer ${user.accessToken}` };
  const userNote = await ok(
    http
      .post(docs(a, 'notes'))
      .set(userHeaders)
      .send({ title: 'mine', n: 1, tags: ['a'], label: label.id, labels: [label.id], secret: 's3cr3t-value' }),
    'create user note',
  );
  const keyNote = await ok(
    http.post(docs(a, 'notes')).set('X-Hearth-Key', a.secretKey).send({ title: 'nobody’s', n: 2 }),
    'create key note',
  );
  const otherNote = await ok(
    http.post(docs(b, 'notes')).set('X-Hearth-Key', b.secretKey).send({ title: 'theirs', n: 3 }),
    'create other note',
  );

  let victimAdmin: World['victimAdmin'] = null;
  if (options.victimAdmin) {
    const email = `fuzz-admin-${n}@example.com`;
    const created = await ok(
      http.post('/v1/admin/admins').set(asAdmin).send({ email, password: 'another long password' }),
      'create admin',
    );
    victimAdmin = { id: String(created.id), email };
  }

  const d = {
    userNote: String(userNote.id),
    keyNote: String(keyNote.id),
    label: String(label.id),
    otherNote: String(otherNote.id),
  };
  const adminId = admin.id;
  // Aligned: entry k of every pool belongs together (binding k), so a case that uses binding k
  // for all its path parameters names things that exist together. Bindings 0–2 are app A's,
  // binding 3 is app B's (A's routes with B's ids are the cross-tenant cases).
  const victim = victimAdmin?.id ?? adminId;
  const pools: Record<string, string[]> = {
    appId: [a.id, a.id, a.id, b.id],
    collection: ['notes', 'labels', 'notes', 'notes'],
    name: ['notes', 'labels', 'notes', 'notes'],
    id: [d.userNote, d.label, d.keyNote, d.otherNote],
    keyId: [a.secretKeyId, a.publicKeyId, a.secretKeyId, b.secretKeyId],
    userId: [user.id, anon.id, user.id, otherUser.id],
    sessionId: [user.sessionId, anon.sessionId, user.sessionId, otherUser.sessionId],
    adminId: [victim, adminId, victim, adminId],
    email: [user.email ?? '', FUZZ_ADMIN.email, victimAdmin?.email ?? FUZZ_ADMIN.email, 'nobody@example.com'],
    password: [USER_PASSWORD, FUZZ_ADMIN.password, USER_PASSWORD, 'wrong password 123'],
    currentPassword: [USER_PASSWORD, FUZZ_ADMIN.password, USER_PASSWORD, 'wrong password 123'],
    refreshToken: [user.refreshToken, admin.refreshToken, anon.refreshToken, otherUser.refreshToken],
    to: ['labels', 'labels', 'notes', 'notes'],
  };
  const everything = [...new Set(Object.values(pools).flat())];
  const headers = (p: Exclude<Principal, 'forged'>): Record<string, string> => {
    switch (p) {
      case 'anonymous':
        return {};
      case 'publicKey':
        return { 'X-Hearth-Key': a.publicKey };
      case 'secretKey':
        return { 'X-Hearth-Key': a.secretKey };
      case 'user':
        return userHeaders;
      case 'otherAppKey':
        return { 'X-Hearth-Key': b.secretKey };
      case 'otherAppUser':
        return { 'X-Hearth-Key': a.publicKey, Authorization: `Bearer ${otherUser.accessToken}` };
      case 'admin':
        return asAdmin;
    }
  };
  return {
    a,
    b,
    user,
    anon,
    otherUser,
    admin,
    victimAdmin,
    docs: d,
    pool: (name) => pools[name] ?? everything,
    headers,
    secrets: [a.secretKey, b.secretKey, USER_PASSWORD, FUZZ_ADMIN.password],
  };
}

/**
 * Whether every fixture still works: the principals' credentials, both apps, their collections
 * and documents, the second admin. A successful request may legitimately break one (that is
 * what deletes and logouts do); the runner then builds a new world.
 */
export async function healthy(http: Agent, w: World): Promise<boolean> {
  const checks: Test[] = [
    http.get('/v1/admin/me').set(w.headers('admin')),
    http.get(`/v1/apps/${w.a.id}`).set(w.headers('publicKey')),
    http.get(`/v1/apps/${w.b.id}`).set(w.headers('otherAppKey')),
    http.get(`/v1/apps/${w.a.id}/auth/me`).set(w.headers('user')),
    http
      .get(`/v1/apps/${w.b.id}/auth/me`)
      .set({ 'X-Hearth-Key': w.b.publicKey, Authorization: `Bearer ${w.otherUser.accessToken}` }),
    http
      .get(`/v1/apps/${w.a.id}/auth/me`)
      .set({ 'X-Hearth-Key': w.a.publicKey, Authorization: `Bearer ${w.anon.accessToken}` }),
    http.get(`/v1/apps/${w.a.id}/collections/notes/documents/${w.docs.userNote}`).set(w.headers('secretKey')),
    http.get(`/v1/apps/${w.a.id}/collections/notes/documents/${w.docs.keyNote}`).set(w.headers('secretKey')),
    http.get(`/v1/apps/${w.a.id}/collections/labels/documents/${w.docs.label}`).set(w.headers('secretKey')),
    http.get(`/v1/apps/${w.b.id}/collections/notes/documents/${w.docs.otherNote}`).set(w.headers('otherAppKey')),
    http.get(`/v1/apps/${w.a.id}`).set(w.headers('secretKey')),
    http.get(`/v1/admin/apps/${w.a.id}/collections/notes`).set(w.headers('admin')),
    http.get(`/v1/admin/apps/${w.a.id}/collections/labels`).set(w.headers('admin')),
  ];
  if (w.victimAdmin) checks.push(http.get(`/v1/admin/admins/${w.victimAdmin.id}`).set(w.headers('admin')));
  const results = await Promise.all(checks.map((t) => t.then((r) => r.status)));
  return results.every((s) => s === 200);
}
