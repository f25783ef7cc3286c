// Alerting on the server's Kapacitor API (/kapacitor/v1): the rules and tasks
// list (enable/disable, delete, edit), the rule builder, the TICKscript
// editor and the alert history.

import { useState } from 'preact/hooks';
import { useAsync, useInterval } from '../hooks';
import { linkClick, navigate } from '../router';
import { deleteTask, formatDbrps, goDurationMs, kapacitorAvailable, listTasks, listTopics, topicEvents, updateTask, type Task } from '../kapacitor';
import { ruleFromScript } from '../tickscript';
import { RuleBuilder } from '../components/RuleBuilder';
import { TaskEditor } from '../components/TaskEditor';
import { AlertHistory } from '../components/AlertHistory';

/** The alerting pages, by path under /alerting. */
export function Alerting({ path }: { path: string }) {
  const available = useAsync((signal) => kapacitorAvailable(signal), []);
  if (available.loading) return <span class="spinner" role="status" aria-label="Loading" />;
  if (!available.data) {
    return (
      <div>
        <h1>Alerting</h1>
        <div class="notice" role="status">
          {available.error
            ? `Alerting is not available: ${available.error}.`
            : 'Alerting is not available: this server does not answer the alerting API (/kapacitor/v1/ping).'}
        </div>
      </div>
    );
  }
  let m: RegExpMatchArray | null;
  if (path === '/alerting/rules/new') return <RuleBuilder taskId={null} />;
  if ((m = path.match(/^\/alerting\/rules\/([^/]+)$/))) return <RuleBuilder taskId={decodeURIComponent(m[1])} />;
  if (path === '/alerting/tasks/new') return <TaskEditor taskId={null} />;
  if ((m = path.match(/^\/alerting\/tasks\/([^/]+)$/))) return <TaskEditor taskId={decodeURIComponent(m[1])} />;
  return <AlertingHome tab={path === '/alerting/history' ? 'history' : 'rules'} />;
}

function Tabs({ tab }: { tab: 'rules' | 'history' }) {
  return (
    <div class="tabs" role="tablist" aria-label="Alerting">
      <button role="tab" aria-selected={tab === 'rules'} onClick={() => navigate('/alerting')}>
        Rules and tasks
      </button>
      <button role="tab" aria-selected={tab === 'history'} onClick={() => navigate('/alerting/history')}>
        Alert history
      </button>
    </div>
  );
}

function AlertingHome({ tab }: { tab: 'rules' | 'history' }) {
  return (
    <div>
      <div class="spread">
        <h1>Alerting</h1>
        <div class="row">
          <button class="primary" onClick={() => navigate('/alerting/rules/new')}>
            New alert rule
          </button>
          <button onClick={() => navigate('/alerting/tasks/new')}>Write a TICKscript</button>
        </div>
      </div>
      <Tabs tab={tab} />
      {tab === 'rules' ? <TaskList /> : <AlertHistory />}
    </div>
  );
}

/** Where a task opens: the rule builder for builder-made rules, else the TICKscript editor. */
function editPath(t: Task): string {
  return ruleFromScript(t.script) ? `/alerting/rules/${encodeURIComponent(t.id)}` : `/alerting/tasks/${encodeURIComponent(t.id)}`;
}

function TaskList() {
  const tasks = useAsync((signal) => listTasks(signal), []);
  const active = useAsync(async (signal) => {
    const topics = await listTopics('INFO', signal);
    const evs = await Promise.all(topics.map(async (t) => (await topicEvents(t.id, 'INFO', signal)).map((e) => ({ topic: t.id, ...e }))));
    return evs.flat();
  }, []);
  useInterval(active.reload, 10_000);
  const [error, setError] = useState<string | null>(null);
  const guard = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
    } catch (e) {
      setError((e as Error).message);
    }
    tasks.reload();
  };
  const list = tasks.data ?? [];
  return (
    <div>
      {(error || tasks.error) && (
        <p class="error" role="alert">
          {error ?? tasks.error}
        </p>
      )}
      {active.data && active.data.length > 0 && (
        <div class="card" style={{ marginBottom: '12px' }}>
          <h2 style={{ marginTop: 0 }}>Active alerts</h2>
          <table class="data" aria-label="Active alerts">
            <thead>
              <tr>
                <th>Level</th>
                <th>Alert</th>
                <th>Message</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {active.data.map((e) => (
                <tr>
                  <td>
                    <span class={`level level-${e.state.level}`}>{e.state.level}</span>
                  </td>
                  <td>{e.id}</td>
                  <td>{e.state.message}</td>
                  <td>{new Date(Date.parse(e.state.time) - (goDurationMs(e.state.duration) || 0)).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {tasks.loading && !tasks.data && <span class="spinner" role="status" aria-label="Loading" />}
      {tasks.data && list.length === 0 && (
        <div class="empty" data-testid="alerting-empty">
          <h2>No alert rules yet</h2>
          <p>
            An alert rule watches the data written to this server and raises an alert when it crosses a threshold, changes too fast, or stops
            arriving.
          </p>
          <p>
            <a href="/alerting/rules/new" onClick={linkClick}>
              Build a rule
            </a>{' '}
            (threshold, relative or deadman) and it becomes a TICKscript task; or{' '}
            <a href="/alerting/tasks/new" onClick={linkClick}>
              write a TICKscript
            </a>{' '}
            yourself. Tasks created through the Kapacitor API (<code>POST /kapacitor/v1/tasks</code>) appear here too.
          </p>
          <p>Alerts of rules made here are also written to the <code>chronograf</code> database, which the Alert history tab shows.</p>
        </div>
      )}
      {list.length > 0 && (
        <table class="data" aria-label="Alert rules and tasks">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Reads</th>
              <th>Enabled</th>
              <th>State</th>
              <th>Modified</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((t) => {
              const rule = ruleFromScript(t.script);
              return (
                <tr data-testid="task-row">
                  <td>
                    <a href={editPath(t)} onClick={linkClick}>
                      {rule?.name || t.id}
                    </a>
                    {rule && rule.name !== t.id && <span class="muted"> ({t.id})</span>}
                  </td>
                  <td>{rule ? `${rule.kind} rule` : `${t.type} TICKscript`}</td>
                  <td>{formatDbrps(t.dbrps)}</td>
                  <td>
                    <label class="switch">
                      <input
                        type="checkbox"
                        aria-label={`Enabled ${t.id}`}
                        checked={t.status === 'enabled'}
                        onChange={(e) => guard(() => updateTask(t.id, { status: (e.target as HTMLInputElement).checked ? 'enabled' : 'disabled' }))}
                      />
                      {t.status}
                    </label>
                  </td>
                  <td>{t.error ? <span class="error-text">{t.error}</span> : t.executing ? <span class="ok">running</span> : <span class="muted">stopped</span>}</td>
                  <td>{t.modified ? new Date(t.modified).toLocaleString() : ''}</td>
                  <td>
                    <span class="row">
                    <a href={editPath(t)} onClick={linkClick}>
                      Edit
                    </a>
                    {rule && (
                      <a href={`/alerting/tasks/${encodeURIComponent(t.id)}`} onClick={linkClick}>
                        TICKscript
                      </a>
                    )}
                    <button
                      class="link danger"
                      aria-label={`Delete ${t.id}`}
                      onClick={() => {
                        if (confirm(`Delete the task "${t.id}"?`)) guard(() => deleteTask(t.id));
                      }}
                    >
                      Delete
                    </button>
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
