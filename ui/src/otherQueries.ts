// Flux (/api/v2/query, annotated CSV) and SQL (/api/v3/query_sql, JSON)
// answers turned into the InfluxQL result shape the visualizations use.

import { ApiError, authHeaders, type QueryResponse, type Series } from './api';

/** Rows of RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
export function parseCSV(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const HIDDEN = new Set(['', 'result', 'table', '_start', '_stop']);

function convert(v: string, type: string | undefined): unknown {
  if (v === '') return null;
  switch (type) {
    case 'long':
    case 'unsignedLong':
    case 'double':
      return Number(v);
    case 'boolean':
      return v === 'true';
    case 'dateTime:RFC3339':
    case 'dateTime:RFC3339Nano':
      return Date.parse(v);
    default:
      return v;
  }
}

/**
 * Series of an annotated CSV Flux answer: one per table. Tables with
 * `_time` and `_value` become `[time, _value]` series named
 * `<_measurement>.<_field>` and tagged by the other group-key columns; other
 * tables keep their columns. An `error` column (a Flux runtime error) throws.
 */
export function fluxToResponse(csv: string): QueryResponse {
  const series: Series[] = [];
  let types: string[] = [];
  let groups: string[] = [];
  let header: string[] | null = null;
  const byTable = new Map<string, Series>();
  for (const row of parseCSV(csv)) {
    if (row.length === 1 && row[0] === '') {
      header = null;
      types = [];
      groups = [];
      continue;
    }
    if (row[0] === '#datatype') types = row;
    else if (row[0] === '#group') groups = row;
    else if (row[0].startsWith('#')) continue;
    else if (!header) {
      header = row;
      if (header.includes('error') && header.includes('reference')) continue;
    } else {
      const col = (n: string) => header!.indexOf(n);
      if (col('error') >= 0 && col('reference') >= 0) throw new ApiError(200, row[col('error')]);
      const table = row[col('table')] ?? '0';
      const t = col('_time');
      const v = col('_value');
      const key = `${row[col('result')] ?? ''}/${table}/${header.join(',')}`;
      let s = byTable.get(key);
      if (!s) {
        const tags: Record<string, string> = {};
        header.forEach((h, i) => {
          if (groups[i] === 'true' && !HIDDEN.has(h) && h !== '_measurement' && h !== '_field') tags[h] = row[i];
        });
        const simple = t >= 0 && v >= 0;
        s = {
          // `measurement.field`, so tables of different fields get different labels.
          name: [col('_measurement') >= 0 ? row[col('_measurement')] : `table ${table}`, simple && col('_field') >= 0 ? row[col('_field')] : '']
            .filter((x) => x !== '')
            .join('.'),
          tags,
          columns: simple ? ['time', '_value'] : header.filter((h) => !HIDDEN.has(h)),
          values: [],
        };
        byTable.set(key, s);
        series.push(s);
      }
      if (t >= 0 && v >= 0) s.values.push([convert(row[t], 'dateTime:RFC3339'), convert(row[v], types[v])]);
      else s.values.push(header.map((h, i) => (HIDDEN.has(h) ? undefined : convert(row[i], types[i]))).filter((_, i) => !HIDDEN.has(header![i])));
    }
  }
  return { results: [{ statement_id: 0, series }] };
}

/** Series a SQL answer with a time column is split into at most (one per tag-like value). */
const MAX_SQL_SERIES = 50;

/**
 * The rows of a SQL JSON answer as series (`time` first when present, as
 * epoch ms). With a time column, rows are split by the values of their text
 * columns (the tags, e.g. `host`) into one series each, tagged with them, so
 * a chart draws a line per host — unless that would make more than
 * MAX_SQL_SERIES series (text fields such as log messages): then one series.
 */
export function sqlToResponse(rows: Record<string, unknown>[]): QueryResponse {
  if (rows.length === 0) return { results: [{ statement_id: 0 }] };
  const cols = Object.keys(rows[0]);
  const hasTime = cols.includes('time');
  const ordered = hasTime ? ['time', ...cols.filter((c) => c !== 'time')] : cols;
  const values = rows.map((r) =>
    ordered.map((c) => {
      const v = r[c];
      if (c === 'time' && typeof v === 'string') {
        const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : v + 'Z');
        return Number.isNaN(ms) ? v : ms;
      }
      return v;
    }),
  );
  const one = { results: [{ statement_id: 0, series: [{ name: '', columns: ordered, values }] }] };
  if (!hasTime) return one;
  const tagIdx = ordered.map((c, i) => (c !== 'time' && rows.some((r) => typeof r[c] === 'string') ? i : -1)).filter((i) => i >= 0);
  if (tagIdx.length === 0 || tagIdx.length === ordered.length - 1) return one;
  const keep = ordered.map((_, i) => i).filter((i) => !tagIdx.includes(i));
  const groups = new Map<string, Series>();
  for (const row of values) {
    const tags = Object.fromEntries(tagIdx.map((i) => [ordered[i], row[i] === null || row[i] === undefined ? '' : String(row[i])]));
    const key = JSON.stringify(tagIdx.map((i) => row[i]));
    let s = groups.get(key);
    if (!s) {
      if (groups.size === MAX_SQL_SERIES) return one;
      s = { name: '', tags, columns: keep.map((i) => ordered[i]), values: [] };
      groups.set(key, s);
    }
    s.values.push(keep.map((i) => row[i]));
  }
  return { results: [{ statement_id: 0, series: [...groups.values()] }] };
}

async function fail(res: Response): Promise<never> {
  const text = await res.text();
  let message = text || `HTTP ${res.status}`;
  try {
    const j = JSON.parse(text);
    message = j.message ?? j.error ?? message;
  } catch {
    /* text */
  }
  throw new ApiError(res.status, message);
}

/** Runs a Flux script through /api/v2/query (annotated CSV). */
export async function flux(query: string, signal?: AbortSignal): Promise<QueryResponse> {
  const res = await fetch('/api/v2/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/csv', ...authHeaders() },
    body: JSON.stringify({ query, type: 'flux', dialect: { annotations: ['datatype', 'group', 'default'], header: true } }),
    signal,
  });
  if (!res.ok) return fail(res);
  return fluxToResponse(await res.text());
}

/** Runs SQL on a database through /api/v3/query_sql (JSON). */
export async function sql(query: string, db: string, signal?: AbortSignal): Promise<QueryResponse> {
  if (!db) throw new ApiError(400, 'choose a database for SQL queries (in the schema browser)');
  const res = await fetch('/api/v3/query_sql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: JSON.stringify({ db, q: query, format: 'json' }),
    signal,
  });
  if (!res.ok) return fail(res);
  return sqlToResponse(await res.json());
}
