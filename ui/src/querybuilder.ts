// The explorer's query builder: a structured query that writes InfluxQL.

import { quoteIdent, quoteString, qualifiedMeasurement } from './influxql';

/** InfluxQL functions offered for a field (empty = the raw field). */
export const FUNCTIONS = [
  'mean',
  'median',
  'count',
  'distinct',
  'integral',
  'mode',
  'spread',
  'stddev',
  'sum',
  'first',
  'last',
  'max',
  'min',
  'percentile',
  'derivative',
  'non_negative_derivative',
  'difference',
  'non_negative_difference',
  'moving_average',
  'cumulative_sum',
];

/** Functions taking a number as second argument, with its default. */
const SECOND_ARG: Record<string, string> = { percentile: '95', moving_average: '5' };

/** Functions that transform an aggregate: they wrap mean() of the field. */
const TRANSFORMS = [
  'derivative',
  'non_negative_derivative',
  'difference',
  'non_negative_difference',
  'moving_average',
  'cumulative_sum',
];

/** Fill options of GROUP BY time. */
export const FILLS = ['null', 'none', '0', 'previous', 'linear'] as const;

/** A selected field with an optional function. */
export interface FieldSelection {
  field: string;
  func: string;
}

/** Everything the builder knows; the explorer keeps one of these per query. */
export interface BuilderQuery {
  db: string;
  rp: string;
  measurement: string;
  fields: FieldSelection[];
  /** Tag filters: key → accepted values (OR within a key, AND across keys). */
  tags: Record<string, string[]>;
  /** When false, the listed values are excluded (`!=`). */
  tagsAccepted: boolean;
  /** `auto` (`:interval:`), a duration literal, or empty for no GROUP BY time. */
  groupByTime: string;
  groupByTags: string[];
  fill: string;
}

/** An empty builder query. */
export function emptyQuery(db = '', rp = ''): BuilderQuery {
  return {
    db,
    rp,
    measurement: '',
    fields: [],
    tags: {},
    tagsAccepted: true,
    groupByTime: 'auto',
    groupByTags: [],
    fill: 'null',
  };
}

function fieldExpr(f: FieldSelection, grouped: boolean): string {
  const field = quoteIdent(f.field);
  if (!f.func) return field;
  const second = SECOND_ARG[f.func];
  const alias = quoteIdent(`${f.func}_${f.field}`);
  if (TRANSFORMS.includes(f.func) && grouped) {
    // Grouped by time, a transformation applies to an aggregate: mean() of the field.
    return `${f.func}(mean(${field})${second ? ', ' + second : ''}) AS ${alias}`;
  }
  return `${f.func}(${field}${second ? ', ' + second : ''}) AS ${alias}`;
}

/** Whether any selected field uses a function (so GROUP BY time applies). */
export function isAggregate(q: BuilderQuery): boolean {
  return q.fields.some((f) => f.func !== '');
}

/**
 * The InfluxQL of a builder query, with `:dashboardTime:`,
 * `:upperDashboardTime:` and (for `auto`) `:interval:` left for
 * substitution. Returns '' until a measurement is chosen.
 */
export function buildQuery(q: BuilderQuery): string {
  if (!q.measurement) return '';
  const select = q.fields.length ? q.fields.map((f) => fieldExpr(f, q.groupByTime !== '')).join(', ') : '*';
  const where = ['time > :dashboardTime:', 'time < :upperDashboardTime:'];
  for (const key of Object.keys(q.tags).sort()) {
    const values = q.tags[key];
    if (!values.length) continue;
    const op = q.tagsAccepted ? '=' : '!=';
    const join = q.tagsAccepted ? ' OR ' : ' AND ';
    const parts = values.map((v) => `${quoteIdent(key)} ${op} ${quoteString(v)}`);
    where.push(parts.length > 1 ? `(${parts.join(join)})` : parts[0]);
  }
  let text = `SELECT ${select} FROM ${qualifiedMeasurement(q.db, q.rp, q.measurement)} WHERE ${where.join(' AND ')}`;
  const groups: string[] = [];
  const aggregate = isAggregate(q);
  if (aggregate && q.groupByTime) groups.push(`time(${q.groupByTime === 'auto' ? ':interval:' : q.groupByTime})`);
  for (const t of q.groupByTags) groups.push(quoteIdent(t));
  if (groups.length) text += ` GROUP BY ${groups.join(', ')}`;
  if (aggregate && q.groupByTime && q.fill && q.fill !== 'null') text += ` FILL(${q.fill})`;
  return text;
}

/** Toggles `value` in a tag filter. */
export function toggleTagValue(q: BuilderQuery, key: string, value: string): BuilderQuery {
  const cur = q.tags[key] ?? [];
  const next = cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value];
  const tags = { ...q.tags, [key]: next };
  if (next.length === 0) delete tags[key];
  return { ...q, tags };
}

/** Toggles a field; a newly selected field gets `mean` (as Chronograf does). */
export function toggleField(q: BuilderQuery, field: string): BuilderQuery {
  const has = q.fields.some((f) => f.field === field);
  return {
    ...q,
    fields: has ? q.fields.filter((f) => f.field !== field) : [...q.fields, { field, func: 'mean' }],
  };
}

/** Sets the function of a selected field ('' = raw values). */
export function setFunction(q: BuilderQuery, field: string, func: string): BuilderQuery {
  return { ...q, fields: q.fields.map((f) => (f.field === field ? { ...f, func } : f)) };
}

/** Toggles a GROUP BY tag. */
export function toggleGroupByTag(q: BuilderQuery, tag: string): BuilderQuery {
  const has = q.groupByTags.includes(tag);
  return { ...q, groupByTags: has ? q.groupByTags.filter((t) => t !== tag) : [...q.groupByTags, tag] };
}
