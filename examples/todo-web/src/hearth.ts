import {
  createClient,
  createOfflineQueue,
  localStorageOrMemory,
  type Doc,
  type HearthError,
  type QueuedWrite,
} from '@hearth/sdk';

/** The one client of the app; the session is kept in localStorage, so a reload stays signed in. */
export const hearth = createClient({
  url: import.meta.env.VITE_HEARTH_URL ?? 'http://localhost:8080',
  app: import.meta.env.VITE_HEARTH_APP,
  key: import.meta.env.VITE_HEARTH_KEY,
  storage: localStorageOrMemory(),
});

export interface Todo {
  title: string;
  done: boolean;
  attachment?: string | null;
}
export type TodoDoc = Doc<Todo>;

/** Reads go to the server; `done` has a server default, so it is optional on create. */
export const todos = hearth.collection<Todo, 'done'>('todos');

/**
 * Every write goes through the offline queue: sent at once when the server answers, kept in
 * localStorage and sent in order when it is back (each with an Idempotency-Key, so a write whose
 * answer was lost is not applied twice; an update keeps its If-Match version, so a todo changed
 * meanwhile elsewhere is a conflict, not overwritten).
 */
export const queue = createOfflineQueue(hearth, {
  storage: localStorageOrMemory(),
  onConflict: (write, error) => report({ kind: 'conflict', write, error }),
  onRejected: (write, error) => report({ kind: 'rejected', write, error }),
});

/** A queued write the server refused when it was sent: it is dropped, and the user is told. */
export interface QueueProblem {
  kind: 'conflict' | 'rejected';
  write: QueuedWrite;
  error: HearthError;
}
const problemListeners = new Set<(problem: QueueProblem) => void>();
const report = (problem: QueueProblem) => problemListeners.forEach((l) => l(problem));
export function onQueueProblem(listener: (problem: QueueProblem) => void): () => void {
  problemListeners.add(listener);
  return () => void problemListeners.delete(listener);
}
export const queuedTodos = queue.collection<Todo, 'done'>('todos');

/** A short-lived URL of a file's thumbnail that works in <img src> (the file itself is private). */
export async function thumbnailUrl(fileId: string): Promise<string> {
  const { url } = await hearth.request<{ url: string }>({
    method: 'POST',
    path: `/v1/apps/${hearth.app}/files/${fileId}/url`,
    body: { thumb: '64x64', expiresIn: 3600 },
  });
  return url;
}
