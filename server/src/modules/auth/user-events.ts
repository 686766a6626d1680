import type { UserView } from './users.repo.js';

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
}

export type UserListener = (event: UserEvent) => void;

export class UserEvents {
  private readonly listeners = new Map<UserEventType | '*', Set<UserListener>>();

  constructor(private readonly onListenerError: (err: unknown, event: UserEvent) => void = () => {}) {}

  on(type: UserEventType | '*', listener: UserListener): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit(event: Omit<UserEvent, 'at'>): void {
    const frozen = Object.freeze({
      ...event,
      before: event.before ? Object.freeze(structuredClone(event.before)) : null,
      after: event.after ? Object.freeze(structuredClone(event.after)) : null,
      at: new Date().toISOString(),
    });
    for (const set of [this.listeners.get(frozen.type), this.listeners.get('*')]) {
      for (const listener of set ?? []) {
        try {
          listener(frozen);
        } catch (err) {
          this.onListenerError(err, frozen);
        }
      }
    }
  }
}
