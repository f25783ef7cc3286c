// The explorer's schema tree: databases → retention policies → measurements →
// tag keys → tag values, and field keys with types.

import { useEffect, useState } from 'preact/hooks';
import * as schema from '../schema';
import type { BuilderQuery } from '../querybuilder';
import { AgentHelp } from './AgentHelp';

interface Props {
  query: BuilderQuery;
  onSelectDb: (db: string, rp: string) => void;
  onSelectMeasurement: (m: string) => void;
  onToggleField: (f: string) => void;
  onToggleTag: (key: string, value: string) => void;
  onToggleGroupBy: (key: string) => void;
  /** Reports tag and field keys of the selected measurement (for completion). */
  onSchema?: (names: { measurements: string[]; tagKeys: string[]; fieldKeys: string[] }) => void;
}

function useLoad<T>(f: (() => Promise<T>) | null, deps: unknown[]): { data: T | null; error: string | null } {
  const [s, set] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  useEffect(() => {
    if (!f) return set({ data: null, error: null });
    let live = true;
    f().then(
      (data) => live && set({ data, error: null }),
      (e) => live && set({ data: null, error: (e as Error).message }),
    );
    return () => void (live = false);
  }, deps);
  return s;
}

function TagKey({ db, m, k, query, onToggleTag, onToggleGroupBy }: { db: string; m: string; k: string } & Pick<Props, 'query' | 'onToggleTag' | 'onToggleGroupBy'>) {
  const [open, setOpen] = useState(false);
  const values = useLoad(open ? () => schema.tagValues(db, m, k) : null, [open, db, m, k]);
  const selected = query.tags[k] ?? [];
  return (
    <li>
      <span class="row" style={{ gap: '2px' }}>
        <button class="node" aria-expanded={open} onClick={() => setOpen(!open)} style={{ width: 'auto', flex: 1 }}>
          {open ? '▾' : '▸'} {k}
          {selected.length > 0 && <span class="pill">{selected.length}</span>}
        </button>
        <button
          class="link"
          aria-pressed={query.groupByTags.includes(k)}
          title={`Group by ${k}`}
          aria-label={`Group by ${k}`}
          onClick={() => onToggleGroupBy(k)}
          style={{ fontWeight: query.groupByTags.includes(k) ? 700 : 400 }}
        >
          group
        </button>
      </span>
      {open && (
        <ul>
          {values.error && <li class="error">{values.error}</li>}
          {values.data?.map((v) => (
            <li>
              <label>
                <input type="checkbox" checked={selected.includes(v)} onChange={() => onToggleTag(k, v)} /> {v}
              </label>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function Measurement(props: Props & { db: string; m: string }) {
  const { db, m, query } = props;
  const open = query.db === db && query.measurement === m;
  const tags = useLoad(open ? () => schema.tagKeys(db, m) : null, [open, db, m]);
  const fields = useLoad(open ? () => schema.fieldKeys(db, m) : null, [open, db, m]);
  useEffect(() => {
    if (open && tags.data && fields.data) props.onSchema?.({ measurements: [], tagKeys: tags.data, fieldKeys: fields.data.map((f) => f.key) });
  }, [open, tags.data, fields.data]);
  return (
    <li>
      <button class={'node' + (open ? ' selected' : '')} aria-expanded={open} onClick={() => props.onSelectMeasurement(open ? '' : m)}>
        {open ? '▾' : '▸'} {m}
      </button>
      {open && (
        <ul>
          <li class="muted">Fields</li>
          {fields.error && <li class="error">{fields.error}</li>}
          {fields.data?.map((f) => (
            <li>
              <label>
                <input type="checkbox" checked={query.fields.some((x) => x.field === f.key)} onChange={() => props.onToggleField(f.key)} />
                {f.key}
                <span class="type">{f.type}</span>
              </label>
            </li>
          ))}
          <li class="muted">Tags</li>
          {tags.error && <li class="error">{tags.error}</li>}
          {tags.data?.length === 0 && <li class="muted">(none)</li>}
          {tags.data?.map((k) => <TagKey db={db} m={m} k={k} query={query} onToggleTag={props.onToggleTag} onToggleGroupBy={props.onToggleGroupBy} />)}
        </ul>
      )}
    </li>
  );
}

function Database(props: Props & { db: string }) {
  const { db, query } = props;
  const open = query.db === db;
  const rps = useLoad(open ? () => schema.retentionPolicies(db) : null, [open, db]);
  const ms = useLoad(open ? () => schema.measurements(db) : null, [open, db]);
  useEffect(() => {
    if (open && ms.data) props.onSchema?.({ measurements: ms.data, tagKeys: [], fieldKeys: [] });
  }, [open, ms.data]);
  return (
    <li>
      <button class={'node' + (open ? ' selected' : '')} aria-expanded={open} onClick={() => props.onSelectDb(open ? '' : db, '')}>
        {open ? '▾' : '▸'} {db}
      </button>
      {open && (
        <ul>
          {rps.data && rps.data.length > 0 && (
            <li>
              <label>
                RP
                <select aria-label="Retention policy" value={query.rp} onChange={(e) => props.onSelectDb(db, (e.target as HTMLSelectElement).value)}>
                  <option value="">(default)</option>
                  {rps.data.map((r) => (
                    <option value={r.name}>{r.name}</option>
                  ))}
                </select>
              </label>
            </li>
          )}
          {ms.error && <li class="error">{ms.error}</li>}
          {ms.data?.length === 0 && <li class="muted">No measurements yet</li>}
          {ms.data?.map((m) => <Measurement {...props} db={db} m={m} />)}
        </ul>
      )}
    </li>
  );
}

/** The schema browser. */
export function SchemaBrowser(props: Props) {
  const dbs = useLoad(() => schema.databases(), []);
  return (
    <nav class="schema card" aria-label="Schema">
      <h2 style={{ marginTop: 0 }}>Schema</h2>
      {dbs.error && <p class="error">{dbs.error}</p>}
      {dbs.data?.length === 0 && (
        <div class="muted">
          <p>No databases yet. Collect metrics of a machine with the agent:</p>
          <AgentHelp />
          <p>or write a point yourself:</p>
          <pre class="code agent-help">{`curl -XPOST '${location.origin}/write?db=mydb' --data-binary 'cpu value=1'`}</pre>
        </div>
      )}
      <ul>{dbs.data?.map((db) => <Database {...props} db={db} />)}</ul>
    </nav>
  );
}
