/**
 * HTTP benchmark of the document API, on each engine: create, get by id, filtered list (an
 * indexed equality + sort + limit 20 with a read rule ANDed in). A real server on a loopback port,
 * driven by keep-alive HTTP clients at a fixed concurrency; prints one table.
 *
 *   cd server && npx tsx ../bench/http-documents.ts [--docs 5000] [--ops 5000] [--concurrency 16] [--engines sqlite,mongodb]
 *
 * MongoDB: uses MONGODB_URL when set, else starts the MongoDB-wire test server (jongodb).
 */
import { arg, measure, runAndPrint, startBenchServer, type Result } from './lib/http-bench.js';

const DOCS = Number(arg('docs', '5000'));
const OPS = Number(arg('ops', '5000'));

async function benchEngine(engine: string): Promise<Result[]> {
  const server = await startBenchServer(engine);
  try {
    const { admin, appId, pk } = await server.adminAndApp();
    const col = await server.call('POST', `/v1/admin/apps/${appId}/collections`, admin, {
      name: 'items',
      fields: [
        { name: 'title', type: 'string', required: true },
        { name: 'n', type: 'integer' },
        { name: 'tag', type: 'string' },
        { name: 'visible', type: 'boolean', default: true },
      ],
      indexes: [{ name: 'by_tag_n', fields: ['tag', '-n'] }],
      rules: { create: 'public', get: { visible: true }, list: { visible: true }, update: null, delete: null },
    });
    if (col.status !== 201) throw new Error(`collection: ${JSON.stringify(col.body)}`);
    const base = `/v1/apps/${appId}/collections/items/documents`;
    const ids: string[] = [];
    const results: Result[] = [];
    results.push(
      await measure(engine, 'create', DOCS, async (i) => {
        const res = await server.call('POST', base, pk, { title: `item ${i}`, n: i, tag: `t${i % 50}` });
        if (res.status !== 201) throw new Error(`create ${res.status} ${JSON.stringify(res.body)}`);
        ids.push(res.body.id);
      }),
    );
    results.push(
      await measure(engine, 'get by id', OPS, async (i) => {
        const res = await server.call('GET', `${base}/${ids[(i * 7919) % ids.length]}`, pk);
        if (res.status !== 200) throw new Error(`get ${res.status}`);
      }),
    );
    results.push(
      await measure(engine, 'filtered list (20)', OPS, async (i) => {
        const filter = encodeURIComponent(JSON.stringify({ tag: `t${i % 50}` }));
        const res = await server.call('GET', `${base}?filter=${filter}&sort=-n&limit=20`, pk);
        if (res.status !== 200 || res.body.items.length === 0) throw new Error(`list ${res.status}`);
      }),
    );
    return results;
  } finally {
    await server.close();
  }
}

await runAndPrint(`HTTP document API (${DOCS} docs)`, benchEngine);
