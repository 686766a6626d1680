/**
 * Child process of sigkill.test.ts: opens the SQLite store on argv[2] and writes as fast as it
 * can with several writers in parallel (creates in `burst`, $inc on one counter document, and
 * two-document batches), printing one line per acknowledged write:
 *   create <id>        a create resolved
 *   inc <version>      an $inc on counters/c resolved with this version
 *   batch <id1> <id2>  a batch of two creates resolved
 * It never stops on its own; the test kills it with SIGKILL.
 */
import { openSqliteStore } from '../../src/engines/sqlite/index.js';

const file = process.argv[2];
if (!file) throw new Error('usage: writer.ts <file>');
const store = openSqliteStore({ file });
const app = store.forApp('durable');
const out = (line: string) => process.stdout.write(`${line}\n`);

// a second run on the same file finds the counter already there
if (!(await app.get('counters', 'c'))) await app.create('counters', { id: 'c', data: { n: 0 } });
out('ready');

let i = 0;
const payload = 'x'.repeat(200);
async function creates(): Promise<never> {
  for (;;) {
    const doc = await app.create('burst', { data: { i: i++, payload } });
    out(`create ${doc.id}`);
  }
}
async function incs(): Promise<never> {
  for (;;) {
    const doc = await app.update('counters', 'c', { inc: { n: 1 } });
    out(`inc ${doc.version}`);
  }
}
async function batches(): Promise<never> {
  for (;;) {
    const [a, b] = await app.batch([
      { op: 'create', collection: 'pairs', data: { half: 1 } },
      { op: 'create', collection: 'pairs', data: { half: 2 } },
    ]);
    out(`batch ${a!.id} ${b!.id}`);
  }
}
await Promise.all([creates(), creates(), creates(), incs(), batches()]);
