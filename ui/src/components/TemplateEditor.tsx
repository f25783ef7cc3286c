// Managing a dashboard's template variables.

import { useState } from 'preact/hooks';
import { TEMPLATE_TYPES, RESERVED, normalizeTempVar, parseCSVValues, parseMapValues, valueType, type Template, type TemplateType } from '../templates';
import { newId } from '../dashboardsApi';

interface Props {
  templates: Template[];
  dbs: string[];
  onSave: (t: Template[]) => void;
  onCancel: () => void;
}

function blank(): Template {
  return { id: newId(), tempVar: ':name:', type: 'tagValues', label: '', values: [], query: {} };
}

/** Text of a static variable's values for its textarea. */
function valuesText(t: Template): string {
  if (t.type === 'map') return t.values.map((v) => `${v.key}, ${v.value}`).join('\n');
  if (t.type === 'csv') return t.values.map((v) => v.value).join(', ');
  return t.values[0]?.value ?? '';
}

function withStatic(t: Template, text: string): Template {
  const sel = t.values.find((v) => v.selected)?.value;
  if (t.type === 'map') {
    const es = parseMapValues(text);
    return { ...t, values: es.map((e, i) => ({ key: e.key, value: e.value, type: 'map', selected: sel ? e.value === sel : i === 0 })) };
  }
  if (t.type === 'csv') {
    const vs = parseCSVValues(text);
    return { ...t, values: vs.map((v, i) => ({ value: v, type: 'csv', selected: sel ? v === sel : i === 0 })) };
  }
  return { ...t, values: [{ value: text, type: valueType(t.type), selected: true }] };
}

/** The template variables editor (a modal). */
export function TemplateEditor({ templates, dbs, onSave, onCancel }: Props) {
  const [list, setList] = useState<Template[]>(templates);
  const [texts, setTexts] = useState<Record<string, string>>(Object.fromEntries(templates.map((t) => [t.id, valuesText(t)])));
  const [error, setError] = useState<string | null>(null);
  const update = (id: string, patch: Partial<Template>) => setList(list.map((t) => (t.id === id ? { ...t, ...patch } : t)));
  const save = () => {
    const names = new Set<string>();
    const out: Template[] = [];
    for (const t0 of list) {
      const t = { ...t0, tempVar: normalizeTempVar(t0.tempVar) };
      if (t.tempVar === '::' || !/^:[A-Za-z_][\w-]*:$/.test(t.tempVar)) return setError(`invalid variable name ${t.tempVar}: use letters, digits, _ and -`);
      if (RESERVED.includes(t.tempVar)) return setError(`${t.tempVar} is a built-in variable`);
      if (names.has(t.tempVar)) return setError(`${t.tempVar} is defined twice`);
      names.add(t.tempVar);
      const isStatic = t.type === 'csv' || t.type === 'map' || t.type === 'text' || t.type === 'constant';
      out.push(isStatic ? withStatic(t, texts[t.id] ?? '') : t);
    }
    onSave(out);
  };
  return (
    <div class="modal-back" role="dialog" aria-modal="true" aria-label="Template variables">
      <div class="modal">
        <div class="spread">
          <h2 style={{ marginTop: 0 }}>Template variables</h2>
          <div class="row">
            <button onClick={onCancel}>Cancel</button>
            <button class="primary" onClick={save}>
              Save variables
            </button>
          </div>
        </div>
        <p class="muted">
          Use a variable in a cell's query as <code>:name:</code>. Tag values are substituted as <code>'value'</code>; databases, measurements, field
          and tag keys as <code>"value"</code>; the others as typed. A Flux query's variable lists the <code>_value</code> column of its result (it may use{' '}
          <code>v.timeRangeStart</code> and earlier variables); Flux cells also read every variable as <code>v.name</code>.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {list.map((t, i) => {
          const q = t.query ?? {};
          const setQ = (patch: Partial<typeof q>) => update(t.id, { query: { ...q, ...patch } });
          const n = i + 1;
          return (
            <div class="card" style={{ marginBottom: '8px' }} data-testid="template-row">
              <div class="row">
                <label>
                  Name
                  <input aria-label={`Variable ${n} name`} value={t.tempVar} onInput={(e) => update(t.id, { tempVar: (e.target as HTMLInputElement).value })} />
                </label>
                <label>
                  Type
                  <select aria-label={`Variable ${n} type`} value={t.type} onChange={(e) => update(t.id, { type: (e.target as HTMLSelectElement).value as TemplateType, values: [] })}>
                    {TEMPLATE_TYPES.map((x) => (
                      <option value={x.type}>{x.label}</option>
                    ))}
                  </select>
                </label>
                {['measurements', 'fieldKeys', 'tagKeys', 'tagValues'].includes(t.type) && (
                  <label>
                    Database
                    <select aria-label={`Variable ${n} database`} value={q.db ?? ''} onChange={(e) => setQ({ db: (e.target as HTMLSelectElement).value })}>
                      <option value="" />
                      {dbs.map((d) => (
                        <option value={d}>{d}</option>
                      ))}
                    </select>
                  </label>
                )}
                {['fieldKeys', 'tagKeys', 'tagValues'].includes(t.type) && (
                  <label>
                    Measurement
                    <input aria-label={`Variable ${n} measurement`} value={q.measurement ?? ''} onInput={(e) => setQ({ measurement: (e.target as HTMLInputElement).value })} />
                  </label>
                )}
                {t.type === 'tagValues' && (
                  <label>
                    Tag key
                    <input aria-label={`Variable ${n} tag key`} value={q.tagKey ?? ''} onInput={(e) => setQ({ tagKey: (e.target as HTMLInputElement).value })} />
                  </label>
                )}
                <button class="link danger" onClick={() => setList(list.filter((x) => x.id !== t.id))}>
                  Delete
                </button>
              </div>
              {t.type === 'influxql' && (
                <label style={{ display: 'flex', marginTop: '6px' }}>
                  Meta query
                  <input
                    aria-label={`Variable ${n} meta query`}
                    style={{ flex: 1 }}
                    value={q.influxql ?? ''}
                    placeholder='SHOW TAG VALUES ON "telegraf" FROM "cpu" WITH KEY = "host"'
                    onInput={(e) => setQ({ influxql: (e.target as HTMLInputElement).value })}
                  />
                </label>
              )}
              {t.type === 'flux' && (
                <label style={{ display: 'flex', marginTop: '6px' }}>
                  Flux query
                  <textarea
                    aria-label={`Variable ${n} Flux query`}
                    style={{ flex: 1, fontFamily: 'monospace' }}
                    rows={4}
                    value={q.flux ?? ''}
                    placeholder={'from(bucket: "telegraf/autogen")\n  |> range(start: v.timeRangeStart)\n  |> filter(fn: (r) => r._measurement == "cpu")\n  |> keep(columns: ["host"]) |> distinct(column: "host")'}
                    onInput={(e) => setQ({ flux: (e.target as HTMLTextAreaElement).value })}
                  />
                </label>
              )}
              {(t.type === 'csv' || t.type === 'map' || t.type === 'text') && (
                <label style={{ display: 'flex', marginTop: '6px' }}>
                  {t.type === 'csv' ? 'Values (comma-separated)' : t.type === 'map' ? 'Entries (key, value per line)' : 'Default text'}
                  <textarea
                    aria-label={`Variable ${n} values`}
                    style={{ flex: 1 }}
                    rows={t.type === 'map' ? 4 : 1}
                    value={texts[t.id] ?? ''}
                    onInput={(e) => setTexts({ ...texts, [t.id]: (e.target as HTMLTextAreaElement).value })}
                  />
                </label>
              )}
            </div>
          );
        })}
        <button onClick={() => setList([...list, blank()])}>Add variable</button>
      </div>
    </div>
  );
}
