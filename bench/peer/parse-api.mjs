/**
 * Parse Server through its REST API: the two classes created through /schemas with the master
 * key (fields, the (category, score) index, class-level permissions: public on GameScore,
 * signed-in users on OwnedScore whose objects carry an ACL for their owner only), the users, the
 * seed (parallel single requests: Parse 9's /batch can fail with the newest `router`), and the
 * request each workload sends (application id + REST API key; users also send their session token).
 */
import { PASSWORD, pick, randomCategory, randomDoc, seedDoc } from './dataset.mjs';
import { call, pool } from './http.mjs';
import { PARSE_KEYS } from './servers.mjs';

const fields = {
  playerName: { type: 'String' },
  score: { type: 'Number' },
  category: { type: 'String' },
  cheatMode: { type: 'Boolean' },
};
const indexes = { by_category_score: { category: 1, score: -1 } };
const permissions = (who) => ({
  find: who,
  count: who,
  get: who,
  create: who,
  update: who,
  delete: {},
  addField: {},
  protectedFields: { '*': [] },
});
const PUBLIC = permissions({ '*': true });
const SIGNED_IN = permissions({ requiresAuthentication: true });
const JSON_TYPE = { 'content-type': 'application/json' };

export function parseApi(server) {
  const { url } = server;
  const client = { 'x-parse-application-id': PARSE_KEYS.appId, 'x-parse-rest-api-key': PARSE_KEYS.restKey };
  const master = { 'x-parse-application-id': PARSE_KEYS.appId, 'x-parse-master-key': PARSE_KEYS.masterKey };
  let users = [];
  let ownedIds = [];
  let publicIds = [];
  const classes = (name) => `/parse/classes/${name}`;
  const asUser = (u) => ({ ...client, 'x-parse-session-token': u.token });
  const ownedBy = (u, doc) => ({ ...doc, ACL: { [u.id]: { read: true, write: true } } });
  const listPath = (name, count) => {
    const where = encodeURIComponent(JSON.stringify({ category: randomCategory() }));
    return `${classes(name)}?where=${where}&order=-score&limit=20${count ? '&count=1' : ''}`;
  };

  return {
    ...server,
    items: (body) => body?.results,
    async setup({ userCount }) {
      for (const [className, classLevelPermissions] of [
        ['GameScore', PUBLIC],
        ['OwnedScore', SIGNED_IN],
      ]) {
        await call(url, 'POST', `/parse/schemas/${className}`, master, {
          className,
          fields,
          indexes,
          classLevelPermissions,
        });
      }
      users = await pool(userCount, 4, async (i) => {
        const res = await call(url, 'POST', '/parse/users', client, { username: `player${i}`, password: PASSWORD });
        return { id: res.objectId, token: res.sessionToken };
      });
      ownedIds = users.map(() => []);
    },
    async seed({ docCount, concurrency, onProgress }) {
      publicIds = await pool(docCount, concurrency, async (i) => {
        onProgress?.(i);
        return (await call(url, 'POST', classes('GameScore'), client, seedDoc(i))).objectId;
      });
      await pool(docCount, concurrency, async (i) => {
        onProgress?.(docCount + i);
        const u = i % users.length;
        const created = await call(url, 'POST', classes('OwnedScore'), asUser(users[u]), ownedBy(users[u], seedDoc(i)));
        ownedIds[u].push(created.objectId);
      });
    },
    requests: {
      create: () => ({
        method: 'POST',
        path: classes('GameScore'),
        headers: { ...client, ...JSON_TYPE },
        body: JSON.stringify(randomDoc()),
      }),
      createOwned: () => {
        const u = pick(users);
        return {
          method: 'POST',
          path: classes('OwnedScore'),
          headers: { ...asUser(u), ...JSON_TYPE },
          body: JSON.stringify(ownedBy(u, randomDoc())),
        };
      },
      list: () => ({ method: 'GET', path: listPath('GameScore', false), headers: client }),
      listCount: () => ({ method: 'GET', path: listPath('GameScore', true), headers: client }),
      get: () => ({ method: 'GET', path: `${classes('GameScore')}/${pick(publicIds)}`, headers: client }),
      update: () => ({
        method: 'PUT',
        path: `${classes('GameScore')}/${pick(publicIds)}`,
        headers: { ...client, ...JSON_TYPE },
        body: JSON.stringify({ score: { __op: 'Increment', amount: 1 } }),
      }),
      listOwned: () => ({ method: 'GET', path: listPath('OwnedScore', false), headers: asUser(pick(users)) }),
      getOwned: () => {
        const u = Math.floor(Math.random() * users.length);
        return { method: 'GET', path: `${classes('OwnedScore')}/${pick(ownedIds[u])}`, headers: asUser(users[u]) };
      },
    },
  };
}
