// Pure helpers of the charts: y ranges, number formats, series colors.

/** The default series colors. */
export const PALETTE = ['#22adf6', '#4ed8a0', '#ffb94a', '#f05a5a', '#a78bfa', '#f472b6', '#2dd4bf', '#facc15', '#fb923c', '#60a5fa'];

/** Line color schemes offered for graphs: stored as Chronograf stores them (three `scale` colors). */
export const LINE_SCHEMES: { name: string; hex: [string, string, string] }[] = [
  { name: 'Almanac', hex: ['#22adf6', '#a78bfa', '#ffb94a'] },
  { name: 'Ocean', hex: ['#0ea5e9', '#14b8a6', '#6366f1'] },
  { name: 'Sunset', hex: ['#f59e0b', '#ef4444', '#a21caf'] },
  { name: 'Forest', hex: ['#84cc16', '#10b981', '#065f46'] },
  { name: 'Grey', hex: ['#e5e7eb', '#9ca3af', '#4b5563'] },
];

function parseHex(h: string): [number, number, number] | null {
  const m = h.trim().match(/^#?([0-9a-f]{6})$/i);
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: number[]): string {
  return '#' + [r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}

/**
 * Colors of `n` series: the palette, or — given scale colors (a line scheme,
 * as Chronograf's `type: "scale"` colors) — `n` colors spread evenly along
 * them.
 */
export function seriesColors(n: number, scale: string[] = []): string[] {
  const stops = scale.map(parseHex).filter((c): c is [number, number, number] => c !== null);
  if (stops.length === 0) return Array.from({ length: n }, (_, i) => PALETTE[i % PALETTE.length]);
  if (stops.length === 1 || n === 1) return Array.from({ length: n }, () => toHex(stops[0]));
  return Array.from({ length: n }, (_, i) => {
    const t = (i / (n - 1)) * (stops.length - 1);
    const k = Math.min(Math.floor(t), stops.length - 2);
    const f = t - k;
    const a = stops[k];
    const b = stops[k + 1];
    return toHex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
  });
}

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** A number in at most 3 significant digits, without trailing zeros. */
function short(v: number): string {
  const a = Math.abs(v);
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * An axis label: SI prefixes from 10,000 on (`16G`, `250k`), exponents for
 * tiny numbers, else the number rounded to 3 decimals.
 */
export function formatAxisValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e4) {
    const e = Math.min(Math.floor(Math.log10(a) / 3), SI.length - 1);
    return short(v / 10 ** (e * 3)) + SI[e];
  }
  if (a !== 0 && a < 1e-3) return v.toExponential(1);
  return String(Math.round(v * 1000) / 1000);
}

/** A value in the legend: rounded to 3 decimals, thousands grouped. */
export function formatLegendValue(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && a < 1e-3) return v.toExponential(3);
  return v.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/**
 * The y range of a chart: the cell's bounds where set, else the data's range
 * with some room (bars start at 0). A flat series (min = max) or no data at
 * all still gets a range that is not empty.
 */
export function yRange(min: number | null, max: number | null, lo: number | null, hi: number | null, bar = false): [number, number] {
  let a = lo ?? (min === null ? null : bar ? Math.min(0, min) : min);
  let b = hi ?? (max === null ? null : bar ? Math.max(0, max) : max);
  if (a === null && b === null) return [0, 1];
  if (a === null) a = b! - 1;
  if (b === null) b = a + 1;
  if (a > b) [a, b] = [b, a];
  if (a === b) {
    const pad = Math.abs(a) * 0.1 || 1;
    return [lo ?? a - pad, hi ?? b + pad];
  }
  // 5% of room where the bound is not set (bars keep their 0).
  const room = (b - a) * 0.05;
  return [lo !== null || (bar && a === 0) ? a : a - room, hi !== null || (bar && b === 0) ? b : b + room];
}

/** Pixels the y axis needs for its longest label (and room for the ticks). */
export function axisWidth(labels: string[]): number {
  const longest = labels.reduce((m, l) => Math.max(m, l.length), 0);
  return Math.max(36, Math.ceil(longest * 7.2) + 18);
}
