import { createServer, request as httpRequest, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PNG } from '../files/support.js';
import { ENGINES } from '../support/harness.js';
import { docExamples } from './doc-examples.js';
import {
  createTodos,
  createWebhook,
  deliveries,
  startReceiver,
  startWebhookWorld,
  waitFor,
  type Receiver,
  type WebhookWorld,
} from './support.js';

/** Re-sends a captured request as is (a replay by someone who saw it on the wire). */
function replay(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe.each(ENGINES)(
  'webhook deliveries (%s)',
  (engine) => {
    let w: WebhookWorld;
    let receiver: Receiver;
    beforeEach(async () => {
      w = await startWebhookWorld(engine);
      receiver = await startReceiver();
      await createTodos(w);
    });
    afterEach(async () => {
      await receiver.close();
      await w.close();
    });
    const addTodo = (data: Record<string, unknown>) =>
      w.h.http.post(`/v1/apps/${w.appId}/collections/todos/documents`).set('X-Hearth-Key', w.secretKey).send(data);

    it('signs deliveries so the documented receiver accepts them, and it refuses a replay', async () => {
      const { receiver: docReceiver } = await docExamples();
      const events: Array<Record<string, unknown>> = [];
      // The secret is known once the webhook exists; until then the server answers 503.
      let handler: RequestListener = (_req, res) => res.writeHead(503).end();
      const server = createServer((req, res) => handler(req, res));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
      const created = await createWebhook(w, { url, events: ['documents.create:todos'] });
      const hook = { secret: created.secret };
      const documented = docReceiver(hook.secret, (e) => events.push(e));
      const wire: Array<Record<string, string>> = [];
      handler = (req, res) => {
        wire.push(req.headers as Record<string, string>);
        documented.emit('request', req, res);
      };
      try {
        await addTodo({ title: 'milk' }).expect(201);
        await waitFor(() => events.length === 1);
        expect(events[0]).toMatchObject({ type: 'documents.create', appId: w.appId, data: { collection: 'todos' } });
        const [d] = await waitFor(async () => {
          const list = await deliveries(w, created.id);
          return list[0]?.status === 'succeeded' ? list : undefined;
        });
        expect(d).toMatchObject({ attempts: 1, response: { statusCode: 204 } });
        const sent = d!.request as { headers: Record<string, string>; body: string };
        expect(sent.headers['hearth-event']).toBe('documents.create');
        expect(sent.headers['hearth-delivery']).toBe(d!.id);
        // A replay of the delivery as captured on the wire (genuine signature, within 5 minutes).
        const captured = { ...wire[0]! };
        delete captured['content-length'];
        delete captured.connection;
        const { signatureHeader } = await import('../../src/modules/webhooks/webhook-secrets.js');
        expect(await replay(url, captured, sent.body)).toBe(200); // recognised as a repeat: not processed
        // One captured an hour ago: its signature is genuine, its timestamp stale.
        const t = Math.floor(Date.now() / 1000);
        const stale = { ...captured, 'hearth-signature': signatureHeader(hook.secret, t - 3600, sent.body) };
        expect(await replay(url, { ...stale, 'hearth-delivery': 'other' }, sent.body)).toBe(400);
        const forged = { ...captured, 'hearth-delivery': 'forged' };
        expect(await replay(url, forged, sent.body.replace('milk', 'beer'))).toBe(400);
        expect(events).toHaveLength(1);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });

    it('never sends hidden fields', async () => {
      const { id } = await createWebhook(w, { url: `${receiver.url}/h`, events: ['documents.*'] });
      const doc = await addTodo({ title: 'milk', secretNote: 'the-hidden-value' }).expect(201);
      await w.h.http
        .patch(`/v1/apps/${w.appId}/collections/todos/documents/${doc.body.id}`)
        .set('X-Hearth-Key', w.secretKey)
        .send({ title: 'oat milk' })
        .expect(200);
      await waitFor(() => receiver.received.length === 2);
      for (const r of receiver.received) expect(r.body).not.toContain('the-hidden-value');
      const update = JSON.parse(receiver.received.find((r) => r.headers['hearth-event'] === 'documents.update')!.body);
      expect(update.data.document).toMatchObject({ id: doc.body.id, title: 'oat milk' });
      expect(update.data.previous).toMatchObject({ title: 'milk' });
      expect(update.data.document).not.toHaveProperty('secretNote');
      const log = await deliveries(w, id);
      expect(JSON.stringify(log)).not.toContain('the-hidden-value');
    });

    it('retries a receiver that answers 500, until it answers 200', async () => {
      receiver.respond((_r, res, n) => res.writeHead(n === 1 ? 500 : 200).end(n === 1 ? 'boom' : 'ok'));
      const { id } = await createWebhook(w, { url: `${receiver.url}/flaky`, events: ['documents.create'] });
      await addTodo({ title: 'x' }).expect(201);
      const [d] = await waitFor(async () => {
        const list = await deliveries(w, id);
        return list[0]?.status === 'succeeded' ? list : undefined;
      });
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[0]!.headers['hearth-delivery']).toBe(receiver.received[1]!.headers['hearth-delivery']);
      expect(receiver.received.map((r) => r.headers['hearth-attempt'])).toEqual(['1', '2']);
      expect(d).toMatchObject({ attempts: 2, response: { statusCode: 200, body: 'ok' } });
      expect(
        (d!.attemptLog as Array<{ outcome: string; statusCode: number }>).map((a) => [a.outcome, a.statusCode]),
      ).toEqual([
        ['http_error', 500],
        ['success', 200],
      ]);
    });

    it('times out a receiver that hangs, and gives up after the retry window', async () => {
      receiver.respond(() => {}); // never answers
      const { id } = await createWebhook(w, { url: `${receiver.url}/hang`, events: ['documents.create'] });
      await addTodo({ title: 'x' }).expect(201);
      const [d] = await waitFor(async () => {
        const list = await deliveries(w, id);
        return list[0]?.status === 'failed' ? list : undefined;
      }, 15_000);
      const log = d!.attemptLog as Array<{ outcome: string; durationMs: number; error: string }>;
      expect(log.length).toBeGreaterThanOrEqual(2);
      for (const a of log) {
        expect(a.outcome).toBe('timeout');
        expect(a.durationMs).toBeGreaterThanOrEqual(900);
      }
      expect(d!.response).toBeNull();
    });

    it('does not follow a redirect to a private address', async () => {
      receiver.respond((_r, res) => res.writeHead(302, { location: 'http://10.0.0.1/admin' }).end());
      const { id } = await createWebhook(w, { url: `${receiver.url}/redirect`, events: ['documents.create'] });
      await addTodo({ title: 'x' }).expect(201);
      const [d] = await waitFor(async () => {
        const list = await deliveries(w, id);
        return (list[0]?.attempts as number) >= 1 ? list : undefined;
      });
      const [first] = d!.attemptLog as Array<{ outcome: string; error: string }>;
      expect(first).toMatchObject({ outcome: 'redirect', error: expect.stringContaining('http://10.0.0.1/admin') });
      expect(receiver.received.every((r) => r.path === '/redirect')).toBe(true);
    });

    it('delivers users and files events, and redelivers by hand with the same event id', async () => {
      const { id } = await createWebhook(w, { url: `${receiver.url}/all`, events: ['users.create', 'files.*'] });
      await w.h.http
        .post(`/v1/apps/${w.appId}/auth/signup`)
        .set('X-Hearth-Key', w.secretKey)
        .send({ email: 'ada@example.com', password: 'correct horse battery' })
        .expect(201);
      await waitFor(() => receiver.received.length === 1);
      const body = JSON.parse(receiver.received[0]!.body);
      expect(body).toMatchObject({
        type: 'users.create',
        data: { user: { email: 'ada@example.com' }, previous: null },
      });
      expect(receiver.received[0]!.body).not.toMatch(/password|hash/i);
      const [d] = await waitFor(async () => {
        const list = await deliveries(w, id);
        return list[0]?.status === 'succeeded' ? list : undefined;
      });
      const again = await w.h.http
        .post(`${w.base}/webhooks/${id}/deliveries/${d!.id}/redeliver`)
        .set(w.auth)
        .expect(202);
      expect(again.body).toMatchObject({ redeliveryOf: d!.id, eventId: d!.eventId, status: 'pending' });
      await waitFor(() => receiver.received.length === 2);
      expect(JSON.parse(receiver.received[1]!.body).id).toBe(body.id);
      expect(receiver.received[1]!.headers['hearth-delivery']).toBe(again.body.id);
      const file = await w.h.http
        .post(`/v1/apps/${w.appId}/files`)
        .set('X-Hearth-Key', w.secretKey)
        .attach('file', PNG, 'dot.png')
        .expect(201);
      await w.h.http.delete(`/v1/apps/${w.appId}/files/${file.body.id}`).set('X-Hearth-Key', w.secretKey).expect(204);
      await waitFor(() => receiver.received.length === 4);
      const fileEvents = receiver.received
        .slice(2)
        .map((r) => JSON.parse(r.body) as { type: string; data: { file: { id: string } } });
      expect(fileEvents.map((e) => e.type).sort()).toEqual(['files.create', 'files.delete']);
      expect(fileEvents.every((e) => e.data.file.id === file.body.id)).toBe(true);
    });
  },
  60_000,
);
