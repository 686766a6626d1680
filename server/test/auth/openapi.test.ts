import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/** Every auth and user-management route is in /openapi.json, with its security. */
describe('auth routes in the OpenAPI document', () => {
  let h: Harness;
  let doc: {
    paths: Record<string, Record<string, { security?: Array<Record<string, unknown>>; requestBody?: unknown }>>;
  };
  beforeAll(async () => {
    h = await startHarness('sqlite');
    doc = (await h.http.get('/openapi.json').expect(200)).body;
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['post', '/v1/apps/{appId}/auth/signup'],
    ['post', '/v1/apps/{appId}/auth/login'],
    ['post', '/v1/apps/{appId}/auth/anonymous'],
    ['post', '/v1/apps/{appId}/auth/refresh'],
    ['post', '/v1/apps/{appId}/auth/logout'],
    ['get', '/v1/apps/{appId}/auth/me'],
    ['patch', '/v1/apps/{appId}/auth/me'],
    ['post', '/v1/apps/{appId}/auth/password'],
    ['post', '/v1/apps/{appId}/auth/upgrade'],
    ['get', '/v1/apps/{appId}/auth/sessions'],
    ['delete', '/v1/apps/{appId}/auth/sessions/{sessionId}'],
    ['post', '/v1/apps/{appId}/auth/verify/request'],
    ['post', '/v1/apps/{appId}/auth/verify/confirm'],
    ['post', '/v1/apps/{appId}/auth/reset/request'],
    ['post', '/v1/apps/{appId}/auth/reset/confirm'],
    ['post', '/v1/apps/{appId}/auth/magic-link/request'],
    ['post', '/v1/apps/{appId}/auth/magic-link/confirm'],
    ['post', '/v1/apps/{appId}/auth/mfa'],
    ['post', '/v1/apps/{appId}/auth/mfa/totp'],
    ['post', '/v1/apps/{appId}/auth/oauth/token'],
    ['get', '/v1/apps/{appId}/users'],
    ['patch', '/v1/apps/{appId}/users/{userId}'],
    ['get', '/v1/admin/apps/{appId}/users'],
    ['post', '/v1/admin/apps/{appId}/users/{userId}/impersonate'],
    ['patch', '/v1/admin/apps/{appId}/auth/settings'],
    ['post', '/v1/admin/apps/{appId}/auth/keys/rotate'],
    ['get', '/v1/admin/apps/{appId}/mail/outbox'],
  ])('%s %s', (method, path) => {
    const op = doc.paths[path]?.[method];
    expect(op, `${method} ${path}`).toBeDefined();
    const schemes = (op!.security ?? []).flatMap((s) => Object.keys(s));
    if (path.startsWith('/v1/admin/')) expect(schemes).toContain('adminBearer');
    else expect(schemes).toContain('appKey');
    if (/\/auth\/(me|logout|password|upgrade|sessions)/.test(path)) expect(schemes).toContain('userBearer');
  });
});
