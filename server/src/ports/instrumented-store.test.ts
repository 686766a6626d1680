import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { HearthError } from '../errors.js';
import { instrumentStore } from './instrumented-store.js';
import { openSqliteStore } from '../engines/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hearth-instrumented-'));
const inner = openSqliteStore({ file: join(dir, 'hearth.db') });
afterAll(async () => {
  await inner.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One sample's value: `series` is the metric's name, or a histogram's `_count`/`_sum` series. */
async function sample(registry: Registry, series: string, labels: Record<string, string>): Promise<number> {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values as Array<{ value: number; labels: Record<string, unknown>; metricName?: string }>) {
      if ((v.metricName ?? metric.name) === series && Object.entries(labels).every(([k, x]) => v.labels[k] === x))
        return v.value;
    }
  }
  return 0;
}

describe('instrumentStore', () => {
  it('passes results and errors through unchanged, timing each call by operation', async () => {
    const registry = new Registry();
    const store = instrumentStore(inner, registry);
    expect(store.engine).toBe('sqlite');
    const app = store.forApp('instr1');
    expect(app.appId).toBe('instr1');
    const doc = await app.create('notes', { data: { title: 'a' } });
    expect(await app.get('notes', doc.id)).toEqual(doc);
    const error = await app.update('notes', 'missing', { set: { title: 'b' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HearthError);
    expect((error as HearthError).code).toBe('not_found');
    const count = (operation: string) =>
      sample(registry, 'hearth_store_operation_seconds_count', { engine: 'sqlite', operation });
    expect(await count('create')).toBe(1);
    expect(await count('get')).toBe(1);
    expect(await count('update')).toBe(1);
    expect(
      await sample(registry, 'hearth_store_operation_errors_total', { operation: 'update', code: 'not_found' }),
    ).toBe(1);
    expect(await sample(registry, 'hearth_store_operation_errors_total', { operation: 'create' })).toBe(0);
  });

  it('calls the wrapped store at call time (a replaced ping is used)', async () => {
    const store = instrumentStore(inner, new Registry());
    const original = inner.ping.bind(inner);
    inner.ping = () => Promise.reject(new HearthError('unavailable'));
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      inner.ping = original;
    }
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
