import request from 'supertest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildTestApp, ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, type AuthWorld } from './support.js';

/**
 * Two replicas on one store (and one secret): tokens from one work on the other; a session
 * revoked on one stops on the other within the verification cache time (1 s), at once on the
 * replica that revoked it.
 */
describe.each(ENGINES)('two replicas [%s]', (engine) => {
  let w: AuthWorld;
  let b: ReturnType<typeof request>;
  let skew = 0;
  beforeAll(async () => {
    w = await openAuthWorld(engine);
    const built = await buildTestApp(w.h.store, { now: () => new Date(Date.now() + skew) });
    b = request(built.app);
  });
  afterAll(async () => {
    await w?.close();
  });

  it("accepts one replica's tokens on the other, and applies a revocation within the cache time", async () => {
    const s = await w.signUp('replica@example.com');
    await b.get(w.auth('/me')).set(w.as(s.accessToken)).expect(200);
    await w.h.http.post(w.auth('/logout')).set(w.as(s.accessToken)).expect(204);
    // At once on the replica that revoked it…
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(s.accessToken)), 401, 'unauthorized');
    // …the other replica reuses its lookup for up to a second (the documented window)…
    await b.get(w.auth('/me')).set(w.as(s.accessToken)).expect(200);
    // …and refuses the token once that lookup is older than a second.
    skew = 1500;
    try {
      expectError(await b.get(w.auth('/me')).set(w.as(s.accessToken)), 401, 'unauthorized');
    } finally {
      skew = 0;
    }
  });

  it('shares refresh tokens: a token spent on one replica is a reuse on the other', async () => {
    const s = await w.signUp('replica2@example.com');
    const r = await b.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: s.refreshToken }).expect(200);
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: s.refreshToken }),
      401,
      'unauthorized',
    );
    expectError(
      await b.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: r.body.refreshToken }),
      401,
      'unauthorized',
    );
  });
});
