// One stored dashboard: view, edit, presentation mode, export.

import { useEffect, useState } from 'preact/hooks';
import * as api from '../dashboardsApi';
import { exportChronograf, type Dashboard } from '../dashboard';
import { Board } from '../components/Board';
import type { TimeRange } from '../timerange';
import { download } from './Explorer';
import { linkClick } from '../router';

/** The dashboard page. */
export function DashboardPage({ id, edit, presentation, onPresentation }: { id: string; edit: boolean; presentation: boolean; onPresentation: (p: boolean) => void }) {
  const [d, setD] = useState<Dashboard | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState<string | null>(null);
  const [editing, setEditing] = useState(edit);
  const [range, setRange] = useState<TimeRange>({ kind: 'relative', duration: '1h' });
  const [warnings] = useState<string[]>(() => {
    const w = sessionStorage.getItem('almanac.importWarnings');
    sessionStorage.removeItem('almanac.importWarnings');
    return w ? JSON.parse(w) : [];
  });
  useEffect(() => {
    const c = new AbortController();
    api.getDashboard(id, c.signal).then(setD, (e) => !c.signal.aborted && setError((e as Error).message));
    return () => c.abort();
  }, [id]);
  useEffect(() => {
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && onPresentation(false);
    addEventListener('keydown', esc);
    return () => removeEventListener('keydown', esc);
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!d) return <span class="spinner" role="status" aria-label="Loading" />;
  const change = async (next: Dashboard) => {
    setD(next);
    setSaving('Saving…');
    try {
      await api.saveDashboard(next);
      setSaving('Saved');
    } catch (e) {
      setSaving(null);
      setError((e as Error).message);
    }
  };
  return (
    <div>
      {!presentation && (
        <div class="spread">
          <h1>
            <a href="/dashboards" onClick={linkClick} style={{ textDecoration: 'none' }}>
              Dashboards
            </a>{' '}
            / <span data-testid="dashboard-name">{d.name}</span>
          </h1>
          <span class="muted" role="status">
            {saving}
          </span>
        </div>
      )}
      {warnings.map((w) => (
        <p class="notice">{w}</p>
      ))}
      <Board
        dashboard={d}
        onChange={change}
        editing={editing && !presentation}
        range={range}
        onRange={setRange}
        toolbar={
          presentation ? (
            <button onClick={() => onPresentation(false)}>Exit presentation (Esc)</button>
          ) : (
            <>
              <button aria-pressed={editing} onClick={() => setEditing(!editing)}>
                {editing ? 'Done editing' : 'Edit'}
              </button>
              <button onClick={() => onPresentation(true)} title="Press Escape to leave">
                Presentation mode
              </button>
              <button onClick={() => download(`${d.name}.json`, JSON.stringify(exportChronograf(d), null, 2), 'application/json')}>Export</button>
            </>
          )
        }
      />
    </div>
  );
}
