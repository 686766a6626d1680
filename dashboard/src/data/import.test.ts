import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { FieldDef } from '../api/types';
import { CHUNK, errorReport, importRows, parseCsv, parseFile, parseJson, type ImportRow } from './import';

const fields: FieldDef[] = [
  { name: 'title', type: 'string' },
  { name: 'n', type: 'integer' },
  { name: 'done', type: 'boolean' },
  { name: 'meta', type: 'json' },
];

describe('parsing an import file', () => {
  it('reads CSV by the fields’ types, leaves out empty cells and system columns, reports bad cells by row', () => {
    const csv = 'id,title,n,done,meta\nx1,"a, quoted",3,true,"{""k"":1}"\nx2,b,,false,\nx3,c,many,true,\n';
    const p = parseCsv(csv, fields);
    expect(p.rows).toEqual([
      { row: 1, data: { title: 'a, quoted', n: 3, done: true, meta: { k: 1 } } },
      { row: 2, data: { title: 'b', done: false } },
    ]);
    expect(p.errors).toEqual([{ row: 3, message: 'n: "many" is not a number' }]);
    expect(p.columns).toEqual(['id', 'title', 'n', 'done', 'meta']);
  });

  it('reads a JSON array and NDJSON, reporting lines that are not objects', () => {
    expect(parseJson('[{"title":"a","id":"x"},{"title":"b"},3]')).toMatchObject({
      rows: [
        { row: 1, data: { title: 'a' } },
        { row: 2, data: { title: 'b' } },
      ],
      errors: [{ row: 3, message: 'not a JSON object' }],
    });
    const nd = parseJson('{"title":"a"}\n\n{oops\n{"title":"c"}\n');
    expect(nd.rows.map((r) => r.row)).toEqual([1, 4]);
    expect(nd.errors).toEqual([{ row: 3, message: 'not valid JSON' }]);
    expect(parseJson('[{"a":').errors[0]!.message).toMatch(/not valid JSON/);
  });

  it('picks the parser by name, then by content', () => {
    expect(parseFile('x.ndjson', '{"title":"a"}', fields).rows).toHaveLength(1);
    expect(parseFile('x.csv', 'title\na\nb', fields).rows).toHaveLength(2);
    expect(parseFile('pasted', '[{"title":"a"}]', fields).rows).toHaveLength(1);
  });
});

describe('sending rows in chunks', () => {
  const rows = (n: number): ImportRow[] =>
    Array.from({ length: n }, (_, i) => ({ row: i + 1, data: { title: `t${i}` } }));

  it('sends chunks of 100, reports a refused row and imports the rest of its chunk', async () => {
    const keys: string[] = [];
    const sizes: number[] = [];
    const result = await importRows({
      collection: 'todos',
      rows: rows(250),
      runId: 'r',
      onProgress: () => undefined,
      send: async (ops, key) => {
        keys.push(key);
        sizes.push(ops.length);
        const bad = (ops as Array<{ data: { title: string } }>).findIndex((o) => o.data.title === 't142');
        if (bad >= 0) throw new ApiError(400, 'validation_failed', `ops.${bad}: title is taken`, { index: bad });
      },
    });
    expect(sizes).toEqual([CHUNK, CHUNK, CHUNK - 1, 50]);
    expect(keys).toEqual(['import-r-0-0', 'import-r-1-0', 'import-r-1-1', 'import-r-2-0']);
    expect(result).toEqual({ done: 250, imported: 249, errors: [{ row: 143, message: 'title is taken' }] });
  });

  it('retries a lost response with the same key, and gives up on a chunk after repeated failures', async () => {
    const keys: string[] = [];
    let calls = 0;
    const result = await importRows({
      collection: 'todos',
      rows: rows(3),
      runId: 'r',
      onProgress: () => undefined,
      send: async (_ops, key) => {
        keys.push(key);
        if (++calls === 1) throw new TypeError('Failed to fetch');
      },
    });
    expect(keys).toEqual(['import-r-0-0', 'import-r-0-0']);
    expect(result.imported).toBe(3);
    const refused = await importRows({
      collection: 'todos',
      rows: rows(2),
      onProgress: () => undefined,
      send: async () => {
        throw new ApiError(403, 'forbidden', 'No.');
      },
    });
    expect(refused).toEqual({
      done: 2,
      imported: 0,
      errors: [
        { row: 1, message: 'No.' },
        { row: 2, message: 'No.' },
      ],
    });
    expect(errorReport(refused.errors)).toBe('row,error\r\n1,No.\r\n2,No.');
  });

  it('stops between chunks when aborted', async () => {
    const ac = new AbortController();
    const result = await importRows({
      collection: 'todos',
      rows: rows(300),
      signal: ac.signal,
      onProgress: () => ac.abort(),
      send: async () => undefined,
    });
    expect(result.done).toBe(CHUNK);
  });
});
