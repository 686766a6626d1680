import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { fcmToken } from './keys.js';
import { pushWorld, startPushServers, type PushServers, type PushWorld } from './kit.js';

/**
 * An anonymous installation is linked to the user who signs in on its device (the request's
 * X-Hearth-Installation header: sign-up, login, anonymous sign-in, refresh), never when it belongs
 * to another user, and unlinked by that user's sign-out on the device (both engines).
 */
let servers: PushServers;
beforeAll(async () => {
  servers = await startPushServers();
});
afterAll(async () => servers?.close());

const PASSWORD = 'a long enough password 123';

describe.each(ENGINES)('installations follow sign-ins on %s', (engine) => {
  let w: PushWorld;
  beforeAll(async () => {
    w = await pushWorld(engine, servers);
  });
  afterAll(async () => w?.close());

  const auth = (path: string) => `/v1/apps/${w.appId}/auth/${path}`;
  const settle = () => w.h.modules.push.services.linker.settle();
  const register = async () => {
    const res = await w.h.http
      .post(`/v1/apps/${w.appId}/push/installations`)
      .set('X-Hearth-Key', w.publicKey)
      .send({ platform: 'android', token: fcmToken() })
      .expect(201);
    expect(res.body.userId).toBeNull();
    return res.body.id as string;
  };
  const ownerOf = async (id: string) => {
    await settle();
    const res = await w.h.http
      .get(`/v1/apps/${w.appId}/push/installations/${id}`)
      .set('X-Hearth-Key', w.secretKey)
      .expect(200);
    return res.body.userId as string | null;
  };
  const signUp = async (email: string, installation?: string) => {
    const req = w.h.http.post(auth('signup')).set('X-Hearth-Key', w.publicKey);
    if (installation) req.set('X-Hearth-Installation', installation);
    const res = await req.send({ email, password: PASSWORD }).expect(201);
    return {
      userId: res.body.user.id as string,
      token: res.body.accessToken as string,
      refresh: res.body.refreshToken as string,
    };
  };
  const logout = (token: string, installation: string) =>
    w.h.http
      .post(auth('logout'))
      .set('X-Hearth-Key', w.publicKey)
      .set('Authorization', `Bearer ${token}`)
      .set('X-Hearth-Installation', installation)
      .expect(204);

  it('sign-up links an anonymous installation; sign-out on the device unlinks it; login links it again', async () => {
    const id = await register();
    const dana = await signUp(`dana-${engine}@example.com`, id);
    expect(await ownerOf(id)).toBe(dana.userId);
    await logout(dana.token, id);
    expect(await ownerOf(id)).toBeNull();
    await w.h.http
      .post(auth('login'))
      .set('X-Hearth-Key', w.publicKey)
      .set('X-Hearth-Installation', id)
      .send({ email: `dana-${engine}@example.com`, password: PASSWORD })
      .expect(200);
    expect(await ownerOf(id)).toBe(dana.userId);
  });

  it("never re-links another user's installation, and another user's sign-out leaves it alone", async () => {
    const id = await register();
    const erin = await signUp(`erin-${engine}@example.com`, id);
    const frank = await signUp(`frank-${engine}@example.com`, id); // the same device id, another user
    expect(await ownerOf(id)).toBe(erin.userId);
    await logout(frank.token, id);
    expect(await ownerOf(id)).toBe(erin.userId);
    await w.h.http
      .post(auth('login'))
      .set('X-Hearth-Key', w.publicKey)
      .set('X-Hearth-Installation', id)
      .send({ email: `frank-${engine}@example.com`, password: PASSWORD })
      .expect(200);
    expect(await ownerOf(id)).toBe(erin.userId);
  });

  it('anonymous sign-in and token refresh link it too', async () => {
    const first = await register();
    const anon = await w.h.http
      .post(auth('anonymous'))
      .set('X-Hearth-Key', w.publicKey)
      .set('X-Hearth-Installation', first)
      .send({})
      .expect(201);
    expect(await ownerOf(first)).toBe(anon.body.user.id);
    const second = await register();
    const gus = await signUp(`gus-${engine}@example.com`);
    expect(await ownerOf(second)).toBeNull();
    await w.h.http
      .post(auth('refresh'))
      .set('X-Hearth-Key', w.publicKey)
      .set('X-Hearth-Installation', second)
      .send({ refreshToken: gus.refresh })
      .expect(200);
    expect(await ownerOf(second)).toBe(gus.userId);
  });

  it('a browser may send the header (CORS preflight)', async () => {
    await w
      .admin(w.h.http.patch(`/v1/admin/apps/${w.appId}`))
      .send({ settings: { corsOrigins: ['https://web.example.com'] } })
      .expect(200);
    const pre = await w.h.http
      .options(auth('login'))
      .set('Origin', 'https://web.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'x-hearth-key, x-hearth-installation')
      .expect(204);
    expect(pre.headers['access-control-allow-headers']).toMatch(/\bX-Hearth-Installation\b/);
  });

  it('ignores a header that is not an id, an unknown installation, and a sign-in without the header', async () => {
    const id = await register();
    await signUp(`hal-${engine}@example.com`);
    expect(await ownerOf(id)).toBeNull();
    await w.h.http
      .post(auth('signup'))
      .set('X-Hearth-Key', w.publicKey)
      .set('X-Hearth-Installation', `${id}/../x`)
      .send({ email: `ida-${engine}@example.com`, password: PASSWORD })
      .expect(201);
    await signUp(`jo-${engine}@example.com`, 'noSuchInstallation1');
    expect(await ownerOf(id)).toBeNull();
  });
});
