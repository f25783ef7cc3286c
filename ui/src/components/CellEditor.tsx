// Editing a cell: queries, visualization and its options, with a preview.

import { useState } from 'preact/hooks';
import { VIS_TYPES, type Cell, type CellColor, type VisType } from '../dashboard';
import { LINE_SCHEMES, seriesColors } from '../chartUtil';

/** Visualizations drawn as graphs (they take a line color scheme). */
const GRAPHS = new Set<VisType>(['line', 'line-stacked', 'line-stepplot', 'bar', 'line-plus-single-stat']);
import { Editor } from './Editor';
import { CellView } from './CellView';
import type { Substitution } from '../templates';
import { newId } from '../dashboardsApi';
import { namesFor } from '../schema';

interface Props {
  cell: Cell;
  dbs: string[];
  subs: Substitution[];
  templateVars: string[];
  onSave: (c: Cell) => void;
  onCancel: () => void;
}

/** The cell editor (a modal). */
export function CellEditor({ cell, dbs, subs, templateVars, onSave, onCancel }: Props) {
  const [c, setC] = useState<Cell>(cell);
  const [preview, setPreview] = useState(0);
  // Queries run in the preview only on refresh (not on every keystroke).
  const [shownQueries, setShownQueries] = useState(cell.queries);
  const refresh = () => {
    setShownQueries(c.queries);
    setPreview((p) => p + 1);
  };
  const y = c.axes.y;
  const thresholds = c.colors.filter((k) => k.type !== 'scale');
  const scaleColors = c.colors.filter((k) => k.type === 'scale');
  const scheme = scaleColors[0]?.name ?? '';
  const setScheme = (name: string) => {
    const k = LINE_SCHEMES.find((x) => x.name === name);
    const scale: CellColor[] = k ? k.hex.map((hex, i) => ({ id: newId(), type: 'scale', hex, name: k.name, value: String(i) })) : name ? scaleColors : [];
    setC({ ...c, colors: [...thresholds, ...scale] });
  };
  const setColor = (id: string, patch: Partial<CellColor>) => setC({ ...c, colors: c.colors.map((x) => (x.id === id ? { ...x, ...patch } : x)) });
  const setY = (patch: Partial<typeof y>) => setC({ ...c, axes: { y: { ...y, ...patch } } });
  const input = (v: string, f: (s: string) => void, label: string, size = 10) => (
    <input aria-label={label} value={v} size={size} onInput={(e) => f((e.target as HTMLInputElement).value)} />
  );
  return (
    <div class="modal-back" role="dialog" aria-modal="true" aria-label="Edit cell">
      <div class="modal">
        <div class="spread">
          <h2 style={{ marginTop: 0 }}>Edit cell</h2>
          <div class="row">
            <button onClick={onCancel}>Cancel</button>
            <button class="primary" onClick={() => onSave(c)}>
              Save cell
            </button>
          </div>
        </div>
        <div class="form">
          <label for="cell-name">Title</label>
          <input id="cell-name" value={c.name} onInput={(e) => setC({ ...c, name: (e.target as HTMLInputElement).value })} />
          <label for="cell-type">Visualization</label>
          <select id="cell-type" value={c.type} onChange={(e) => setC({ ...c, type: (e.target as HTMLSelectElement).value as VisType })}>
            {VIS_TYPES.map((v) => (
              <option value={v.type}>{v.label}</option>
            ))}
          </select>
        </div>
        {c.type === 'note' ? (
          <>
            <h3>Note</h3>
            <textarea aria-label="Note" rows={6} style={{ width: '100%' }} value={c.note} onInput={(e) => setC({ ...c, note: (e.target as HTMLTextAreaElement).value })} />
          </>
        ) : (
          <>
            <h3>Queries</h3>
            {c.queries.map((q, i) => (
              <div class="card" style={{ marginBottom: '8px' }}>
                <div class="row" style={{ marginBottom: '6px' }}>
                  <label>
                    Language
                    <select
                      aria-label={`Language of query ${i + 1}`}
                      value={q.type ?? 'influxql'}
                      onChange={(e) => {
                        const t = (e.target as HTMLSelectElement).value as 'influxql' | 'flux' | 'sql';
                        setC({ ...c, queries: c.queries.map((x, j) => (j === i ? { ...x, type: t === 'influxql' ? undefined : t } : x)) });
                      }}
                    >
                      <option value="influxql">InfluxQL</option>
                      <option value="flux">Flux</option>
                      <option value="sql">SQL</option>
                    </select>
                  </label>
                  <label>
                    Database
                    <select
                      aria-label={`Database of query ${i + 1}`}
                      value={q.db ?? ''}
                      onChange={(e) => setC({ ...c, queries: c.queries.map((x, j) => (j === i ? { ...x, db: (e.target as HTMLSelectElement).value || undefined } : x)) })}
                    >
                      <option value="">(none: qualify names in the query)</option>
                      {dbs.map((d) => (
                        <option value={d}>{d}</option>
                      ))}
                    </select>
                  </label>
                  <button class="link danger" onClick={() => setC({ ...c, queries: c.queries.filter((_, j) => j !== i) })}>
                    Remove query
                  </button>
                </div>
                <Editor
                  key={q.type ?? 'influxql'}
                  language={q.type ?? 'influxql'}
                  label={`Query ${i + 1}`}
                  value={q.query}
                  onChange={(v) => setC((cur) => ({ ...cur, queries: cur.queries.map((x, j) => (j === i ? { ...x, query: v } : x)) }))}
                  onRun={refresh}
                  schema={() => ({ ...namesFor(q.db, q.query), templateVars })}
                />
              </div>
            ))}
            <button
              onClick={() =>
                setC({
                  ...c,
                  queries: [
                    ...c.queries,
                    { query: 'SELECT mean("value") FROM "measurement" WHERE time > :dashboardTime: AND time < :upperDashboardTime: GROUP BY time(:interval:) FILL(null)', db: dbs[0] },
                  ],
                })
              }
            >
              Add query
            </button>
            <span class="muted"> Variables: {[':dashboardTime:', ':upperDashboardTime:', ':interval:', ...templateVars].join(' ')}</span>
            <h3>Options</h3>
            <div class="row">
              <label>Y label {input(y.label, (v) => setY({ label: v }), 'Y axis label')}</label>
              <label>Prefix {input(y.prefix, (v) => setY({ prefix: v }), 'Prefix', 4)}</label>
              <label>Suffix {input(y.suffix, (v) => setY({ suffix: v }), 'Suffix', 4)}</label>
              <label>Min {input(y.bounds[0], (v) => setY({ bounds: [v, y.bounds[1]] }), 'Y minimum', 6)}</label>
              <label>Max {input(y.bounds[1], (v) => setY({ bounds: [y.bounds[0], v] }), 'Y maximum', 6)}</label>
              <label>
                Scale
                <select aria-label="Scale" value={y.scale} onChange={(e) => setY({ scale: (e.target as HTMLSelectElement).value as 'linear' | 'log' })}>
                  <option value="linear">linear</option>
                  <option value="log">log</option>
                </select>
              </label>
              <label>
                <input type="checkbox" checked={!c.legend.hidden} onChange={() => setC({ ...c, legend: { hidden: !c.legend.hidden } })} /> Legend
              </label>
              <label>
                <input
                  type="checkbox"
                  checked={c.decimalPlaces.isEnforced}
                  onChange={() => setC({ ...c, decimalPlaces: { ...c.decimalPlaces, isEnforced: !c.decimalPlaces.isEnforced } })}
                />
                Decimals
                <input
                  type="number"
                  aria-label="Decimal places"
                  min={0}
                  max={10}
                  style={{ width: '56px' }}
                  value={c.decimalPlaces.digits}
                  onInput={(e) => setC({ ...c, decimalPlaces: { ...c.decimalPlaces, digits: Number((e.target as HTMLInputElement).value) } })}
                />
              </label>
            </div>
            {GRAPHS.has(c.type) && (
              <div class="row" style={{ marginTop: '8px' }}>
                <label>
                  Line colors
                  <select aria-label="Line colors" value={scheme} onChange={(e) => setScheme((e.target as HTMLSelectElement).value)}>
                    <option value="">Default</option>
                    {LINE_SCHEMES.map((k) => (
                      <option value={k.name}>{k.name}</option>
                    ))}
                    {scheme && !LINE_SCHEMES.some((k) => k.name === scheme) && <option value={scheme}>{scheme} (imported)</option>}
                  </select>
                </label>
                <span class="swatches" aria-hidden="true">
                  {seriesColors(6, scaleColors.map((k) => k.hex)).map((hex) => (
                    <span class="swatch" style={{ background: hex }} />
                  ))}
                </span>
              </div>
            )}
            <h3>Thresholds (single stat, gauge)</h3>
            {thresholds.map((k, i) => (
              <div class="row">
                <label>
                  From {input(k.value, (v) => setColor(k.id, { value: v }), `Threshold ${i + 1} value`, 6)}
                </label>
                <label>
                  Color
                  <input type="color" aria-label={`Threshold ${i + 1} color`} value={k.hex} onInput={(e) => setColor(k.id, { hex: (e.target as HTMLInputElement).value })} />
                </label>
                <button class="link danger" onClick={() => setC({ ...c, colors: c.colors.filter((x) => x.id !== k.id) })}>
                  Remove
                </button>
              </div>
            ))}
            <button onClick={() => setC({ ...c, colors: [...c.colors, { id: newId(), type: 'threshold', hex: '#f05a5a', name: 'threshold', value: '0' }] })}>Add threshold</button>
          </>
        )}
        <h3>
          Preview <button class="link" onClick={refresh}>
            run queries
          </button>
        </h3>
        <div class="card" style={{ height: '280px', position: 'relative' }}>
          <CellView cell={{ ...c, queries: shownQueries }} subs={subs} height={260} tick={preview} />
        </div>
      </div>
    </div>
  );
}
