import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, loadSession, saveSession, type Session } from './api';

interface AppRow {
  id: string;
  name: string;
  createdAt: string;
}

interface CreatedApp extends AppRow {
  keys: { public: string; secret: string };
}

/**
 * The first dashboard screen: server status, first-admin setup, sign-in, and the apps list with
 * "create app" (showing the secret key once). The full dashboard (data browser, schemas, rules
 * playground…) builds on this shell.
 */
export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [setupNeeded, setSetupNeeded] = useState<boolean | null>(null);
  const [ready, setReady] = useState<boolean | null>(null);

  useEffect(() => {
    api<{ needed: boolean }>('GET', '/v1/admin/setup').then(
      (r) => setSetupNeeded(r.needed),
      () => setSetupNeeded(null),
    );
    fetch('/readyz').then(
      (r) => setReady(r.ok),
      () => setReady(false),
    );
  }, []);

  const signedIn = (s: Session) => {
    saveSession(s);
    setSession(s);
    setSetupNeeded(false);
  };
  const signOut = () => {
    if (session) void api('POST', '/v1/admin/logout', undefined, session).catch(() => undefined);
    saveSession(null);
    setSession(null);
  };

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">🔥 Hearth</span>
        <span className={`status ${ready ? 'ok' : ready === false ? 'down' : ''}`}>
          {ready === null ? 'checking…' : ready ? 'all engines ready' : 'an engine is unavailable'}
        </span>
        {session && (
          <span className="who">
            {session.user.email}
            <button className="link" onClick={signOut}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <main>
        {session ? (
          <Apps session={session} onExpired={signOut} />
        ) : setupNeeded ? (
          <CredentialsForm
            title="Create the first admin"
            intro="This server has no admin yet. The account you create here can create apps and invite other admins."
            submit="Create admin"
            path="/v1/admin/setup"
            onDone={signedIn}
          />
        ) : (
          <CredentialsForm title="Sign in" submit="Sign in" path="/v1/admin/login" onDone={signedIn} />
        )}
      </main>
    </div>
  );
}

function CredentialsForm(props: {
  title: string;
  intro?: string;
  submit: string;
  path: string;
  onDone: (s: Session) => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onDone(await api<Session>('POST', props.path, { email, password }));
    } catch (err) {
      const fields = err instanceof ApiError ? (err.details?.fields as Record<string, string> | undefined) : undefined;
      setError(
        fields
          ? Object.entries(fields)
              .map(([k, v]) => `${k}: ${v}`)
              .join('; ')
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card narrow" onSubmit={onSubmit}>
      <h1>{props.title}</h1>
      {props.intro && <p className="muted">{props.intro}</p>}
      <label>
        Email
        <input
          name="email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
        />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Working…' : props.submit}
      </button>
    </form>
  );
}

function Apps({ session, onExpired }: { session: Session; onExpired: () => void }) {
  const [apps, setApps] = useState<AppRow[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApp | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setApps((await api<{ items: AppRow[] }>('GET', '/v1/admin/apps?limit=100', undefined, session)).items);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onExpired();
      else setError((e as Error).message);
    }
  }, [session, onExpired]);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await api<CreatedApp>('POST', '/v1/admin/apps', { name }, session));
      setName('');
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section className="card">
      <h1>Apps</h1>
      <form className="row" onSubmit={create}>
        <input
          name="appName"
          placeholder="New app name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={100}
        />
        <button type="submit">Create app</button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {created && (
        <div className="notice" role="status">
          <strong>{created.name}</strong> is ready. Copy the secret key now: it is shown only once.
          <dl>
            <dt>App id</dt>
            <dd>
              <code>{created.id}</code>
            </dd>
            <dt>Public key</dt>
            <dd>
              <code>{created.keys.public}</code>
            </dd>
            <dt>Secret key</dt>
            <dd>
              <code data-testid="secret-key">{created.keys.secret}</code>
            </dd>
          </dl>
        </div>
      )}
      {apps === null ? (
        <p className="muted">Loading…</p>
      ) : apps.length === 0 ? (
        <p className="muted">No apps yet. Create your first one above.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>App id</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {apps.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>
                  <code>{a.id}</code>
                </td>
                <td>{new Date(a.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
