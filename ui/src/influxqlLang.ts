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

function token(stream: StringStream, state: State): string | null {
  if (state.inComment) {
    if (stream.skipTo('*/')) {
      stream.next();
      stream.next();
      state.inComment = false;
    } else stream.skipToEnd();
    return 'comment';
  }
  if (stream.eatSpace()) return null;
  if (stream.match('--')) {
    stream.skipToEnd();
    return 'comment';
  }
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
    if (KW.has(w.toUpperCase())) return 'keyword';
    if (FN.has(w.toLowerCase()) && stream.peek() === '(') return 'function';
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
  token,
  languageData: { commentTokens: { line: '--' } },
});

/** Names the completion offers besides keywords and functions. */
export interface SchemaNames {
  measurements: string[];
  tagKeys: string[];
  fieldKeys: string[];
  templateVars?: string[];
}

/** A completion source over keywords, functions and `schema()`'s names. */
export function influxqlCompletion(schema: () => SchemaNames) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[:"]?[\w.-]*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const s = schema();
    const quoted = (label: string, type: string, detail: string): Completion => ({
      label,
      apply: /^[A-Za-z_]\w*$/.test(label) ? label : `"${label.replace(/"/g, '\\"')}"`,
      type,
      detail,
    });
    const options: Completion[] = [
      ...KEYWORDS.map((k) => ({ label: k, type: 'keyword' })),
      ...[...FN].map((f) => ({ label: f, type: 'function', apply: f + '()' })),
      ...s.measurements.map((m) => quoted(m, 'class', 'measurement')),
      ...s.tagKeys.map((t) => quoted(t, 'property', 'tag')),
      ...s.fieldKeys.map((f) => quoted(f, 'variable', 'field')),
      ...(s.templateVars ?? []).map((v) => ({ label: v, type: 'constant', detail: 'template variable' })),
    ];
    const from = word.text.startsWith('"') ? word.from : word.from;
    return { from, options, validFor: /^[:"]?[\w.-]*$/ };
  };
}
