import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../collections/support.js';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * "Also seen" in the security probe: keys could be created already expired (201). An
 * `expiresAt` that is not in the future is now 400 validation_failed, and nothing is created.
 */
describe.each(ENGINES)('key expiry [%s]', (engine) => {
  let h: Harness;
  let ctx: Awaited<ReturnType<typeof withAdminAndApp>>;
  const keys = () => `/v1/admin/apps/${ctx.appId}/keys`;
  const admin = () => ({ Authorization: `Bearer ${ctx.adminToken}` });
  beforeAll(async () => {
    h = await startHarness(engine);
    ctx = await withAdminAndApp(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it.each([
    ['in the past', new Date(Date.now() - 60_000).toISOString()],
    ['long ago', '2000-01-01T00:00:00.000Z'],
  ])('refuses an expiresAt %s with validation_failed, creating nothing', async (_title, expiresAt) => {
    const before = (await h.http.get(keys()).set(admin()).expect(200)).body.items.length;
    const res = await h.http.post(keys()).set(admin()).send({ kind: 'public', expiresAt });
    expect(expectError(res, 400, 'validation_failed')).toEqual({ fields: { expiresAt: 'must be in the future' } });
    expect((await h.http.get(keys()).set(admin()).expect(200)).body.items).toHaveLength(before);
  });

  it('accepts a future expiresAt, and no expiry at all', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const res = await h.http.post(keys()).set(admin()).send({ kind: 'secret', expiresAt }).expect(201);
    expect(res.body.expiresAt).toBe(expiresAt);
    await h.http.post(keys()).set(admin()).send({ kind: 'public', expiresAt: null }).expect(201);
  });
});
