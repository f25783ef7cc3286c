// Parsing of /query answers into tables, chart data and CSV.

import type { QueryResponse, Series } from './api';

/** A flat table: one header row and rows of cells. */
export interface Table {
  columns: string[];
  rows: unknown[][];
}

/** Label of a series: `name tag=v,tag=v`, plus the column for multi-field results. */
export function seriesLabel(s: Series, column?: string): string {
  const tags = s.tags ? Object.entries(s.tags).filter(([, v]) => v !== '') : [];
  const tagText = tags.map(([k, v]) => `${k}=${v}`).join(',');
  let label = s.name ?? '';
  if (column) label += (label ? '.' : '') + column;
  if (tagText) label += ` {${tagText}}`;
  return label;
}

/** All series of every statement of a response. */
export function allSeries(resp: QueryResponse): Series[] {
  return resp.results.flatMap((r) => r.series ?? []);
}

/**
 * One table for a response: series are stacked, with their name and tag
 * values as leading columns when there is more than one series or any tags.
 */
export function toTable(resp: QueryResponse): Table {
  const series = allSeries(resp);
  if (series.length === 0) return { columns: [], rows: [] };
  const tagKeys = [...new Set(series.flatMap((s) => Object.keys(s.tags ?? {})))].sort();
  const multi = series.length > 1 || tagKeys.length > 0;
  const valueCols: string[] = [];
  for (const s of series) for (const c of s.columns) if (!valueCols.includes(c)) valueCols.push(c);
  const columns = multi ? ['name', ...tagKeys, ...valueCols] : valueCols;
  const rows: unknown[][] = [];
  for (const s of series) {
    const idx = valueCols.map((c) => s.columns.indexOf(c));
    for (const v of s.values ?? []) {
      const cells = idx.map((i) => (i < 0 ? null : v[i]));
      rows.push(multi ? [s.name, ...tagKeys.map((k) => s.tags?.[k] ?? ''), ...cells] : cells);
    }
  }
  return { columns, rows };
}

/** Data for a line chart: shared x (seconds) and one y array per numeric column of each series. */
export interface ChartData {
  labels: string[];
  /** [xs, ...ys]: xs in seconds, ys aligned on xs (null where a series has no point). */
  data: [number[], ...(number | null)[][]];
}

function toSeconds(t: unknown): number | null {
  if (typeof t === 'number') return t / 1000;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  return null;
}

/**
 * Chart data from a response whose first column is `time` (epoch ms or RFC
 * 3339): every other column holding numbers becomes one line per series.
 * Returns null when there is nothing to chart.
 */
export function toChartData(resp: QueryResponse): ChartData | null {
  const lines: { label: string; points: Map<number, number | null> }[] = [];
  const xsSet = new Set<number>();
  for (const s of allSeries(resp)) {
    if (s.columns[0] !== 'time') continue;
    const valueCols = s.columns.slice(1);
    const multiCol = valueCols.length > 1;
    valueCols.forEach((col, j) => {
      const numeric = (s.values ?? []).some((row) => typeof row[j + 1] === 'number' || typeof row[j + 1] === 'boolean');
      if (!numeric) return;
      const points = new Map<number, number | null>();
      for (const row of s.values ?? []) {
        const x = toSeconds(row[0]);
        if (x === null) continue;
        const v = row[j + 1];
        points.set(x, typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);
        xsSet.add(x);
      }
      lines.push({ label: seriesLabel(s, multiCol || !s.tags ? col : undefined), points });
    });
  }
  if (lines.length === 0) return null;
  const xs = [...xsSet].sort((a, b) => a - b);
  const ys = lines.map((l) => xs.map((x) => (l.points.has(x) ? (l.points.get(x) as number | null) : null)));
  return { labels: lines.map((l) => l.label), data: [xs, ...ys] };
}

/** The last numeric value of the first line (for single-stat and gauge). */
export function lastValue(chart: ChartData | null): number | null {
  if (!chart || chart.data.length < 2) return null;
  const ys = chart.data[1];
  for (let i = ys.length - 1; i >= 0; i--) if (ys[i] !== null) return ys[i];
  return null;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** RFC 4180 CSV of a table (CRLF line ends). */
export function toCSV(t: Table): string {
  return [t.columns, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** The first column of every row of every series, as strings (for SHOW results). */
export function firstColumn(resp: QueryResponse, column?: string): string[] {
  const out: string[] = [];
  for (const s of allSeries(resp)) {
    const i = column ? s.columns.indexOf(column) : 0;
    if (i < 0) continue;
    for (const row of s.values ?? []) out.push(String(row[i]));
  }
  return out;
}

/** Rows of a SHOW result as objects keyed by column. */
export function rowsAsObjects(resp: QueryResponse): Record<string, unknown>[] {
  return allSeries(resp).flatMap((s) =>
    (s.values ?? []).map((row) => Object.fromEntries(s.columns.map((c, i) => [c, row[i]]))),
  );
}
