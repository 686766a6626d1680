/**
 * Child process of outbox-crash.test.ts: opens the store (`sqlite <file>` or `mongodb <url>
 * <db>`) and the embedded queue (`<queue file>`), builds the app, and creates one todo through
 * the API with the secret key. A document listener registered after the webhooks module's
 * SIGKILLs this process synchronously when the write's event is emitted: the write committed,
 * its webhook delivery was not recorded yet. Prints `ready` before the write. With a last
 * argument `user` the write is a sign-up, with `file` an upload, and the listener is on those events.
 */
import request from 'supertest';
import { createSqliteQueue } from '../../src/engines/sqlite-queue/index.js';
import type { DocumentStore } from '../../src/ports/document-store.js';
import { buildTestApp } from '../support/harness.js';
import { LOOPBACK_ONLY } from './support.js';

const [engine, target, db, queueFile, appId, secretKey, mode] = process.argv.slice(2) as string[];
let store: DocumentStore;
if (engine === 'sqlite') {
  const { openSqliteStore } = await import('../../src/engines/sqlite/index.js');
  store = openSqliteStore({ file: target! });
} else {
  const { connectMongoStore } = await import('../../src/engines/mongodb/index.js');
  store = await connectMongoStore({ url: target!, dbName: db! });
}
const jobs = createSqliteQueue({ file: queueFile! });
const built = await buildTestApp(store, { jobs, outbound: LOOPBACK_ONLY });
const die = (event: { after: { id: string } | null; eventId?: string }) => {
  process.stdout.write(`committed ${event.after?.id ?? ''} ${event.eventId ?? ''}\n`);
  process.kill(process.pid, 'SIGKILL');
};
const died = (event: { file: { id: string }; eventId?: string }) => die({ after: event.file, eventId: event.eventId });
if (mode === 'user') built.modules.auth.events.on('*', die);
else if (mode === 'file') built.modules.files.events.on('*', died);
else built.modules.collections.events.on('*', die);
process.stdout.write('ready\n');
if (mode === 'user')
  await request(built.app)
    .post(`/v1/apps/${appId}/auth/signup`)
    .set('X-Hearth-Key', secretKey!)
    .send({ email: 'crash@example.com', password: 'a long enough password 1!' });
else if (mode === 'file')
  await request(built.app)
    .post(`/v1/apps/${appId}/files`)
    .set('X-Hearth-Key', secretKey!)
    .attach('file', Buffer.from('survives the crash'), { filename: 'crash.txt', contentType: 'text/plain' });
else
  await request(built.app)
    .post(`/v1/apps/${appId}/collections/todos/documents`)
    .set('X-Hearth-Key', secretKey!)
    .send({ title: 'survives the crash', secretNote: 'never sent' });
process.stdout.write('not killed\n');
