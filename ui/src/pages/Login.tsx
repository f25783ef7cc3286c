// The login page, shown when the server has authentication enabled.

import { useState } from 'preact/hooks';
import { checkCredentials, setCredentials } from '../api';

/** The login form; credentials go in a Basic auth header, never in a URL. */
export function Login({ onLogin }: { onLogin: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="login card">
      <h1>Sign in to Almanac</h1>
      <p class="muted">This server has authentication enabled.</p>
      <form
        method="post"
        action="#"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await checkCredentials({ username, password });
            setCredentials({ username, password });
            onLogin();
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label style={{ flexDirection: 'column', alignItems: 'stretch' }}>
          Username
          <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </label>
        <label style={{ flexDirection: 'column', alignItems: 'stretch' }}>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
