// The dashboard model, its storage in the v2 dashboards API, and Chronograf
// dashboard JSON import/export.

import { templateToChronograf, type Template } from './templates';

/** Visualization types (Chronograf's names). */
export type VisType =
  | 'line'
  | 'line-stacked'
  | 'line-stepplot'
  | 'bar'
  | 'line-plus-single-stat'
  | 'single-stat'
  | 'gauge'
  | 'table'
  | 'note';

/** Every visualization with a label. */
export const VIS_TYPES: { type: VisType; label: string }[] = [
  { type: 'line', label: 'Line' },
  { type: 'line-stacked', label: 'Stacked' },
  { type: 'line-stepplot', label: 'Step' },
  { type: 'bar', label: 'Bar' },
  { type: 'line-plus-single-stat', label: 'Line + single stat' },
  { type: 'single-stat', label: 'Single stat' },
  { type: 'gauge', label: 'Gauge' },
  { type: 'table', label: 'Table' },
  { type: 'note', label: 'Note' },
];

/** A query of a cell: InfluxQL (default), Flux or SQL. */
export interface CellQuery {
  query: string;
  db?: string;
  rp?: string;
  type?: 'influxql' | 'flux' | 'sql';
}

/** A threshold or series color. */
export interface CellColor {
  id: string;
  type: string;
  hex: string;
  name: string;
  value: string;
}

/** Y axis options. */
export interface Axis {
  label: string;
  prefix: string;
  suffix: string;
  /** [min, max] as text; '' = automatic. */
  bounds: [string, string];
  scale: 'linear' | 'log';
}

/** A cell: grid position, queries, visualization and its options. */
export interface Cell {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  name: string;
  type: VisType;
  queries: CellQuery[];
  axes: { y: Axis };
  colors: CellColor[];
  legend: { hidden: boolean };
  decimalPlaces: { isEnforced: boolean; digits: number };
  note: string;
}

/** A dashboard as the UI edits it. */
export interface Dashboard {
  id: string;
  name: string;
  description: string;
  cells: Cell[];
  templates: Template[];
}

/** Columns of the grid (as Chronograf). */
export const GRID_COLUMNS = 12;

/** Default options of a new cell. */
export function newCell(id: string, y: number): Cell {
  return {
    id,
    x: 0,
    y,
    w: 6,
    h: 4,
    name: 'Untitled cell',
    type: 'line',
    queries: [],
    axes: { y: { label: '', prefix: '', suffix: '', bounds: ['', ''], scale: 'linear' } },
    colors: [],
    legend: { hidden: false },
    decimalPlaces: { isEnforced: false, digits: 2 },
    note: '',
  };
}

function str(v: unknown, dflt = ''): string {
  return typeof v === 'string' ? v : dflt;
}

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

const VIS_NAMES = new Set(VIS_TYPES.map((v) => v.type));

/** A cell from Chronograf's cell JSON (or a v2 view's `properties` in that shape). */
export function cellFromChronograf(c: Record<string, any>, id: string): Cell {
  const base = newCell(id, 0);
  const y = c.axes?.y ?? {};
  const type = VIS_NAMES.has(c.type) ? (c.type as VisType) : 'line';
  const queries: CellQuery[] = Array.isArray(c.queries)
    ? c.queries
        .map((q: any) => ({
          query: str(q?.query) || str(q?.queryConfig?.rawText),
          db: str(q?.queryConfig?.database) || str(q?.db) || undefined,
          rp: str(q?.queryConfig?.retentionPolicy) || str(q?.rp) || undefined,
          ...(q?.type === 'flux' || q?.type === 'sql' ? { type: q.type } : {}),
        }))
        .filter((q: CellQuery) => q.query !== '')
    : [];
  const bounds: [string, string] = Array.isArray(y.bounds) ? [str(y.bounds[0]), str(y.bounds[1])] : ['', ''];
  return {
    ...base,
    x: num(c.x, 0),
    y: num(c.y, 0),
    w: Math.max(1, num(c.w, 4)),
    h: Math.max(1, num(c.h, 4)),
    name: str(c.name),
    type,
    queries,
    axes: {
      y: {
        label: str(y.label),
        prefix: str(y.prefix),
        suffix: str(y.suffix),
        bounds,
        scale: y.scale === 'log' ? 'log' : 'linear',
      },
    },
    colors: Array.isArray(c.colors)
      ? c.colors.map((k: any, i: number) => ({
          id: str(k?.id, String(i)),
          type: str(k?.type, 'threshold'),
          hex: str(k?.hex, '#22ADF6'),
          name: str(k?.name),
          value: String(k?.value ?? ''),
        }))
      : [],
    legend: { hidden: c.legend?.hidden === true },
    decimalPlaces: {
      isEnforced: c.decimalPlaces?.isEnforced === true,
      digits: num(c.decimalPlaces?.digits, 2),
    },
    note: str(c.note),
  };
}

/** Chronograf's cell JSON of a cell (also what a v2 view's properties hold). */
export function cellToChronograf(c: Cell): Record<string, unknown> {
  return {
    i: c.id,
    x: c.x,
    y: c.y,
    w: c.w,
    h: c.h,
    name: c.name,
    queries: c.queries.map((q) => ({
      query: q.query,
      queryConfig: { database: q.db ?? '', retentionPolicy: q.rp ?? '', rawText: q.query },
      source: '',
      type: q.type ?? 'influxql',
    })),
    axes: { y: { ...c.axes.y, base: '10' } },
    type: c.type,
    colors: c.colors,
    legend: c.legend,
    decimalPlaces: c.decimalPlaces,
    note: c.note,
    noteVisibility: 'default',
  };
}

/** Problems found importing a Chronograf dashboard (the import still succeeds). */
export interface ImportResult {
  dashboard: Omit<Dashboard, 'id'>;
  warnings: string[];
}

/**
 * A dashboard from Chronograf's export JSON: `{meta, dashboard: {name,
 * cells, templates}}` or the bare dashboard object. Throws on JSON that is
 * not a dashboard.
 */
export function importChronograf(json: unknown, newId: () => string): ImportResult {
  const root = json as Record<string, any>;
  const d = root && typeof root === 'object' && root.dashboard ? root.dashboard : root;
  if (!d || typeof d !== 'object' || !Array.isArray(d.cells)) {
    throw new Error('not a Chronograf dashboard: expected {"dashboard": {"cells": [...]}}');
  }
  const warnings: string[] = [];
  const cells = d.cells.map((c: any) => {
    const cell = cellFromChronograf(c ?? {}, newId());
    if (c?.type && !VIS_NAMES.has(c.type)) warnings.push(`cell "${cell.name}": visualization "${c.type}" is shown as a line chart`);
    return cell;
  });
  const templates: Template[] = Array.isArray(d.templates)
    ? d.templates.map((t: any) => ({
        id: str(t?.id) || newId(),
        tempVar: str(t?.tempVar),
        type: t?.type,
        label: str(t?.label),
        values: Array.isArray(t?.values)
          ? t.values.map((v: any) => ({
              value: String(v?.value ?? ''),
              type: str(v?.type),
              selected: v?.selected === true,
              ...(v?.key !== undefined ? { key: String(v.key) } : {}),
            }))
          : [],
        query: t?.query
          ? {
              db: str(t.query.db) || undefined,
              rp: str(t.query.rp) || undefined,
              measurement: str(t.query.measurement) || undefined,
              tagKey: str(t.query.tagKey) || undefined,
              fieldKey: str(t.query.fieldKey) || undefined,
              influxql: str(t.query.influxql) || undefined,
              flux: str(t.query.flux) || undefined,
            }
          : undefined,
      }))
    : [];
  return {
    dashboard: { name: str(d.name, 'Imported dashboard') || 'Imported dashboard', description: '', cells, templates },
    warnings,
  };
}

/** Chronograf's export JSON of a dashboard. */
export function exportChronograf(d: Dashboard): Record<string, unknown> {
  return {
    meta: { chronografVersion: '1.10.0', sources: {} },
    dashboard: {
      id: 0,
      name: d.name,
      cells: d.cells.map(cellToChronograf),
      templates: d.templates.map(templateToChronograf),
      organization: 'default',
    },
  };
}

/** The body of a v2 dashboard create/patch (`cells` with views in Chronograf's shape). */
export function toV2(d: Omit<Dashboard, 'id'>): Record<string, unknown> {
  return {
    name: d.name,
    description: d.description,
    templates: d.templates,
    cells: d.cells.map((c) => ({
      id: c.id,
      x: c.x,
      y: c.y,
      w: c.w,
      h: c.h,
      view: { name: c.name, properties: { shape: 'chronograf-v1', ...cellToChronograf(c) } },
    })),
  };
}

/**
 * A dashboard from the v2 API: `GET /api/v2/dashboards/{id}` (cells without
 * views) plus the views, fetched by the caller into `views` by cell id.
 */
export function fromV2(d: Record<string, any>, views: Record<string, any>): Dashboard {
  const cells: Cell[] = (d.cells ?? []).map((c: any) => {
    const props = views[c.id]?.properties ?? {};
    const cell = cellFromChronograf({ ...props, x: c.x, y: c.y, w: c.w, h: c.h }, c.id);
    cell.name = str(views[c.id]?.name) || cell.name;
    return cell;
  });
  return {
    id: d.id,
    name: str(d.name),
    description: str(d.description),
    cells,
    templates: Array.isArray(d.templates) ? d.templates : [],
  };
}

/** First free row below every cell. */
export function nextRow(cells: Cell[]): number {
  return cells.reduce((m, c) => Math.max(m, c.y + c.h), 0);
}

/** Moves cells down so none overlaps `moved` (a simple vertical compaction). */
export function resolveOverlaps(cells: Cell[], movedId: string): Cell[] {
  const out = cells.map((c) => ({ ...c }));
  const moved = out.find((c) => c.id === movedId);
  if (!moved) return out;
  const overlaps = (a: Cell, b: Cell) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  let changed = true;
  let guard = 0;
  while (changed && guard++ < 1000) {
    changed = false;
    const sorted: Cell[] = [moved, ...out.filter((c) => c !== moved).sort((a, b) => a.y - b.y)];
    for (const a of sorted) {
      for (const b of out as Cell[]) {
        if (a === b || b === moved || !overlaps(a, b)) continue;
        b.y = a.y + a.h;
        changed = true;
      }
    }
  }
  return out;
}
