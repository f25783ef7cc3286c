// A dashboard on screen: template variable bar, time range, auto-refresh,
// and the cells on a drag-and-resize grid.

import { useEffect, useRef, useState } from 'preact/hooks';
import { influxql } from '../api';
import { flux } from '../otherQueries';
import { GRID_COLUMNS, newCell, nextRow, resolveOverlaps, type Cell, type Dashboard } from '../dashboard';
import { builtinSubstitutions, fluxQuery, fluxTimeOption, metaQuery, select, valuesFromFlux, substitute, titleSubstitutions, userSubstitutions, valuesFromResponse, withValues, type Template } from '../templates';
import type { TimeRange } from '../timerange';
import { REFRESH_CHOICES, useInterval } from '../hooks';
import { TimeRangePicker } from './TimeRangePicker';
import { CellView } from './CellView';
import { CellEditor } from './CellEditor';
import { TemplateEditor } from './TemplateEditor';
import { databases } from '../schema';
import { newId } from '../dashboardsApi';
import { listAnnotations, type Annotation } from '../annotations';
import { AnnotationsDialog, NewAnnotationDialog } from './AnnotationsDialog';
import { bounds } from '../timerange';

const ROW_HEIGHT = 80;

/** A CSS length (Preact 11 does not add `px` to numbers). */
const px = (n: number) => `${n}px`;
const GAP = 8;

interface Props {
  dashboard: Dashboard;
  /** Saves a changed dashboard; absent for read-only boards. */
  onChange?: (d: Dashboard) => void;
  editing: boolean;
  range: TimeRange;
  onRange: (t: TimeRange) => void;
  toolbar?: preact.ComponentChildren;
}

/**
 * Loads the values of dynamic variables (in order, so later ones may use
 * earlier ones): InfluxQL meta queries through /query, Flux variables through
 * /api/v2/query with `v` (time range and earlier variables) defined.
 */
async function resolveTemplates(ts: Template[], range: TimeRange, signal: AbortSignal): Promise<{ templates: Template[]; errors: string[] }> {
  const out: Template[] = [];
  const errors: string[] = [];
  for (const t of ts) {
    try {
      const fq = fluxQuery(t);
      if (fq !== null) {
        const subs = [...userSubstitutions(out), ...builtinSubstitutions(range)];
        const resp = await flux(fluxTimeOption(substitute(fq, subs), subs), signal);
        out.push(withValues(t, valuesFromFlux(resp)));
        continue;
      }
      const q = metaQuery(t);
      if (q === null) {
        out.push(t);
        continue;
      }
      const resp = await influxql(substitute(q, userSubstitutions(out)), { db: t.query?.db, signal });
      out.push(withValues(t, valuesFromResponse(t, resp)));
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      errors.push(`${t.tempVar}: ${(e as Error).message}`);
      out.push(t);
    }
  }
  return { templates: out, errors };
}

/** The board. */
export function Board({ dashboard, onChange, editing, range, onRange, toolbar }: Props) {
  const [templates, setTemplates] = useState<Template[]>(dashboard.templates);
  const [tplErrors, setTplErrors] = useState<string[]>([]);
  const [refresh, setRefresh] = useState(0);
  const [tick, setTick] = useState(0);
  const [editCell, setEditCell] = useState<Cell | null>(null);
  const [editTemplates, setEditTemplates] = useState(false);
  const [dbs, setDbs] = useState<string[]>([]);
  const [width, setWidth] = useState(1000);
  const [drag, setDrag] = useState<{ id: string; mode: 'move' | 'resize'; x0: number; y0: number; cell: Cell; preview: Cell } | null>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const [annotations, setAnnotations] = useState<Annotation[]>([]);
  const [annTick, setAnnTick] = useState(0);
  const [showAnnotations, setShowAnnotations] = useState(false);
  const [newAnnotation, setNewAnnotation] = useState<{ start: number; end: number } | null>(null);
  useInterval(() => setTick((t) => t + 1), refresh);

  useEffect(() => {
    const c = new AbortController();
    const [a, b] = bounds(range);
    listAnnotations(a, b, c.signal).then(setAnnotations, () => !c.signal.aborted && setAnnotations([]));
    return () => c.abort();
  }, [JSON.stringify(range), tick, annTick]);

  useEffect(() => {
    const c = new AbortController();
    resolveTemplates(dashboard.templates, range, c.signal).then(
      (r) => {
        setTemplates(r.templates);
        setTplErrors(r.errors);
      },
      () => {},
    );
    return () => c.abort();
    // Flux variables may read the time range (v.timeRangeStart): resolve them again when it changes.
  }, [JSON.stringify(dashboard.templates), dashboard.templates.some((t) => t.type === 'flux') ? JSON.stringify(range) : '']);

  useEffect(() => {
    if (editing) databases().then(setDbs, () => setDbs([]));
  }, [editing]);

  useEffect(() => {
    const el = gridRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  const subs = [...userSubstitutions(templates), ...builtinSubstitutions(range)];
  const titleSubs = titleSubstitutions(templates);
  const colW = (width - GAP * (GRID_COLUMNS - 1)) / GRID_COLUMNS;
  const cells = dashboard.cells.map((c) => (drag && drag.id === c.id ? drag.preview : c));

  const save = (d: Dashboard) => onChange?.(d);
  const saveCell = (c: Cell) => save({ ...dashboard, cells: resolveOverlaps(dashboard.cells.map((x) => (x.id === c.id ? c : x)), c.id) });
  const chooseValue = (t: Template, value: string) => {
    const next = templates.map((x) => (x.id === t.id ? select(x, value) : x));
    setTemplates(next);
    // Remember the selection with the dashboard (as Chronograf does).
    // Dynamic variables are stored with their resolved values, as Chronograf does.
    if (onChange) save({ ...dashboard, templates: dashboard.templates.map((x) => next.find((n) => n.id === x.id && n.id === t.id) ?? x) });
  };

  const onPointerDown = (e: PointerEvent, c: Cell, mode: 'move' | 'resize') => {
    if (!editing || e.button !== 0) return;
    if ((e.target as HTMLElement).closest('button') && mode === 'move') return;
    e.preventDefault();
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    setDrag({ id: c.id, mode, x0: e.clientX, y0: e.clientY, cell: c, preview: c });
  };
  const onPointerMove = (e: PointerEvent) => {
    if (!drag) return;
    const dx = Math.round((e.clientX - drag.x0) / (colW + GAP));
    const dy = Math.round((e.clientY - drag.y0) / (ROW_HEIGHT + GAP));
    const c = drag.cell;
    const preview =
      drag.mode === 'move'
        ? { ...c, x: Math.max(0, Math.min(GRID_COLUMNS - c.w, c.x + dx)), y: Math.max(0, c.y + dy) }
        : { ...c, w: Math.max(1, Math.min(GRID_COLUMNS - c.x, c.w + dx)), h: Math.max(1, c.h + dy) };
    setDrag({ ...drag, preview });
  };
  const onPointerUp = () => {
    if (!drag) return;
    const p = drag.preview;
    setDrag(null);
    if (p.x !== drag.cell.x || p.y !== drag.cell.y || p.w !== drag.cell.w || p.h !== drag.cell.h) saveCell(p);
  };
  const keyMove = (e: KeyboardEvent, c: Cell) => {
    if (!editing) return;
    const moves: Record<string, Partial<Cell>> = e.shiftKey
      ? { ArrowRight: { w: Math.min(GRID_COLUMNS - c.x, c.w + 1) }, ArrowLeft: { w: Math.max(1, c.w - 1) }, ArrowDown: { h: c.h + 1 }, ArrowUp: { h: Math.max(1, c.h - 1) } }
      : { ArrowRight: { x: Math.min(GRID_COLUMNS - c.w, c.x + 1) }, ArrowLeft: { x: Math.max(0, c.x - 1) }, ArrowDown: { y: c.y + 1 }, ArrowUp: { y: Math.max(0, c.y - 1) } };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    saveCell({ ...c, ...m });
  };

  const height = cells.reduce((m, c) => Math.max(m, c.y + c.h), 0) * (ROW_HEIGHT + GAP);
  return (
    <div class={editing ? 'editing' : ''}>
      <div class="spread" style={{ marginBottom: '6px' }}>
        <div class="row">{toolbar}</div>
        <div class="row">
          <TimeRangePicker value={range} onChange={onRange} />
          <label>
            Refresh
            <select aria-label="Auto-refresh" value={refresh} onChange={(e) => setRefresh(Number((e.target as HTMLSelectElement).value))}>
              {REFRESH_CHOICES.map((c) => (
                <option value={c.ms}>{c.label}</option>
              ))}
            </select>
          </label>
          <button onClick={() => setTick((t) => t + 1)} aria-label="Refresh now">
            ↻
          </button>
          <button onClick={() => setShowAnnotations(true)}>Annotations{annotations.length ? ` (${annotations.length})` : ''}</button>
          {editing && onChange && (
            <>
              <button onClick={() => setEditTemplates(true)}>Variables</button>
              <button
                class="primary"
                onClick={() => {
                  const c = { ...newCell(newId(), nextRow(dashboard.cells)) };
                  setEditCell(c);
                }}
              >
                Add cell
              </button>
            </>
          )}
        </div>
      </div>
      {templates.length > 0 && (
        <div class="template-bar" aria-label="Template variables">
          {templates.map((t) =>
            t.type === 'text' ? (
              <label>
                {t.tempVar}
                <input
                  aria-label={t.tempVar}
                  value={t.values[0]?.value ?? ''}
                  onChange={(e) => chooseValue(t, (e.target as HTMLInputElement).value)}
                />
              </label>
            ) : (
              <label>
                {t.label || t.tempVar}
                <select aria-label={t.tempVar} value={t.values.find((v) => v.selected)?.value ?? ''} onChange={(e) => chooseValue(t, (e.target as HTMLSelectElement).value)}>
                  {t.values.length === 0 && <option value="">(no values)</option>}
                  {t.values.map((v) => (
                    <option value={v.value}>{v.key ?? v.value}</option>
                  ))}
                </select>
              </label>
            ),
          )}
        </div>
      )}
      {tplErrors.map((e) => (
        <p class="error">{e}</p>
      ))}
      {dashboard.cells.length === 0 && (
        <div class="empty">
          <p>This dashboard has no cells yet.</p>
          {onChange && <p>{editing ? 'Use “Add cell” to add a graph.' : 'Press “Edit” to add cells.'}</p>}
        </div>
      )}
      <div class="grid" ref={gridRef} style={{ height: px(height) }} onPointerMove={onPointerMove} onPointerUp={onPointerUp}>
        {cells.map((c) => {
          const h = c.h * ROW_HEIGHT + (c.h - 1) * GAP;
          return (
            <section
              class="cell"
              aria-label={substitute(c.name, titleSubs) || 'cell'}
              data-testid="cell"
              style={{ left: px(c.x * (colW + GAP)), top: px(c.y * (ROW_HEIGHT + GAP)), width: px(c.w * colW + (c.w - 1) * GAP), height: px(h), zIndex: drag?.id === c.id ? 2 : 1 }}
            >
              <div class="cell-head" onPointerDown={(e) => onPointerDown(e as unknown as PointerEvent, c, 'move')} tabIndex={editing ? 0 : -1} onKeyDown={(e) => keyMove(e as unknown as KeyboardEvent, c)} title={editing ? 'Drag to move; arrow keys move, Shift+arrows resize' : undefined}>
                <span class="title">{substitute(c.name, titleSubs)}</span>
                {editing && onChange && (
                  <>
                    <button class="link" onClick={() => setEditCell(c)}>
                      Edit
                    </button>
                    <button class="link" onClick={() => save({ ...dashboard, cells: [...dashboard.cells, { ...c, id: newId(), y: nextRow(dashboard.cells) }] })}>
                      Clone
                    </button>
                    <button class="link danger" onClick={() => save({ ...dashboard, cells: dashboard.cells.filter((x) => x.id !== c.id) })}>
                      Delete
                    </button>
                  </>
                )}
              </div>
              <div class="cell-body">
                <CellView cell={c} subs={subs} height={h - 44} tick={tick} annotations={annotations}
                  onAnnotate={drag ? undefined : (start, end) => setNewAnnotation({ start, end })}
                  onZoom={(a, b) => onRange({ kind: 'absolute', start: a, end: b })}
                />
              </div>
              {editing && <div class="resize" aria-hidden="true" onPointerDown={(e) => onPointerDown(e as unknown as PointerEvent, c, 'resize')} />}
            </section>
          );
        })}
      </div>
      {editCell && (
        <CellEditor
          cell={editCell}
          dbs={dbs}
          subs={subs}
          templateVars={templates.map((t) => t.tempVar)}
          onCancel={() => setEditCell(null)}
          onSave={(c) => {
            setEditCell(null);
            const exists = dashboard.cells.some((x) => x.id === c.id);
            if (exists) saveCell(c);
            else save({ ...dashboard, cells: [...dashboard.cells, c] });
          }}
        />
      )}
      {newAnnotation && (
        <NewAnnotationDialog
          start={newAnnotation.start}
          end={newAnnotation.end}
          onSaved={() => {
            setNewAnnotation(null);
            setAnnTick((t) => t + 1);
          }}
          onClose={() => setNewAnnotation(null)}
        />
      )}
      {showAnnotations && <AnnotationsDialog annotations={annotations} onChanged={() => setAnnTick((t) => t + 1)} onClose={() => setShowAnnotations(false)} />}
      {editTemplates && (
        <TemplateEditor
          templates={dashboard.templates}
          dbs={dbs}
          onCancel={() => setEditTemplates(false)}
          onSave={(t) => {
            setEditTemplates(false);
            save({ ...dashboard, templates: t });
          }}
        />
      )}
    </div>
  );
}
