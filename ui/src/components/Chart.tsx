// A uPlot chart: line, stacked, step or bar, with zoom by drag.

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from '../results';
import type { Axis } from '../dashboard';
import type { Annotation } from '../annotations';

const PALETTE = ['#22adf6', '#4ed8a0', '#ffb94a', '#f05a5a', '#a78bfa', '#f472b6', '#2dd4bf', '#facc15', '#fb923c', '#60a5fa'];

/** How the lines are drawn. */
export type ChartKind = 'line' | 'line-stacked' | 'line-stepplot' | 'bar';

interface Props {
  data: ChartData;
  kind?: ChartKind;
  height: number;
  axis?: Axis;
  legend?: boolean;
  /** Called with [start, end] epoch ms after a drag selection. */
  onZoom?: (start: number, end: number) => void;
  /** Annotations drawn as vertical lines (spans shaded). */
  annotations?: Annotation[];
  /**
   * Called with [start, end] epoch ms to add an annotation: a click gives a
   * moment (start == end), a drag with Shift held a span (instead of a zoom).
   */
  onAnnotate?: (start: number, end: number) => void;
}

/** Pixels a pointer may move between press and release and still count as a click. */
const CLICK_SLOP = 3;

/**
 * Cumulative sums per x for stacked charts. A time where no series has a
 * value stays a gap (null) instead of dropping to zero; otherwise a missing
 * value counts as 0.
 */
export function stack(data: ChartData['data']): ChartData['data'] {
  const [xs, ...ys] = data;
  const acc = new Array<number>(xs.length).fill(0);
  const any = xs.map((_, i) => ys.some((y) => y[i] !== null));
  const out = ys.map((y) => y.map((v, i) => (any[i] ? (acc[i] += v ?? 0) : null)));
  return [xs, ...out];
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** The chart component. */
export function Chart({ data, kind = 'line', height, axis, legend = true, onZoom, annotations, onAnnotate }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const annotate = useRef(onAnnotate);
  annotate.current = onAnnotate;
  // Where the last press on the plot started and whether Shift was held.
  const press = useRef<{ x: number; y: number; shift: boolean } | null>(null);

  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const text = cssVar('--muted', '#999');
    const grid = cssVar('--grid', '#333');
    const paths =
      kind === 'line-stepplot' ? uPlot.paths.stepped!({ align: 1 }) : kind === 'bar' ? uPlot.paths.bars!({ size: [0.8, 60] }) : undefined;
    const fmt = (v: number | null) => {
      if (v === null || v === undefined) return '';
      const s = Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Math.round(v * 1000) / 1000);
      return `${axis?.prefix ?? ''}${s}${axis?.suffix ?? ''}`;
    };
    const lo = axis?.bounds?.[0] ? Number(axis.bounds[0]) : null;
    const hi = axis?.bounds?.[1] ? Number(axis.bounds[1]) : null;
    const opts: uPlot.Options = {
      width: host.clientWidth || 600,
      height,
      legend: { show: legend },
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: {
        x: { time: true },
        y: {
          distr: axis?.scale === 'log' ? 3 : 1,
          range: (_u, min, max) => [lo !== null && !Number.isNaN(lo) ? lo : kind === 'bar' ? Math.min(0, min) : min, hi !== null && !Number.isNaN(hi) ? hi : max],
        },
      },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, label: axis?.label || undefined, size: 60, values: (_u, vals) => vals.map((v) => fmt(v)) },
      ],
      series: [
        {},
        ...data.labels.map((label, i) => {
          const color = PALETTE[i % PALETTE.length];
          return {
            label,
            stroke: color,
            width: 1.5,
            value: (_u: uPlot, v: number | null) => fmt(v),
            fill: kind === 'line-stacked' || kind === 'bar' ? color + '55' : undefined,
            paths,
            points: { show: false },
            spanGaps: kind !== 'bar',
          } as uPlot.Series;
        }),
      ],
      hooks: {
        draw: [
          (u) => {
            if (!annotations?.length) return;
            const ctx = u.ctx;
            const { top, height: h } = u.bbox;
            ctx.save();
            ctx.fillStyle = ctx.strokeStyle = cssVar('--warn', '#ffb94a');
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            for (const a of annotations) {
              const x0 = u.valToPos(a.start / 1000, 'x', true);
              const x1 = u.valToPos(a.end / 1000, 'x', true);
              if (x1 < u.bbox.left || x0 > u.bbox.left + u.bbox.width) continue;
              if (x1 - x0 > 1) {
                ctx.globalAlpha = 0.15;
                ctx.fillRect(x0, top, x1 - x0, h);
                ctx.globalAlpha = 1;
              }
              ctx.beginPath();
              ctx.moveTo(x0, top);
              ctx.lineTo(x0, top + h);
              ctx.stroke();
              ctx.fillText(a.text, x0 + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
            }
            ctx.restore();
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const a = Math.round(u.posToVal(u.select.left, 'x') * 1000);
            const b = Math.round(u.posToVal(u.select.left + u.select.width, 'x') * 1000);
            if (press.current?.shift && annotate.current) {
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              annotate.current(a, b);
              return;
            }
            if (!zoom.current) return;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current(a, b);
          },
        ],
      },
    };
    const d = (kind === 'line-stacked' ? stack(data.data) : data.data) as uPlot.AlignedData;
    const p = new uPlot(opts, d, host);
    plot.current = p;
    const down = (e: MouseEvent) => {
      press.current = e.button === 0 ? { x: e.clientX, y: e.clientY, shift: e.shiftKey } : null;
    };
    const up = (e: MouseEvent) => {
      const start = press.current;
      if (!start || !annotate.current || e.button !== 0) return;
      if (Math.abs(e.clientX - start.x) > CLICK_SLOP || Math.abs(e.clientY - start.y) > CLICK_SLOP) return;
      const left = e.clientX - p.over.getBoundingClientRect().left;
      const t = Math.round(p.posToVal(left, 'x') * 1000);
      if (Number.isFinite(t)) annotate.current(t, t);
    };
    p.over.addEventListener('mousedown', down);
    p.over.addEventListener('mouseup', up);
    const ro = new ResizeObserver(() => {
      if (host.clientWidth > 0) p.setSize({ width: host.clientWidth, height });
    });
    ro.observe(host);
    return () => {
      ro.disconnect();
      p.destroy();
      plot.current = null;
    };
  }, [data, kind, height, axis, legend, annotations]);

  // Points drawn (for tests and the curious: it is in the DOM as data-points).
  let points = 0;
  for (let i = 1; i < data.data.length; i++) for (const v of data.data[i]) if (v !== null) points++;
  return (
    <div
      class={'chart' + (onAnnotate ? ' annotating' : '')}
      ref={el}
      data-testid="chart"
      data-annotations={annotations?.length ?? 0}
      data-points={points}
      title={onAnnotate ? 'Click to annotate a moment; Shift+drag to annotate a span; drag to zoom' : undefined}
    />
  );
}
