/**
 * Hearth through its public API: the first admin, one app, the two collections (fields, the
 * (category, -score) index, public rules on GameScore and owner rules on OwnedScore), the users,
 * the seed, and the request each workload sends (public key in X-Hearth-Key; users also send
 * their bearer token).
 */
import { PASSWORD, pick, randomCategory, randomDoc, seedDoc } from './dataset.mjs';
import { call, pool } from './http.mjs';

const fields = [
  { name: 'playerName', type: 'string' },
  { name: 'score', type: 'integer' },
  { name: 'category', type: 'string' },
  { name: 'cheatMode', type: 'boolean' },
];
const indexes = [{ name: 'by_category_score', fields: ['category', '-score'] }];
const PUBLIC = { create: 'public', list: 'public', get: 'public', update: 'public', delete: null };
const OWNER = {
  create: 'authenticated',
  list: { owner: '@auth.id' },
  get: { owner: '@auth.id' },
  update: { owner: '@auth.id' },
  delete: { owner: '@auth.id' },
};
const JSON_TYPE = { 'content-type': 'application/json' };

export function hearthApi(server) {
  const { url } = server;
  let appId;
  let pk;
  /** [{id, token}] and, per user, the ids of the documents they own. */
  let users = [];
  let ownedIds = [];
  let publicIds = [];
  const docs = (col) => `/v1/apps/${appId}/collections/${col}/documents`;
  const asUser = (u) => ({ ...pk, authorization: `Bearer ${u.token}` });
  const listPath = (col, count) => {
    const filter = encodeURIComponent(JSON.stringify({ category: randomCategory() }));
    return `${docs(col)}?filter=${filter}&sort=-score&limit=20${count ? '&count=exact' : ''}`;
  };

  return {
    ...server,
    items: (body) => body?.items,
    async setup({ userCount }) {
      const setup = await call(
        url,
        'POST',
        '/v1/admin/setup',
        {},
        {
          email: 'bench@example.com',
          password: 'a long bench password',
        },
      );
      const admin = { authorization: `Bearer ${setup.accessToken}` };
      const app = await call(url, 'POST', '/v1/admin/apps', admin, { name: 'bench' });
      appId = app.id;
      pk = { 'x-hearth-key': app.keys.public };
      // One client address signs every user up; tokens outlive a long run.
      await call(url, 'PATCH', `/v1/admin/apps/${appId}/auth/settings`, admin, {
        ipRequestsPer15Min: 100_000,
        accessTokenTtl: 24 * 3600,
      });
      for (const [name, rules] of [
        ['GameScore', PUBLIC],
        ['OwnedScore', OWNER],
      ]) {
        await call(url, 'POST', `/v1/admin/apps/${appId}/collections`, admin, { name, fields, indexes, rules });
      }
      users = await pool(userCount, 4, async (i) => {
        const res = await call(url, 'POST', `/v1/apps/${appId}/auth/signup`, pk, {
          email: `player${i}@example.com`,
          password: PASSWORD,
        });
        return { id: res.user.id, token: res.accessToken };
      });
      ownedIds = users.map(() => []);
    },
    async seed({ docCount, concurrency, onProgress }) {
      publicIds = await pool(docCount, concurrency, async (i) => {
        onProgress?.(i);
        return (await call(url, 'POST', docs('GameScore'), pk, seedDoc(i))).id;
      });
      await pool(docCount, concurrency, async (i) => {
        onProgress?.(docCount + i);
        const u = i % users.length;
        const created = await call(url, 'POST', docs('OwnedScore'), asUser(users[u]), seedDoc(i));
        ownedIds[u].push(created.id);
      });
    },
    requests: {
      create: () => ({
        method: 'POST',
        path: docs('GameScore'),
        headers: { ...pk, ...JSON_TYPE },
        body: JSON.stringify(randomDoc()),
      }),
      createOwned: () => ({
        method: 'POST',
        path: docs('OwnedScore'),
        headers: { ...asUser(pick(users)), ...JSON_TYPE },
        body: JSON.stringify(randomDoc()),
      }),
      list: () => ({ method: 'GET', path: listPath('GameScore', false), headers: pk }),
      listCount: () => ({ method: 'GET', path: listPath('GameScore', true), headers: pk }),
      get: () => ({ method: 'GET', path: `${docs('GameScore')}/${pick(publicIds)}`, headers: pk }),
      update: () => ({
        method: 'PATCH',
        path: `${docs('GameScore')}/${pick(publicIds)}`,
        headers: { ...pk, ...JSON_TYPE },
        body: JSON.stringify({ $inc: { score: 1 } }),
      }),
      listOwned: () => ({ method: 'GET', path: listPath('OwnedScore', false), headers: asUser(pick(users)) }),
      getOwned: () => {
        const u = Math.floor(Math.random() * users.length);
        return { method: 'GET', path: `${docs('OwnedScore')}/${pick(ownedIds[u])}`, headers: asUser(users[u]) };
      },
    },
  };
}
