import { EventBus } from '../../lib/event-bus.js';

/**
 * Push events for other modules (webhooks, the dashboard's live view): a message entered a
 * state, on the replica where it happened, after the store write. Listeners run synchronously;
 * a throwing one is reported and affects neither the fan-out nor the other listeners.
 */
export interface PushEvent {
  type:
    | 'push.message.scheduled'
    | 'push.message.sending'
    | 'push.message.done'
    | 'push.message.cancelled'
    | 'push.message.failed';
  appId: string;
  messageId: string;
  /** ISO-8601 time of emission. */
  at: string;
}

export class PushEvents extends EventBus<PushEvent> {}
