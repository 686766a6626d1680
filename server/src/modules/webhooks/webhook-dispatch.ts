import type { Logger } from 'pino';
import { isError } from '../../errors.js';
import type { StoredDocument } from '../../ports/document-store.js';
import type { DeliveryLog, StoredDelivery } from './deliveries.js';
import {
  bodyOf,
  documentPayload,
  filePayload,
  patternMatches,
  userPayload,
  type HiddenOf,
  type WebhookEvent,
} from './event-payloads.js';
import type { WebhookDeliveryJob } from './webhook-delivery.job.js';
import { EVENTS_OUTBOX, type WebhookOutbox } from './outbox.js';
import type {
  DocumentEvent,
  DocumentEvents,
  FileEventOf,
  FileEvents,
  UserEventOf,
  UserEvents,
} from './webhooks.deps.js';
import type { StoredWebhook, WebhooksService } from './webhooks.service.js';

/**
 * From the modules' event buses to deliveries: for each event, the app's enabled webhooks whose
 * patterns match get one delivery each (a record in the delivery log and the job of its first
 * attempt). Listeners run after the write committed; the work they start is tracked so `settle()`
 * waits for it (shutdown, tests). A document event whose write committed an outbox record
 * (outbox.ts) carries its `eventId`: its deliveries get ids derived from it (`<event>-<webhook>`,
 * so recording them twice, here and by the sweep that recovers a dead process's records, is
 * harmless), then the record is deleted. Other events (users.*, files.*) are delivered at least
 * once from the moment their delivery is recorded.
 */
export class WebhookDispatcher {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: {
      webhooks: WebhooksService;
      log: DeliveryLog;
      delivery: WebhookDeliveryJob;
      outbox: WebhookOutbox;
      hiddenOf: HiddenOf;
      toClient: (col: { hidden: ReadonlySet<string> }, doc: Readonly<StoredDocument>) => Record<string, unknown>;
      logger: Logger;
    },
  ) {}

  attach(buses: { documents?: DocumentEvents; users?: UserEvents; files?: FileEvents }): void {
    buses.documents?.on('*', (event) => this.trackWork(event.appId, event.type, this.document(event)));
    buses.users?.on('*', (event) => this.trackWork(event.appId, event.type, this.user(event)));
    buses.files?.on('*', (event) => this.trackWork(event.appId, event.type, this.file(event)));
  }

  /** The deliveries of a document event; with an outbox record, idempotent by event id, then the record goes. */
  async document(event: DocumentEvent): Promise<void> {
    const match = { type: event.type, collection: event.collection };
    const payload = async () => {
      const p = await documentPayload(event, { hiddenOf: this.deps.hiddenOf, toClient: this.deps.toClient });
      return event.eventId ? { ...p, id: event.eventId } : p;
    };
    await this.fanOut(event.appId, match, payload, event.eventId !== undefined);
    if (event.eventId) await this.deps.outbox.done(event.appId, event.eventId);
  }

  /** The deliveries of a user event; with an outbox record (auth's user-outbox.ts), idempotent by event id, then the record goes. */
  async user(event: UserEventOf): Promise<void> {
    const payload = async () => {
      const p = userPayload(event);
      return event.eventId ? { ...p, id: event.eventId } : p;
    };
    await this.fanOut(event.appId, { type: event.type }, payload, event.eventId !== undefined);
    if (event.eventId) await this.deps.outbox.done(event.appId, event.eventId, EVENTS_OUTBOX);
  }

  /** The deliveries of a file event; with an outbox record (files' file-outbox.ts), idempotent by event id, then the record goes. */
  async file(event: FileEventOf): Promise<void> {
    const payload = async () => {
      const p = filePayload(event);
      return event.eventId ? { ...p, id: event.eventId } : p;
    };
    await this.fanOut(event.appId, { type: event.type }, payload, event.eventId !== undefined);
    if (event.eventId) await this.deps.outbox.done(event.appId, event.eventId, EVENTS_OUTBOX);
  }

  private trackWork(appId: string, type: string, promise: Promise<void>) {
    const work = promise.catch((err: unknown) =>
      this.deps.logger.error({ err, appId, type }, 'webhooks: recording deliveries failed'),
    );
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async fanOut(
    appId: string,
    match: { type: string; collection?: string },
    payload: () => Promise<WebhookEvent>,
    derivedIds = false,
  ): Promise<void> {
    const hooks = (await this.deps.webhooks.active(appId)).filter((h) =>
      h.events.some((p) => patternMatches(p, match)),
    );
    if (hooks.length === 0) return;
    const event = await payload();
    await Promise.all(
      hooks.map((hook) => (derivedIds ? this.deliverOnce(appId, hook, event) : this.deliverTo(appId, hook, event))),
    );
  }

  /** `deliverTo` with the delivery id `<event>-<webhook>`: a second call finds the first's record. */
  private async deliverOnce(appId: string, hook: Pick<StoredWebhook, 'id'>, event: WebhookEvent): Promise<void> {
    const id = `${event.id}-${hook.id}`;
    try {
      await this.deliverTo(appId, hook, event, undefined, id);
    } catch (e) {
      if (!isError(e, 'conflict')) throw e;
      const d = await this.deps.log.find(appId, id);
      if (d?.status === 'pending') await this.deps.delivery.enqueue(appId, d, 1);
    }
  }

  /** One delivery of an event to one webhook: its record, then its first attempt's job. */
  async deliverTo(
    appId: string,
    hook: Pick<StoredWebhook, 'id'>,
    event: WebhookEvent | { id: string; type: string; body: string },
    redeliveryOf?: string,
    id?: string,
  ): Promise<StoredDelivery> {
    const body = 'body' in event ? event.body : JSON.stringify(bodyOf(event));
    const d = await this.deps.log.create(appId, {
      ...(id ? { id } : {}),
      webhookId: hook.id,
      eventId: event.id,
      event: event.type,
      body,
      redeliveryOf: redeliveryOf ?? null,
    });
    await this.deps.delivery.enqueue(appId, d, 1);
    return d;
  }

  /** Waits for the deliveries that events started to be recorded and queued. */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
