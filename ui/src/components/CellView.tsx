// One dashboard cell's content: runs its queries with the dashboard's
// variables substituted and renders the visualization.

import { useEffect, useState } from 'preact/hooks';
import { influxql, type QueryResponse } from '../api';
import type { Cell } from '../dashboard';
import { substitute, unresolved, type Substitution } from '../templates';
import { Visualization } from './Visualization';
import type { Annotation } from '../annotations';
import { flux, sql } from '../otherQueries';
import { fluxTimeOption } from '../templates';

interface Props {
  cell: Cell;
  subs: Substitution[];
  height: number;
  /** Changes force a re-run (auto-refresh). */
  tick: number;
  onZoom?: (a: number, b: number) => void;
  annotations?: Annotation[];
  /** Adds an annotation from a click (or Shift+drag) on the chart. */
  onAnnotate?: (start: number, end: number) => void;
}

/** The cell content. */
export function CellView({ cell, subs, height, tick, onZoom, annotations, onAnnotate }: Props) {
  const [state, setState] = useState<{ response: QueryResponse | null; error: string | null; loading: boolean }>({ response: null, error: null, loading: false });
  const key = JSON.stringify([cell.queries, subs]);
  useEffect(() => {
    if (cell.type === 'note' || cell.queries.length === 0) return;
    const c = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    (async () => {
      const results = [];
      for (const q of cell.queries) {
        const text = substitute(q.query, subs);
        const missing = q.type === 'flux' ? [] : unresolved(text, subs);
        if (missing.length) throw new Error(`unknown template variable ${missing.join(', ')}`);
        const r =
          q.type === 'flux'
            ? await flux(fluxTimeOption(text, subs), c.signal)
            : q.type === 'sql'
              ? await sql(text, q.db ?? '', c.signal)
              : await influxql(text, { db: q.db, rp: q.rp, signal: c.signal });
        results.push(...r.results);
      }
      return { results };
    })().then(
      (response) => !c.signal.aborted && setState({ response, error: null, loading: false }),
      (e) => !c.signal.aborted && setState({ response: null, error: (e as Error).message, loading: false }),
    );
    return () => c.abort();
  }, [key, tick]);

  if (cell.type === 'note') return <div style={{ whiteSpace: 'pre-wrap', overflow: 'auto', height: '100%' }}>{cell.note}</div>;
  if (cell.queries.length === 0) return <p class="muted">No query yet: edit the cell to add one.</p>;
  return (
    <>
      {state.loading && <span class="spinner" style={{ position: 'absolute', right: '8px', top: '8px' }} role="status" aria-label="Loading" />}
      {state.error && (
        <div class="error" role="alert">
          {state.error}
        </div>
      )}
      {state.response && (
        <Visualization
          response={state.response}
          type={cell.type}
          height={Math.max(60, height - (cell.legend.hidden ? 10 : 40))}
          axis={cell.axes.y}
          colors={cell.colors}
          legend={!cell.legend.hidden}
          digits={cell.decimalPlaces.isEnforced ? cell.decimalPlaces.digits : null}
          onZoom={onZoom}
          annotations={annotations}
          onAnnotate={onAnnotate}
        />
      )}
    </>
  );
}
