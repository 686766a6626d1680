/**
 * Engine-level benchmark of the document store port (no HTTP): on one engine, with N documents,
 * measures insert, point get, an indexed filter + sort + limit 20, and page 500 reached by
 * cursor (and, for contrast, by offset). Prints a table, or JSON lines with --json (what
 * bench/run.mjs reads).
 *
 *   cd server && npx tsx ../bench/store.ts --engine sqlite|mongodb [--docs 100000] [--ops 2000]
 *       [--concurrency 16] [--json]
 *
 * calls/s is measured with --concurrency callers; p50/p99 from further calls made one at a time.
 * MongoDB: uses MONGODB_URL when set, else starts the MongoDB-wire test server (jongodb).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDocumentStore } from '../server/src/engines/compose.js';
import type { FilterNode, SortSpec } from '../server/src/lib/filter/types.js';
import type { AppStore, DocumentStore } from '../server/src/ports/document-store.js';
import { startJongodb, type RunningServer } from '../server/test/servers/jongodb.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const ENGINE = arg('engine', 'sqlite');
const DOCS = Number(arg('docs', '100000'));
const OPS = Number(arg('ops', '2000'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const JSON_OUT = process.argv.includes('--json');
const PAGE = 20;
const DEEP_PAGE = 500;
const TAGS = 100;

export interface Result {
  engine: string;
  op: string;
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
  note?: string;
}

const log = (message: string) => {
  if (!JSON_OUT) process.stderr.write(`${message}\n`);
};

interface Timing {
  perSecond: number;
  /** Sorted per-call latencies in ms. */
  latencies: number[];
}

/** Runs `run(i)` for i in 0..n-1 with `concurrency` callers. */
async function time(n: number, run: (i: number) => Promise<void>, concurrency: number, offset = 0): Promise<Timing> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = offset + next++;
        const t = performance.now();
        await run(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: n / seconds, latencies: latencies.sort((a, b) => a - b) };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/**
 * Throughput with CONCURRENCY callers over `n` calls, latency percentiles from `sequential`
 * further calls made one at a time (with concurrent callers, an embedded engine's latency would
 * mostly be time spent queued behind the others). `warmup` calls first are not measured.
 */
async function measure(
  op: string,
  n: number,
  sequential: number,
  run: (i: number) => Promise<void>,
  warmup = 0,
): Promise<Result> {
  if (warmup > 0) await time(warmup, run, 1);
  const started = performance.now();
  const concurrent = n > 0 ? await time(n, run, CONCURRENCY) : null;
  const alone = await time(sequential, run, 1, n);
  log(`  ${op}: ${n} + ${sequential} calls in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    engine: ENGINE,
    op,
    n: n + sequential,
    perSecond: (concurrent ?? alone).perSecond,
    p50: pct(alone.latencies, 0.5),
    p99: pct(alone.latencies, 0.99),
  };
}

async function open(): Promise<{ store: DocumentStore; cleanup: () => Promise<void> }> {
  if (ENGINE === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-store-'));
    const store = await openDocumentStore({ dataDir: dir, mongodbDb: 'unused' });
    return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (ENGINE !== 'mongodb') throw new Error(`unknown engine ${ENGINE}`);
  const external = process.env.MONGODB_URL;
  const server: RunningServer | null = external ? null : await startJongodb();
  const dbName = `bench_store_${Date.now()}`;
  const store = await openDocumentStore({
    dataDir: tmpdir(),
    mongodbUrl: external ?? server!.url,
    mongodbDb: dbName,
  });
  return {
    store,
    cleanup: async () => {
      await server?.stop();
    },
  };
}

async function bench(app: AppStore): Promise<Result[]> {
  const results: Result[] = [];
  const col = 'items';
  await app.ensureIndex(col, {
    kind: 'regular',
    name: 'by_tag_score',
    fields: [
      { path: 'tag', dir: 1 },
      { path: 'score', dir: -1 },
    ],
  });
  await app.ensureIndex(col, { kind: 'regular', name: 'by_n', fields: [{ path: 'n', dir: 1 }] });

  const ids: string[] = [];
  const sequentialInserts = Math.min(1000, Math.ceil(DOCS / 10));
  results.push(
    await measure('insert', DOCS - sequentialInserts, sequentialInserts, async (i) => {
      const doc = await app.create(col, {
        data: {
          title: `item ${i}`,
          n: i,
          tag: `t${i % TAGS}`,
          score: (i * 7919) % 1000,
          done: i % 3 === 0,
          meta: { source: 'bench', words: ['alpha', 'beta', `w${i % 17}`] },
        },
      });
      ids[i] = doc.id;
    }),
  );

  results.push(
    await measure(
      'point get',
      OPS,
      OPS / 2,
      async (i) => {
        const doc = await app.get(col, ids[(i * 7919) % DOCS]!);
        if (!doc) throw new Error('missing document');
      },
      100,
    ),
  );

  const byTag: SortSpec = [{ path: 'score', dir: -1 }];
  results.push(
    await measure(
      'filter + sort + limit 20',
      OPS,
      OPS / 2,
      async (i) => {
        const filter: FilterNode = { op: 'field', path: 'tag', conds: [{ op: 'eq', value: `t${i % TAGS}` }] };
        const page = await app.find(col, { filter, sort: byTag, limit: PAGE });
        if (page.items.length === 0) throw new Error('empty page');
      },
      100,
    ),
  );

  // Page 500 by cursor: walk there once (every page timed), then fetch page 500 again and again.
  const byN: SortSpec = [{ path: 'n', dir: 1 }];
  const pages = Math.min(DEEP_PAGE, Math.floor(DOCS / PAGE));
  let after: string | undefined;
  let cursorBeforeLast: string | undefined;
  const walk = await time(
    pages,
    async (i) => {
      if (i === pages - 1) cursorBeforeLast = after;
      const page = await app.find(col, { sort: byN, limit: PAGE, ...(after ? { after } : {}) });
      after = page.next ?? undefined;
    },
    1,
  );
  results.push({
    engine: ENGINE,
    op: `walk to page ${pages} by cursor`,
    n: pages,
    perSecond: walk.perSecond,
    p50: pct(walk.latencies, 0.5),
    p99: pct(walk.latencies, 0.99),
  });
  results.push(
    await measure(
      'page 1 (same sort)',
      Math.max(20, Math.min(OPS, 500)),
      Math.max(20, Math.min(OPS, 500)) / 2,
      async () => {
        const page = await app.find(col, { sort: byN, limit: PAGE });
        if (page.items[0]?.n !== 0) throw new Error('page 1 is wrong');
      },
      20,
    ),
  );
  const lastFirstN = (pages - 1) * PAGE;
  const repeats = Math.max(20, Math.min(OPS, 500));
  results.push(
    await measure(
      `page ${pages} by cursor`,
      repeats,
      repeats / 2,
      async () => {
        const page = await app.find(col, {
          sort: byN,
          limit: PAGE,
          ...(cursorBeforeLast ? { after: cursorBeforeLast } : {}),
        });
        if (page.items[0]?.n !== lastFirstN) throw new Error(`page ${pages} starts at ${String(page.items[0]?.n)}`);
      },
      20,
    ),
  );
  results.push(
    await measure(
      `page ${pages} by offset`,
      Math.floor(repeats / 5),
      Math.floor(repeats / 10),
      async () => {
        const page = await app.find(col, { sort: byN, limit: PAGE, offset: lastFirstN });
        if (page.items[0]?.n !== lastFirstN) throw new Error('offset page is wrong');
      },
      5,
    ),
  );
  return results;
}

const { store, cleanup } = await open();
let results: Result[];
try {
  log(`store benchmark: ${ENGINE}, ${DOCS} documents, ${OPS} ops, concurrency ${CONCURRENCY}`);
  results = await bench(store.forApp(`bench${Date.now()}`));
} finally {
  await store.close();
  await cleanup();
}
if (JSON_OUT) {
  for (const r of results) console.log(JSON.stringify({ ...r, docs: DOCS, concurrency: CONCURRENCY }));
} else {
  console.log(
    `\nDocument store (port level) — ${ENGINE}, node ${process.version}, ${DOCS} docs, concurrency ${CONCURRENCY}\n`,
  );
  console.log(`| operation | calls | calls/s (${CONCURRENCY} callers) | p50 ms (1 caller) | p99 ms (1 caller) |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.op} | ${r.n} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} |`);
  }
}
