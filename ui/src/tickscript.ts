// Alert rules (threshold, relative, deadman) as Chronograf builds them, and the
// TICKscript they become. Like Chronograf's, the scripts also write every
// alert into the `chronograf` database, measurement `alerts` (influxDBOut
// after the alert node), which the alert history page reads.

/** Kinds of rule the builder makes. */
export type RuleKind = 'threshold' | 'relative' | 'deadman';

/** Comparisons of a threshold or relative rule (Chronograf's names). */
export const OPERATORS = [
  'greater than',
  'equal to or greater',
  'less than',
  'equal to or less than',
  'equal to',
  'not equal to',
  'inside range',
  'outside range',
] as const;

/** A comparison of a threshold or relative rule. */
export type Operator = (typeof OPERATORS)[number];

/** Aggregates a rule may apply over its window ('' = every point as it arrives). */
export const AGGREGATES = ['', 'mean', 'median', 'max', 'min', 'sum', 'count', 'first', 'last', 'spread', 'stddev', 'distinct'] as const;

/** Alert handlers the engine runs from a TICKscript. */
export type Handler = { kind: 'log'; path: string } | { kind: 'post'; url: string } | { kind: 'tcp'; address: string } | { kind: 'exec'; prog: string; args: string[] };

/** An alert rule as the builder edits it. */
export interface AlertRule {
  name: string;
  kind: RuleKind;
  db: string;
  rp: string;
  measurement: string;
  /** The field compared (threshold, relative); unused by deadman. */
  field: string;
  /** Aggregate over `period` every `every`; '' checks every point. */
  aggregate: string;
  period: string;
  every: string;
  /** Tag filters: OR within a key, AND across keys. */
  where: Record<string, string[]>;
  groupBy: string[];
  operator: Operator;
  /** The threshold (the lower bound of a range). */
  value: string;
  /** The upper bound of a range. */
  rangeValue: string;
  /** Relative rules: absolute change or percent change against `shift` ago. */
  change: 'change' | '% change';
  shift: string;
  /** Deadman: alert when fewer than `deadmanThreshold` points arrive per `period`. */
  deadmanThreshold: string;
  level: 'crit' | 'warn' | 'info';
  message: string;
  stateChangesOnly: boolean;
  handlers: Handler[];
}

/** A new rule with Chronograf's defaults. */
export function emptyRule(): AlertRule {
  return {
    name: '',
    kind: 'threshold',
    db: '',
    rp: 'autogen',
    measurement: '',
    field: '',
    aggregate: '',
    period: '1m',
    every: '10s',
    where: {},
    groupBy: [],
    operator: 'greater than',
    value: '',
    rangeValue: '',
    change: 'change',
    shift: '1m',
    deadmanThreshold: '0',
    level: 'crit',
    message: '{{ .ID }} is {{ .Level }}',
    stateChangesOnly: true,
    handlers: [],
  };
}

/** A rule the builder cannot turn into a script: names the field at fault. */
export class RuleError extends Error {
  constructor(
    public field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuleError';
  }
}

/** A TICKscript string literal (single quotes). */
export function tickString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** A TICKscript reference to a field or tag (double quotes). */
export function tickRef(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

const DURATION = /^(\d+(\.\d+)?(ns|u|µ|us|ms|s|m|h|d|w))+$/;

function duration(field: string, v: string): string {
  const d = v.trim();
  if (!DURATION.test(d)) throw new RuleError(field, `${field}: "${v}" is not a duration (e.g. 30s, 5m, 1h)`);
  return d;
}

function number(field: string, v: string): string {
  const s = v.trim();
  if (s === '' || !Number.isFinite(Number(s))) throw new RuleError(field, `${field}: "${v}" is not a number`);
  // TICKscript has int and float literals; comparisons with a float field need a float.
  return /[.eE]/.test(s) ? String(Number(s)) : `${Number(s)}.0`;
}

function required(field: string, v: string): string {
  if (!v.trim()) throw new RuleError(field, `${field} is required`);
  return v.trim();
}

/** The task id of a rule named `name` (Kapacitor ids: letters, digits, `-`, `_`, `.`). */
export function taskIdFor(name: string): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}0-9._-]+/gu, '_')
    .replace(/^_+|_+$/g, '');
  return slug || 'rule';
}

/** The `where` lambda: `("host" == 'a' OR "host" == 'b') AND ...`, or `TRUE`. */
export function whereLambda(where: Record<string, string[]>): string {
  const parts = Object.keys(where)
    .sort()
    .filter((k) => where[k].length > 0)
    .map((k) => {
      const alts = where[k].map((v) => `${tickRef(k)} == ${tickString(v)}`);
      return alts.length === 1 ? alts[0] : `(${alts.join(' OR ')})`;
    });
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

/** The level lambda body of a comparison against `crit` (and `upper` for ranges). */
export function condition(op: Operator): string {
  const v = '"value"';
  switch (op) {
    case 'greater than':
      return `${v} > crit`;
    case 'equal to or greater':
      return `${v} >= crit`;
    case 'less than':
      return `${v} < crit`;
    case 'equal to or less than':
      return `${v} <= crit`;
    case 'equal to':
      return `${v} == crit`;
    case 'not equal to':
      return `${v} != crit`;
    case 'inside range':
      return `${v} >= lower AND ${v} <= upper`;
    case 'outside range':
      return `${v} < lower OR ${v} > upper`;
  }
}

function handlerLines(handlers: Handler[]): string[] {
  return handlers.map((h) => {
    switch (h.kind) {
      case 'log':
        if (!h.path.startsWith('/')) throw new RuleError('log handler', `log handler: "${h.path}" is not an absolute path`);
        return `        .log(${tickString(h.path)})`;
      case 'post':
        if (!/^https?:\/\//.test(h.url)) throw new RuleError('post handler', `post handler: "${h.url}" is not an http(s) URL`);
        return `        .post(${tickString(h.url)})`;
      case 'tcp':
        return `        .tcp(${tickString(required('tcp handler', h.address))})`;
      case 'exec':
        return `        .exec(${[required('exec handler', h.prog), ...h.args].map(tickString).join(', ')})`;
    }
  });
}

/** The marker line that carries the rule, so the builder can open the task again. */
export const RULE_MARKER = '// almanac-rule: ';

/** The rule stored in a script's first line, if the builder wrote it. */
export function ruleFromScript(script: string): AlertRule | null {
  const first = script.split('\n', 1)[0];
  if (!first.startsWith(RULE_MARKER)) return null;
  try {
    return { ...emptyRule(), ...(JSON.parse(first.slice(RULE_MARKER.length)) as Partial<AlertRule>) };
  } catch {
    return null;
  }
}

/**
 * The TICKscript of a rule (a stream task), in Chronograf's layout: `var`s
 * first, then the data, the alert (`trigger`), the copy of every alert into
 * `chronograf`.`autogen`.`alerts` and an `httpOut('output')`. Throws
 * RuleError naming the field at fault.
 */
export function ruleToTickscript(r: AlertRule): string {
  const name = required('name', r.name);
  const db = required('database', r.db);
  const rp = required('retention policy', r.rp);
  const measurement = required('measurement', r.measurement);
  const kind = r.kind;
  const aggregate = kind === 'deadman' ? '' : r.aggregate;
  if (aggregate && !(AGGREGATES as readonly string[]).includes(aggregate)) throw new RuleError('aggregate', `aggregate: unknown function "${aggregate}"`);
  if (kind === 'relative' && !aggregate) throw new RuleError('aggregate', 'aggregate: a relative rule compares windows, choose a function (e.g. mean)');
  const field = kind === 'deadman' ? '' : required('field', r.field);
  const range = kind !== 'deadman' && (r.operator === 'inside range' || r.operator === 'outside range');

  const v: string[] = [];
  v.push(`var db = ${tickString(db)}`);
  v.push(`var rp = ${tickString(rp)}`);
  v.push(`var measurement = ${tickString(measurement)}`);
  v.push(`var groupBy = [${r.groupBy.map(tickString).join(', ')}]`);
  v.push(`var whereFilter = lambda: ${whereLambda(r.where)}`);
  if (aggregate) {
    v.push(`var period = ${duration('period', r.period)}`);
    v.push(`var every = ${duration('every', r.every)}`);
  }
  if (kind === 'deadman') {
    v.push(`var period = ${duration('period', r.period)}`);
    v.push(`var threshold = ${number('threshold', r.deadmanThreshold)}`);
  }
  if (kind === 'relative') v.push(`var shift = ${duration('shift', r.shift)}`);
  v.push(`var name = ${tickString(name)}`);
  v.push(`var idVar = name + ':{{.Group}}'`);
  v.push(`var message = ${tickString(r.message)}`);
  v.push(`var idTag = 'alertID'`);
  v.push(`var levelTag = 'level'`);
  v.push(`var messageField = 'message'`);
  v.push(`var durationField = 'duration'`);
  v.push(`var outputDB = 'chronograf'`);
  v.push(`var outputRP = 'autogen'`);
  v.push(`var outputMeasurement = 'alerts'`);
  v.push(`var triggerType = ${tickString(kind)}`);
  if (kind !== 'deadman') {
    if (range) {
      v.push(`var lower = ${number('lower bound', r.value)}`);
      v.push(`var upper = ${number('upper bound', r.rangeValue)}`);
    } else v.push(`var crit = ${number('value', r.value)}`);
  }

  const from = [
    'var data = stream',
    '    |from()',
    '        .database(db)',
    '        .retentionPolicy(rp)',
    '        .measurement(measurement)',
    '        .groupBy(groupBy)',
    '        .where(whereFilter)',
  ];
  if (aggregate) {
    from.push('    |window()', '        .period(period)', '        .every(every)', '        .align()');
    from.push(`    |${aggregate}(${tickString(field)})`, "        .as('value')");
  } else if (kind !== 'deadman') {
    from.push(`    |eval(lambda: ${tickRef(field)})`, "        .as('value')");
  }

  const alertProps = [
    '        .message(message)',
    '        .id(idVar)',
    '        .idTag(idTag)',
    '        .levelTag(levelTag)',
    '        .messageField(messageField)',
    '        .durationField(durationField)',
    ...(r.stateChangesOnly ? ['        .stateChangesOnly()'] : []),
    ...handlerLines(r.handlers),
  ];
  let trigger: string[];
  if (kind === 'deadman') {
    trigger = ['var trigger = data', '    |deadman(threshold, period)', ...alertProps];
  } else {
    const level = `        .${r.level}(lambda: ${condition(r.operator)})`;
    if (kind === 'relative') {
      const expr =
        r.change === '% change'
          ? 'abs(float("current.value" - "past.value")) / float("past.value") * 100.0'
          : 'float("current.value" - "past.value")';
      trigger = [
        'var past = data',
        '    |shift(shift)',
        '',
        'var current = data',
        '',
        'var trigger = past',
        '    |join(current)',
        "        .as('past', 'current')",
        `    |eval(lambda: ${expr})`,
        '        .keep()',
        "        .as('value')",
        '    |alert()',
        level,
        ...alertProps,
      ];
    } else {
      trigger = ['var trigger = data', '    |alert()', level, ...alertProps];
    }
  }
  const out = [
    'trigger',
    kind === 'deadman' ? '    |eval(lambda: "emitted")' : '    |eval(lambda: float("value"))',
    "        .as('value')",
    kind === 'deadman' ? '        .keep(\'value\', messageField, durationField)' : '        .keep()',
    '    |influxDBOut()',
    '        .create()',
    '        .database(outputDB)',
    '        .retentionPolicy(outputRP)',
    '        .measurement(outputMeasurement)',
    "        .tag('alertName', name)",
    "        .tag('triggerType', triggerType)",
    '',
    'trigger',
    "    |httpOut('output')",
  ];
  const stored: Partial<AlertRule> = { ...r };
  return [RULE_MARKER + JSON.stringify(stored), ...v, '', ...from, '', ...trigger, '', ...out, ''].join('\n');
}

/** A position the server named in a TICKscript error (1-based line and character). */
export interface ScriptErrorPos {
  line: number;
  char: number;
  message: string;
}

/** The `line N char M: message` of a Kapacitor TICKscript error, if it has one. */
export function parseScriptError(error: string): ScriptErrorPos | null {
  const m = error.match(/line (\d+) char (\d+):\s*([\s\S]*)$/);
  if (!m) return null;
  return { line: Number(m[1]), char: Number(m[2]), message: m[3].trim() || error };
}
