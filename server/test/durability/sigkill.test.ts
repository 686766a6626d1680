import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/engines/sqlite/index.js';
import type { DocumentStore } from '../../src/ports/document-store.js';

/**
 * A SIGKILL during a write burst loses no acknowledged write (SQLite engine). Twice on the same file (so the second run starts from a killed run's WAL). A child process
 * (writer.ts, run by node with tsx's loader) writes with several concurrent writers and prints each acknowledged
 * write; once enough are acknowledged it is killed with SIGKILL by pid, mid-burst. Reopening the
 * file must show every acknowledged create and batch (both halves), the counter at least at its
 * last acknowledged version, and no half batch.
 */
const here = dirname(fileURLToPath(import.meta.url));
const serverDir = join(here, '../..');

interface Acks {
  creates: string[];
  incVersions: number[];
  batches: Array<[string, string]>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runAndKill(file: string, killAfter: number): Promise<{ acks: Acks; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    // node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a grandchild,
    // which a SIGKILL to the CLI's pid would leave running
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'writer.ts'), file], {
      cwd: serverDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Acks = { creates: [], incVersions: [], batches: [] };
    let buffer = '';
    let stderr = '';
    let total = 0;
    let killed = false;
    const timer = setTimeout(() => {
      if (!killed) child.kill('SIGKILL');
      reject(new Error(`writer did not acknowledge ${killAfter} writes in time:\n${stderr}`));
    }, 60_000);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'create') acks.creates.push(a!);
        else if (kind === 'inc') acks.incVersions.push(Number(a));
        else if (kind === 'batch') acks.batches.push([a!, b!]);
        else continue;
        total++;
      }
      if (!killed && total >= killAfter && child.pid) {
        killed = true;
        process.kill(child.pid, 'SIGKILL');
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // lines the child wrote before dying are acknowledgements too
      for (const line of buffer.split('\n')) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'create' && a) acks.creates.push(a);
        if (kind === 'inc' && a) acks.incVersions.push(Number(a));
        if (kind === 'batch' && a && b) acks.batches.push([a, b]);
      }
      if (!killed) reject(new Error(`writer exited by itself (${code}):\n${stderr}`));
      else if (isAlive(child.pid!)) reject(new Error(`writer ${child.pid} is still running`));
      else resolve({ acks, signal });
    });
  });
}

describe('durability: SIGKILL during a write burst (sqlite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-durability-'));
  let store: DocumentStore | undefined;
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged write (two kill rounds on the same file)', async () => {
    const file = join(dir, 'hearth.db');
    const acks: Acks = { creates: [], incVersions: [], batches: [] };
    for (const round of [1, 2]) {
      const run = await runAndKill(file, 2000);
      expect(run.signal).toBe('SIGKILL');
      console.log(
        `round ${round}, acknowledged before SIGKILL: ${run.acks.creates.length} creates, ${run.acks.incVersions.length} $inc, ${run.acks.batches.length} batches`,
      );
      acks.creates.push(...run.acks.creates);
      acks.incVersions.push(...run.acks.incVersions);
      acks.batches.push(...run.acks.batches);
    }
    expect(acks.creates.length).toBeGreaterThan(500);
    expect(acks.incVersions.length).toBeGreaterThan(50);
    expect(acks.batches.length).toBeGreaterThan(50);

    store = openSqliteStore({ file });
    const app = store.forApp('durable');
    const missing: string[] = [];
    for (const id of acks.creates) if (!(await app.get('burst', id))) missing.push(id);
    expect(missing, `${missing.length} of ${acks.creates.length} acknowledged creates lost`).toEqual([]);

    for (const [a, b] of acks.batches) {
      expect(await app.get('pairs', a)).toMatchObject({ half: 1 });
      expect(await app.get('pairs', b)).toMatchObject({ half: 2 });
    }
    // all-or-nothing survives the kill: halves come in pairs
    const halves = await app.aggregate('pairs', [
      { stage: 'group', by: ['half'], accumulators: { n: { op: 'count' } } },
    ]);
    const n1 = halves.find((r) => r.half === 1)?.n;
    expect(halves.find((r) => r.half === 2)?.n).toBe(n1);

    const counter = await app.get('counters', 'c');
    const lastAck = Math.max(...acks.incVersions);
    expect(counter!.version).toBeGreaterThanOrEqual(lastAck);
    expect(counter!.n).toBe(counter!.version - 1);

    // the reopened store takes writes
    await app.create('burst', { data: { after: true } });
    expect(await app.count('burst')).toBeGreaterThanOrEqual(acks.creates.length + 1);
  }, 120_000);
});
