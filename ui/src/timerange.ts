// Time ranges of the explorer and dashboards, and the InfluxQL they turn into.

/** A time range: the last `duration`, or an absolute [start, end] (epoch ms). */
export type TimeRange =
  | { kind: 'relative'; duration: string }
  | { kind: 'absolute'; start: number; end: number };

/** Relative presets offered by the picker. */
export const PRESETS: { duration: string; label: string }[] = [
  { duration: '5m', label: 'Past 5 minutes' },
  { duration: '15m', label: 'Past 15 minutes' },
  { duration: '1h', label: 'Past hour' },
  { duration: '6h', label: 'Past 6 hours' },
  { duration: '12h', label: 'Past 12 hours' },
  { duration: '24h', label: 'Past 24 hours' },
  { duration: '2d', label: 'Past 2 days' },
  { duration: '7d', label: 'Past 7 days' },
  { duration: '30d', label: 'Past 30 days' },
];

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds of an InfluxQL duration literal such as `90s` or `1h30m`; NaN if invalid. */
export function durationMs(d: string): number {
  const re = /(\d+)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(d)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  return pos === d.length && pos > 0 ? total : NaN;
}

/** A duration literal for `ms` in the largest exact unit (`90000` → `90s`). */
export function formatDuration(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm', 's']) if (ms >= UNIT_MS[u] && ms % UNIT_MS[u] === 0) return `${ms / UNIT_MS[u]}${u}`;
  return `${Math.max(1, Math.round(ms))}ms`;
}

/** [start, end] epoch ms of a range at time `now`. */
export function bounds(tr: TimeRange, now: number = Date.now()): [number, number] {
  if (tr.kind === 'absolute') return [tr.start, tr.end];
  return [now - durationMs(tr.duration), now];
}

/** The `:dashboardTime:` text: `now() - 1h` or a quoted RFC 3339 time. */
export function lowerExpr(tr: TimeRange): string {
  return tr.kind === 'relative' ? `now() - ${tr.duration}` : `'${new Date(tr.start).toISOString()}'`;
}

/** The `:upperDashboardTime:` text: `now()` or a quoted RFC 3339 time. */
export function upperExpr(tr: TimeRange): string {
  return tr.kind === 'relative' ? 'now()' : `'${new Date(tr.end).toISOString()}'`;
}

const NICE = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800].map(
  (s) => s * 1000,
);

/**
 * The `:interval:` of a range: the smallest "nice" interval giving at most
 * `maxPoints` points per series (Chronograf sizes this from the chart width).
 */
export function autoInterval(tr: TimeRange, maxPoints = 1000, now?: number): string {
  const [a, b] = bounds(tr, now);
  const want = Math.max(1, (b - a) / maxPoints);
  const nice = NICE.find((n) => n >= want) ?? Math.ceil(want / NICE[NICE.length - 1]) * NICE[NICE.length - 1];
  return formatDuration(nice);
}

/** A short description for the picker button. */
export function describe(tr: TimeRange): string {
  if (tr.kind === 'relative') return PRESETS.find((p) => p.duration === tr.duration)?.label ?? `Past ${tr.duration}`;
  const f = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
  return `${f(tr.start)} → ${f(tr.end)}`;
}
