import type { AuthUser } from '@hearth/sdk';
import { useEffect, useState } from 'react';
import { hearth } from './hearth';
import { SignIn } from './SignIn';
import { Todos } from './Todos';

/** Signed out: the sign-in form. Signed in: the user's todos. */
export function App() {
  const [ready, setReady] = useState(false);
  const [user, setUser] = useState<AuthUser | null>(null);
  useEffect(() => {
    void hearth.auth.ready.then(() => {
      setUser(hearth.auth.user);
      setReady(true);
    });
    return hearth.auth.onChange((u) => setUser(u));
  }, []);

  if (!ready) return <p>Loading…</p>;
  return (
    <main>
      <h1>Todos</h1>
      {user ? (
        <>
          <p className="who">
            Signed in as <strong>{user.email ?? 'a guest'}</strong>{' '}
            <button onClick={() => void hearth.auth.signOut()}>Sign out</button>
          </p>
          <Todos key={user.id} />
        </>
      ) : (
        <SignIn />
      )}
    </main>
  );
}
