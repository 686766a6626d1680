import { EventBus } from '../../lib/event-bus.js';
import type { UserView } from './user-view.js';

/**
 * User events for other modules (webhooks `users.create | users.update | users.delete`,
 * realtime, audit consumers): the user as the API shows it (never a hash or secret), emitted after
 * the write committed. Sign-in bookkeeping (last sign-in time, the TOTP step counter) emits
 * nothing. Listeners run synchronously; a throwing listener is reported and affects nothing else.
 */
export type UserEventType = 'users.create' | 'users.update' | 'users.delete';

export interface UserEvent {
  type: UserEventType;
  appId: string;
  /** null for create. */
  before: Readonly<UserView> | null;
  /** null for delete. */
  after: Readonly<UserView> | null;
  at: string;
  /** Set when the write committed an outbox record for this event (user-outbox.ts): its id. */
  eventId?: string;
}

export type UserListener = (event: UserEvent) => void;

export class UserEvents extends EventBus<UserEvent> {}
