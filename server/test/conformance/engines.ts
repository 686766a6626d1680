import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { DocumentStore } from '../../src/ports/document-store.js';
import { openStore } from '../support/harness.js';

/**
 * The targets every conformance suite runs against:
 * - `sqlite`: the embedded engine on a temp file;
 * - `jongodb`: the MongoDB engine on the MongoDB-wire test server the global setup starts;
 * - `mongod`: the MongoDB engine on a real mongod, only when HEARTH_TEST_MONGODB_URL is set
 *   (its describe block is skipped otherwise, with a title that says so).
 *
 * A case jongodb cannot serve is listed in LIMITATIONS with the reason. It is then skipped on
 * jongodb only, with the reason in its title (so it shows in every report), and still runs on
 * sqlite and on a real mongod. Nothing is dropped silently. HEARTH_CONFORMANCE_VERIFY_LIMITATIONS=1
 * runs them on jongodb expecting failure, to find limitations that no longer hold.
 */
export type TargetName = 'sqlite' | 'jongodb' | 'mongod';

export interface Target {
  name: TargetName;
  engine: 'sqlite' | 'mongodb';
  /** The describe title. */
  title: string;
  /** Skip the whole target (a real mongod without a URL). */
  skip: boolean;
  /** A fresh store; `cleanup` closes it and removes its data. */
  open(): Promise<OpenedStore>;
}

export interface OpenedStore {
  store: DocumentStore;
  cleanup(): Promise<void>;
}

async function openMongod(url: string): Promise<OpenedStore> {
  const dbName = `conf_${newId().replace(/[^A-Za-z0-9]/g, '')}`;
  const { connectMongoStore } = await import('../../src/engines/mongodb/index.js');
  const store = await connectMongoStore({ url, dbName });
  return {
    store,
    cleanup: async () => {
      await store.close();
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db(dbName).dropDatabase();
      } catch (e) {
        // leaving a test database behind is not a conformance failure
        console.warn(`could not drop ${dbName}: ${String(e)}`);
      } finally {
        await client.close();
      }
    },
  };
}

export function targets(): Target[] {
  const realUrl = inject('realMongoUrl');
  return [
    { name: 'sqlite', engine: 'sqlite', title: 'sqlite', skip: false, open: () => openStore('sqlite') },
    {
      name: 'jongodb',
      engine: 'mongodb',
      title: 'mongodb on jongodb (test server)',
      skip: false,
      open: () => openStore('mongodb'),
    },
    {
      name: 'mongod',
      engine: 'mongodb',
      title: realUrl ? 'mongodb on a real mongod' : 'mongodb on a real mongod (set HEARTH_TEST_MONGODB_URL to run)',
      skip: !realUrl,
      open: () => openMongod(realUrl!),
    },
  ];
}

/**
 * Cases a target cannot serve: case id → target → reason. Only the jongodb test server has
 * entries; every case here still runs against sqlite and a real mongod. Keep reasons specific
 * (what jongodb does instead), so a newer jongodb can be checked against them.
 */
const NULL_VS_MISSING = 'jongodb sorts a missing field before null (MongoDB sorts them as equal, ties by id)';

export const LIMITATIONS: Record<string, Partial<Record<TargetName, string>>> = {
  'filter.array-nested-element': {
    jongodb: 'jongodb does not match {a: [1, 2]} against a: [[1, 2]] (an array element)',
  },
  'filter.array-in-nested': {
    jongodb: 'jongodb does not match {a: {$in: [[1, 2]]}} against a: [[1, 2]] (an array element)',
  },
  'filter.array-elemmatch-range': {
    jongodb:
      'jongodb $elemMatch with operator conditions also tests elements that are arrays ([1, 2] matches {$gt: 1, $lt: 3})',
  },
  'sort.null-equals-missing': { jongodb: NULL_VS_MISSING },
  'sort.strings-astral': {
    jongodb: "jongodb compares strings in UTF-16 order ('\uff01' > '😀'), MongoDB in UTF-8 byte order",
  },
  'paging.all-pages-mixed-asc-1': { jongodb: NULL_VS_MISSING },
  'paging.all-pages-mixed-asc-4': { jongodb: NULL_VS_MISSING },
  'paging.all-pages-mixed-asc-7': { jongodb: NULL_VS_MISSING },
};

/** Why `caseId` is skipped on `target`, or undefined when it runs. */
export const limitation = (target: Target, caseId: string): string | undefined => LIMITATIONS[caseId]?.[target.name];

/**
 * HEARTH_CONFORMANCE_VERIFY_LIMITATIONS=1 runs the limited cases too, expecting them to fail:
 * a limitation whose case passes (a newer jongodb, an engine workaround) shows up as a failure.
 */
const VERIFY_LIMITATIONS = Boolean(process.env.HEARTH_CONFORMANCE_VERIFY_LIMITATIONS);

const registered = new Set<string>();

/**
 * Declares one conformance case on a target: `it` with the case id in its title, skipped (with
 * the reason in the title) when the target has a limitation for it.
 */
export function conformanceCase(
  target: Target,
  caseId: string,
  title: string,
  fn: () => Promise<void>,
  timeout?: number,
): void {
  const key = `${target.name}:${caseId}`;
  if (registered.has(key)) throw new Error(`Duplicate conformance case id ${caseId}`);
  registered.add(key);
  const reason = limitation(target, caseId);
  if (reason && VERIFY_LIMITATIONS) {
    // the case must still fail there; once it passes, the limitation is stale
    it.fails(`${caseId}: ${title} [expected to fail on ${target.name}: ${reason}]`, fn, timeout);
    return;
  }
  const name = reason ? `${caseId}: ${title} [skipped on ${target.name}: ${reason}]` : `${caseId}: ${title}`;
  it.skipIf(reason !== undefined)(name, fn, timeout);
}

/**
 * A limitation whose case id no suite declares would hide nothing and rot silently: after a
 * suite has declared its cases, every limitation with one of the suite's id prefixes
 * (`filter.`, `sort.`…) must name one of them.
 */
function checkLimitations(target: Target): void {
  const ids = [...registered]
    .filter((k) => k.startsWith(`${target.name}:`))
    .map((k) => k.slice(target.name.length + 1));
  const prefixes = new Set(ids.map((id) => id.split('.')[0]));
  for (const [caseId, reasons] of Object.entries(LIMITATIONS)) {
    if (reasons[target.name] && prefixes.has(caseId.split('.')[0]) && !ids.includes(caseId)) {
      throw new Error(`LIMITATIONS names ${caseId} for ${target.name}, but no such case exists`);
    }
  }
}

/**
 * Runs `body` once per target inside its own describe block, with one store per target for the
 * whole block (cases isolate themselves with fresh app ids). `store()` returns the open store.
 */
export function forEachTarget(suite: string, body: (target: Target, store: () => DocumentStore) => void): void {
  for (const target of targets()) {
    describe.skipIf(target.skip)(`${suite} [${target.title}]`, () => {
      let opened: OpenedStore | undefined;
      beforeAll(async () => {
        opened = await target.open();
      });
      afterAll(async () => {
        await opened?.cleanup();
      });
      body(target, () => {
        if (!opened) throw new Error('store not open');
        return opened.store;
      });
      checkLimitations(target);
    });
  }
}
