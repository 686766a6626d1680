/**
 * Where the signed-in session is kept. localStorage (web), AsyncStorage (React Native) and
 * `memoryStorage()` (Node, tests; the default) all have this shape: sync or async.
 */
export interface TokenStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** Kept in this process only (gone on reload): the default. */
export function memoryStorage(): TokenStorage {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

/** The browser's `localStorage` when there is one, else memory (server-side rendering). */
export function localStorageOrMemory(): TokenStorage {
  const ls = (globalThis as { localStorage?: TokenStorage }).localStorage;
  return ls ?? memoryStorage();
}
