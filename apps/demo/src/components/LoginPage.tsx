import { type FormEvent, useState } from 'react';
import { ConnectionIndicator } from './ConnectionIndicator';

export const SEEDED_ACCOUNTS = [
  { email: 'ada@example.com', name: 'Ada Lovelace' },
  { email: 'grace@example.com', name: 'Grace Hopper' },
  { email: 'alan@example.com', name: 'Alan Turing' },
] as const;

export interface LoginPageProps {
  readonly onLogin: (email: string, password: string) => Promise<void>;
  /** Shown above the form (e.g. why the user was signed out). */
  readonly notice?: string | null;
}

export function LoginPage({ onLogin, notice = null }: LoginPageProps) {
  const [email, setEmail] = useState<string>(SEEDED_ACCOUNTS[0].email);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onLogin(email, password);
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not sign in.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" data-testid="login-page">
      <header className="topbar">
        <h1>Reverb demo</h1>
        <ConnectionIndicator />
      </header>
      <form className="card" onSubmit={submit} aria-labelledby="login-title">
        <h2 id="login-title">Sign in</h2>
        {notice ? (
          <p className="notice" role="status" data-testid="login-notice">
            {notice}
          </p>
        ) : null}
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted">
          Seeded accounts (password <code>password</code>): {SEEDED_ACCOUNTS.map((a) => a.email).join(', ')}
        </p>
      </form>
    </main>
  );
}
