import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { FileStore } from '../../ports/file-store.js';
import { readAll } from '../../ports/read-all.js';
import {
  EXCLUDED_COLLECTIONS,
  FORMAT,
  FORMAT_VERSION,
  PART_DOCUMENTS,
  partName,
  type AppEntry,
  type ArchiveCounts,
  type Manifest,
} from './format.js';

export interface BackupProgress {
  phase: 'documents' | 'files' | 'done';
  done: number;
  total: number;
}

export interface ArchiveSource {
  store: DocumentStore;
  files: FileStore;
  appId: string;
  app: AppEntry;
  /** The app's schema documents from the system store, as stored. */
  schemas: StoredDocument[];
  hearthVersion: string;
  now: () => Date;
  progress(p: BackupProgress): void;
}

/**
 * Writes the app's archive (format.ts) into `sink` as one gzip stream, entry by entry: documents
 * page by page (PART_DOCUMENTS a part, so memory stays bounded), file bytes streamed from the
 * file store. Resolves once the sink has stored all of it.
 */
export async function writeArchive<T>(
  source: ArchiveSource,
  sink: (body: Readable) => Promise<T>,
): Promise<{ manifest: Manifest; counts: ArchiveCounts; stored: T }> {
  const excluded = new Set<string>(EXCLUDED_COLLECTIONS);
  const app = source.store.forApp(source.appId);
  const collections = (await app.listCollections()).filter((c) => !excluded.has(c));
  const objects: Array<{ key: string; size: number }> = [];
  for await (const o of source.files.list(`${source.appId}/`)) objects.push({ key: o.key, size: o.size });
  objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let total = objects.length;
  for (const c of collections) total += await app.count(c, { mode: 'estimated' });

  const manifest: Manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    createdAt: source.now().toISOString(),
    hearthVersion: source.hearthVersion,
    source: {
      appId: source.appId,
      name: source.app.name,
      storeEngine: source.store.engine,
      fileEngine: source.files.engine,
    },
    excluded: [...EXCLUDED_COLLECTIONS],
  };
  const counts: ArchiveCounts = { collections: [], files: { count: 0, bytes: 0 }, schemas: source.schemas.length };

  const pack = tar.pack();
  const gzip = createGzip();
  pack.pipe(gzip);
  pack.on('error', (e: Error) => gzip.destroy(e));
  let done = 0;
  const step = (phase: BackupProgress['phase']) => {
    done += 1;
    if (done % 500 === 0) source.progress({ phase, done, total: Math.max(total, done) });
  };

  const addJson = (name: string, text: string) => addBuffer(pack, name, Buffer.from(text, 'utf8'));
  const produce = async () => {
    await addJson('manifest.json', JSON.stringify(manifest));
    await addJson('app.json', JSON.stringify(source.app));
    await addJson('schemas.ndjson', source.schemas.map((d) => `${JSON.stringify(d)}\n`).join(''));
    for (const collection of collections) {
      await addJson(`collections/${collection}/indexes.json`, JSON.stringify(await app.listIndexes(collection)));
      let part = 0;
      let lines: string[] = [];
      let documents = 0;
      const flush = async () => {
        part += 1;
        await addJson(partName(collection, part), lines.join(''));
        lines = [];
      };
      for await (const doc of readAll(app, collection, { max: Number.POSITIVE_INFINITY })) {
        lines.push(`${JSON.stringify(doc)}\n`);
        documents += 1;
        step('documents');
        if (lines.length >= PART_DOCUMENTS) await flush();
      }
      if (lines.length > 0) await flush();
      counts.collections.push({ name: collection, documents });
    }
    for (const o of objects) {
      const stat = await source.files.stat(o.key);
      if (!stat) continue; // removed since it was listed
      const body = await source.files.read(o.key);
      await addStream(pack, `files/${o.key.slice(source.appId.length + 1)}`, stat.size, body);
      counts.files.count += 1;
      counts.files.bytes += stat.size;
      step('files');
    }
    await addJson('end.json', JSON.stringify(counts));
    pack.finalize();
  };

  const [stored] = await Promise.all([
    sink(gzip),
    produce().catch((e: unknown) => {
      gzip.destroy(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }),
  ]);
  source.progress({ phase: 'done', done, total: done });
  return { manifest, counts, stored };
}

function addBuffer(pack: tar.Pack, name: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: body.length, mtime: new Date(0) }, body, (err) => (err ? reject(err) : resolve()));
  });
}

async function addStream(pack: tar.Pack, name: string, size: number, body: Readable): Promise<void> {
  let settle!: (err?: Error | null) => void;
  const written = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve());
  });
  const entry = pack.entry({ name, size, mtime: new Date(0) }, (err) => settle(err));
  try {
    for await (const chunk of body) {
      if (!entry.write(chunk as Buffer)) await once(entry as unknown as NodeJS.EventEmitter, 'drain');
    }
  } catch (e) {
    entry.destroy(e as Error);
    throw e;
  }
  entry.end();
  await written;
}
