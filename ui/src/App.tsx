// The application shell: navigation, theme, login, routes.

import { useEffect, useState } from 'preact/hooks';
import { authRequired, getCredentials, setCredentials, setUnauthorizedHandler } from './api';
import { linkClick, useLocation } from './router';
import { useTheme } from './hooks';
import { Explorer } from './pages/Explorer';
import { Admin } from './pages/Admin';
import { Dashboards } from './pages/Dashboards';
import { DashboardPage } from './pages/Dashboard';
import { Hosts, HostPage } from './pages/Hosts';
import { Login } from './pages/Login';
import { Alerting } from './pages/Alerting';
import { Logs } from './pages/Logs';

import routes from '../routes.json';

/** The navigation: ui/routes.json, the route list the server reads too (crates/server/src/ui.rs). */
const NAV: { href: string; label: string }[] = routes.routes.map((r) => ({ href: r.path, label: r.label }));

function Route({ path, search, presentation, setPresentation }: { path: string; search: URLSearchParams; presentation: boolean; setPresentation: (p: boolean) => void }) {
  let m: RegExpMatchArray | null;
  if (path === '/' || path === '/explorer') return <Explorer />;
  if (path === '/admin') return <Admin />;
  if (path === '/dashboards') return <Dashboards />;
  if ((m = path.match(/^\/dashboards\/([^/]+)$/)))
    return <DashboardPage id={decodeURIComponent(m[1])} edit={search.get('edit') === '1'} presentation={presentation} onPresentation={setPresentation} />;
  if (path === '/hosts') return <Hosts db={search.get('db')} />;
  if ((m = path.match(/^\/hosts\/([^/]+)$/))) return <HostPage host={decodeURIComponent(m[1])} db={search.get('db') ?? 'telegraf'} />;
  if (path === '/alerting' || path.startsWith('/alerting/')) return <Alerting path={path} />;
  if (path === '/logs') return <Logs db={search.get('db')} />;
  return (
    <div class="empty">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>.{' '}
        <a href="/explorer" onClick={linkClick}>
          Open the Data Explorer
        </a>
      </p>
    </div>
  );
}

/** The app. */
export function App() {
  const { path, search } = useLocation();
  const [theme, toggleTheme] = useTheme();
  const [auth, setAuth] = useState<'checking' | 'needed' | 'ok'>('checking');
  const [presentation, setPresentation] = useState(false);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCredentials(null);
      setAuth('needed');
    });
    if (getCredentials()) setAuth('ok');
    else authRequired().then((need) => setAuth(need ? 'needed' : 'ok'), () => setAuth('ok'));
  }, []);
  useEffect(() => {
    if (!path.startsWith('/dashboards/')) setPresentation(false);
  }, [path]);
  if (auth === 'checking') return <span class="spinner" role="status" aria-label="Loading" />;
  if (auth === 'needed') return <Login onLogin={() => setAuth('ok')} />;
  const current = path === '/' ? '/explorer' : path;
  return (
    <div class={'layout' + (presentation ? ' presentation' : '')}>
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <nav class="nav" aria-label="Main">
        <div class="brand">
          <img src="/favicon.svg" alt="" width={22} height={22} /> Almanac
        </div>
        {NAV.map((n) => (
          <a href={n.href} onClick={linkClick} class={current.startsWith(n.href) ? 'active' : ''} aria-current={current.startsWith(n.href) ? 'page' : undefined}>
            {n.label}
          </a>
        ))}
        <div class="spacer" />
        <div class="foot">
          <button onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? '☀ Light theme' : '☾ Dark theme'}
          </button>
          {getCredentials() && (
            <button
              onClick={() => {
                setCredentials(null);
                setAuth('needed');
              }}
            >
              Sign out {getCredentials()?.username}
            </button>
          )}
        </div>
      </nav>
      <main class="main" id="main" tabIndex={-1}>
        <Route path={path} search={search} presentation={presentation} setPresentation={setPresentation} />
      </main>
    </div>
  );
}
