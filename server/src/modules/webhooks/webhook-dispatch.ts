import type { Logger } from 'pino';
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
import type { DocumentEvents, FileEvents, UserEvents } from './webhooks.deps.js';
import type { StoredWebhook, WebhooksService } from './webhooks.service.js';

/**
 * From the modules' event buses to deliveries: for each event, the app's enabled webhooks whose
 * patterns match get one delivery each (a record in the delivery log and the job of its first
 * attempt). Listeners run after the write committed; the work they start is tracked so `settle()`
 * waits for it (shutdown, tests). An event is delivered at least once from the moment its
 * delivery is recorded; a process that dies between the commit and that record loses it (there
 * is no outbox in the write path).
 */
export class WebhookDispatcher {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: {
      webhooks: WebhooksService;
      log: DeliveryLog;
      delivery: WebhookDeliveryJob;
      hiddenOf: HiddenOf;
      toClient: (col: { hidden: ReadonlySet<string> }, doc: Readonly<StoredDocument>) => Record<string, unknown>;
      logger: Logger;
    },
  ) {}

  attach(buses: { documents?: DocumentEvents; users?: UserEvents; files?: FileEvents }): void {
    buses.documents?.on('*', (event) =>
      this.track(event.appId, { type: event.type, collection: event.collection }, () =>
        documentPayload(event, { hiddenOf: this.deps.hiddenOf, toClient: this.deps.toClient }),
      ),
    );
    buses.users?.on('*', (event) => this.track(event.appId, event, async () => userPayload(event)));
    buses.files?.on('*', (event) => this.track(event.appId, event, async () => filePayload(event)));
  }

  private track(appId: string, match: { type: string; collection?: string }, payload: () => Promise<WebhookEvent>) {
    const work = this.fanOut(appId, match, payload).catch((err: unknown) =>
      this.deps.logger.error({ err, appId, type: match.type }, 'webhooks: recording deliveries failed'),
    );
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async fanOut(
    appId: string,
    match: { type: string; collection?: string },
    payload: () => Promise<WebhookEvent>,
  ): Promise<void> {
    const hooks = (await this.deps.webhooks.active(appId)).filter((h) =>
      h.events.some((p) => patternMatches(p, match)),
    );
    if (hooks.length === 0) return;
    const event = await payload();
    await Promise.all(hooks.map((hook) => this.deliverTo(appId, hook, event)));
  }

  /** One delivery of an event to one webhook: its record, then its first attempt's job. */
  async deliverTo(
    appId: string,
    hook: Pick<StoredWebhook, 'id'>,
    event: WebhookEvent | { id: string; type: string; body: string },
    redeliveryOf?: string,
  ): Promise<StoredDelivery> {
    const body = 'body' in event ? event.body : JSON.stringify(bodyOf(event));
    const d = await this.deps.log.create(appId, {
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
