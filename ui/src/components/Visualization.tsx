// Renders query results as a cell's visualization.

import type { QueryResponse } from '../api';
import { lastValue, toChartData, toTable } from '../results';
import type { Axis, CellColor, VisType } from '../dashboard';
import { Chart } from './Chart';
import { ResultTable } from './Table';
import { useMemo } from 'preact/hooks';
import type { Annotation } from '../annotations';
import { seriesColors } from '../chartUtil';

interface Props {
  response: QueryResponse;
  type: VisType;
  height: number;
  axis?: Axis;
  colors?: CellColor[];
  legend?: boolean;
  digits?: number | null;
  onZoom?: (a: number, b: number) => void;
  annotations?: Annotation[];
  onAnnotate?: (start: number, end: number) => void;
}

function formatNumber(v: number, digits: number | null | undefined): string {
  if (digits !== null && digits !== undefined) return v.toFixed(digits);
  return String(Math.round(v * 100) / 100);
}

/** The threshold color of `v`: the highest threshold at or below it. */
export function thresholdColor(colors: CellColor[] | undefined, v: number): string | undefined {
  const ts = (colors ?? [])
    .filter((c) => c.type !== 'scale')
    .map((c) => ({ hex: c.hex, value: c.value === '' || c.type === 'text' ? -Infinity : Number(c.value) }))
    .filter((c) => !Number.isNaN(c.value))
    .sort((a, b) => a.value - b.value);
  let out: string | undefined;
  for (const t of ts) if (v >= t.value) out = t.hex;
  return out;
}

function SingleStat({ value, axis, colors, digits }: { value: number | null; axis?: Axis; colors?: CellColor[]; digits?: number | null }) {
  if (value === null) return <p class="muted">No numeric value</p>;
  return (
    <div class="single-stat" data-testid="single-stat" style={{ color: thresholdColor(colors, value) }}>
      {axis?.prefix}
      {formatNumber(value, digits)}
      {axis?.suffix}
    </div>
  );
}

function Gauge({ value, colors, axis, digits, height }: { value: number | null; colors?: CellColor[]; axis?: Axis; digits?: number | null; height: number }) {
  if (value === null) return <p class="muted">No numeric value</p>;
  const min = axis?.bounds?.[0] ? Number(axis.bounds[0]) : 0;
  const max = axis?.bounds?.[1] ? Number(axis.bounds[1]) : 100;
  const frac = Math.max(0, Math.min(1, (value - min) / (max - min || 1)));
  const a = Math.PI * (1 - frac);
  const r = 80;
  const x = 100 + r * Math.cos(a);
  const y = 100 - r * Math.sin(a);
  const color = thresholdColor(colors, value) ?? 'var(--accent)';
  return (
    <svg class="gauge" viewBox="0 0 200 120" style={{ height: `${Math.max(60, height)}px`, width: '100%' }} role="img" aria-label={`gauge ${value}`}>
      <path d="M20 100 A80 80 0 0 1 180 100" stroke="var(--grid)" stroke-width="16" fill="none" />
      <path d={`M20 100 A80 80 0 0 1 ${x} ${y}`} stroke={color} stroke-width="16" fill="none" />
      <text x="100" y="95" text-anchor="middle" font-size="24" font-weight="600">
        {axis?.prefix}
        {formatNumber(value, digits)}
        {axis?.suffix}
      </text>
      <text x="20" y="116" text-anchor="middle" font-size="10">{min}</text>
      <text x="180" y="116" text-anchor="middle" font-size="10">{max}</text>
    </svg>
  );
}

/** The visualization component. */
export function Visualization({ response, type, height, axis, colors, legend = true, digits, onZoom, annotations, onAnnotate }: Props) {
  const chart = useMemo(() => (type === 'table' ? null : toChartData(response)), [response, type]);
  const table = useMemo(() => (type === 'table' || !chart ? toTable(response) : null), [response, type, chart]);
  if (type === 'table' || (!chart && table)) {
    if (table && table.rows.length === 0) return <p class="muted">The query returned no data for this time range.</p>;
    return <ResultTable table={table!} />;
  }
  if (!chart) return <p class="muted">No data</p>;
  // A line scheme (Chronograf's `scale` colors) colors the series.
  const scale = (colors ?? []).filter((c) => c.type === 'scale').map((c) => c.hex);
  const lineColors = scale.length ? seriesColors(chart.labels.length, scale) : undefined;
  if (type === 'single-stat') return <SingleStat value={lastValue(chart)} axis={axis} colors={colors} digits={digits} />;
  if (type === 'gauge') return <Gauge value={lastValue(chart)} axis={axis} colors={colors} digits={digits} height={height} />;
  if (type === 'line-plus-single-stat') {
    const v = lastValue(chart);
    return (
      <div style={{ position: 'relative' }}>
        <Chart data={chart} kind="line" height={height} axis={axis} legend={legend} colors={lineColors} onZoom={onZoom} annotations={annotations} onAnnotate={onAnnotate} />
        <div style={{ position: 'absolute', inset: 0, pointerEvents: 'none', opacity: 0.85 }}>
          <SingleStat value={v} axis={axis} colors={colors} digits={digits} />
        </div>
      </div>
    );
  }
  const kind = type === 'line-stacked' || type === 'line-stepplot' || type === 'bar' ? type : 'line';
  return <Chart data={chart} kind={kind} height={height} axis={axis} legend={legend} colors={lineColors} onZoom={onZoom} annotations={annotations} onAnnotate={onAnnotate} />;
}
