// InfluxQL for CodeMirror 6: a stream tokenizer for highlighting and a
// completion source for keywords, functions and the schema.

import { StreamLanguage, type StringStream } from '@codemirror/language';
import type { CompletionContext, CompletionResult, Completion } from '@codemirror/autocomplete';
import { FUNCTIONS } from './querybuilder';

/** InfluxQL keywords (highlighted and completed). */
export const KEYWORDS = (
  'ALL ALTER ANALYZE ANY AS ASC BEGIN BY CARDINALITY CONTINUOUS CREATE DATABASE DATABASES DEFAULT DELETE DESC ' +
  'DESTINATIONS DIAGNOSTICS DISTINCT DROP DURATION END EVERY EXACT EXPLAIN FIELD FILL FOR FROM GRANT GRANTS GROUP ' +
  'GROUPS IN INF INSERT INTO KEY KEYS KILL LIMIT MEASUREMENT MEASUREMENTS NAME OFFSET ON ORDER PASSWORD POLICIES ' +
  'POLICY PRIVILEGES QUERIES QUERY READ REPLICATION RESAMPLE RETENTION REVOKE SELECT SERIES SET SHARD SHARDS SHOW ' +
  'SLIMIT SOFFSET STATS SUBSCRIPTION SUBSCRIPTIONS TAG TO USER USERS VALUES WHERE WITH WRITE AND OR NOT TZ'
).split(' ');

const KW = new Set(KEYWORDS);
const FN = new Set([
  ...FUNCTIONS,
  'top', 'bottom', 'sample', 'holt_winters', 'holt_winters_with_fit', 'chande_momentum_oscillator',
  'exponential_moving_average', 'double_exponential_moving_average', 'kaufmans_efficiency_ratio',
  'kaufmans_adaptive_moving_average', 'triple_exponential_moving_average', 'triple_exponential_derivative',
  'relative_strength_index', 'abs', 'acos', 'asin', 'atan', 'atan2', 'ceil', 'cos', 'exp', 'floor', 'ln', 'log',
  'log2', 'log10', 'pow', 'round', 'sin', 'sqrt', 'tan', 'now', 'time', 'elapsed',
]);

interface State {
  inComment: boolean;
}

function tokenWith(kw: Set<string>, fn: Set<string>, lineComment: string, stream: StringStream, state: State): string | null {
  if (state.inComment) {
    if (stream.skipTo('*/')) {
      stream.next();
      stream.next();
      state.inComment = false;
    } else stream.skipToEnd();
    return 'comment';
  }
  if (stream.eatSpace()) return null;
  if (stream.match(lineComment)) {
    stream.skipToEnd();
    return 'comment';
  }
  if (lineComment === '//' && stream.match('|>')) return 'operator';
  if (stream.match('/*')) {
    state.inComment = true;
    return 'comment';
  }
  const ch = stream.peek();
  if (ch === "'") {
    stream.next();
    let esc = false;
    let c: string | void;
    while ((c = stream.next()) !== undefined) {
      if (c === "'" && !esc) break;
      esc = !esc && c === '\\';
    }
    return 'string';
  }
  if (ch === '"') {
    stream.next();
    let esc = false;
    let c: string | void;
    while ((c = stream.next()) !== undefined) {
      if (c === '"' && !esc) break;
      esc = !esc && c === '\\';
    }
    return 'variableName.special';
  }
  if (ch === ':' && stream.match(/^:[A-Za-z_][\w-]*:/)) return 'macroName';
  if (stream.match(/^\d+(\.\d+)?(ns|u|µ|ms|s|m|h|d|w)\b/)) return 'unit';
  if (stream.match(/^-?\d+(\.\d+)?([eE][-+]?\d+)?/)) return 'number';
  if (ch === '/' && stream.match(/^\/(\\.|[^/\\])+\//)) return 'regexp';
  if (stream.match(/^[A-Za-z_][\w]*/)) {
    const w = stream.current();
    if (kw.has(w.toUpperCase()) || kw.has(w)) return 'keyword';
    if ((fn.has(w.toLowerCase()) || fn.has(w)) && stream.peek() === '(') return 'function';
    return 'variableName';
  }
  if (stream.match(/^(=~|!~|!=|<>|<=|>=|[=<>+\-*/%])/)) return 'operator';
  stream.next();
  return 'punctuation';
}

/** The InfluxQL language (highlighting). */
export const influxqlLanguage = StreamLanguage.define<State>({
  name: 'influxql',
  startState: () => ({ inComment: false }),
  token: (stream, state) => tokenWith(KW, FN, '--', stream, state),
  languageData: { commentTokens: { line: '--' } },
});

/** SQL keywords (the SQL endpoint is DataFusion's dialect). */
export const SQL_KEYWORDS = (
  'SELECT FROM WHERE GROUP BY ORDER LIMIT OFFSET HAVING AS AND OR NOT IN IS NULL LIKE ILIKE BETWEEN CASE WHEN THEN ELSE END ' +
  'JOIN LEFT RIGHT INNER OUTER FULL ON USING UNION ALL DISTINCT ASC DESC WITH INTERVAL TRUE FALSE CAST EXPLAIN SHOW TABLES COLUMNS'
).split(' ');
const SQL_FN = ['avg', 'count', 'sum', 'min', 'max', 'date_bin', 'date_trunc', 'now', 'coalesce', 'round', 'abs', 'approx_percentile_cont', 'first_value', 'last_value', 'selector_first', 'selector_last', 'to_timestamp'];

/** SQL highlighting. */
export const sqlLanguage = StreamLanguage.define<State>({
  name: 'sql',
  startState: () => ({ inComment: false }),
  token: (stream, state) => tokenWith(new Set(SQL_KEYWORDS), new Set(SQL_FN), '--', stream, state),
  languageData: { commentTokens: { line: '--' } },
});

/** Flux keywords. */
export const FLUX_KEYWORDS = ['import', 'package', 'option', 'builtin', 'return', 'and', 'or', 'not', 'if', 'then', 'else', 'exists', 'true', 'false'];
/** Common Flux functions (completed and highlighted). */
export const FLUX_FUNCTIONS = (
  'from range filter map aggregateWindow mean median sum count min max first last group keep drop rename pivot ' +
  'window yield limit sort unique distinct derivative difference integral cumulativeSum movingAverage fill join union ' +
  'to buckets duplicate set toFloat toInt toString top bottom quantile stddev spread timeShift elapsed histogram'
).split(' ');

/** Flux highlighting. */
export const fluxLanguage = StreamLanguage.define<State>({
  name: 'flux',
  startState: () => ({ inComment: false }),
  token: (stream, state) => tokenWith(new Set(FLUX_KEYWORDS), new Set(FLUX_FUNCTIONS), '//', stream, state),
  languageData: { commentTokens: { line: '//' } },
});

/** Names the completion offers besides keywords and functions. */
export interface SchemaNames {
  measurements: string[];
  tagKeys: string[];
  fieldKeys: string[];
  templateVars?: string[];
}

/** What a name typed at the end of `before` most likely is, from the clause it is in. */
export type NameKind = 'measurement' | 'field' | 'tag' | null;

/**
 * The kind of name expected after `before` (the query text up to the word
 * being completed): InfluxQL's and SQL's FROM → a measurement; SELECT → a
 * field; WHERE → a tag (or field); GROUP BY → a tag. Flux: after
 * `r._measurement ==` a measurement, after `r._field ==` a field, after `r.`
 * a tag.
 */
export function nameKind(before: string): NameKind {
  if (/r\._measurement\s*==\s*"?$/.test(before)) return 'measurement';
  if (/r\._field\s*==\s*"?$/.test(before)) return 'field';
  if (/\br\.$/.test(before)) return 'tag';
  let best: { at: number; kind: NameKind } = { at: -1, kind: null };
  const clauses: [RegExp, NameKind][] = [
    [/\bSELECT\b/gi, 'field'],
    [/\bFROM\b/gi, 'measurement'],
    [/\bWHERE\b/gi, 'tag'],
    [/\bGROUP\s+BY\b/gi, 'tag'],
    [/\b(ORDER\s+BY|LIMIT|FILL|SLIMIT|OFFSET|TZ)\b/gi, null],
  ];
  for (const [re, kind] of clauses) {
    for (const m of before.matchAll(re)) if (m.index! > best.at) best = { at: m.index!, kind };
  }
  return best.kind;
}

/** A completion source over keywords, functions and `schema()`'s names. */
export function influxqlCompletion(schema: () => SchemaNames, keywords: string[] = KEYWORDS, functions: string[] = [...FN]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[:"]?[\w.-]*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const s = schema();
    // Names that fit the clause being written come first.
    const kind = nameKind(ctx.state.sliceDoc(Math.max(0, word.from - 2000), word.from));
    const boost = (k: NameKind) => (k === kind ? 50 : kind === 'tag' && k === 'field' ? 20 : 0);
    // Inside a started "quoted name" only names are offered, and the quotes stay.
    const inQuote = word.text.startsWith('"');
    const quoted = (label: string, type: string, detail: string, k: NameKind): Completion => ({
      label,
      apply: inQuote ? label.replace(/"/g, '\\"') : /^[A-Za-z_]\w*$/.test(label) ? label : `"${label.replace(/"/g, '\\"')}"`,
      type,
      detail,
      boost: boost(k),
    });
    const options: Completion[] = [
      ...(inQuote ? [] : keywords.map((k) => ({ label: k, type: 'keyword' }))),
      ...(inQuote ? [] : functions.map((f) => ({ label: f, type: 'function', apply: f + '()', boost: kind === 'field' ? 10 : 0 }))),
      ...s.measurements.map((m) => quoted(m, 'class', 'measurement', 'measurement')),
      ...s.tagKeys.map((t) => quoted(t, 'property', 'tag', 'tag')),
      ...s.fieldKeys.map((f) => quoted(f, 'variable', 'field', 'field')),
      ...(inQuote ? [] : (s.templateVars ?? []).map((v) => ({ label: v, type: 'constant', detail: 'template variable' }))),
    ];
    return { from: inQuote ? word.from + 1 : word.from, options, validFor: /^[:"]?[\w.-]*$/ };
  };
}
