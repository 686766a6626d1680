import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, type AuthWorld } from './support.js';

/**
 * App routes need the app's key; a signed-in user's token goes with it, never instead of it. A
 * user token without X-Hearth-Key is `invalid_api_key` naming the header, not "the access token is
 * invalid" (the token is fine); an admin token without a key still works (the dashboard).
 */
describe.each(ENGINES)('X-Hearth-Key is required with a user token [%s]', (engine) => {
  let w: AuthWorld;
  beforeAll(async () => {
    w = await openAuthWorld(engine);
  });
  afterAll(async () => {
    await w?.close();
  });

  it('a valid user token without a key is invalid_api_key naming the header', async () => {
    const s = await w.signUp('key-required@example.com');
    const res = await w.h.http.get(w.auth('/me')).set('Authorization', `Bearer ${s.accessToken}`);
    expectError(res, 401, 'invalid_api_key');
    expect(res.body.error.message).toContain('X-Hearth-Key');
    // With the key, the same token is accepted.
    await w.h.http.get(w.auth('/me')).set(w.as(s.accessToken)).expect(200);
  });

  it('no credentials at all names the header too', async () => {
    const res = await w.h.http.get(w.auth('/me'));
    expectError(res, 401, 'invalid_api_key');
    expect(res.body.error.message).toContain('X-Hearth-Key');
  });

  it('an admin token alone keeps secret-key power; a forged admin-shaped token is unauthorized', async () => {
    await w.h.http.get(`/v1/apps/${w.appId}`).set('Authorization', `Bearer ${w.adminToken}`).expect(200);
    const [head, , sig] = w.adminToken.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ typ: 'admin', sub: 'x', sid: 'y', aud: 'hearth:admin' })).toString('base64url')}.${sig}`;
    expectError(
      await w.h.http.get(`/v1/apps/${w.appId}`).set('Authorization', `Bearer ${forged}`),
      401,
      'unauthorized',
    );
  });
});
