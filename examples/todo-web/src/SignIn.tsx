import { isHearthError } from '@hearth/sdk';
import { useState, type FormEvent } from 'react';
import { hearth } from './hearth';

/** Email and password: "Sign up" makes the account, "Sign in" uses it. */
export function SignIn() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const signUp = (e.nativeEvent as SubmitEvent).submitter?.getAttribute('value') === 'up';
    setError(null);
    try {
      if (signUp) await hearth.auth.signUp({ email, password });
      else await hearth.auth.signIn({ email, password });
    } catch (err) {
      // e.g. invalid_credentials, validation_failed (a short password), conflict (email taken)
      setError(isHearthError(err) ? err.message : String(err));
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
      <label>
        Email <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label>
        Password{' '}
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} />
      </label>
      <button type="submit" value="in">
        Sign in
      </button>
      <button type="submit" value="up">
        Sign up
      </button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}
