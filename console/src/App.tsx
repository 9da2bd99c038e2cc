/** Sign-in, the navigation and the pages (routed by the URL hash, so reloads and links keep their place). */
import { useEffect, useState, type FormEvent } from 'react';
import { api, token, type Role } from './api.js';
import { href, useRoute } from './hooks.js';
import { Issues } from './pages/Issues.js';
import { Mappings } from './pages/Mappings.js';
import { Overview } from './pages/Overview.js';
import { RecordPage } from './pages/Record.js';
import { Referrals } from './pages/Referrals.js';
import { SyncLog } from './pages/SyncLog.js';
import { SessionContext, type Session } from './session.js';
import type { ConnectionStatus } from './types.js';

async function openSession(t: string): Promise<Session> {
  const { role } = await api<{ role: Role }>('GET', '/session', undefined, t);
  const { items } = await api<{ items: ConnectionStatus[] }>('GET', '/connections', undefined, t);
  return { role, connections: items.map((c) => c.connection) };
}

function SignIn({ onSignedIn, error }: { onSignedIn(t: string): void; error: string | null }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onSignedIn(value.trim());
  };
  return (
    <main className="signin">
      <h1>cosell-sync console</h1>
      <form onSubmit={submit}>
        <label htmlFor="token">Access token</label>
        <p className="hint" id="token-hint">
          The admin token can change settings; the read-only token can only look.
        </p>
        {/* biome-ignore lint/a11y/noAutofocus: the sign-in page's one field; nothing else on the page to announce first. */}
        <input id="token" type="password" autoComplete="off" aria-describedby="token-hint" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        <button type="submit">Sign in</button>
        {error ? (
          <p role="alert" className="msg bad">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}

const NAV = [
  ['overview', 'Overview'],
  ['log', 'Sync log'],
  ['issues', 'Issues and conflicts'],
  ['mappings', 'Mappings'],
  ['referrals', 'Referrals'],
] as const;

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(Boolean(token.get()));

  const signIn = (t: string) => {
    setChecking(true);
    openSession(t).then(
      (s) => (token.set(t), setSession(s), setError(null), setChecking(false)),
      (e: Error) => (token.clear(), setSession(null), setError(e.message), setChecking(false)),
    );
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, on load: a stored token signs in by itself.
  useEffect(() => {
    const t = token.get();
    if (t) signIn(t);
  }, []);

  if (!session) return checking ? <p aria-busy="true">Signing in…</p> : <SignIn onSignedIn={signIn} error={error} />;
  const [page = 'overview', ...rest] = route;
  const first = session.connections[0] ?? '';
  return (
    <SessionContext.Provider value={session}>
      <header>
        <span className="brand">cosell-sync</span>
        <nav aria-label="Pages">
          {NAV.map(([id, label]) => (
            <a key={id} href={href(id)} aria-current={page === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="who">{session.role === 'admin' ? 'Admin' : 'Read-only'}</span>
        <button type="button" className="link" onClick={() => (token.clear(), setSession(null))}>
          Sign out
        </button>
      </header>
      <main>
        {page === 'overview' ? <Overview /> : null}
        {page === 'log' ? <SyncLog runId={rest[0] ? Number(rest[0]) : null} /> : null}
        {page === 'record' ? <RecordPage connection={rest[0] ?? first} crmId={rest[1] ?? ''} /> : null}
        {page === 'issues' ? <Issues /> : null}
        {page === 'mappings' ? <Mappings connection={rest[0] ?? first} /> : null}
        {page === 'referrals' ? <Referrals connection={rest[0] ?? first} view={rest[1] ?? 'inbound'} /> : null}
      </main>
    </SessionContext.Provider>
  );
}
