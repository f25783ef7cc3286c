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

/**
 * Data for a line chart: shared x (seconds) and one y array per numeric
 * column of each series: `null` where a row has no value, `undefined` where a
 * series has no row at that time.
 */
export interface ChartData {
  labels: string[];
  /** [xs, ...ys]: xs in seconds, ys aligned on xs. */
  data: [number[], ...(number | null | undefined)[][]];
}

function toSeconds(t: unknown): number | null {
  if (typeof t === 'number') return t / 1000;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  return null;
}

/** Whether xs only grow (strictly). */
function increasing(xs: number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i] > xs[i - 1])) return false;
  return true;
}

/**
 * Chart data from a response whose first column is `time` (epoch ms or RFC
 * 3339): every other column holding numbers becomes one line per series.
 * Returns null when there is nothing to chart. Linear in the number of points
 * (plus one sort when the series' times differ), so 8 × 100,000 points stay fast.
 */
export function toChartData(resp: QueryResponse): ChartData | null {
  const lines: { label: string; xs: number[]; ys: (number | null | undefined)[] }[] = [];
  for (const s of allSeries(resp)) {
    if (s.columns[0] !== 'time') continue;
    const rows = s.values ?? [];
    const times = rows.map((row) => toSeconds(row[0]));
    const valueCols = s.columns.slice(1);
    const multiCol = valueCols.length > 1;
    valueCols.forEach((col, j) => {
      const numeric = rows.some((row) => typeof row[j + 1] === 'number' || typeof row[j + 1] === 'boolean');
      if (!numeric) return;
      let xs: number[] = [];
      let ys: (number | null | undefined)[] = [];
      for (let i = 0; i < rows.length; i++) {
        const x = times[i];
        if (x === null) continue;
        const v = rows[i][j + 1];
        xs.push(x);
        ys.push(typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);
      }
      if (!increasing(xs)) {
        // Sort by time; of rows with the same time the last one counts.
        const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b] || a - b);
        const sx: number[] = [];
        const sy: (number | null | undefined)[] = [];
        for (const i of order) {
          if (sx.length && sx[sx.length - 1] === xs[i]) sy[sy.length - 1] = ys[i];
          else {
            sx.push(xs[i]);
            sy.push(ys[i]);
          }
        }
        xs = sx;
        ys = sy;
      }
      lines.push({ label: seriesLabel(s, multiCol || !s.tags || !s.name ? col : undefined), xs, ys });
    });
  }
  if (lines.length === 0) return null;
  const first = lines[0].xs;
  const shared = lines.every((l) => l.xs === first || (l.xs.length === first.length && l.xs.every((x, i) => x === first[i])));
  if (shared) return { labels: lines.map((l) => l.label), data: [first, ...lines.map((l) => l.ys)] };
  // The union of every line's times, then each line walked along it.
  const all = new Float64Array(lines.reduce((n, l) => n + l.xs.length, 0));
  let k = 0;
  for (const l of lines) for (const x of l.xs) all[k++] = x;
  all.sort();
  const xs: number[] = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) xs.push(all[i]);
  const ys = lines.map((l) => {
    const out = new Array<number | null | undefined>(xs.length);
    let p = 0;
    for (let i = 0; i < xs.length; i++) {
      if (p < l.xs.length && l.xs[p] === xs[i]) out[i] = l.ys[p++];
      else out[i] = undefined;
    }
    return out;
  });
  return { labels: lines.map((l) => l.label), data: [xs, ...ys] };
}

/** The last numeric value of the first line (for single-stat and gauge). */
export function lastValue(chart: ChartData | null): number | null {
  if (!chart || chart.data.length < 2) return null;
  const ys = chart.data[1];
  for (let i = ys.length - 1; i >= 0; i--) {
    const v = ys[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/**
 * RFC 4180 CSV of a table (CRLF line ends). The `time` column's epoch
 * milliseconds are written as RFC 3339 times, as the table shows them.
 */
export function toCSV(t: Table): string {
  const timeIdx = t.columns.indexOf('time');
  const rows = timeIdx < 0 ? t.rows : t.rows.map((r) => r.map((v, i) => (i === timeIdx && typeof v === 'number' ? new Date(v).toISOString() : v)));
  return [t.columns, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
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
