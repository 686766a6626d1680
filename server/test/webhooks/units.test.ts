import { describe, expect, it } from 'vitest';
import { documentPayload, patternMatches } from '../../src/modules/webhooks/event-payloads.js';
import { excerpt } from '../../src/modules/webhooks/deliveries.js';
import { nextTicks } from '../../src/modules/webhooks/schedules.service.js';
import { parseDeliveryPayload, retryDelay } from '../../src/modules/webhooks/webhook-delivery.job.js';
import { signatureHeader, WebhookSecretBox } from '../../src/modules/webhooks/webhook-secrets.js';
import { EVENT_PATTERN } from '../../src/modules/webhooks/webhooks.schema.js';
import { toClientDocument } from '../../src/modules/collections/index.js';
import type { StoredDocument } from '../../src/ports/document-store.js';
import { docExamples } from './doc-examples.js';

describe('webhook pieces', () => {
  it('matches event patterns against events', () => {
    const create = { type: 'documents.create', collection: 'todos' };
    expect(patternMatches('documents.create:todos', create)).toBe(true);
    expect(patternMatches('documents.create:notes', create)).toBe(false);
    expect(patternMatches('documents.*', create)).toBe(true);
    expect(patternMatches('documents.*:todos', create)).toBe(true);
    expect(patternMatches('documents.create', create)).toBe(true);
    expect(patternMatches('documents.update', create)).toBe(false);
    expect(patternMatches('users.*', create)).toBe(false);
    expect(patternMatches('*', create)).toBe(true);
    expect(patternMatches('users.create', { type: 'users.create' })).toBe(true);
    expect(patternMatches('files.delete', { type: 'files.create' })).toBe(false);
    for (const ok of ['*', 'documents.*', 'documents.delete:a_b1', 'users.update', 'files.*']) {
      expect(EVENT_PATTERN.test(ok)).toBe(true);
    }
    for (const bad of ['', 'documents', 'documents.read', 'users.*:x', 'files.update', 'documents.create:1x', '**']) {
      expect(EVENT_PATTERN.test(bad)).toBe(false);
    }
  });

  it('strips hidden fields from document payloads; an unknown collection sends system fields only', async () => {
    const doc = { id: 'd1', createdAt: 't', updatedAt: 't', owner: null, version: 1, title: 'a', secret: 's' };
    const event = {
      type: 'documents.update' as const,
      appId: 'A',
      collection: 'todos',
      before: doc,
      after: { ...doc, version: 2 },
      at: 't',
    };
    const toClient = (col: { hidden: ReadonlySet<string> }, d: Readonly<StoredDocument>) =>
      toClientDocument(col, d, { privileged: false });
    const p = await documentPayload(event, { hiddenOf: async () => new Set(['secret']), toClient });
    expect(p.data.document).toEqual({ id: 'd1', createdAt: 't', updatedAt: 't', owner: null, version: 2, title: 'a' });
    expect(JSON.stringify(p)).not.toContain('"s"');
    const gone = await documentPayload(event, { hiddenOf: async () => null, toClient });
    expect(gone.data.previous).toEqual({ id: 'd1', createdAt: 't', updatedAt: 't', owner: null, version: 1 });
  });

  it('backs off exponentially with jitter, capped', () => {
    const s = { retryBaseMs: 1000, retryMaxDelayMs: 5000 };
    expect(retryDelay(2, s, () => 0)).toBe(500);
    expect(retryDelay(2, s, () => 1)).toBe(1000);
    expect(retryDelay(3, s, () => 1)).toBe(2000);
    expect(retryDelay(4, s, () => 0.5)).toBe(3000);
    expect(retryDelay(10, s, () => 1)).toBe(5000);
  });

  it('reads only version-1 delivery payloads', () => {
    expect(parseDeliveryPayload({ v: 1, appId: 'a', webhookId: 'w', deliveryId: 'd', attempt: 1 })).not.toBeNull();
    expect(parseDeliveryPayload({ v: 2, appId: 'a', webhookId: 'w', deliveryId: 'd', attempt: 1 })).toBeNull();
    expect(parseDeliveryPayload({ v: 1, appId: 'a', webhookId: 'w', deliveryId: 'd', attempt: 0 })).toBeNull();
    expect(parseDeliveryPayload(null)).toBeNull();
  });

  it('seals secrets so they open only for their webhook under the same server secret', () => {
    const box = new WebhookSecretBox('server-secret-0123456789-0123456789');
    const owner = { appId: 'A', webhookId: 'w1' };
    const sealed = box.seal('whsec_x', owner);
    expect(sealed).not.toContain('whsec_x');
    expect(box.open(sealed, owner)).toBe('whsec_x');
    expect(box.open(sealed, { appId: 'A', webhookId: 'w2' })).toBeNull();
    expect(new WebhookSecretBox('another-server-secret-0123456789-01').open(sealed, owner)).toBeNull();
    expect(box.open('v1.garbage', owner)).toBeNull();
  });

  it('cuts excerpts at a byte count without splitting a character', () => {
    expect(excerpt('abc', 10)).toEqual({ body: 'abc', truncated: false });
    expect(excerpt('ééé', 3)).toEqual({ body: 'é', truncated: true });
  });

  it('reads crons in a time zone and refuses bad ones', () => {
    const from = new Date('2026-06-01T00:00:00Z');
    expect(nextTicks('0 9 * * *', 'Europe/Paris', 1, from)[0]!.toISOString()).toBe('2026-06-01T07:00:00.000Z');
    expect(() => nextTicks('0 9 * *', 'UTC', 1, from)).toThrow();
    expect(() => nextTicks('61 * * * *', 'UTC', 1, from)).toThrow();
  });

  it("the documented verification accepts Hearth's signature and refuses tampering and stale timestamps", async () => {
    const { verifyHearthSignature } = await docExamples();
    const now = Date.now();
    const t = Math.floor(now / 1000);
    const body = '{"id":"e1"}';
    const header = signatureHeader('whsec_k', t, body);
    expect(verifyHearthSignature(body, header, 'whsec_k', 300, now)).toBe(true);
    expect(verifyHearthSignature(`${body} `, header, 'whsec_k', 300, now)).toBe(false);
    expect(verifyHearthSignature(body, header, 'whsec_other', 300, now)).toBe(false);
    expect(verifyHearthSignature(body, header, 'whsec_k', 300, now + 301_000)).toBe(false);
    expect(verifyHearthSignature(body, undefined, 'whsec_k', 300, now)).toBe(false);
    expect(verifyHearthSignature(body, 't=abc,v1=00', 'whsec_k', 300, now)).toBe(false);
  });
});
