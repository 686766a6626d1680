import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  startHarness,
  tempJobQueue,
  withAdminAndApp,
  type EngineName,
  type Harness,
  type HarnessOptions,
} from '../support/harness.js';

/**
 * Webhook test kit: a real receiver (node:http on 127.0.0.1) whose answer each test programs,
 * and a harness whose outbound policy allows loopback (only) with short delivery timings.
 */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Responder = (req: ReceivedRequest, res: ServerResponse, n: number) => void;

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** What the next requests get (default 204). */
  respond(fn: Responder): void;
  close(): Promise<void>;
}

export async function startReceiver(server?: Server): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  let responder: Responder = (_req, res) => res.writeHead(204).end();
  const srv =
    server ??
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        received.push(r);
        responder(r, res, received.length);
      });
    });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    received,
    respond: (fn) => {
      responder = fn;
    },
    close: async () => {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    },
  };
}

export const LOOPBACK_ONLY = { allowPrivate: false, allowCidrs: ['127.0.0.0/8'] };

/** Fast timings: 1 s timeout, retries after ~50-100 ms, a 3 s retry window. */
export const FAST_DELIVERY = {
  timeoutMs: 1000,
  retryBaseMs: 100,
  retryMaxDelayMs: 400,
  retryWindowMs: 3000,
  disableAfterMs: 60_000,
};

export interface WebhookWorld {
  h: Harness;
  adminToken: string;
  appId: string;
  secretKey: string;
  auth: { Authorization: string };
  base: string;
  /** Stops the queue's workers (letting running deliveries finish), then the store. */
  close(): Promise<void>;
}

export async function startWebhookWorld(engine: EngineName, options: HarnessOptions = {}): Promise<WebhookWorld> {
  const jobs = options.jobs ?? tempJobQueue({ idlePollMs: 50 });
  const h = await startHarness(engine, {
    jobs,
    outbound: LOOPBACK_ONLY,
    webhookDelivery: FAST_DELIVERY,
    scheduleMinIntervalMs: 1000,
    ...options,
  });
  const { adminToken, appId, secretKey } = await withAdminAndApp(h);
  return {
    h,
    adminToken,
    appId,
    secretKey,
    auth: { Authorization: `Bearer ${adminToken}` },
    base: `/v1/admin/apps/${appId}`,
    close: async () => {
      await jobs.close();
      await h.close();
    },
  };
}

/** A collection `todos` with a hidden field `secretNote`, public rules. */
export async function createTodos(w: WebhookWorld): Promise<void> {
  await w.h.http
    .post(`${w.base}/collections`)
    .set(w.auth)
    .send({
      name: 'todos',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'secretNote', type: 'string', hidden: true },
      ],
      rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
    })
    .expect(201);
}

export async function createWebhook(
  w: WebhookWorld,
  body: Record<string, unknown>,
): Promise<{ id: string; secret: string }> {
  const res = await w.h.http.post(`${w.base}/webhooks`).set(w.auth).send(body);
  if (res.status !== 201) throw new Error(`webhook create: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, secret: res.body.secret as string };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 8000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function deliveries(w: WebhookWorld, webhookId: string): Promise<Array<Record<string, unknown>>> {
  const res = await w.h.http.get(`${w.base}/webhooks/${webhookId}/deliveries`).set(w.auth).expect(200);
  return res.body.items as Array<Record<string, unknown>>;
}
