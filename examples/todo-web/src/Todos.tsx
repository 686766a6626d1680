import { isHearthError, type QueuedWrite, type SubscriptionEvent } from '@hearth/sdk';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Attachment } from './Attachment';
import { hearth, onQueueProblem, queue, queuedTodos, todos, type Todo, type TodoDoc } from './hearth';

/** No answer at all (offline, server unreachable): status 0, code `network`. */
const offline = (e: unknown) => isHearthError(e) && e.status === 0;

/**
 * The signed-in user's todos. Reads come from the server (the owner rule shows each user only
 * their own) and stay current through a realtime subscription (a change made in another tab or
 * on another device shows at once); writes go through the offline queue and show at once; while
 * offline they wait in localStorage and are sent when the browser is back online.
 */
export function Todos() {
  const [docs, setDocs] = useState<TodoDoc[]>([]);
  const [pending, setPending] = useState<readonly QueuedWrite[]>(queue.pending);
  const [online, setOnline] = useState(navigator.onLine);
  const [error, setError] = useState<string | null>(null);
  const [title, setTitle] = useState('');

  const load = useCallback(async () => {
    try {
      setDocs((await todos.find({ sort: ['-createdAt'], limit: 100 })).items);
    } catch (e) {
      if (!offline(e)) setError(isHearthError(e) ? e.message : String(e));
    }
  }, []);

  // The list: read once, then kept current by a subscription to the todos this user may read
  // (the owner rule applies per subscriber). Changes made here come back through it too, so
  // every tab and device shows the same list. After being offline, the SDK resubscribes from the
  // last change it saw and the server replays what was missed (or says `refetch`).
  useEffect(() => {
    const onChange = (e: SubscriptionEvent<Todo>) => {
      if (e.type === 'refetch') return void load();
      if (e.type === 'error') return setError(e.error.message);
      const changed = e.document as TodoDoc;
      if (e.type === 'delete' || e.type === 'leave') return setDocs((all) => all.filter((d) => d.id !== changed.id));
      setDocs((all) =>
        all.some((d) => d.id === changed.id)
          ? all.map((d) => (d.id === changed.id && changed.version >= d.version ? changed : d))
          : [changed, ...all],
      );
    };
    let stop: (() => Promise<void>) | undefined;
    let unmounted = false;
    /** Subscribes; when the realtime server does not answer, tries again later (and reads then). */
    const live = async (attempt: number): Promise<void> => {
      try {
        const unsubscribe = await todos.subscribe({}, onChange);
        if (unmounted) return void unsubscribe();
        stop = unsubscribe;
        setError(null);
        if (attempt > 0) await load();
      } catch (e) {
        setError(`Live updates paused: ${isHearthError(e) ? e.message : String(e)}`);
        if (!unmounted) setTimeout(() => void live(attempt + 1), Math.min(30_000, 1000 * 2 ** attempt));
      }
    };
    void (async () => {
      await live(0);
      await load();
      await queue.flush(); // what a previous visit left queued
    })();
    return () => {
      unmounted = true;
      void stop?.();
    };
  }, [load]);

  // The offline queue: its pending writes are shown, and sent when the browser is back online.
  useEffect(() => {
    const offQueue = queue.onChange(() => setPending([...queue.pending]));
    // A write made offline that meets a newer version (changed on another device meanwhile) is
    // not applied: say so and show what the server has.
    const offProblems = onQueueProblem(({ kind, error }) => {
      setError(
        kind === 'conflict'
          ? 'A todo was changed elsewhere while you were offline: your change to it was not applied.'
          : `A change was refused: ${error.message}`,
      );
      void load();
    });
    const goOnline = () => {
      setOnline(true);
      void queue.flush();
    };
    const goOffline = () => setOnline(false);
    window.addEventListener('online', goOnline);
    window.addEventListener('offline', goOffline);
    return () => {
      offQueue();
      offProblems();
      window.removeEventListener('online', goOnline);
      window.removeEventListener('offline', goOffline);
    };
  }, [load]);

  async function add(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!title.trim()) return;
    setTitle('');
    await queuedTodos.create({ title: title.trim() });
    await queue.flush();
  }

  async function toggle(doc: TodoDoc) {
    await queuedTodos.update(doc.id, { done: !doc.done }, { ifMatch: doc.version });
    // Shown at once; the server's version goes up by one with the write.
    setDocs((all) => all.map((d) => (d.id === doc.id ? { ...d, done: !d.done, version: d.version + 1 } : d)));
    await queue.flush();
  }

  async function remove(doc: TodoDoc) {
    await queuedTodos.delete(doc.id);
    setDocs((all) => all.filter((d) => d.id !== doc.id));
    await queue.flush();
  }

  async function attach(doc: TodoDoc, file: File) {
    setError(null);
    try {
      const stored = await hearth.files.upload(file, { name: file.name });
      await queuedTodos.update(doc.id, { attachment: stored.id }, { ifMatch: doc.version });
      await queue.flush();
    } catch (e) {
      setError(offline(e) ? 'Attachments need a connection.' : String(e));
    }
  }

  // Creates still in the queue, shown until the server has them.
  const queuedCreates = pending.filter((w) => w.request.method === 'POST').map((w) => w.request.body as Todo);

  return (
    <section>
      <form onSubmit={(e) => void add(e)} aria-label="New todo">
        <input
          aria-label="New todo"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="What next?"
        />
        <button type="submit">Add</button>
      </form>
      {(!online || pending.length > 0) && (
        <p role="status">
          {online ? 'Online' : 'Offline'}: {pending.length} {pending.length === 1 ? 'change' : 'changes'} waiting to
          sync
        </p>
      )}
      {error && <p role="alert">{error}</p>}
      <ul aria-label="Todos">
        {queuedCreates.map((t, i) => (
          <li key={`queued-${i}`} className="pending">
            <span className="title">{t.title}</span> <em>waiting to sync</em>
          </li>
        ))}
        {docs.map((doc) => (
          <li key={doc.id} className={doc.done ? 'done' : ''}>
            <input
              type="checkbox"
              aria-label={`Done: ${doc.title}`}
              checked={doc.done}
              onChange={() => void toggle(doc)}
            />
            <span className="title">{doc.title}</span>
            <Attachment todo={doc} onPick={(file) => void attach(doc, file)} />
            <button aria-label={`Delete ${doc.title}`} onClick={() => void remove(doc)}>
              ✕
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
