import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import request from 'supertest';
import { answerClientErrors, buildApp } from '../../src/app.js';
import type { LimiterFactory } from '../../src/ports/rate-limits.js';
import { openStore, TEST_SECRET, testPorts, type EngineName } from '../support/harness.js';
import { StoreRecorder } from './recording-store.js';
import type { Agent } from './world.js';

/**
 * The server the fuzzer talks to: the real app on a real engine (as the test harness builds it),
 * listening on 127.0.0.1, with two test-side decorations:
 * - the document store goes through a StoreRecorder (what a request changed);
 * - the rate limiters are in memory and can be reset, so every operation's run starts with fresh
 *   counts (limits still apply within one operation's cases, and 429 is a table answer).
 */
export interface FuzzServer {
  http: Agent;
  recorder: StoreRecorder;
  resetLimits(): void;
  /** Waits until the app's background work (mail sent after the reply) and every store call are done. */
  quiesce(): Promise<void>;
  /** The live /openapi.json. */
  openapi(): Promise<unknown>;
  close(): Promise<void>;
}

function resettableLimiters(): { factory: LimiterFactory; reset(): void } {
  let generation = 0;
  const factory: LimiterFactory = (options) => {
    let current: RateLimiterAbstract | undefined;
    let born = -1;
    const live = () => {
      if (born !== generation) {
        current = new RateLimiterMemory(options);
        born = generation;
      }
      return current!;
    };
    return new Proxy({} as RateLimiterAbstract, {
      get(_target, prop) {
        const limiter = live();
        const v = (limiter as unknown as Record<PropertyKey, unknown>)[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(limiter) : v;
      },
    });
  };
  return { factory, reset: () => void generation++ };
}

export async function startFuzzServer(engine: EngineName): Promise<FuzzServer> {
  const { store, cleanup } = await openStore(engine);
  const recorder = new StoreRecorder(store);
  const limits = resettableLimiters();
  const ports = { ...testPorts(recorder.store), limits: limits.factory };
  const { app, settle } = await buildApp(ports, {
    logger: pino({ level: 'silent' }),
    secret: TEST_SECRET,
    version: '0.0.0-fuzz',
    publicUrl: 'http://localhost:0',
    dashboardDir: null,
  });
  const server: Server = createServer(app);
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const http = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    http,
    recorder,
    resetLimits: limits.reset,
    quiesce: async () => {
      await settle();
      await recorder.idle();
    },
    openapi: async () => {
      const res = await http.get('/openapi.json');
      if (res.status !== 200) throw new Error(`fuzzer: /openapi.json answered ${res.status}`);
      return res.body as unknown;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await recorder.idle();
      await cleanup();
    },
  };
}
