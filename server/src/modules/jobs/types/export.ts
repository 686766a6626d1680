import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { USER_COLLECTION_PATTERN } from '../../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../../ports/document-store.js';
import { readAll } from '../../../ports/read-all.js';
import type { FilesService } from '../../files/index.js';
import type { JobType } from '../job-types.js';

/**
 * Collection exports (`exports`, payload v1: collection and format): every document of one of the
 * app's collections, as JSON lines or CSV, stored as a private file of the app; the result is the
 * file (`{fileId, rows, size}`), downloadable with the secret key or a signed URL.
 *
 * Safe to run twice: the file id is derived from the job id, so a retried or repeated run
 * replaces the same file. CSV: one column per top-level field seen (a first pass collects them),
 * nested values as JSON, and cells starting with = + - @ prefixed with ' (no formula injection).
 */
export const EXPORT_JOB = 'exports';
export const EXPORT_MAX_ROWS = 1_000_000;

export const exportPayload = z.object({
  collection: z.string().regex(USER_COLLECTION_PATTERN, 'must be a collection name'),
  format: z.enum(['jsonl', 'csv']).default('jsonl'),
});
export type ExportPayload = z.infer<typeof exportPayload>;

export const exportFileId = (jobId: string): string =>
  `export_${createHash('sha256').update(jobId).digest('base64url').slice(0, 24)}`;

export function exportJobType(deps: { store: DocumentStore; files: FilesService }): JobType<ExportPayload> {
  return {
    name: EXPORT_JOB,
    version: 1,
    payload: exportPayload,
    api: true,
    defaults: { attempts: 3, backoff: { type: 'exponential', delay: 10_000 } },
    concurrency: 2,
    run: async (payload, ctx) => {
      const app = deps.store.forApp(ctx.appId);
      const all = () => readAll(app, payload.collection, { max: EXPORT_MAX_ROWS });
      let rows = 0;
      const count = () => {
        rows += 1;
        if (rows % 1000 === 0) void ctx.progress({ rows }).catch(() => undefined);
      };
      let lines: AsyncGenerator<string>;
      if (payload.format === 'csv') {
        const columns = new Set<string>(['id', 'createdAt', 'updatedAt']);
        for await (const doc of all()) for (const k of Object.keys(doc)) columns.add(k);
        lines = csvLines([...columns], all(), count);
      } else {
        lines = jsonLines(all(), count);
      }
      const file = await deps.files.saveGenerated(ctx.appId, {
        id: exportFileId(ctx.jobId),
        name: `${payload.collection}.${payload.format}`,
        type: payload.format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        body: Readable.from(lines),
      });
      await ctx.progress({ rows });
      return { fileId: file.id, rows, size: file.size };
    },
  };
}

async function* jsonLines(docs: AsyncIterable<StoredDocument>, count: () => void): AsyncGenerator<string> {
  for await (const doc of docs) {
    count();
    yield `${JSON.stringify(doc)}\n`;
  }
}

async function* csvLines(
  columns: string[],
  docs: AsyncIterable<StoredDocument>,
  count: () => void,
): AsyncGenerator<string> {
  yield `${columns.map(csvCell).join(',')}\r\n`;
  for await (const doc of docs) {
    count();
    const record = doc as unknown as Record<string, unknown>;
    yield `${columns.map((c) => csvCell(record[c])).join(',')}\r\n`;
  }
}

export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
