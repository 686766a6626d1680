import Papa from 'papaparse';
import { ApiError, errorMessage } from '../api/client';
import type { FieldDef } from '../api/types';
import { SYSTEM_COLUMNS } from './Grid';

/**
 * CSV and JSON (an array, or NDJSON: one object a line) import into a collection through the
 * batch API (`POST /v1/apps/:appId/batch`, 100 creates a request, all-or-nothing). A batch the
 * server refuses names the op that failed (`details.index`): that row goes into the error report
 * and the rest of the chunk is sent again, so one bad row never drops its 99 neighbours. Each
 * attempt of a chunk has its own Idempotency-Key, and a retry after a lost response reuses it, so
 * a flaky network never imports a chunk twice.
 */
export const CHUNK = 100;

export interface ImportRow {
  /** 1-based: the CSV line's data row, the array item, or the NDJSON line. */
  row: number;
  data: Record<string, unknown>;
}

export interface RowError {
  row: number;
  message: string;
}

export interface Parsed {
  rows: ImportRow[];
  errors: RowError[];
  columns: string[];
}

const SYSTEM = new Set(SYSTEM_COLUMNS);
const STRUCTURED = new Set(['json', 'array', 'geopoint', 'object']);

/** A CSV cell as the field's type wants it; undefined leaves the field out. */
export function cellValue(text: string, def: FieldDef | undefined): unknown {
  if (text === '') return undefined;
  if (!def) return text;
  if (def.type === 'number' || def.type === 'integer') {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new Error(`${def.name}: "${text}" is not a number`);
    return n;
  }
  if (def.type === 'boolean') {
    const t = text.toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    throw new Error(`${def.name}: "${text}" is not true or false`);
  }
  if (STRUCTURED.has(def.type)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`${def.name}: not valid JSON`);
    }
  }
  return text;
}

const withoutSystem = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !SYSTEM.has(k)));

export function parseCsv(text: string, fields: FieldDef[]): Parsed {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const out = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: 'greedy' });
  // A one-column file has no delimiter to detect: Papa says so and parses it with commas anyway.
  const errors: RowError[] = out.errors
    .filter((e) => e.type !== 'Delimiter')
    .map((e) => ({ row: (e.row ?? 0) + 1, message: e.message }));
  const bad = new Set(errors.map((e) => e.row));
  const rows: ImportRow[] = [];
  out.data.forEach((record, i) => {
    const row = i + 1;
    if (bad.has(row)) return;
    try {
      const data: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(record)) {
        if (SYSTEM.has(k) || k === '') continue;
        const value = cellValue(v ?? '', byName.get(k));
        if (value !== undefined) data[k] = value;
      }
      rows.push({ row, data });
    } catch (e) {
      errors.push({ row, message: (e as Error).message });
    }
  });
  return { rows, errors, columns: out.meta.fields ?? [] };
}

/** A JSON array of objects, or NDJSON (one object per line). */
export function parseJson(text: string): Parsed {
  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const take = (v: unknown, row: number) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) errors.push({ row, message: 'not a JSON object' });
    else rows.push({ row, data: withoutSystem(v as Record<string, unknown>) });
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(trimmed);
    } catch (e) {
      return { rows, errors: [{ row: 0, message: `not valid JSON: ${(e as Error).message}` }], columns: [] };
    }
    (items as unknown[]).forEach((v, i) => take(v, i + 1));
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      try {
        take(JSON.parse(line), i + 1);
      } catch {
        errors.push({ row: i + 1, message: 'not valid JSON' });
      }
    });
  }
  const columns = [...new Set(rows.slice(0, 100).flatMap((r) => Object.keys(r.data)))];
  return { rows, errors, columns };
}

export function parseFile(name: string, text: string, fields: FieldDef[]): Parsed {
  return /\.csv$/i.test(name) || (!/\.(nd)?json$/i.test(name) && !/^\s*[[{]/.test(text))
    ? parseCsv(text, fields)
    : parseJson(text);
}

export interface Progress {
  done: number;
  imported: number;
  errors: RowError[];
}

export type Send = (ops: unknown[], idempotencyKey: string) => Promise<unknown>;

/** The op a refused batch names: `details.index`, or a field path `ops.<n>…` of a schema error. */
function failedOp(e: ApiError): number | undefined {
  if (typeof e.details?.index === 'number') return e.details.index;
  const fields = e.details?.fields as Record<string, unknown> | undefined;
  const m = Object.keys(fields ?? {})
    .map((k) => /^ops\.(\d+)/.exec(k))
    .find(Boolean);
  return m ? Number(m[1]) : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends the rows in chunks; calls onProgress after each; stops between chunks when signal aborts. */
export async function importRows(opts: {
  collection: string;
  rows: ImportRow[];
  send: Send;
  onProgress: (p: Progress) => void;
  signal?: AbortSignal;
  runId?: string;
}): Promise<Progress> {
  const runId = opts.runId ?? crypto.randomUUID();
  const p: Progress = { done: 0, imported: 0, errors: [] };
  for (let start = 0, chunkNo = 0; start < opts.rows.length; start += CHUNK, chunkNo++) {
    if (opts.signal?.aborted) break;
    let chunk = opts.rows.slice(start, start + CHUNK);
    const size = chunk.length;
    for (let attempt = 0, tries = 0; chunk.length > 0;) {
      const ops = chunk.map((r) => ({ op: 'create', collection: opts.collection, data: r.data }));
      try {
        await opts.send(ops, `import-${runId}-${chunkNo}-${attempt}`);
        p.imported += chunk.length;
        break;
      } catch (e) {
        const index = e instanceof ApiError ? failedOp(e) : undefined;
        if (e instanceof ApiError && typeof index === 'number' && chunk[index]) {
          // One row is refused: report it, send the others again (a new body, so a new key).
          p.errors.push({ row: chunk[index].row, message: errorMessage(e).replace(/^ops\.\d+: /, '') });
          chunk = chunk.filter((_, i) => i !== index);
          attempt++;
          continue;
        }
        const retryable =
          !(e instanceof ApiError) || e.status === 429 || e.status >= 500 || e.details?.reason === 'in_progress';
        if (retryable && tries < 4) {
          tries++;
          const after = e instanceof ApiError ? Number(e.details?.retryAfter) : NaN;
          await sleep(Number.isFinite(after) ? after * 1000 : 500 * 2 ** tries);
          continue; // the same body and key: the server answers a repeat from its record
        }
        for (const r of chunk) p.errors.push({ row: r.row, message: e instanceof Error ? e.message : String(e) });
        break;
      }
    }
    p.done += size;
    opts.onProgress({ ...p, errors: [...p.errors] });
  }
  return p;
}

/** The error report as CSV: row, message. */
export const errorReport = (errors: RowError[]): string =>
  Papa.unparse({ fields: ['row', 'error'], data: errors.map((e) => [e.row, e.message]) });
