/**
 * Child process of streaming.test.ts: a real Hearth server (SQLite + the disk or S3 file store)
 * on a free 127.0.0.1 port. Prints `listening <port>`; answers `rss` on stdin with the process's
 * peak resident set size in bytes (`rss <n>`), so the test can see what an upload cost.
 *   upload-server.ts <dataDir> disk
 *   upload-server.ts <dataDir> s3 <endpoint> <bucket>
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { createDiskFileStore } from '../../src/engines/disk/index.js';
import { createOutboxMailer } from '../../src/engines/mail/outbox.js';
import { memoryLimiters } from '../../src/engines/memory/limiters.js';
import { createS3FileStore } from '../../src/engines/s3/index.js';
import { createSqliteQueue } from '../../src/engines/sqlite-queue/index.js';
import { createPushProviders } from '../../src/engines/push/index.js';
import { openSqliteStore } from '../../src/engines/sqlite/index.js';

const [dataDir, engine, endpoint, bucket] = process.argv.slice(2);
if (!dataDir || (engine !== 'disk' && engine !== 's3')) throw new Error('usage: upload-server.ts <dir> disk|s3 …');
const store = openSqliteStore({ file: join(dataDir, 'hearth.db') });
const files =
  engine === 'disk'
    ? createDiskFileStore({ root: join(dataDir, 'files') })
    : createS3FileStore({
        bucket: bucket!,
        endpoint: endpoint!,
        region: 'us-east-1',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
      });
const { app } = await buildApp(
  {
    store,
    files,
    mail: createOutboxMailer({ store, from: 'x <x@localhost>' }),
    limits: memoryLimiters,
    jobs: createSqliteQueue({ file: join(dataDir, 'jobs.db') }),
    push: createPushProviders(),
    readiness: [],
    engines: {},
    close: async () => {},
  },
  {
    logger: pino({ level: 'silent' }),
    secret: 'streaming-test-secret-0123456789-0123456789',
    version: '0.0.0-test',
    publicUrl: 'http://127.0.0.1',
    dashboardDir: null,
  },
);
const server = createServer(app);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'rss') process.stdout.write(`rss ${process.resourceUsage().maxRSS * 1024}\n`);
});
