// TICKscript for CodeMirror 6: a stream tokenizer for highlighting
// (keywords, node and property names, strings, references, durations,
// regexes, comments) and completion of node and property names.

import { StreamLanguage, type StringStream } from '@codemirror/language';
import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';

/** TICKscript keywords and literals. */
export const TICK_KEYWORDS = ['var', 'dbrp', 'lambda', 'stream', 'batch', 'TRUE', 'FALSE', 'AND', 'OR'];

/** Node names chained with `|`. */
export const TICK_NODES = (
  'from query where window groupBy eval default delete shift log count distinct mean median mode spread sum first ' +
  'last min max percentile stddev top bottom difference cumulativeSum movingAverage elapsed derivative stateDuration ' +
  'stateCount changeDetect httpOut influxDBOut join union sample flatten kapacitorLoopback httpPost alert deadman stats'
).split(' ');

/** Common properties chained with `.`. */
export const TICK_PROPERTIES = (
  'database retentionPolicy measurement where groupBy period every align as keep tags crit warn info critReset warnReset ' +
  'infoReset id message details stateChangesOnly noRecoveries topic idTag levelTag messageField durationField idField ' +
  'levelField log post tcp exec header timeout create tag precision tolerance fill flapping history offset quiet all ' +
  'inhibit category unit nonNegative fillPeriod byMeasurement on delimiter streamName rename'
).split(' ');

const KW = new Set(TICK_KEYWORDS);

function token(stream: StringStream, state: { inComment: boolean }): string | null {
  if (stream.eatSpace()) return null;
  if (stream.match('//')) {
    stream.skipToEnd();
    return 'comment';
  }
  if (stream.match("'''")) {
    while (!stream.eol() && !stream.match("'''")) stream.next();
    return 'string';
  }
  const ch = stream.peek();
  if (ch === "'" || ch === '"') {
    stream.next();
    let esc = false;
    let c: string | void;
    while ((c = stream.next()) !== undefined) {
      if (c === ch && !esc) break;
      esc = !esc && c === '\\';
    }
    return ch === "'" ? 'string' : 'variableName.special';
  }
  if (stream.match(/^\d+(\.\d+)?(ns|us|u|µ|ms|s|m|h|d|w)\b/)) return 'unit';
  if (stream.match(/^\d+(\.\d+)?/)) return 'number';
  if (ch === '|') {
    stream.next();
    if (stream.match(/^[A-Za-z_]\w*/)) return 'function';
    return 'operator';
  }
  if (ch === '.' && stream.match(/^\.[A-Za-z_]\w*/)) return 'macroName';
  if (ch === '@' && stream.match(/^@[A-Za-z_]\w*/)) return 'function';
  if (ch === '/' && stream.match(/^\/(\\.|[^/\\\n])+\//)) return 'regexp';
  if (stream.match(/^[A-Za-z_]\w*/)) return KW.has(stream.current()) ? 'keyword' : 'variableName';
  stream.next();
  void state;
  return /[-+*/<>=!]/.test(ch ?? '') ? 'operator' : null;
}

/** The TICKscript language (highlighting only). */
export const tickLanguage = StreamLanguage.define<{ inComment: boolean }>({
  name: 'tickscript',
  startState: () => ({ inComment: false }),
  token,
  languageData: { commentTokens: { line: '//' } },
});

/** Completion of node names after `|`, properties after `.`, keywords elsewhere. */
export function tickCompletion(ctx: CompletionContext): CompletionResult | null {
  const node = ctx.matchBefore(/\|\w*/);
  if (node) return { from: node.from + 1, options: TICK_NODES.map((n) => ({ label: n, type: 'function' })) };
  const prop = ctx.matchBefore(/\.\w*/);
  if (prop) return { from: prop.from + 1, options: TICK_PROPERTIES.map((n) => ({ label: n, type: 'property' })) };
  const word = ctx.matchBefore(/\w+/);
  if (!word && !ctx.explicit) return null;
  return { from: word?.from ?? ctx.pos, options: TICK_KEYWORDS.map((k) => ({ label: k, type: 'keyword' })) };
}
