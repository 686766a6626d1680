import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { FileStore } from '../../ports/file-store.js';
import { outboxOps, type FileOutbox } from './file-outbox.js';
import type { FileEvents } from './files.events.js';
import type { FileView } from './files.schema.js';
import { FILES, toView } from './files.model.js';
import type { QuotaLedger } from './quota.js';

export interface GeneratedInput {
  id: string;
  name: string;
  type: string;
  body: Readable;
}

/**
 * Stores bytes the server made (a collection export) as a private file of the app under a
 * chosen id. The same id again replaces bytes and metadata (a retried job); files.create is
 * emitted the first time only. Counted in the quota ledger (usage), but never refused by the
 * quota: the app asked for the export.
 */
export async function saveGenerated(
  deps: {
    files: FileStore;
    store: DocumentStore;
    quota: QuotaLedger;
    events: FileEvents;
    outbox: FileOutbox | null;
    keyOf: (appId: string, fileId: string) => string;
  },
  appId: string,
  input: GeneratedInput,
): Promise<FileView> {
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const { size } = await deps.files.write(deps.keyOf(appId, input.id), input.body.pipe(hashing), {
    contentType: input.type,
  });
  const app = deps.store.forApp(appId);
  const data = { name: input.name, size, type: input.type, sha256: hash.digest('hex'), public: false };
  const existing = await app.get(FILES, input.id);
  const recorded = existing
    ? { ops: [], eventId: undefined }
    : await outboxOps(deps.outbox, appId, { type: 'files.create', fileId: input.id, before: null });
  const [doc] = (await deps.quota.apply(
    appId,
    [
      existing
        ? { op: 'replace', collection: FILES, id: input.id, data, expectedVersion: existing.version }
        : { op: 'create', collection: FILES, id: input.id, owner: null, data },
      ...recorded.ops,
    ],
    size - (existing ? Number(existing.size) : 0),
  )) as [StoredDocument];
  const view = toView(doc);
  if (!existing)
    deps.events.emit({
      type: 'files.create',
      appId,
      file: view,
      ...(recorded.eventId ? { eventId: recorded.eventId } : {}),
    });
  return view;
}
