import type { Test } from 'supertest';
import {
  FUZZ_ADMIN,
  HIDDEN_VALUE,
  headersOf,
  USER_PASSWORD,
  type AdminSession,
  type Agent,
  type AppFixture,
  type UserFixture,
  type World,
} from './world.js';

/**
 * Builds a world (world.ts) through the public API, checks it, and repairs the parts a
 * successful request destroyed: a new session for a signed-out user, a new document for a
 * deleted one, a new key for a revoked one, a whole new app for a deleted app. Repairing instead
 * of rebuilding keeps the password hashing (argon2, the slow part) to what was really lost.
 */
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
/** B's notes: no relations (B only needs one document to be another tenant's). */
const OTHER_NOTES = {
  name: 'notes',
  fields: [
    { name: 'title', type: 'string', maxLength: 200 },
    { name: 'n', type: 'number' },
  ],
  rules: NOTES.rules,
};
const LABELS = {
  name: 'labels',
  fields: [
    { name: 'name', type: 'string', unique: true, maxLength: 100 },
    { name: 'color', type: 'string' },
  ],
  rules: { list: 'public', get: 'public', create: null, update: null, delete: null },
};

async function ok(test: Test, what: string): Promise<Record<string, unknown>> {
  const res = await test;
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`fuzzer fixture: ${what} answered ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body as Record<string, unknown>;
}

/** Once per server: the first admin. */
export async function setupAdmin(http: Agent): Promise<void> {
  await ok(http.post('/v1/admin/setup').send(FUZZ_ADMIN), 'admin setup');
}

let serial = 0;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const docsPath = (app: AppFixture, c: string) => `/v1/apps/${app.id}/collections/${c}/documents`;

async function adminLogin(http: Agent): Promise<AdminSession> {
  const login = await ok(http.post('/v1/admin/login').send(FUZZ_ADMIN), 'admin login');
  const me = await ok(http.get('/v1/admin/me').set(bearer(String(login.accessToken))), 'admin me');
  return { id: String(me.id), accessToken: String(login.accessToken), refreshToken: String(login.refreshToken) };
}

async function keyIds(http: Agent, admin: AdminSession, appId: string) {
  const list = await ok(http.get(`/v1/admin/apps/${appId}/keys`).set(bearer(admin.accessToken)), 'list keys');
  return list.items as Array<{ id: string; kind: string; revokedAt?: string | null }>;
}

async function makeApp(http: Agent, admin: AdminSession, name: string, tenant: 'A' | 'B'): Promise<AppFixture> {
  const app = await ok(http.post('/v1/admin/apps').set(bearer(admin.accessToken)).send({ name }), `create app ${name}`);
  const keys = app.keys as { public: string; secret: string };
  const id = String(app.id);
  const items = await keyIds(http, admin, id);
  await makeCollections(http, admin, id, tenant, tenant === 'A' ? ['labels', 'notes'] : ['notes']);
  return {
    id,
    publicKey: keys.public,
    secretKey: keys.secret,
    publicKeyId: items.find((k) => k.kind === 'public')!.id,
    secretKeyId: items.find((k) => k.kind === 'secret')!.id,
  };
}

const COLLECTIONS = { A: [LABELS, NOTES], B: [OTHER_NOTES] };

async function makeCollections(
  http: Agent,
  admin: AdminSession,
  appId: string,
  tenant: 'A' | 'B',
  names: string[],
): Promise<void> {
  for (const def of COLLECTIONS[tenant].filter((d) => names.includes(d.name))) {
    await ok(
      http.post(`/v1/admin/apps/${appId}/collections`).set(bearer(admin.accessToken)).send(def),
      `create ${def.name}`,
    );
  }
}

/** A new key of `kind` for an app whose key was revoked or rotated away. */
async function replaceKey(http: Agent, w: World, app: AppFixture, kind: 'public' | 'secret'): Promise<void> {
  const created = await ok(
    http.post(`/v1/admin/apps/${app.id}/keys`).set(bearer(w.admin.accessToken)).send({ kind }),
    `create ${kind} key`,
  );
  if (kind === 'public') Object.assign(app, { publicKey: String(created.key), publicKeyId: String(created.id) });
  else Object.assign(app, { secretKey: String(created.key), secretKeyId: String(created.id) });
}

async function signIn(http: Agent, app: AppFixture, path: string, body: Record<string, unknown>): Promise<UserFixture> {
  const res = await ok(
    http.post(`/v1/apps/${app.id}/auth/${path}`).set('X-Hearth-Key', app.publicKey).send(body),
    path,
  );
  const user = res.user as { id: string; email?: string | null };
  const accessToken = String(res.accessToken);
  const sessions = await ok(
    http.get(`/v1/apps/${app.id}/auth/sessions`).set({ 'X-Hearth-Key': app.publicKey, ...bearer(accessToken) }),
    'list sessions',
  );
  const current =
    (sessions.items as Array<{ id: string; current?: boolean }>).find((s) => s.current) ??
    (sessions.items as Array<{ id: string }>)[0]!;
  return {
    id: user.id,
    email: user.email ?? null,
    accessToken,
    refreshToken: String(res.refreshToken),
    sessionId: current.id,
  };
}

const newPasswordUser = (http: Agent, app: AppFixture) =>
  signIn(http, app, 'signup', { email: `fuzz-user-${++serial}@example.com`, password: USER_PASSWORD });

/** A new session for the password user (signed out, sessions revoked), or a new user (deleted, disabled, password changed). */
async function passwordUser(http: Agent, app: AppFixture, previous: UserFixture | undefined): Promise<UserFixture> {
  if (previous?.email) {
    try {
      return await signIn(http, app, 'login', { email: previous.email, password: USER_PASSWORD });
    } catch {
      // gone, disabled or with another password now: a new user
    }
  }
  return newPasswordUser(http, app);
}

async function makeDocs(http: Agent, w: World, which: Array<keyof World['docs']>): Promise<void> {
  const create = async (app: AppFixture, c: string, headers: Record<string, string>, body: Record<string, unknown>) =>
    String((await ok(http.post(docsPath(app, c)).set(headers).send(body), `create ${c} document`)).id);
  if (which.includes('label'))
    w.docs.label = await create(
      w.a,
      'labels',
      { 'X-Hearth-Key': w.a.secretKey },
      { name: `red ${++serial}`, color: '#f00' },
    );
  const jobs: Array<Promise<void>> = [];
  if (which.includes('userNote')) {
    jobs.push(
      create(w.a, 'notes', headersOf(w, 'user'), {
        title: 'mine',
        n: 1,
        tags: ['a'],
        label: w.docs.label,
        labels: [w.docs.label],
        secret: HIDDEN_VALUE,
      }).then((id) => void (w.docs.userNote = id)),
    );
  }
  if (which.includes('keyNote'))
    jobs.push(
      create(w.a, 'notes', { 'X-Hearth-Key': w.a.secretKey }, { title: 'nobody’s', n: 2 }).then(
        (id) => void (w.docs.keyNote = id),
      ),
    );
  if (which.includes('otherNote'))
    jobs.push(
      create(w.b, 'notes', { 'X-Hearth-Key': w.b.secretKey }, { title: 'theirs', n: 3 }).then(
        (id) => void (w.docs.otherNote = id),
      ),
    );
  await Promise.all(jobs);
}

async function makeVictim(http: Agent, admin: AdminSession): Promise<World['victimAdmin']> {
  const email = `fuzz-admin-${++serial}@example.com`;
  const created = await ok(
    http.post('/v1/admin/admins').set(bearer(admin.accessToken)).send({ email, password: 'another long password' }),
    'create admin',
  );
  return { id: String(created.id), email };
}

export async function buildWorld(http: Agent, options: { victimAdmin: boolean; previous?: World }): Promise<World> {
  const n = ++serial;
  const previous = options.previous?.admin;
  const admin =
    previous && (await http.get('/v1/admin/me').set(bearer(previous.accessToken))).status === 200
      ? previous
      : await adminLogin(http);
  const [a, b] = await Promise.all([
    makeApp(http, admin, `Fuzzed ${n}`, 'A'),
    makeApp(http, admin, `Neighbour ${n}`, 'B'),
  ]);
  const [user, anon, otherUser] = await Promise.all([
    newPasswordUser(http, a),
    signIn(http, a, 'anonymous', {}),
    signIn(http, b, 'anonymous', {}),
  ]);
  const w: World = {
    admin,
    victimAdmin: null,
    a,
    b,
    user,
    anon,
    otherUser,
    docs: { userNote: '', keyNote: '', label: '', otherNote: '' },
  };
  await makeDocs(http, w, ['label', 'userNote', 'keyNote', 'otherNote']);
  if (options.victimAdmin) w.victimAdmin = await makeVictim(http, admin);
  return w;
}

/** Each part of the world and the request that shows it still works. */
function checks(http: Agent, w: World): Record<string, Test> {
  const asAdmin = bearer(w.admin.accessToken);
  // documents through the admin token (secret-key power): a lost key does not hide them
  const doc = (app: AppFixture, c: string, id: string) => http.get(`${docsPath(app, c)}/${id}`).set(asAdmin);
  const me = (app: AppFixture, u: UserFixture) =>
    http.get(`/v1/apps/${app.id}/auth/me`).set({ 'X-Hearth-Key': app.publicKey, ...bearer(u.accessToken) });
  const out: Record<string, Test> = {
    appA: http.get(`/v1/admin/apps/${w.a.id}`).set(asAdmin),
    appB: http.get(`/v1/admin/apps/${w.b.id}`).set(asAdmin),
    pkA: http.get(`/v1/apps/${w.a.id}`).set('X-Hearth-Key', w.a.publicKey),
    skA: http.get(`/v1/apps/${w.a.id}`).set('X-Hearth-Key', w.a.secretKey),
    pkB: http.get(`/v1/apps/${w.b.id}`).set('X-Hearth-Key', w.b.publicKey),
    skB: http.get(`/v1/apps/${w.b.id}`).set('X-Hearth-Key', w.b.secretKey),
    user: me(w.a, w.user),
    anon: me(w.a, w.anon),
    otherUser: me(w.b, w.otherUser),
    label: doc(w.a, 'labels', w.docs.label),
    userNote: doc(w.a, 'notes', w.docs.userNote),
    keyNote: doc(w.a, 'notes', w.docs.keyNote),
    otherNote: doc(w.b, 'notes', w.docs.otherNote),
  };
  for (const [app, key] of [
    [w.a, 'A'],
    [w.b, 'B'],
  ] as const) {
    for (const { name: c } of COLLECTIONS[key])
      out[`${c}${key}`] = http.get(`/v1/admin/apps/${app.id}/collections/${c}`).set(asAdmin);
  }
  if (w.victimAdmin) out.victim = http.get(`/v1/admin/admins/${w.victimAdmin.id}`).set(asAdmin);
  return out;
}

/** The parts that no longer work (empty: the world is whole). */
async function broken(http: Agent, w: World): Promise<Set<string>> {
  const admin = (await http.get('/v1/admin/me').set(bearer(w.admin.accessToken))).status === 200;
  if (!admin) return new Set(['admin']);
  const entries = Object.entries(checks(http, w));
  const statuses = await Promise.all(entries.map(([, t]) => t.then((r) => r.status)));
  return new Set(entries.filter((_, i) => statuses[i] !== 200).map(([k]) => k));
}

/**
 * Makes the world whole again; returns the parts it repaired (empty: nothing was broken). A lost
 * app is made anew with everything in it; otherwise only the lost parts are. `beforeRepair` runs
 * first when something is lost (the runner resets the rate limits there).
 */
export async function repairWorld(http: Agent, w: World, beforeRepair: () => void): Promise<string[]> {
  let lost = await broken(http, w);
  const repaired: string[] = [];
  // Repairs sign in again: the rate limits an operation's cases used up must not refuse them.
  if (lost.size) beforeRepair();
  if (lost.has('admin')) {
    w.admin = await adminLogin(http);
    repaired.push('admin');
    lost = await broken(http, w);
  }
  if (!lost.size) return repaired;
  repaired.push(...lost);
  if (lost.has('appA') || lost.has('appB')) {
    const fresh = await buildWorld(http, { victimAdmin: w.victimAdmin !== null, previous: w });
    Object.assign(w, fresh);
    return repaired;
  }
  const keys = [
    ['pkA', w.a, 'public'],
    ['skA', w.a, 'secret'],
    ['pkB', w.b, 'public'],
    ['skB', w.b, 'secret'],
  ] as const;
  if (keys.some(([part]) => lost.has(part))) {
    for (const [part, app, kind] of keys) if (lost.has(part)) await replaceKey(http, w, app, kind);
    // users are checked with the public keys: look again with the new ones
    lost = await broken(http, w);
  }
  const docs = new Set<keyof World['docs']>();
  for (const [app, key] of [
    [w.a, 'A'],
    [w.b, 'B'],
  ] as const) {
    const names = COLLECTIONS[key].map((d) => d.name).filter((c) => lost.has(`${c}${key}`));
    if (names.includes('labels') && !names.includes('notes')) {
      // notes relate to labels: recreate both, in order
      await ok(
        http.delete(`/v1/admin/apps/${app.id}/collections/notes`).set(bearer(w.admin.accessToken)),
        'drop notes',
      );
      names.push('notes');
    }
    await makeCollections(http, w.admin, app.id, key, names);
    if (key === 'A' && names.includes('labels')) docs.add('label');
    if (key === 'A' && names.includes('notes'))
      ['userNote', 'keyNote'].forEach((d) => docs.add(d as keyof World['docs']));
    if (key === 'B' && names.includes('notes')) docs.add('otherNote');
  }
  const users: Array<Promise<void>> = [];
  if (lost.has('user')) users.push(passwordUser(http, w.a, w.user).then((u) => void (w.user = u)));
  if (lost.has('anon')) users.push(signIn(http, w.a, 'anonymous', {}).then((u) => void (w.anon = u)));
  if (lost.has('otherUser')) users.push(signIn(http, w.b, 'anonymous', {}).then((u) => void (w.otherUser = u)));
  await Promise.all(users);
  for (const d of ['label', 'userNote', 'keyNote', 'otherNote'] as const) if (lost.has(d)) docs.add(d);
  if (docs.has('label') && !docs.has('userNote')) docs.add('userNote');
  if (docs.size) await makeDocs(http, w, [...docs]);
  if (lost.has('victim')) w.victimAdmin = await makeVictim(http, w.admin);
  return repaired;
}
