// The alert rule builder (threshold, relative, deadman, as Chronograf's):
// pick the data from the schema, the condition and the handlers; the rule
// becomes a TICKscript (shown live) and a stream task.

import { useEffect, useState } from 'preact/hooks';
import { useAsync } from '../hooks';
import { navigate, linkClick } from '../router';
import * as schema from '../schema';
import { createTask, getTask, updateTask } from '../kapacitor';
import { AGGREGATES, OPERATORS, RuleError, emptyRule, ruleFromScript, ruleToTickscript, taskIdFor, type AlertRule, type Handler, type Operator, type RuleKind } from '../tickscript';

const KINDS: { kind: RuleKind; label: string; help: string }[] = [
  { kind: 'threshold', label: 'Threshold', help: 'Alert when a value crosses a threshold.' },
  { kind: 'relative', label: 'Relative', help: 'Alert when a value changes by an amount or a percentage compared to an earlier window.' },
  { kind: 'deadman', label: 'Deadman', help: 'Alert when data stops arriving (fewer points than a threshold in a period).' },
];

function input(label: string, value: string, set: (v: string) => void, size = 10, placeholder = '') {
  return (
    <label>
      {label}
      <input aria-label={label} value={value} size={size} placeholder={placeholder} onInput={(e) => set((e.target as HTMLInputElement).value)} />
    </label>
  );
}

/** The builder; `taskId` edits an existing builder-made task. */
export function RuleBuilder({ taskId }: { taskId: string | null }) {
  const [rule, setRule] = useState<AlertRule>(emptyRule());
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<'enabled' | 'disabled'>('enabled');
  const set = (patch: Partial<AlertRule>) => setRule((r) => ({ ...r, ...patch }));

  useEffect(() => {
    if (!taskId) return;
    getTask(taskId).then(
      (t) => {
        const r = ruleFromScript(t.script);
        if (!r) navigate(`/alerting/tasks/${encodeURIComponent(taskId)}`, true);
        else {
          setRule(r);
          setStatus(t.status);
        }
      },
      (e) => setLoadError((e as Error).message),
    );
  }, [taskId]);

  const dbs = useAsync((signal) => schema.databases(signal), []);
  const rps = useAsync(async (signal) => (rule.db ? (await schema.retentionPolicies(rule.db, signal)).map((r) => r.name) : []), [rule.db]);
  const ms = useAsync(async (signal) => (rule.db ? schema.measurements(rule.db, signal) : []), [rule.db]);
  const fields = useAsync(async (signal) => (rule.db && rule.measurement ? schema.fieldKeys(rule.db, rule.measurement, signal) : []), [rule.db, rule.measurement]);
  const tags = useAsync(
    async (signal) => {
      if (!rule.db || !rule.measurement) return [];
      const keys = await schema.tagKeys(rule.db, rule.measurement, signal);
      return Promise.all(keys.map(async (k) => ({ key: k, values: (await schema.tagValues(rule.db, rule.measurement, k, signal)).slice(0, 100) })));
    },
    [rule.db, rule.measurement],
  );

  let script = '';
  let ruleError: RuleError | null = null;
  try {
    script = ruleToTickscript(rule);
  } catch (e) {
    ruleError = e instanceof RuleError ? e : new RuleError('rule', (e as Error).message);
  }

  const save = async () => {
    if (ruleError) return setSaveError(ruleError.message);
    setSaving(true);
    setSaveError(null);
    try {
      const body = { type: 'stream' as const, dbrps: [{ db: rule.db, rp: rule.rp }], script, status };
      if (taskId) await updateTask(taskId, body);
      else await createTask({ id: taskIdFor(rule.name), ...body });
      navigate('/alerting');
    } catch (e) {
      setSaveError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const setHandler = (i: number, h: Handler) => set({ handlers: rule.handlers.map((x, j) => (j === i ? h : x)) });
  const range = rule.operator === 'inside range' || rule.operator === 'outside range';
  const numericFields = (fields.data ?? []).filter((f) => f.type !== 'string' && f.type !== 'boolean');

  return (
    <div>
      <div class="spread">
        <h1>{taskId ? `Alert rule ${rule.name || taskId}` : 'New alert rule'}</h1>
        <div class="row">
          <a href="/alerting" onClick={linkClick}>
            Back to the rules
          </a>
          <label>
            <input type="checkbox" checked={status === 'enabled'} onChange={(e) => setStatus((e.target as HTMLInputElement).checked ? 'enabled' : 'disabled')} /> Enabled
          </label>
          <button class="primary" onClick={save} disabled={saving}>
            {taskId ? 'Save rule' : 'Create rule'}
          </button>
        </div>
      </div>
      {loadError && (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      {saveError && (
        <p class="error" role="alert" data-testid="rule-save-error">
          {saveError}
        </p>
      )}
      <div class="card" style={{ marginBottom: '10px' }}>
        <div class="row">
          {input('Rule name', rule.name, (v) => set({ name: v }), 24, 'CPU too busy')}
          {!taskId && rule.name && <span class="muted">task id: {taskIdFor(rule.name)}</span>}
        </div>
        <div class="row" role="radiogroup" aria-label="Alert type" style={{ marginTop: '8px' }}>
          {KINDS.map((k) => (
            <label title={k.help}>
              <input
                type="radio"
                name="kind"
                checked={rule.kind === k.kind}
                // A relative rule compares windows: it needs an aggregate, mean unless one is chosen.
                onChange={() => set(k.kind === 'relative' && !rule.aggregate ? { kind: k.kind, aggregate: 'mean' } : { kind: k.kind })}
              />{' '}
              {k.label}
            </label>
          ))}
          <span class="muted">{KINDS.find((k) => k.kind === rule.kind)?.help}</span>
        </div>
      </div>

      <div class="card" style={{ marginBottom: '10px' }}>
        <h2 style={{ marginTop: 0 }}>Data</h2>
        <div class="row">
          <label>
            Database
            <select aria-label="Database" value={rule.db} onChange={(e) => set({ db: (e.target as HTMLSelectElement).value, measurement: '', field: '', where: {}, groupBy: [] })}>
              <option value="">(choose)</option>
              {dbs.data?.map((d) => (
                <option value={d}>{d}</option>
              ))}
            </select>
          </label>
          <label>
            Retention policy
            <select aria-label="Retention policy" value={rule.rp} onChange={(e) => set({ rp: (e.target as HTMLSelectElement).value })}>
              {[...new Set([rule.rp, ...(rps.data ?? [])])].map((r) => (
                <option value={r}>{r}</option>
              ))}
            </select>
          </label>
          <label>
            Measurement
            <select aria-label="Measurement" value={rule.measurement} onChange={(e) => set({ measurement: (e.target as HTMLSelectElement).value, field: '', where: {}, groupBy: [] })}>
              <option value="">(choose)</option>
              {[...new Set([...(rule.measurement ? [rule.measurement] : []), ...(ms.data ?? [])])].map((m) => (
                <option value={m}>{m}</option>
              ))}
            </select>
          </label>
          {rule.kind !== 'deadman' && (
            <label>
              Field
              <select aria-label="Field" value={rule.field} onChange={(e) => set({ field: (e.target as HTMLSelectElement).value })}>
                <option value="">(choose)</option>
                {[...new Set([...(rule.field ? [rule.field] : []), ...numericFields.map((f) => f.key)])].map((f) => (
                  <option value={f}>{f}</option>
                ))}
              </select>
            </label>
          )}
        </div>
        {dbs.data && dbs.data.length === 0 && <p class="muted">No databases yet: write some data first (the Hosts page explains how to start the agent).</p>}
        {(tags.data ?? []).length > 0 && (
          <div style={{ marginTop: '8px' }}>
            <h3>Filter and group by tags</h3>
            {tags.data!.map((t) => (
              <div class="row" style={{ marginBottom: '4px' }}>
                <label>
                  <input type="checkbox" aria-label={`Group by ${t.key}`} checked={rule.groupBy.includes(t.key)} onChange={() => set({ groupBy: toggle(rule.groupBy, t.key) })} />
                  <strong>{t.key}</strong> (group by)
                </label>
                {t.values.map((v) => (
                  <label class="pill">
                    <input
                      type="checkbox"
                      aria-label={`${t.key} = ${v}`}
                      checked={(rule.where[t.key] ?? []).includes(v)}
                      onChange={() => set({ where: { ...rule.where, [t.key]: toggle(rule.where[t.key] ?? [], v) } })}
                    />
                    {v}
                  </label>
                ))}
              </div>
            ))}
          </div>
        )}
        {rule.kind !== 'deadman' && (
          <div class="row" style={{ marginTop: '8px' }}>
            <label>
              Aggregate
              <select aria-label="Aggregate" value={rule.aggregate} onChange={(e) => set({ aggregate: (e.target as HTMLSelectElement).value })}>
                {AGGREGATES.map((a) => (
                  <option value={a}>{a === '' ? 'none: check every point' : a}</option>
                ))}
              </select>
            </label>
            {rule.aggregate && (
              <>
                {input('Period', rule.period, (v) => set({ period: v }), 5)}
                {input('Every', rule.every, (v) => set({ every: v }), 5)}
              </>
            )}
          </div>
        )}
      </div>

      <div class="card" style={{ marginBottom: '10px' }}>
        <h2 style={{ marginTop: 0 }}>Condition</h2>
        {rule.kind === 'deadman' ? (
          <div class="row">
            Alert when fewer than {input('Points', rule.deadmanThreshold, (v) => set({ deadmanThreshold: v }), 4)} arrive in {input('Period', rule.period, (v) => set({ period: v }), 5)}
          </div>
        ) : (
          <div class="row">
            <label>
              Level
              <select aria-label="Level" value={rule.level} onChange={(e) => set({ level: (e.target as HTMLSelectElement).value as AlertRule['level'] })}>
                <option value="crit">critical</option>
                <option value="warn">warning</option>
                <option value="info">info</option>
              </select>
            </label>
            <span>when</span>
            {rule.kind === 'relative' ? (
              <>
                <select aria-label="Change" value={rule.change} onChange={(e) => set({ change: (e.target as HTMLSelectElement).value as AlertRule['change'] })}>
                  <option value="change">the change</option>
                  <option value="% change">the % change</option>
                </select>
                {input('Compared to', rule.shift, (v) => set({ shift: v }), 5)} <span>ago is</span>
              </>
            ) : (
              <span>{rule.field ? <code>{rule.aggregate ? `${rule.aggregate}(${rule.field})` : rule.field}</code> : 'the value'} is</span>
            )}
            <select aria-label="Operator" value={rule.operator} onChange={(e) => set({ operator: (e.target as HTMLSelectElement).value as Operator })}>
              {OPERATORS.map((o) => (
                <option value={o}>{o}</option>
              ))}
            </select>
            {input(range ? 'Lower' : 'Value', rule.value, (v) => set({ value: v }), 8)}
            {range && input('Upper', rule.rangeValue, (v) => set({ rangeValue: v }), 8)}
          </div>
        )}
        <div class="row" style={{ marginTop: '8px' }}>
          {input('Message', rule.message, (v) => set({ message: v }), 48)}
          <label>
            <input type="checkbox" checked={rule.stateChangesOnly} onChange={() => set({ stateChangesOnly: !rule.stateChangesOnly })} /> Only when the level changes
          </label>
        </div>
        <p class="muted" style={{ margin: '4px 0 0' }}>
          The message is a template: <code>{'{{ .ID }}'}</code>, <code>{'{{ .Level }}'}</code>, <code>{'{{ .Time }}'}</code>, <code>{'{{ index .Fields "value" }}'}</code>,{' '}
          <code>{'{{ index .Tags "host" }}'}</code>.
        </p>
      </div>

      <div class="card" style={{ marginBottom: '10px' }}>
        <h2 style={{ marginTop: 0 }}>Handlers</h2>
        <p class="muted" style={{ marginTop: 0 }}>
          Every alert is also written to <code>chronograf.autogen.alerts</code> (the alert history). Add where else it should go:
        </p>
        {rule.handlers.map((h, i) => (
          <div class="row" style={{ marginBottom: '4px' }}>
            <strong>{h.kind}</strong>
            {h.kind === 'log' && input('Log file', h.path, (v) => setHandler(i, { ...h, path: v }), 30, '/var/log/alerts.log')}
            {h.kind === 'post' && input('URL', h.url, (v) => setHandler(i, { ...h, url: v }), 36, 'http://example.com/alert')}
            {h.kind === 'tcp' && input('Address', h.address, (v) => setHandler(i, { ...h, address: v }), 24, 'host:port')}
            {h.kind === 'exec' && (
              <>
                {input('Program', h.prog, (v) => setHandler(i, { ...h, prog: v }), 24, '/usr/local/bin/notify')}
                {input('Arguments', h.args.join(' '), (v) => setHandler(i, { ...h, args: v.split(/\s+/).filter(Boolean) }), 24)}
              </>
            )}
            <button class="link danger" onClick={() => set({ handlers: rule.handlers.filter((_, j) => j !== i) })}>
              Remove
            </button>
          </div>
        ))}
        <div class="row">
          <button onClick={() => set({ handlers: [...rule.handlers, { kind: 'log', path: '' }] })}>Add log file</button>
          <button onClick={() => set({ handlers: [...rule.handlers, { kind: 'post', url: '' }] })}>Add HTTP POST</button>
          <button onClick={() => set({ handlers: [...rule.handlers, { kind: 'tcp', address: '' }] })}>Add TCP</button>
          <button onClick={() => set({ handlers: [...rule.handlers, { kind: 'exec', prog: '', args: [] }] })}>Add exec</button>
        </div>
      </div>

      <div class="card">
        <h2 style={{ marginTop: 0 }}>TICKscript</h2>
        {ruleError ? (
          <p class="muted" data-testid="rule-incomplete">
            {ruleError.message}
          </p>
        ) : (
          <pre class="code rule-preview" data-testid="rule-tickscript">
            {script}
          </pre>
        )}
      </div>
    </div>
  );
}
