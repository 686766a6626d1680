import { isHearthError, type QueuedWrite, type SubscriptionEvent } from '@hearth/sdk';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Attachment } from './Attachment';
import { hearth, queue, queuedTodos, todos, type Todo, type TodoDoc } from './hearth';

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

  /** Sends what is queued, then re-reads; offline, the writes simply stay queued. */
  const sync = useCallback(async () => {
    await queue.flush();
    if (queue.state.pending === 0) await load();
  }, [load]);

  useEffect(() => {
    void sync(); // also sends what a previous visit left queued
    const offQueue = queue.onChange(() => setPending([...queue.pending]));
    const goOnline = () => {
      setOnline(true);
      void sync();
    };
    const goOffline = () => setOnline(false);
    window.addEventListener('online', goOnline);
    window.addEventListener('offline', goOffline);
    return () => {
      offQueue();
      window.removeEventListener('online', goOnline);
      window.removeEventListener('offline', goOffline);
    };
  }, [sync]);

  // Live changes to the todos this user may read (the same owner rule applies per subscriber).
  useEffect(() => {
    const onChange = (e: SubscriptionEvent<Todo>) => {
      if (e.type === 'refetch') return void load(); // the server could not replay what was missed
      if (e.type === 'error') return setError(e.error.message);
      const changed = e.document;
      if (e.type === 'delete' || e.type === 'leave') setDocs((all) => all.filter((d) => d.id !== changed.id));
      else
        setDocs((all) =>
          all.some((d) => d.id === changed.id)
            ? all.map((d) => (d.id === changed.id ? (changed as TodoDoc) : d))
            : [changed as TodoDoc, ...all],
        );
    };
    let stop: (() => Promise<void>) | undefined;
    let unmounted = false;
    todos.subscribe({}, onChange).then(
      (unsubscribe) => (unmounted ? void unsubscribe() : (stop = unsubscribe)),
      (e: unknown) => setError(isHearthError(e) ? e.message : String(e)),
    );
    return () => {
      unmounted = true;
      void stop?.();
    };
  }, [load]);

  async function add(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!title.trim()) return;
    setTitle('');
    await queuedTodos.create({ title: title.trim() });
    await sync();
  }

  async function toggle(doc: TodoDoc) {
    await queuedTodos.update(doc.id, { done: !doc.done }, { ifMatch: doc.version });
    // Shown at once; the server's version goes up by one with the write.
    setDocs((all) => all.map((d) => (d.id === doc.id ? { ...d, done: !d.done, version: d.version + 1 } : d)));
    await sync();
  }

  async function remove(doc: TodoDoc) {
    await queuedTodos.delete(doc.id);
    setDocs((all) => all.filter((d) => d.id !== doc.id));
    await sync();
  }

  async function attach(doc: TodoDoc, file: File) {
    setError(null);
    try {
      const stored = await hearth.files.upload(file, { name: file.name });
      await queuedTodos.update(doc.id, { attachment: stored.id }, { ifMatch: doc.version });
      await sync();
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
