import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, type AuthWorld } from './support.js';

/** Managing users with an admin token or the secret key: roles, disable, delete, sessions, impersonation. */
describe.each(ENGINES)('user management [%s]', (engine) => {
  let w: AuthWorld;
  beforeAll(async () => {
    w = await openAuthWorld(engine);
  });
  afterAll(async () => {
    await w?.close();
  });
  const adminUsers = (path = '') => `/v1/admin/apps/${w.appId}/users${path}`;
  const keyUsers = (path = '') => `/v1/apps/${w.appId}/users${path}`;

  it('lists and searches users (admin and secret key), never showing secrets', async () => {
    await w.signUp('list-a@example.com');
    await w.signUp('list-b@example.com');
    await w.h.http.post(w.auth('/anonymous')).set(w.pk).send({}).expect(201);
    const all = await w.h.http.get(adminUsers()).set(w.admin).expect(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(all.body)).not.toMatch(/passwordHash|argon2|tokenHash|totpPending|recoveryCodes|login/);
    const prefix = await w.h.http.get(keyUsers('?email=LIST-')).set(w.sk).expect(200);
    expect(prefix.body.items.map((u: { email: string }) => u.email).sort()).toEqual([
      'list-a@example.com',
      'list-b@example.com',
    ]);
    const anon = await w.h.http.get(adminUsers('?anonymous=true')).set(w.admin).expect(200);
    expect(anon.body.items.every((u: { anonymous: boolean }) => u.anonymous)).toBe(true);
    const page = await w.h.http.get(adminUsers('?limit=1')).set(w.admin).expect(200);
    expect(page.body.items).toHaveLength(1);
    const next = await w.h.http
      .get(adminUsers(`?limit=1&after=${encodeURIComponent(page.body.next)}`))
      .set(w.admin)
      .expect(200);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
    // Regex metacharacters are literal in the email search.
    expect((await w.h.http.get(keyUsers('?email=.*')).set(w.sk).expect(200)).body.items).toEqual([]);
  });

  it('sets roles with the secret key or an admin token, not with the public key or a user token', async () => {
    const u = await w.signUp('roles@example.com');
    const bySk = await w.h.http
      .patch(keyUsers(`/${u.user.id}`))
      .set(w.sk)
      .send({ roles: ['editor', 'editor', 'beta'] })
      .expect(200);
    expect(bySk.body.roles).toEqual(['editor', 'beta']);
    const byAdmin = await w.h.http
      .patch(adminUsers(`/${u.user.id}`))
      .set(w.admin)
      .send({ roles: ['admin'] })
      .expect(200);
    expect(byAdmin.body.roles).toEqual(['admin']);
    expectError(
      await w.h.http
        .patch(keyUsers(`/${u.user.id}`))
        .set(w.pk)
        .send({ roles: ['admin'] }),
      403,
      'forbidden',
    );
    expectError(
      await w.h.http
        .patch(keyUsers(`/${u.user.id}`))
        .set(w.as(u.accessToken))
        .send({ roles: ['admin'] }),
      403,
      'forbidden',
    );
    expectError(await w.h.http.patch(adminUsers(`/${u.user.id}`)).send({ roles: ['x'] }), 401, 'unauthorized');
    expectError(
      await w.h.http
        .patch(keyUsers(`/${u.user.id}`))
        .set(w.sk)
        .send({ roles: ['bad role!'] }),
      400,
      'validation_failed',
    );
    expectError(
      await w.h.http
        .patch(keyUsers(`/${u.user.id}`))
        .set(w.sk)
        .send({}),
      400,
      'validation_failed',
    );
    const me = await w.h.http.get(w.auth('/me')).set(w.as(u.accessToken)).expect(200);
    expect(me.body.roles).toEqual(['admin']);
  });

  it('honours key scopes on the user routes', async () => {
    const u = await w.signUp('scoped@example.com');
    const scoped = await w.h.http
      .post(`/v1/admin/apps/${w.appId}/keys`)
      .set(w.admin)
      .send({ kind: 'secret', scopes: ['users:read'] })
      .expect(201);
    const sk = { 'X-Hearth-Key': scoped.body.key };
    await w.h.http
      .get(keyUsers(`/${u.user.id}`))
      .set(sk)
      .expect(200);
    expectError(
      await w.h.http
        .patch(keyUsers(`/${u.user.id}`))
        .set(sk)
        .send({ roles: ['x'] }),
      403,
      'forbidden',
    );
  });

  it("does not reach another app's users", async () => {
    const u = await w.signUp('mine@example.com');
    const other = await w.h.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
    expectError(
      await w.h.http
        .get(`/v1/apps/${other.body.id}/users/${u.user.id}`)
        .set({ 'X-Hearth-Key': other.body.keys.secret }),
      404,
      'not_found',
    );
    expectError(
      await w.h.http
        .patch(`/v1/admin/apps/${other.body.id}/users/${u.user.id}`)
        .set(w.admin)
        .send({ roles: ['x'] }),
      404,
      'not_found',
    );
    expectError(await w.h.http.get(`/v1/admin/apps/nosuchapp/users`).set(w.admin), 404, 'not_found');
  });

  it('disables (ends sessions) and enables a user', async () => {
    const u = await w.signUp('disable@example.com');
    const res = await w.h.http
      .patch(adminUsers(`/${u.user.id}`))
      .set(w.admin)
      .send({ disabled: true })
      .expect(200);
    expect(res.body.disabled).toBe(true);
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(u.accessToken)), 401, 'unauthorized');
    expect(
      (
        await w.h.http
          .get(adminUsers(`/${u.user.id}/sessions`))
          .set(w.admin)
          .expect(200)
      ).body.items,
    ).toEqual([]);
    await w.h.http
      .patch(adminUsers(`/${u.user.id}`))
      .set(w.admin)
      .send({ disabled: false })
      .expect(200);
    await w.login('disable@example.com');
  });

  it("lists and revokes a user's sessions as admin", async () => {
    const u = await w.signUp('adminsessions@example.com');
    await w.login('adminsessions@example.com');
    const list = await w.h.http
      .get(adminUsers(`/${u.user.id}/sessions`))
      .set(w.admin)
      .expect(200);
    expect(list.body.items).toHaveLength(2);
    await w.h.http
      .delete(adminUsers(`/${u.user.id}/sessions/${list.body.items[0].id}`))
      .set(w.admin)
      .expect(204);
    const all = await w.h.http
      .delete(adminUsers(`/${u.user.id}/sessions`))
      .set(w.admin)
      .expect(200);
    expect(all.body).toEqual({ revoked: 1 });
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(u.accessToken)), 401, 'unauthorized');
  });

  it('deletes a user: sessions end, the email is free again, documents stay', async () => {
    await w.h.http
      .post(`/v1/admin/apps/${w.appId}/collections`)
      .set(w.admin)
      .send({ name: 'posts', fields: [{ name: 'title', type: 'string' }] })
      .expect(201);
    const u = await w.signUp('delete@example.com');
    const doc = await w.h.http
      .post(`/v1/apps/${w.appId}/collections/posts/documents`)
      .set(w.as(u.accessToken))
      .send({ title: 'kept' })
      .expect(201);
    await w.h.http
      .delete(keyUsers(`/${u.user.id}`))
      .set(w.sk)
      .expect(204);
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(u.accessToken)), 401, 'unauthorized');
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: u.refreshToken }),
      401,
      'unauthorized',
    );
    expectError(await w.h.http.get(adminUsers(`/${u.user.id}`)).set(w.admin), 404, 'not_found');
    await w.h.http.get(`/v1/apps/${w.appId}/collections/posts/documents/${doc.body.id}`).set(w.sk).expect(200);
    const again = await w.signUp('delete@example.com');
    expect(again.user.id).not.toBe(u.user.id);
  });

  it("unowns or deletes a deleted user's documents when the app says so (through the writer: events fire)", async () => {
    await w.h.http
      .post(`/v1/admin/apps/${w.appId}/collections`)
      .set(w.admin)
      .send({ name: 'items', fields: [{ name: 'n', type: 'integer' }] })
      .expect(201);
    const events: string[] = [];
    w.h.modules.collections.events.on('*', (e) =>
      events.push(`${e.type}:${e.collection}:${e.before?.id ?? e.after?.id}`),
    );
    const docs = `/v1/apps/${w.appId}/collections/items/documents`;

    await w.patchSettings({ onUserDelete: 'unown' });
    const a = await w.signUp('unown@example.com');
    const d1 = await w.h.http.post(docs).set(w.as(a.accessToken)).send({ n: 1 }).expect(201);
    await w.h.http
      .delete(adminUsers(`/${a.user.id}`))
      .set(w.admin)
      .expect(204);
    expect((await w.h.http.get(`${docs}/${d1.body.id}`).set(w.sk).expect(200)).body.owner).toBeNull();
    expect(events).toContain(`documents.update:items:${d1.body.id}`);

    await w.patchSettings({ onUserDelete: 'delete' });
    const b = await w.signUp('purge@example.com');
    const mine = await Promise.all(
      [1, 2, 3].map((n) => w.h.http.post(docs).set(w.as(b.accessToken)).send({ n }).expect(201)),
    );
    const other = await w.h.http.post(docs).set(w.sk).send({ n: 9 }).expect(201);
    await w.h.http
      .delete(keyUsers(`/${b.user.id}`))
      .set(w.sk)
      .expect(204);
    for (const d of mine) {
      expectError(await w.h.http.get(`${docs}/${d.body.id}`).set(w.sk), 404, 'not_found');
      expect(events).toContain(`documents.delete:items:${d.body.id}`);
    }
    await w.h.http.get(`${docs}/${other.body.id}`).set(w.sk).expect(200);
    const audit = await w.h.http.get('/v1/admin/audit?action=user.delete').set(w.admin).expect(200);
    expect(audit.body.items[0].details).toMatchObject({ documents: 'delete', changed: 3 });
    await w.patchSettings({ onUserDelete: 'keep' });
  });

  it('emits users.create / users.update / users.delete without secrets, and nothing for sign-in bookkeeping', async () => {
    const seen: Array<{ type: string; id: string; roles?: string[] }> = [];
    const off = w.h.modules.auth.events.on('*', (e) =>
      seen.push({ type: e.type, id: (e.after ?? e.before)!.id, ...(e.after ? { roles: e.after.roles } : {}) }),
    );
    try {
      const u = await w.signUp('events@example.com');
      await w.login('events@example.com');
      await w.h.http
        .patch(keyUsers(`/${u.user.id}`))
        .set(w.sk)
        .send({ roles: ['x'] })
        .expect(200);
      await w.h.http
        .delete(keyUsers(`/${u.user.id}`))
        .set(w.sk)
        .expect(204);
      expect(seen.filter((e) => e.id === u.user.id)).toEqual([
        { type: 'users.create', id: u.user.id, roles: [] },
        { type: 'users.update', id: u.user.id, roles: ['x'] },
        { type: 'users.delete', id: u.user.id },
      ]);
    } finally {
      off();
    }
    const all: unknown[] = [];
    const off2 = w.h.modules.auth.events.on('users.create', (e) => all.push(e));
    await w.signUp('events2@example.com');
    off2();
    expect(JSON.stringify(all)).not.toMatch(/argon2|passwordHash|login/);
  });

  it('impersonates a user (admin only): the token says so, the session is short, the audit log records it', async () => {
    const u = await w.signUp('imp@example.com');
    const imp = await w.h.http
      .post(adminUsers(`/${u.user.id}/impersonate`))
      .set(w.admin)
      .send({})
      .expect(200);
    const claims = jwt.decode(imp.body.accessToken) as Record<string, unknown>;
    const adminId = (jwt.decode(w.adminToken) as { sub: string }).sub;
    expect(claims).toMatchObject({ sub: u.user.id, imp: adminId, amr: ['impersonation'] });
    const me = await w.h.http.get(w.auth('/me')).set(w.as(imp.body.accessToken)).expect(200);
    expect(me.body.id).toBe(u.user.id);
    const sessions = await w.h.http
      .get(adminUsers(`/${u.user.id}/sessions`))
      .set(w.admin)
      .expect(200);
    const s = sessions.body.items.find((x: { impersonatedBy: string | null }) => x.impersonatedBy === adminId);
    expect(Date.parse(s.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
    const audit = await w.h.http.get('/v1/admin/audit?action=user.impersonate').set(w.admin).expect(200);
    expect(audit.body.items[0]).toMatchObject({
      adminId,
      action: 'user.impersonate',
      target: { type: 'user', id: `${w.appId}/${u.user.id}` },
    });
    expectError(
      await w.h.http
        .post(keyUsers(`/${u.user.id}/impersonate`))
        .set(w.sk)
        .send({}),
      404,
      'not_found',
    );
  });

  it('audits role changes made with the secret key', async () => {
    const u = await w.signUp('audit@example.com');
    await w.h.http
      .patch(keyUsers(`/${u.user.id}`))
      .set(w.sk)
      .send({ roles: ['x'] })
      .expect(200);
    const audit = await w.h.http.get('/v1/admin/audit?action=user.update').set(w.admin).expect(200);
    const entry = audit.body.items.find((e: { target: { id: string } }) => e.target.id === `${w.appId}/${u.user.id}`);
    expect(entry.details).toMatchObject({ roles: ['x'], keyId: expect.any(String) });
  });

  it('keeps OAuth client secrets out of the settings it returns', async () => {
    const res = await w.patchSettings({ oauth: { google: { clientId: 'cid', clientSecret: 'very-secret' } } });
    expect(JSON.stringify(res)).not.toContain('very-secret');
    const again = await w.patchSettings({ oauth: { google: { clientId: 'cid2', clientSecret: '********' } } });
    expect((again.oauth as Record<string, { clientId: string }>).google!.clientId).toBe('cid2');
    expect((await w.h.modules.auth.services.settings.get(w.appId)).oauth.google!.clientSecret).toBe('very-secret');
    expectError(
      await w.h.http
        .patch(`/v1/admin/apps/${w.appId}/auth/settings`)
        .set(w.admin)
        .send({ oauth: { token: { issuer: 'https://issuer.example.com', clientId: 'x' } } }),
      400,
      'validation_failed',
    );
    const bad = await w.h.http
      .patch(`/v1/admin/apps/${w.appId}/auth/settings`)
      .set(w.admin)
      .send({ accessTokenTtl: 5, nope: true });
    expectError(bad, 400, 'validation_failed');
  });
});
