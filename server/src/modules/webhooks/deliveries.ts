import { notFound } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { newId } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { AttemptView, DeliveryView } from './webhooks.schema.js';

/**
 * The delivery log, in the app's own store (`_webhook_deliveries`): one record per (event,
 * webhook), holding the body that is sent on every attempt (so retries and redeliveries send the
 * same bytes), its status, the last request and response (headers and bodies cut to
 * EXCERPT_BYTES) and the last ATTEMPT_LOG attempts.
 */
export const DELIVERIES = '_webhook_deliveries';
export const EXCERPT_BYTES = 2048;
const ATTEMPT_LOG = 20;

export interface StoredDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  /** The JSON body sent, as a string (signed as is). */
  body: string;
  status: DeliveryView['status'];
  attempts: number;
  nextAttemptAt: string | null;
  redeliveryOf: string | null;
  request: DeliveryView['request'];
  response: DeliveryView['response'];
  attemptLog: AttemptView[];
  /** Times the maintenance sweep re-enqueued it while `pending` (maintenance.ts). */
  sweeps: number;
  createdAt: string;
  updatedAt: string;
}

function fromDoc(doc: StoredDocument): StoredDelivery {
  return {
    id: doc.id,
    webhookId: String(doc.webhookId),
    eventId: String(doc.eventId),
    event: String(doc.event),
    body: String(doc.body),
    status: doc.status as StoredDelivery['status'],
    attempts: Number(doc.attempts ?? 0),
    nextAttemptAt: (doc.nextAttemptAt as string | null) ?? null,
    redeliveryOf: (doc.redeliveryOf as string | null) ?? null,
    request: (doc.request as StoredDelivery['request']) ?? { headers: {}, body: '', truncated: false },
    response: (doc.response as StoredDelivery['response']) ?? null,
    attemptLog: (doc.attemptLog as AttemptView[]) ?? [],
    sweeps: Number(doc.sweeps ?? 0),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export function toDeliveryView(d: StoredDelivery): DeliveryView {
  const { body: _body, sweeps: _sweeps, ...rest } = d;
  return rest;
}

/** A string cut to `bytes` UTF-8 bytes (never mid-character). */
export function excerpt(text: string, bytes = EXCERPT_BYTES): { body: string; truncated: boolean } {
  const buf = Buffer.from(text);
  if (buf.length <= bytes) return { body: text, truncated: false };
  return {
    body: buf
      .subarray(0, bytes)
      .toString('utf8')
      .replace(/\uFFFD+$/, ''),
    truncated: true,
  };
}

export class DeliveryLog {
  /** Apps whose index was ensured by this process. */
  private readonly indexed = new Set<string>();

  constructor(private readonly options: { store: DocumentStore }) {}

  private app(appId: string) {
    return this.options.store.forApp(appId);
  }

  forget(appId: string): void {
    this.indexed.delete(appId);
  }

  async init(appId: string): Promise<void> {
    await this.app(appId).ensureIndex(DELIVERIES, {
      kind: 'regular',
      name: 'by_webhook',
      fields: [
        { path: 'webhookId', dir: 1 },
        { path: 'createdAt', dir: -1 },
      ],
    });
    await this.app(appId).ensureIndex(DELIVERIES, {
      kind: 'regular',
      name: 'by_status',
      fields: [
        { path: 'status', dir: 1 },
        { path: 'updatedAt', dir: 1 },
      ],
    });
  }

  /** `pending` deliveries not updated since `before` (ISO time): candidates for the sweep. */
  async stuckPending(appId: string, before: string, limit: number): Promise<StoredDelivery[]> {
    // no ensureIndex here: a sweep never changes an app's indexes (they come with its first delivery)
    const page = await this.app(appId).find(DELIVERIES, {
      filter: where.and(where.eq('status', 'pending'), where.lt('updatedAt', before)),
      sort: [{ path: 'updatedAt', dir: 1 }],
      limit,
    });
    return page.items.map(fromDoc);
  }

  /** The sweep re-enqueued it (counted, and its lease starts again). */
  async markSwept(appId: string, d: StoredDelivery): Promise<void> {
    await this.app(appId).update(DELIVERIES, d.id, { set: { sweeps: d.sweeps + 1 } });
  }

  private async ensureIndexed(appId: string): Promise<void> {
    if (this.indexed.has(appId)) return;
    await this.init(appId);
    this.indexed.add(appId);
  }

  async create(
    appId: string,
    input: {
      /** Chosen here when absent (a job type derives it from its job id, to be safe to run twice). */
      id?: string;
      webhookId: string;
      eventId: string;
      event: string;
      body: string;
      redeliveryOf?: string | null;
    },
  ): Promise<StoredDelivery> {
    await this.ensureIndexed(appId);
    const doc = await this.app(appId).create(DELIVERIES, {
      id: input.id ?? newId(),
      data: {
        webhookId: input.webhookId,
        eventId: input.eventId,
        event: input.event,
        body: input.body,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: null,
        redeliveryOf: input.redeliveryOf ?? null,
        request: { headers: {}, ...excerpt(input.body) },
        response: null,
        attemptLog: [],
      },
    });
    return fromDoc(doc);
  }

  async find(appId: string, id: string): Promise<StoredDelivery | null> {
    const doc = await this.app(appId).get(DELIVERIES, id);
    return doc ? fromDoc(doc) : null;
  }

  async require(appId: string, webhookId: string, id: string): Promise<StoredDelivery> {
    const d = await this.find(appId, id);
    if (!d || d.webhookId !== webhookId) throw notFound('No such delivery.');
    return d;
  }

  async list(
    appId: string,
    webhookId: string,
    query: { limit: number; after?: string | undefined; status?: StoredDelivery['status'] | undefined },
  ): Promise<{ items: StoredDelivery[]; next: string | null }> {
    const filter = query.status
      ? where.and(where.eq('webhookId', webhookId), where.eq('status', query.status))
      : where.eq('webhookId', webhookId);
    const page = await this.app(appId).find(DELIVERIES, {
      filter,
      sort: [{ path: 'createdAt', dir: -1 }],
      limit: query.limit,
      ...(query.after ? { after: query.after } : {}),
    });
    return { items: page.items.map(fromDoc), next: page.next };
  }

  /** Records one attempt: the request and response excerpts, the status, the attempt log. */
  async recordAttempt(
    appId: string,
    d: StoredDelivery,
    attempt: {
      entry: AttemptView;
      status: StoredDelivery['status'];
      nextAttemptAt: string | null;
      requestHeaders: Record<string, string>;
      response: StoredDelivery['response'];
    },
  ): Promise<StoredDelivery> {
    const log = [...d.attemptLog, attempt.entry].slice(-ATTEMPT_LOG);
    const doc = await this.app(appId).update(DELIVERIES, d.id, {
      set: {
        status: attempt.status,
        attempts: Math.max(d.attempts, attempt.entry.attempt),
        nextAttemptAt: attempt.nextAttemptAt,
        // The body excerpt was written with the record; only the headers change per attempt.
        'request.headers': attempt.requestHeaders,
        response: attempt.response as unknown as JsonValue,
        attemptLog: log as unknown as JsonValue,
      },
    });
    return fromDoc(doc);
  }

  async markFailed(appId: string, d: StoredDelivery, error: string, at: string): Promise<void> {
    const entry: AttemptView = {
      at,
      attempt: d.attempts,
      outcome: 'skipped',
      statusCode: null,
      durationMs: 0,
      error,
    };
    await this.app(appId).update(DELIVERIES, d.id, {
      set: {
        status: 'failed',
        nextAttemptAt: null,
        attemptLog: [...d.attemptLog, entry].slice(-ATTEMPT_LOG) as unknown as JsonValue,
      },
    });
  }
}
