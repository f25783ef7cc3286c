// The TICKscript editor of a task: id, type, databases, status and the
// script. Saving sends it to the server, which checks it; an error naming
// `line N char M` is shown inline at that position.

import { useEffect, useState } from 'preact/hooks';
import { navigate, linkClick } from '../router';
import { createTask, formatDbrps, getTask, parseDbrps, updateTask, type Task } from '../kapacitor';
import { parseScriptError, ruleFromScript, type ScriptErrorPos } from '../tickscript';
import { TickEditor } from './TickEditor';

/** The script a new task starts with. */
export const NEW_TASK_SCRIPT = `dbrp "telegraf"."autogen"

stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .crit(lambda: "usage_idle" < 10)
        .message('{{ .ID }} is {{ .Level }}: idle {{ index .Fields "usage_idle" }}%')
        .stateChangesOnly()
`;

/** The editor page; `taskId` null creates a task. */
export function TaskEditor({ taskId }: { taskId: string | null }) {
  const [task, setTask] = useState<Task | null>(null);
  const [id, setId] = useState('');
  const [type, setType] = useState<'stream' | 'batch'>('stream');
  const [dbrps, setDbrps] = useState('');
  const [status, setStatus] = useState<'enabled' | 'disabled'>('enabled');
  const [script, setScript] = useState(taskId ? '' : NEW_TASK_SCRIPT);
  const [error, setError] = useState<string | null>(null);
  const [diagnostic, setDiagnostic] = useState<ScriptErrorPos | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!taskId) return;
    getTask(taskId).then(
      (t) => {
        setTask(t);
        setId(t.id);
        setType(t.type);
        setDbrps(formatDbrps(t.dbrps));
        setStatus(t.status);
        setScript(t.script);
      },
      (e) => setError((e as Error).message),
    );
  }, [taskId]);

  const save = async () => {
    setError(null);
    setSaved(null);
    setDiagnostic(null);
    let parsed;
    try {
      parsed = parseDbrps(dbrps);
    } catch (e) {
      return setError((e as Error).message);
    }
    if (!taskId && !/^[-._\p{L}0-9]+$/u.test(id)) return setError('task id: use letters, digits, "-", "_" and "." (e.g. cpu_alert)');
    setSaving(true);
    try {
      const body = { type, script, status, ...(parsed.length ? { dbrps: parsed } : {}) };
      const t = taskId ? await updateTask(taskId, body) : await createTask({ id, ...body });
      setTask(t);
      setSaved(`Saved ${t.id}${t.error ? ` (the task reports: ${t.error})` : ''}`);
      if (!taskId) navigate(`/alerting/tasks/${encodeURIComponent(t.id)}`, true);
    } catch (e) {
      const msg = (e as Error).message;
      setError(msg);
      setDiagnostic(parseScriptError(msg));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div>
      <div class="spread">
        <h1>{taskId ? `Task ${taskId}` : 'New TICKscript task'}</h1>
        <div class="row">
          <a href="/alerting" onClick={linkClick}>
            Back to the rules
          </a>
          {task && ruleFromScript(script) && (
            <a href={`/alerting/rules/${encodeURIComponent(task.id)}`} onClick={linkClick}>
              Open in the rule builder
            </a>
          )}
          <button class="primary" onClick={save} disabled={saving}>
            Save task <span class="muted" style={{ color: 'inherit' }}>(Ctrl+S)</span>
          </button>
        </div>
      </div>
      <div class="card row" style={{ marginBottom: '10px' }}>
        <label>
          Task id
          <input aria-label="Task id" value={id} disabled={!!taskId} onInput={(e) => setId((e.target as HTMLInputElement).value)} placeholder="cpu_alert" />
        </label>
        <label>
          Type
          <select aria-label="Task type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as 'stream' | 'batch')}>
            <option value="stream">stream</option>
            <option value="batch">batch</option>
          </select>
        </label>
        <label>
          Databases
          <input
            aria-label="Databases and retention policies"
            value={dbrps}
            size={28}
            placeholder="telegraf.autogen (or dbrp in the script)"
            onInput={(e) => setDbrps((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          <input type="checkbox" checked={status === 'enabled'} onChange={(e) => setStatus((e.target as HTMLInputElement).checked ? 'enabled' : 'disabled')} /> Enabled
        </label>
        {task && <span class="muted">{task.executing ? 'running' : 'stopped'}</span>}
      </div>
      {error && (
        <p class="error" role="alert" data-testid="task-error">
          {error}
        </p>
      )}
      {saved && (
        <p class="ok" role="status">
          {saved}
        </p>
      )}
      <TickEditor label="TICKscript" value={script} onChange={setScript} diagnostic={diagnostic} onSave={save} />
      <p class="muted">
        Stream tasks see every point written to their databases; batch tasks run their <code>|query()</code> on a schedule. The server checks the script
        when you save; an error is marked at the line and character it names. <code>docs/kapacitor.md</code> lists the nodes and properties.
      </p>
      {task?.dot && (
        <details>
          <summary>Pipeline (DOT graph with node statistics)</summary>
          <pre class="code" style={{ whiteSpace: 'pre-wrap', fontSize: '12px' }}>
            {task.dot}
          </pre>
        </details>
      )}
    </div>
  );
}
