// Dashboard template variables with Chronograf's `:name:` substitution.

import type { QueryResponse } from './api';
import { quoteIdent } from './influxql';
import { firstColumn } from './results';
import { autoInterval, lowerExpr, upperExpr, type TimeRange } from './timerange';

/** Kinds of template variable (Chronograf's names). */
export type TemplateType =
  | 'databases'
  | 'measurements'
  | 'fieldKeys'
  | 'tagKeys'
  | 'tagValues'
  | 'csv'
  | 'map'
  | 'influxql'
  | 'text'
  | 'constant'
  | 'flux';

/** Every type the editor offers, with a label. */
export const TEMPLATE_TYPES: { type: TemplateType; label: string }[] = [
  { type: 'databases', label: 'Databases' },
  { type: 'measurements', label: 'Measurements' },
  { type: 'fieldKeys', label: 'Field keys' },
  { type: 'tagKeys', label: 'Tag keys' },
  { type: 'tagValues', label: 'Tag values' },
  { type: 'csv', label: 'CSV' },
  { type: 'map', label: 'Map' },
  { type: 'influxql', label: 'Custom meta query' },
  { type: 'text', label: 'Text' },
  { type: 'flux', label: 'Flux query' },
];

/** One value of a variable; `key` is the shown name of a map entry. */
export interface TemplateValue {
  value: string;
  type: string;
  selected: boolean;
  key?: string;
}

/** Where a dynamic variable's values come from. */
export interface TemplateQuery {
  db?: string;
  rp?: string;
  measurement?: string;
  tagKey?: string;
  fieldKey?: string;
  influxql?: string;
  /** A Flux script whose `_value` column lists the values (type `flux`). */
  flux?: string;
}

/** A template variable (the shape of Chronograf's `templates` entries). */
export interface Template {
  id: string;
  tempVar: string;
  type: TemplateType;
  label: string;
  values: TemplateValue[];
  query?: TemplateQuery;
}

/** The value type Chronograf records for each variable type. */
export function valueType(t: TemplateType): string {
  switch (t) {
    case 'databases':
      return 'database';
    case 'measurements':
      return 'measurement';
    case 'fieldKeys':
      return 'fieldKey';
    case 'tagKeys':
      return 'tagKey';
    case 'tagValues':
      return 'tagValue';
    case 'influxql':
      return 'influxql';
    case 'flux':
      return 'flux';
    default:
      return t;
  }
}

/** A variable name typed by a user as `:name:` (adds the colons, strips spaces). */
export function normalizeTempVar(name: string): string {
  const bare = name.trim().replace(/^:+|:+$/g, '');
  return `:${bare}:`;
}

/** Names the built-in variables take; user variables may not use them. */
export const RESERVED = [':dashboardTime:', ':upperDashboardTime:', ':interval:'];

/**
 * The SHOW statement listing a dynamic variable's values, or null for the
 * static kinds (csv, map, text, constant) and Flux variables ([`fluxQuery`]).
 * Missing parameters throw.
 */
export function metaQuery(t: Template): string | null {
  const q = t.query ?? {};
  const need = (v: string | undefined, what: string): string => {
    if (!v) throw new Error(`template ${t.tempVar}: ${what} is required`);
    return v;
  };
  const on = () => `ON ${quoteIdent(need(q.db, 'database'))}`;
  const from = () => `FROM ${quoteIdent(need(q.measurement, 'measurement'))}`;
  switch (t.type) {
    case 'databases':
      return 'SHOW DATABASES';
    case 'measurements':
      return `SHOW MEASUREMENTS ${on()}`;
    case 'fieldKeys':
      return `SHOW FIELD KEYS ${on()} ${from()}`;
    case 'tagKeys':
      return `SHOW TAG KEYS ${on()} ${from()}`;
    case 'tagValues':
      return `SHOW TAG VALUES ${on()} ${from()} WITH KEY = ${quoteIdent(need(q.tagKey, 'tag key'))}`;
    case 'influxql':
      // Chronograf's placeholders for the variable's own database, measurement and tag key.
      return need(q.influxql, 'meta query')
        .replace(/:database:/g, q.db ? quoteIdent(q.db) : ':database:')
        .replace(/:measurement:/g, q.measurement ? quoteIdent(q.measurement) : ':measurement:')
        .replace(/:tagKey:/g, q.tagKey ? quoteIdent(q.tagKey) : ':tagKey:');
    default:
      return null;
  }
}

/** Chronograf's meta queries of the built-in kinds (its `query.influxql`, with placeholders). */
const CHRONOGRAF_QUERIES: Partial<Record<TemplateType, string>> = {
  databases: 'SHOW DATABASES',
  measurements: 'SHOW MEASUREMENTS ON :database:',
  fieldKeys: 'SHOW FIELD KEYS ON :database: FROM :measurement:',
  tagKeys: 'SHOW TAG KEYS ON :database: FROM :measurement:',
  tagValues: 'SHOW TAG VALUES ON :database: FROM :measurement: WITH KEY=:tagKey:',
};

/**
 * A variable as Chronograf's dashboard JSON holds it: the built-in kinds also
 * carry their meta query (`query.influxql` with `:database:`, `:measurement:`
 * and `:tagKey:`), which Chronograf runs to list the values.
 */
export function templateToChronograf(t: Template): Record<string, unknown> {
  const influxql = CHRONOGRAF_QUERIES[t.type];
  const query = influxql ? { ...t.query, influxql } : { ...t.query };
  return { ...t, query, sourceID: 'dynamic' };
}

/** The Flux script of a `flux` variable, or null for other kinds; an empty script throws. */
export function fluxQuery(t: Template): string | null {
  if (t.type !== 'flux') return null;
  const q = t.query?.flux?.trim();
  if (!q) throw new Error(`template ${t.tempVar}: Flux query is required`);
  return q;
}

/**
 * The values a Flux variable's script answered: the `_value` column of every
 * table (else the first column that is not a time), in order, without repeats.
 */
export function valuesFromFlux(resp: QueryResponse): string[] {
  const seen = new Set<string>();
  for (const s of resp.results.flatMap((r) => r.series ?? [])) {
    let col = s.columns.indexOf('_value');
    if (col < 0) col = s.columns.findIndex((c) => c !== 'time' && c !== '_time' && c !== '_start' && c !== '_stop');
    if (col < 0) continue;
    for (const row of s.values ?? []) {
      const v = row[col];
      if (v !== null && v !== undefined) seen.add(String(v));
    }
  }
  return [...seen];
}

/** The values a meta query answered, by variable type. */
export function valuesFromResponse(t: Template, resp: QueryResponse): string[] {
  switch (t.type) {
    case 'fieldKeys':
      return firstColumn(resp, 'fieldKey');
    case 'tagKeys':
      return firstColumn(resp, 'tagKey');
    case 'tagValues':
      return firstColumn(resp, 'value');
    default: {
      // SHOW DATABASES / MEASUREMENTS answer `name`. A custom query: the values
      // of SHOW TAG VALUES (`value`), FIELD KEYS, TAG KEYS or SERIES (`key`), else
      // its first column that is not the time; each value once.
      const byName = firstColumn(resp, 'name');
      if (byName.length > 0 || t.type !== 'influxql') return byName;
      const series = resp.results.flatMap((r) => r.series ?? []);
      const cols = series[0]?.columns ?? [];
      const name = ['value', 'fieldKey', 'tagKey', 'key'].find((c) => cols.includes(c)) ?? cols.find((c) => c !== 'time');
      return name ? [...new Set(firstColumn(resp, name))] : [];
    }
  }
}

/**
 * Values of a CSV variable: comma- or newline-separated and trimmed. Quotes
 * stay, as in Chronograf: a CSV value is substituted exactly as written, so
 * `'web-1'` gives a string literal and `"cpu"` an identifier.
 */
export function parseCSVValues(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const v = raw.trim();
    if (v) out.push(v);
  }
  return out;
}

/** Entries of a map variable: `key, value` per line. */
export function parseMapValues(text: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const line of text.split('\n')) {
    const i = line.indexOf(',');
    if (i < 0) continue;
    const key = line.slice(0, i).trim().replace(/^"(.*)"$/, '$1');
    const value = line.slice(i + 1).trim().replace(/^"(.*)"$/, '$1');
    if (key) out.push({ key, value });
  }
  return out;
}

/** Replaces a variable's values, keeping the selection when it still exists. */
export function withValues(t: Template, values: string[]): Template {
  const prev = t.values.find((v) => v.selected)?.value;
  const sel = values.includes(prev ?? '') ? prev : values[0];
  return {
    ...t,
    values: values.map((value) => ({ value, type: valueType(t.type), selected: value === sel })),
  };
}

/** Selects `value` (for a map, the entry whose key or value is `value`). */
export function select(t: Template, value: string): Template {
  if (t.type === 'text') return { ...t, values: [{ value, type: 'text', selected: true }] };
  return { ...t, values: t.values.map((v) => ({ ...v, selected: v.value === value || v.key === value })) };
}

/** The text a selected value becomes in a query, quoted as Chronograf does. */
export function formatValue(type: TemplateType, value: string): string {
  switch (type) {
    case 'tagValues':
      return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
    case 'databases':
    case 'measurements':
    case 'fieldKeys':
    case 'tagKeys':
      return quoteIdent(value);
    default:
      return value;
  }
}

/** A resolved substitution: `:name:` → text. */
export interface Substitution {
  tempVar: string;
  text: string;
  /** The selected value unquoted (user variables): Flux scripts get it as `v.name`. */
  raw?: string;
}

/** Substitutions of user variables (those with a selected value). */
export function userSubstitutions(templates: Template[]): Substitution[] {
  const out: Substitution[] = [];
  for (const t of templates) {
    const v = t.values.find((x) => x.selected) ?? (t.type === 'text' ? t.values[0] : undefined);
    if (v) out.push({ tempVar: t.tempVar, text: formatValue(t.type, v.value), raw: v.value });
  }
  return out;
}

/** Substitutions for cell titles: the selected values as shown (unquoted, a map's key). */
export function titleSubstitutions(templates: Template[]): Substitution[] {
  const out: Substitution[] = [];
  for (const t of templates) {
    const v = t.values.find((x) => x.selected) ?? (t.type === 'text' ? t.values[0] : undefined);
    if (v) out.push({ tempVar: t.tempVar, text: v.key ?? v.value });
  }
  return out;
}

/** Substitutions of the built-ins `:dashboardTime:`, `:upperDashboardTime:`, `:interval:`. */
export function builtinSubstitutions(tr: TimeRange, maxPoints = 1000, now?: number): Substitution[] {
  return [
    { tempVar: ':dashboardTime:', text: lowerExpr(tr) },
    { tempVar: ':upperDashboardTime:', text: upperExpr(tr) },
    { tempVar: ':interval:', text: autoInterval(tr, maxPoints, now) },
  ];
}

/**
 * Replaces every `:name:` of `subs` in `query` (longest names first, so
 * `:host:` does not eat into `:hostname:`). Unknown `:names:` stay as they are.
 */
export function substitute(query: string, subs: Substitution[]): string {
  const sorted = [...subs].sort((a, b) => b.tempVar.length - a.tempVar.length);
  let out = query;
  for (const s of sorted) out = out.split(s.tempVar).join(s.text);
  return out;
}

/** `:names:` used in a query that no substitution covers. */
export function unresolved(query: string, subs: Substitution[]): string[] {
  const known = new Set(subs.map((s) => s.tempVar));
  const found = query.match(/:[A-Za-z_][\w-]*:/g) ?? [];
  return [...new Set(found.filter((n) => !known.has(n)))];
}

/** A Flux string literal. */
export function fluxString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${') + '"';
}

/**
 * A Flux script with Chronograf's `v` record (`v.timeRangeStart`,
 * `v.timeRangeStop`, `v.windowPeriod`) prepended from the built-in
 * substitutions, when the script uses `v.` and does not define it. User
 * variables the script reads as `v.<name>` (InfluxDB 2's way) join the record
 * as strings of their selected value.
 */
export function fluxTimeOption(script: string, subs: Substitution[]): string {
  if (/^\s*option\s+v\s*=/m.test(script)) return script;
  const userVars = subs
    .filter((s) => s.raw !== undefined)
    .map((s) => ({ name: s.tempVar.replace(/^:|:$/g, ''), value: s.raw! }))
    .filter((u) => /^[A-Za-z_]\w*$/.test(u.name) && !['timeRangeStart', 'timeRangeStop', 'windowPeriod'].includes(u.name))
    .filter((u) => new RegExp(`\\bv\\.${u.name}\\b`).test(script));
  if (!/\bv\.(timeRangeStart|timeRangeStop|windowPeriod)\b/.test(script) && userVars.length === 0) return script;
  const get = (name: string) => subs.find((s) => s.tempVar === name)?.text ?? '';
  const fluxTime = (t: string) => {
    const rel = t.match(/^now\(\) - (\w+)$/);
    if (rel) return `-${rel[1]}`;
    const abs = t.match(/^'(.*)'$/);
    return abs ? abs[1] : t;
  };
  const start = fluxTime(get(':dashboardTime:')) || '-1h';
  const stop = fluxTime(get(':upperDashboardTime:')) || 'now()';
  const every = get(':interval:') || '1m';
  const extra = userVars.map((u) => `, ${u.name}: ${fluxString(u.value)}`).join('');
  return `option v = {timeRangeStart: ${start}, timeRangeStop: ${stop}, windowPeriod: ${every}${extra}}\n${script}`;
}
