// Data Explorer: schema browser, query builder, raw InfluxQL editor, results.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { SchemaBrowser } from '../components/SchemaBrowser';
import { Editor, type Language } from '../components/Editor';
import { flux, sql } from '../otherQueries';
import { TimeRangePicker } from '../components/TimeRangePicker';
import { Visualization } from '../components/Visualization';
import { REFRESH_CHOICES, useInterval, useQueryRunner } from '../hooks';
import * as qb from '../querybuilder';
import { builtinSubstitutions, fluxTimeOption, substitute } from '../templates';
import type { TimeRange } from '../timerange';
import { toCSV, toTable } from '../results';
import { VIS_TYPES, type VisType } from '../dashboard';
import { isReadOnly } from '../influxql';
import type { SchemaNames } from '../influxqlLang';
import { namesFor } from '../schema';

const STORE = 'almanac.explorer';

interface Saved {
  builder: qb.BuilderQuery;
  raw: string;
  mode: 'builder' | 'raw';
  range: TimeRange;
  vis: VisType;
  lang?: Language;
  flux?: string;
  sql?: string;
}

function load(): Saved {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE) ?? '');
    if (s && s.builder) return s;
  } catch {
    /* fresh */
  }
  return { builder: qb.emptyQuery(), raw: '', mode: 'builder', range: { kind: 'relative', duration: '1h' }, vis: 'line' };
}

/** Downloads text as a file. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The explorer page. */
export function Explorer() {
  const saved = useMemo(load, []);
  const [builder, setBuilder] = useState(saved.builder);
  const [raw, setRaw] = useState(saved.raw);
  const [mode, setMode] = useState<'builder' | 'raw'>(saved.mode);
  const [range, setRange] = useState<TimeRange>(saved.range);
  const [vis, setVis] = useState<VisType>(saved.vis);
  const [lang, setLang] = useState<Language>(saved.lang ?? 'influxql');
  const [fluxText, setFluxText] = useState(saved.flux ?? 'from(bucket: "telegraf")\n  |> range(start: -1h)\n  |> filter(fn: (r) => r._measurement == "cpu")\n  |> aggregateWindow(every: 1m, fn: mean)');
  const [sqlText, setSqlText] = useState(saved.sql ?? '');
  const [refresh, setRefresh] = useState(0);
  const names = useRef<SchemaNames>({ measurements: [], tagKeys: [], fieldKeys: [] });
  const { state, run, cancel } = useQueryRunner();

  const text = lang === 'flux' ? fluxText : lang === 'sql' ? sqlText : mode === 'builder' ? qb.buildQuery(builder) : raw;
  useEffect(() => {
    sessionStorage.setItem(STORE, JSON.stringify({ builder, raw, mode, range, vis, lang, flux: fluxText, sql: sqlText }));
  }, [builder, raw, mode, range, vis, lang, fluxText, sqlText]);

  const execute = (tr: TimeRange = range) => {
    if (!text.trim()) return;
    if (lang === 'flux') return run(text, {}, (signal) => flux(fluxTimeOption(text, builtinSubstitutions(tr)), signal));
    if (lang === 'sql') return run(text, {}, (signal) => sql(text, builder.db, signal));
    const q = substitute(text, builtinSubstitutions(tr));
    run(q, { db: builder.db || undefined, rp: builder.rp || undefined });
  };
  // The builder runs as it changes (like Chronograf); raw queries on demand.
  useEffect(() => {
    if (lang === 'influxql' && mode === 'builder' && builder.measurement) execute();
  }, [builder, mode]);
  // A new time range (picker or zoom) runs the last query again.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (lang !== 'influxql' || isReadOnly(text)) execute();
  }, [JSON.stringify(range)]);
  useInterval(() => (lang !== 'influxql' || isReadOnly(text)) && execute(), refresh);

  const zoom = (a: number, b: number) => setRange({ kind: 'absolute', start: a, end: b });
  const aggregate = qb.isAggregate(builder);

  return (
    <div class="explorer">
      <SchemaBrowser
        query={builder}
        onSelectDb={(db, rp) => setBuilder(db && db === builder.db ? { ...builder, rp } : qb.emptyQuery(db, rp))}
        onSelectMeasurement={(m) => {
          setMode('builder');
          setBuilder({ ...qb.emptyQuery(builder.db, builder.rp), measurement: m });
        }}
        onToggleField={(f) => (setMode('builder'), setBuilder(qb.toggleField(builder, f)))}
        onToggleTag={(k, v) => (setMode('builder'), setBuilder(qb.toggleTagValue(builder, k, v)))}
        onToggleGroupBy={(k) => (setMode('builder'), setBuilder(qb.toggleGroupByTag(builder, k)))}
        onSchema={(n) => {
          if (n.measurements.length) names.current = { ...names.current, measurements: n.measurements };
          if (n.tagKeys.length || n.fieldKeys.length) names.current = { ...names.current, tagKeys: n.tagKeys, fieldKeys: n.fieldKeys };
        }}
      />
      <section class="explorer-right" aria-label="Query">
        <div class="spread">
          <h1 style={{ margin: 0 }}>Data Explorer</h1>
          <div class="row">
            <TimeRangePicker value={range} onChange={setRange} />
            <label>
              Auto-refresh
              <select aria-label="Auto-refresh" value={refresh} onChange={(e) => setRefresh(Number((e.target as HTMLSelectElement).value))}>
                {REFRESH_CHOICES.map((c) => (
                  <option value={c.ms}>{c.label}</option>
                ))}
              </select>
            </label>
          </div>
        </div>
        <div class="row" role="radiogroup" aria-label="Query language">
          {(['influxql', 'flux', 'sql'] as Language[]).map((l) => (
            <label>
              <input type="radio" name="lang" checked={lang === l} onChange={() => setLang(l)} /> {l === 'influxql' ? 'InfluxQL' : l === 'flux' ? 'Flux' : 'SQL'}
            </label>
          ))}
          {lang === 'sql' && <span class="muted">on database {builder.db ? <code>{builder.db}</code> : '(choose one in the schema)'}</span>}
        </div>
        {lang === 'influxql' && mode === 'builder' && builder.fields.length > 0 && (
          <div class="card row" aria-label="Query builder">
            {builder.fields.map((f) => (
              <label>
                {f.field}
                <select aria-label={`Function of ${f.field}`} value={f.func} onChange={(e) => setBuilder(qb.setFunction(builder, f.field, (e.target as HTMLSelectElement).value))}>
                  <option value="">(raw)</option>
                  {qb.FUNCTIONS.map((fn) => (
                    <option value={fn}>{fn}</option>
                  ))}
                </select>
              </label>
            ))}
            {aggregate && (
              <>
                <label>
                  Group by time
                  <select aria-label="Group by time" value={builder.groupByTime} onChange={(e) => setBuilder({ ...builder, groupByTime: (e.target as HTMLSelectElement).value })}>
                    {['auto', '', '1s', '10s', '1m', '5m', '10m', '30m', '1h', '6h', '1d', '7d'].map((d) => (
                      <option value={d}>{d === '' ? 'none' : d}</option>
                    ))}
                  </select>
                </label>
                <label>
                  Fill
                  <select aria-label="Fill" value={builder.fill} onChange={(e) => setBuilder({ ...builder, fill: (e.target as HTMLSelectElement).value })}>
                    {qb.FILLS.map((f) => (
                      <option value={f}>{f}</option>
                    ))}
                  </select>
                </label>
              </>
            )}
            {Object.keys(builder.tags).length > 0 && (
              <label>
                <input type="checkbox" checked={!builder.tagsAccepted} onChange={() => setBuilder({ ...builder, tagsAccepted: !builder.tagsAccepted })} />
                Exclude selected tag values
              </label>
            )}
          </div>
        )}
        <Editor
          key={lang}
          language={lang}
          label={lang === 'flux' ? 'Flux query' : lang === 'sql' ? 'SQL query' : 'InfluxQL query'}
          value={text}
          placeholder={lang === 'sql' ? "SELECT * FROM cpu WHERE time > now() - interval '1 hour'" : 'SELECT mean("value") FROM "cpu" WHERE time > :dashboardTime: GROUP BY time(:interval:)'}
          onChange={(v) => {
            if (lang === 'flux') return setFluxText(v);
            if (lang === 'sql') return setSqlText(v);
            if (v !== text) {
              setRaw(v);
              setMode('raw');
            }
          }}
          onRun={() => execute()}
          schema={() => {
            // The schema browser's names, and those of the measurement a typed query reads.
            const typed = namesFor(builder.db || undefined, text);
            const n = names.current;
            const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
            return {
              measurements: union(n.measurements, typed.measurements),
              tagKeys: union(n.tagKeys, typed.tagKeys),
              fieldKeys: union(n.fieldKeys, typed.fieldKeys),
              templateVars: [':dashboardTime:', ':upperDashboardTime:', ':interval:'],
            };
          }}
        />
        <div class="spread">
          <div class="row">
            <button class="primary" onClick={() => execute()} disabled={!text.trim()}>
              Run <span class="muted" style={{ color: 'inherit' }}>(Ctrl+Enter)</span>
            </button>
            {state.loading && (
              <>
                <span class="spinner" role="status" aria-label="Running" />
                <button onClick={cancel}>Cancel</button>
              </>
            )}
            {lang === 'influxql' && mode === 'raw' && builder.measurement && (
              <button class="link" onClick={() => setMode('builder')}>
                Back to the builder's query
              </button>
            )}
            {state.elapsedMs !== null && !state.loading && (
              <span class="muted" data-testid="timing">
                {state.error ? 'failed after' : 'took'} {Math.round(state.elapsedMs)} ms
              </span>
            )}
          </div>
          <div class="row">
            <label>
              Visualization
              <select aria-label="Visualization" value={vis} onChange={(e) => setVis((e.target as HTMLSelectElement).value as VisType)}>
                {VIS_TYPES.filter((v) => v.type !== 'note').map((v) => (
                  <option value={v.type}>{v.label}</option>
                ))}
              </select>
            </label>
            <button disabled={!state.response} onClick={() => state.response && download('query.csv', toCSV(toTable(state.response)), 'text/csv')}>
              Download CSV
            </button>
          </div>
        </div>
        {state.query && (
          <pre class="code muted" style={{ margin: 0, whiteSpace: 'pre-wrap', fontSize: '12px' }} data-testid="sent-query">
            {state.query}
          </pre>
        )}
        {state.error && (
          <div class="error" role="alert">
            {state.error}
          </div>
        )}
        <div class="card" style={{ minHeight: '340px' }}>
          {state.response ? (
            <Visualization response={state.response} type={vis} height={320} onZoom={zoom} />
          ) : (
            <div class="empty">
              <p>Pick a database and a measurement on the left, or write InfluxQL above and press Run.</p>
              <p>
                <code>:dashboardTime:</code>, <code>:upperDashboardTime:</code> and <code>:interval:</code> follow the time range.
                Drag over a chart to zoom in.
              </p>
            </div>
          )}
        </div>
      </section>
    </div>
  );
}
