import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { INDEX_LAYOUT } from '../../src/modules/collections/index-sync.js';
import { SYSTEM_APP } from '../../src/ports/document-store.js';
import { buildTestApp, ENGINES, openStore, withAdminAndApp } from '../support/harness.js';

/**
 * A collection made before a release derived more indexes from its definition (the owner-first
 * twins of lists whose rule fixes the owner) gets them at the next start, once per deployment,
 * without a schema change; nothing else about it changes.
 */
describe.each(ENGINES)('derived indexes are added at start [%s]', (engine) => {
  it('creates the missing owner-first twin, records the layout, and leaves the schema version alone', async () => {
    const { store, cleanup } = await openStore(engine);
    try {
      const first = await buildTestApp(store);
      const http = request(first.app);
      const { adminToken, appId } = await withAdminAndApp({ http } as never);
      const admin = { Authorization: `Bearer ${adminToken}` };
      const created = await http
        .post(`/v1/admin/apps/${appId}/collections`)
        .set(admin)
        .send({
          name: 'scores',
          fields: [
            { name: 'category', type: 'string' },
            { name: 'score', type: 'number' },
          ],
          indexes: [{ name: 'by_cat', fields: ['category', '-score'] }],
          rules: { list: { owner: '@auth.id' }, get: { owner: '@auth.id' } },
        })
        .expect(201);
      const app = store.forApp(appId);
      const names = async () => (await app.listIndexes('scores')).map((i) => i.name).sort();
      expect(await names()).toContain('auto_owner_by_cat');

      // As a deployment from before: the twin missing, no layout recorded.
      await app.dropIndex('scores', 'auto_owner_by_cat');
      await store.forApp(SYSTEM_APP).delete('_index_layout', 'collections');
      expect(await names()).not.toContain('auto_owner_by_cat');

      await buildTestApp(store);
      expect(await names()).toContain('auto_owner_by_cat');
      expect(await store.forApp(SYSTEM_APP).get('_index_layout', 'collections')).toMatchObject({
        layout: INDEX_LAYOUT,
      });
      const after = await http.get(`/v1/admin/apps/${appId}/collections/scores`).set(admin).expect(200);
      expect(after.body.version).toBe(created.body.version);

      // Once recorded, a start does not look again (a twin dropped now stays dropped until a schema change).
      await app.dropIndex('scores', 'auto_owner_by_cat');
      await buildTestApp(store);
      expect(await names()).not.toContain('auto_owner_by_cat');
    } finally {
      await cleanup();
    }
  });
});
