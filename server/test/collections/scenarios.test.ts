import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { openScenarioWorld, type ScenarioWorld } from './scenario-fixture.js';
import { ARTICLE_ROWS } from './scenario-rows/articles.js';
import { BOARD_ROWS } from './scenario-rows/boards.js';
import { FIXED_RULE_ROWS } from './scenario-rows/fixed-rules.js';
import { NOTE_ROWS } from './scenario-rows/notes.js';
import { POST_ROWS } from './scenario-rows/posts.js';
import type { Fixture, Row } from './scenario-rows/types.js';

/**
 * The access scenario table (issue 4): method, url, credentials, body → status, body, events.
 * It covers every rule kind — owner-only (the default), public-or-own, team membership with an
 * `@data` guard, roles, secret-only (null), public create, registered-only — for two users, an
 * anonymous user, the public key alone, a secret key, an admin, and another app's keys and user,
 * through list, get, count, create, update, replace, delete, expand, aggregate and batch.
 *
 * Every row starts from the same fixture (what a row changes is put back and checked after it),
 * so a row depends on no other. A row cannot pass vacuously: a missing route, a missing
 * collection or a placeholder that names no document fails it, error rows name their code (and
 * 403s their reason), and success rows check more than the status.
 */
const ROWS: Row[] = [...NOTE_ROWS, ...POST_ROWS, ...BOARD_ROWS, ...ARTICLE_ROWS, ...FIXED_RULE_ROWS];

/** Replaces `{app}`, `{alice}`, `{bob}` and fixture keys; an unknown placeholder is an error. */
function fill(text: string, f: Fixture): string {
  return text.replace(/\{(\w+)\}|%7B(\w+)%7D/g, (_m, plain: string | undefined, encoded: string | undefined) => {
    const key = (plain ?? encoded)!;
    const value = key === 'app' ? f.appId : key === 'alice' || key === 'bob' ? f.users[key].id : f.ids[key];
    if (value === undefined) throw new Error(`the placeholder {${key}} names no fixture document or user`);
    return value;
  });
}

function fillDeep(value: unknown, f: Fixture): unknown {
  if (typeof value === 'string') return fill(value, f);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, f));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, f)]));
  return value;
}

/** The collections a row touches: the one in its url, and those its batch ops name. */
function collectionsOf(row: Row): string[] {
  const inUrl = /\/collections\/([^/?]+)\//.exec(row.url)?.[1];
  const ops = (row.body as { ops?: Array<{ collection: string }> } | undefined)?.ops ?? [];
  return [...(inUrl ? [inUrl] : []), ...ops.map((op) => op.collection)];
}

describe('the scenario table', () => {
  it('names every row once; error rows name their code, 403s their reason; 2xx rows check more than the status', () => {
    const names = ROWS.map((r) => `${r.as}: ${r.name}`);
    expect(new Set(names).size).toBe(names.length);
    for (const row of ROWS) {
      const label = `${row.as}: ${row.name}`;
      if (row.status >= 400) expect(row.code, label).toBeDefined();
      if (row.status === 403) expect(row.reason, label).toBeDefined();
      if (row.status < 300) {
        expect(row.ids !== undefined || row.check !== undefined || (row.events?.length ?? 0) > 0, label).toBe(true);
      }
    }
  });
});

describe.each(ENGINES)('access scenarios [%s]', (engine) => {
  // Each row awaits the world itself, so a world that cannot be built (no auth routes, a failed
  // fixture) fails every row with the reason instead of leaving them skipped.
  let world: Promise<ScenarioWorld>;
  beforeAll(() => {
    world = openScenarioWorld(engine);
    world.catch(() => {}); // reported by each row
  });
  afterAll(async () => {
    await (await world.catch(() => null))?.close();
  });

  for (const row of ROWS) {
    it(`${row.as}: ${row.name}`, async () => {
      const s = await world;
      const { w, fixture: f } = s;
      for (const name of collectionsOf(row)) expect(s.collections, `collection ${name}`).toContain(name);
      const url = fill(row.url, f);
      const before = w.events.length;
      let req = w.h.http[row.method](url).set(s.creds[row.as]);
      if (row.body !== undefined) req = req.send(fillDeep(row.body, f) as object);
      const res = await req;
      const emittedEvents = w.events.slice(before);
      try {
        const error = res.body?.error as { code?: string; message?: string; details?: { reason?: string } } | undefined;
        expect(String(error?.message ?? ''), 'the route must exist').not.toMatch(/^No route/);
        expect(res.status, JSON.stringify(res.body)).toBe(row.status);
        if (row.code) expect(error?.code).toBe(row.code);
        if (row.reason) expect(error?.details?.reason).toBe(row.reason);
        if (row.ids) {
          const got = (res.body.items as Array<{ id: string }>).map(
            (d) => f.keyOf.get(d.id) ?? `(not a fixture: ${d.id})`,
          );
          expect(got.sort()).toEqual([...row.ids].sort());
        }
        row.check?.(res.body, f);
        expect(emittedEvents.map((e) => `${e.type}:${e.collection}`)).toEqual(row.events ?? []);
      } finally {
        await s.restore(emittedEvents);
      }
    });
  }
});
