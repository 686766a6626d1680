import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ADMIN, ENGINES, buildTestApp, openStore, withAdminAndApp } from '../support/harness.js';
import { serviceAccount } from './keys.js';

/**
 * Credentials sealed under one server secret: unreadable under another, readable again with the
 * old one listed in pushPreviousSecrets, and after `rotate` readable under the new one alone.
 */
const OLD = 'old-server-secret-0123456789-0123456789';
const NEW = 'new-server-secret-0123456789-0123456789';

describe.each(ENGINES)('push credential rotation on %s', (engine) => {
  it('re-encrypts under the new secret', async () => {
    const { store, cleanup } = await openStore(engine);
    try {
      const first = await buildTestApp(store, { secret: OLD });
      const h = { http: request(first.app), app: first.app, modules: first.modules, store, close: async () => {} };
      const { adminToken, appId } = await withAdminAndApp(h);
      const sa = serviceAccount();
      await h.http
        .put(`/v1/admin/apps/${appId}/push/credentials/fcm`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ serviceAccount: JSON.stringify(sa.json) })
        .expect(200);

      const lost = await buildTestApp(store, { secret: NEW });
      await expect(lost.modules.push.services.credentials.forSend(appId, 'fcm')).rejects.toMatchObject({
        code: 'internal',
      });

      const bridged = await buildTestApp(store, { secret: NEW, pushPreviousSecrets: [OLD] });
      expect(await bridged.modules.push.services.credentials.forSend(appId, 'fcm')).toMatchObject({
        projectId: sa.json.project_id,
        privateKey: sa.json.private_key,
      });
      const login = await request(bridged.app).post('/v1/admin/login').send(ADMIN).expect(200);
      const rotated = await request(bridged.app)
        .post(`/v1/admin/apps/${appId}/push/credentials/rotate`)
        .set('Authorization', `Bearer ${login.body.accessToken}`)
        .expect(200);
      expect(rotated.body).toEqual({ resealed: 1 });

      const after = await buildTestApp(store, { secret: NEW });
      expect(await after.modules.push.services.credentials.forSend(appId, 'fcm')).toMatchObject({
        clientEmail: sa.json.client_email,
      });
    } finally {
      await cleanup();
    }
  });
});
