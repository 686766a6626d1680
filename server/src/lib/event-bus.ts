/**
 * A small typed, synchronous event bus for module events (documents.*, users.*): listeners by
 * type or for all (`*`), run in registration order after the change committed. An event is a
 * frozen deep copy, so no listener can change what another sees; a throwing listener is reported
 * through `onListenerError` and affects neither the emitter nor the other listeners.
 */
export interface BusEvent {
  type: string;
  /** ISO-8601 time of emission. */
  at: string;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class EventBus<E extends BusEvent> {
  private readonly listeners = new Map<E['type'] | '*', Set<(event: E) => void>>();

  constructor(private readonly onListenerError: (err: unknown, event: E) => void = () => {}) {}

  /** Subscribes to one event type or to all (`*`); returns the unsubscribe function. */
  on(type: E['type'] | '*', listener: (event: E) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Copies, freezes and delivers an event (`at` defaults to now). */
  emit(event: Omit<E, 'at'> & { at?: string }): void {
    const frozen = deepFreeze(structuredClone({ ...event, at: event.at ?? new Date().toISOString() })) as E;
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

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
