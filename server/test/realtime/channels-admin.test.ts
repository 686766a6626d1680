import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/** The admin API of channel rules: validation, round trip, audit, app scoping. Both engines (stored in the store). */
describe.each(ENGINES)('realtime channel rules admin API [%s]', (engine) => {
  let h: Harness;
  let admin: Record<string, string>;
  let appId: string;
  const path = () => `/v1/admin/apps/${appId}/realtime/channels`;

  beforeAll(async () => {
    h = await startHarness(engine);
    const world = await withAdminAndApp(h);
    admin = { Authorization: `Bearer ${world.adminToken}` };
    appId = world.appId;
  });
  afterAll(() => h.close());

  it('starts empty, stores the rules in order, audits the change', async () => {
    expect((await h.http.get(path()).set(admin).expect(200)).body).toEqual({ rules: [] });
    const rules = [
      { pattern: 'room:*', join: 'authenticated', publish: { '@auth.anonymous': false } },
      { pattern: 'staff', join: { '@auth.roles': 'staff' }, publish: null },
    ];
    expect((await h.http.put(path()).set(admin).send({ rules }).expect(200)).body).toEqual({ rules });
    expect((await h.http.get(path()).set(admin).expect(200)).body).toEqual({ rules });
    const audit = await h.http.get('/v1/admin/audit').set(admin).expect(200);
    expect(JSON.stringify(audit.body)).toContain('realtime.channels.update');
  });

  it('refuses bad input: document conditions, bad variables, bad patterns, extra fields, too many rules', async () => {
    const bad = async (body: object) => (await h.http.put(path()).set(admin).send(body)).body.error?.code;
    expect(await bad({ rules: [{ pattern: 'a', join: { owner: '@auth.id' }, publish: null }] })).toBe(
      'invalid_request',
    );
    expect(await bad({ rules: [{ pattern: 'a', join: { '@auth.x': 1 }, publish: null }] })).toBe('invalid_request');
    expect(await bad({ rules: [{ pattern: 'a b', join: null, publish: null }] })).toBe('validation_failed');
    expect(await bad({ rules: [{ pattern: 'a', join: null, publish: null, extra: 1 }] })).toBe('validation_failed');
    expect(await bad({ rules: [{ pattern: 'a', join: 'everyone', publish: null }] })).toBe('validation_failed');
    const many = Array.from({ length: 101 }, () => ({ pattern: 'a', join: null, publish: null }));
    expect(await bad({ rules: many })).toBe('validation_failed');
    expect(await bad([])).toBe('validation_failed');
  });

  it('needs an admin and an existing app', async () => {
    expect((await h.http.get(path())).status).toBe(401);
    expect((await h.http.put(path()).send({ rules: [] })).status).toBe(401);
    expect((await h.http.get('/v1/admin/apps/nope/realtime/channels').set(admin)).status).toBe(404);
  });
});
