import { Buffer } from 'node:buffer';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHearth, type LiveHearth } from '../../test-kit/hearth.js';
import { createReceiver } from '../receiver.mjs';
import { createWebhook } from '../setup.mjs';

/**
 * A real Hearth delivers a signed webhook to the example receiver; the same delivery tampered
 * with, replayed, replayed after the tolerance, or unsigned does not get processed.
 */
interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
}
type HearthEvent = { id: string; type: string; data: { collection: string; document: { title: string } } };

const listen = (server: Server, port = 0) =>
  new Promise<string>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)),
  );
/** A port nobody listens on now (the webhook's URL must be known before its secret is). */
const freePort = async () => {
  const probe = createServer();
  await listen(probe);
  const { port } = probe.address() as AddressInfo;
  await close(probe);
  return port;
};
const close = (server: Server | undefined) => new Promise((resolve) => (server ? server.close(resolve) : resolve(0)));

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('examples/webhook-receiver against a live Hearth', () => {
  let hearth: LiveHearth;
  let receiver: Server;
  let late: Server | undefined;
  let receiverUrl: string;
  let webhook: { id: string; secret: string };
  const events: HearthEvent[] = [];
  const captured: Captured[] = [];

  beforeAll(async () => {
    // Hearth refuses loopback receivers unless opened explicitly (SSRF guard, docs/webhooks.md).
    hearth = await startHearth({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' });
    const port = await freePort();
    webhook = (await createWebhook({
      hearthUrl: hearth.url,
      adminToken: hearth.adminToken,
      app: hearth.app.id,
      receiverUrl: `http://127.0.0.1:${port}/`,
      events: ['documents.create:todos'],
    })) as typeof webhook;
    receiver = createReceiver({ secret: webhook.secret, onEvent: (e: HearthEvent) => events.push(e) });
    // Keep a copy of every request as it arrived, to send it again below.
    receiver.prependListener('request', (req) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => captured.push({ headers: req.headers, body: Buffer.concat(chunks) }));
    });
    receiverUrl = await listen(receiver, port);
    await hearth.admin('POST', `/v1/admin/apps/${hearth.app.id}/collections`, {
      name: 'todos',
      fields: [{ name: 'title', type: 'string', required: true }],
    });
  });
  afterAll(async () => {
    await close(receiver);
    await close(late);
    await hearth?.stop();
  });

  const send = (headers: IncomingHttpHeaders, body: Buffer | string, to = receiverUrl) =>
    fetch(to, {
      method: 'POST',
      headers: Object.fromEntries(
        ['content-type', 'hearth-event', 'hearth-delivery', 'hearth-attempt', 'hearth-signature']
          .filter((h) => headers[h] !== undefined)
          .map((h) => [h, String(headers[h])]),
      ),
      body,
    });

  it('receives and verifies a delivery Hearth signed', async () => {
    const res = await fetch(`${hearth.url}/v1/apps/${hearth.app.id}/collections/todos/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hearth-key': hearth.app.secretKey },
      body: JSON.stringify({ title: 'Buy milk' }),
    });
    expect(res.status).toBe(201);
    const event = await until('the delivery', () => events[0]);
    expect(event).toMatchObject({
      type: 'documents.create',
      data: { collection: 'todos', document: { title: 'Buy milk' } },
    });
    expect(captured[0]!.headers['hearth-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    // Hearth saw the 2xx: its delivery log says succeeded.
    const log = `/v1/admin/apps/${hearth.app.id}/webhooks/${webhook.id}/deliveries`;
    await until('the delivery to be recorded', async () => {
      const { items } = await hearth.admin<{ items: { status: string }[] }>('GET', log);
      return items[0]?.status === 'succeeded' ? items : undefined;
    });
  });

  it('refuses a tampered body and a missing signature, and processes nothing', async () => {
    const { headers, body } = captured[0]!;
    const tampered = body.toString('utf8').replace('Buy milk', 'Buy gold');
    const res = await send(headers, tampered);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('bad signature');
    const otherSecret = await send(
      { ...headers, 'hearth-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
      body,
    );
    expect(otherSecret.status).toBe(400);
    const unsigned = await send({ ...headers, 'hearth-signature': undefined }, body);
    expect(unsigned.status).toBe(400);
    expect(await unsigned.text()).toBe('missing signature');
    expect(events).toHaveLength(1);
  });

  it('does not process a replayed delivery twice, and refuses one replayed after the tolerance', async () => {
    const { headers, body } = captured[0]!;
    const again = await send(headers, body);
    expect(again.status).toBe(200); // a Hearth retry looks the same: acknowledge it, do not redo it
    expect(await again.text()).toBe('already processed');
    expect(events).toHaveLength(1);

    // The same bytes six minutes later (the receiver's clock moved on): stale.
    late = createReceiver({
      secret: webhook.secret,
      now: () => Date.now() + 6 * 60_000,
      onEvent: () => expect.fail('a stale delivery was processed'),
    });
    const lateUrl = await listen(late);
    const stale = await send(headers, body, lateUrl);
    expect(stale.status).toBe(400);
    expect(await stale.text()).toBe('stale timestamp');
  });

  it('processes a redelivery Hearth sends (a new delivery id, the same event id)', async () => {
    const deliveries = await hearth.admin<{ items: { id: string }[] }>(
      'GET',
      `/v1/admin/apps/${hearth.app.id}/webhooks/${webhook.id}/deliveries`,
    );
    await hearth.admin(
      'POST',
      `/v1/admin/apps/${hearth.app.id}/webhooks/${webhook.id}/deliveries/${deliveries.items[0]!.id}/redeliver`,
    );
    const second = await until('the redelivery', () => events[1]);
    expect(second.id).toBe(events[0]!.id);
    expect(captured.at(-1)!.headers['hearth-delivery']).not.toBe(captured[0]!.headers['hearth-delivery']);
  });
});
