import { describe, expect, it } from 'vitest';
import { KEEP_MS, Traffic } from '../../src/modules/stats/traffic.js';

/** The per-app request counter: windows, slices, what ages out, what an app's removal forgets. */
describe('traffic counter', () => {
  const start = Date.parse('2026-01-01T12:00:00Z');
  const clock = { t: start };
  const traffic = new Traffic(() => new Date(clock.t));

  it('counts requests, client and server errors per app, in the slice they fell in', () => {
    traffic.record('a', 200);
    traffic.record('a', 404);
    clock.t += 30 * 60_000;
    traffic.record('a', 503);
    traffic.record('b', 200);
    const w = traffic.window('a', 3600_000, 12);
    expect(w).toMatchObject({ requests: 3, clientErrors: 1, serverErrors: 1 });
    expect(w.series).toHaveLength(12);
    expect(w.series.reduce((n, s) => n + s.requests, 0)).toBe(3);
    expect(w.series.at(-1)).toMatchObject({ requests: 1, errors: 1 });
    expect(w.series[6]).toMatchObject({ requests: 2, errors: 0 });
    expect(traffic.window('b', 3600_000, 12).requests).toBe(1);
    expect(traffic.window('nobody', 3600_000, 12)).toMatchObject({ requests: 0, clientErrors: 0, serverErrors: 0 });
  });

  it('a narrower window leaves out older requests; a day later they are gone', () => {
    clock.t += 20 * 60_000;
    expect(traffic.window('a', 10 * 60_000, 2).requests).toBe(0);
    expect(traffic.window('a', 3600_000, 12).requests).toBe(3);
    expect(traffic.window('a', 25 * 60_000, 5).requests).toBe(1);
    clock.t += KEEP_MS;
    traffic.record('a', 200);
    expect(traffic.window('a', KEEP_MS * 2, 24).requests).toBe(1);
  });

  it('forgets a removed app', () => {
    traffic.forget('a');
    expect(traffic.window('a', KEEP_MS, 24).requests).toBe(0);
  });
});
