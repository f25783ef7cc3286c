// A uPlot chart: line, stacked, step or bar (stacked too), with zoom by drag
// and pan by Ctrl+drag.

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from '../results';
import type { Axis } from '../dashboard';
import type { Annotation } from '../annotations';
import { axisWidth, formatAxisValue, formatLegendValue, seriesColors, yRange } from '../chartUtil';

/** How the lines are drawn. */
export type ChartKind = 'line' | 'line-stacked' | 'line-stepplot' | 'bar';

interface Props {
  data: ChartData;
  kind?: ChartKind;
  height: number;
  axis?: Axis;
  legend?: boolean;
  /** Bars stacked on each other (line-stacked always stacks). */
  stacked?: boolean;
  /** Series colors; default the palette. */
  colors?: string[];
  /**
   * Called with [start, end] epoch ms after a drag selection, and after a
   * Ctrl+drag (pan) with the range panned to.
   */
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
  const any = xs.map((_, i) => ys.some((y) => y[i] !== null && y[i] !== undefined));
  const out = ys.map((y) => y.map((v, i) => (any[i] ? (acc[i] += v ?? 0) : null)));
  return [xs, ...out];
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** The chart component. */
export function Chart({ data, kind = 'line', height, axis, legend = true, stacked = false, colors, onZoom, annotations, onAnnotate }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const annotate = useRef(onAnnotate);
  annotate.current = onAnnotate;
  // Annotations are read at draw time: a new list redraws the chart instead of
  // rebuilding it (a rebuild would drop a drag or a zoom in progress).
  const marks = useRef(annotations);
  marks.current = annotations;
  // Where the last press on the plot started and whether Shift was held.
  const press = useRef<{ x: number; y: number; shift: boolean } | null>(null);

  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const text = cssVar('--muted', '#999');
    const grid = cssVar('--grid', '#333');
    const paths =
      kind === 'line-stepplot' ? uPlot.paths.stepped!({ align: 1 }) : kind === 'bar' ? uPlot.paths.bars!({ size: [0.8, 60] }) : undefined;
    const stacking = kind === 'line-stacked' || (kind === 'bar' && stacked);
    const affix = (s: string) => `${axis?.prefix ?? ''}${s}${axis?.suffix ?? ''}`;
    const bound = (b: string | undefined) => (b !== undefined && b !== '' && !Number.isNaN(Number(b)) ? Number(b) : null);
    const lo = bound(axis?.bounds?.[0]);
    const hi = bound(axis?.bounds?.[1]);
    const log = axis?.scale === 'log';
    const palette = colors?.length ? colors : seriesColors(data.labels.length);
    const opts: uPlot.Options = {
      width: host.clientWidth || 600,
      height,
      legend: { show: legend },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        bind: {
          // Ctrl (⌘) + drag pans instead of zooming.
          mousedown: (u, _targ, handler) => (e: MouseEvent) => {
            if (e.button === 0 && (e.ctrlKey || e.metaKey)) {
              startPan(u, e);
              return null;
            }
            return handler(e);
          },
        },
      },
      scales: {
        x: { time: true },
        y: {
          distr: log ? 3 : 1,
          range: (_u, min, max) =>
            log ? uPlot.rangeLog(Math.max(lo ?? min, 1e-9), Math.max(hi ?? max, 1e-9), 10, true) : yRange(min ?? null, max ?? null, lo, hi, kind === 'bar'),
        },
      },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          label: axis?.label || undefined,
          values: (_u, vals) => vals.map((v) => (v === null || v === undefined ? '' : affix(formatAxisValue(v)))),
          size: (_u, values) => axisWidth(values ?? []),
        },
      ],
      series: [
        {},
        ...data.labels.map((label, i) => {
          const color = palette[i % palette.length];
          return {
            label,
            stroke: color,
            width: 1.5,
            value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '' : affix(formatLegendValue(v))),
            fill: stacking ? color + 'aa' : kind === 'bar' ? color + '55' : undefined,
            paths,
            points: { show: false },
            // Lines join across missing values (as Chronograf's graphs do); bars leave them out.
            spanGaps: kind !== 'bar',
          } as uPlot.Series;
        }),
      ],
      // Each stacked series fills down to the one below it.
      bands: stacking ? data.labels.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number] })) : undefined,
      hooks: {
        draw: [
          (u) => {
            const annotations = marks.current;
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
    const d = (stacking ? stack(data.data) : data.data) as uPlot.AlignedData;
    let panned = false;
    // Ctrl+drag: the x scale follows the pointer (the data already there is
    // redrawn at once); on release the new range is reported (the query runs again).
    function startPan(u: uPlot, e: MouseEvent) {
      const x0 = e.clientX;
      const min0 = u.scales.x.min!;
      const max0 = u.scales.x.max!;
      const perPx = (max0 - min0) / (u.over.clientWidth || 1);
      panned = false;
      const move = (m: MouseEvent) => {
        const dv = (m.clientX - x0) * perPx;
        if (Math.abs(m.clientX - x0) > CLICK_SLOP) panned = true;
        u.setScale('x', { min: min0 - dv, max: max0 - dv });
      };
      const up = () => {
        document.removeEventListener('mousemove', move);
        document.removeEventListener('mouseup', up);
        if (panned && zoom.current) zoom.current(Math.round(u.scales.x.min! * 1000), Math.round(u.scales.x.max! * 1000));
      };
      document.addEventListener('mousemove', move);
      document.addEventListener('mouseup', up);
    }
    const p = new uPlot(opts, d, host);
    plot.current = p;
    const down = (e: MouseEvent) => {
      press.current = e.button === 0 ? { x: e.clientX, y: e.clientY, shift: e.shiftKey } : null;
    };
    const up = (e: MouseEvent) => {
      const start = press.current;
      if (!start || !annotate.current || e.button !== 0 || e.ctrlKey || e.metaKey || panned) return;
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
  }, [data, kind, height, axis, legend, stacked, colors?.join(',')]);

  useEffect(() => {
    plot.current?.redraw(false);
  }, [annotations]);

  // Points drawn (for tests and the curious: it is in the DOM as data-points).
  let points = 0;
  for (let i = 1; i < data.data.length; i++) for (const v of data.data[i]) if (v !== null && v !== undefined) points++;
  return (
    <div
      class={'chart' + (onAnnotate ? ' annotating' : '')}
      ref={el}
      data-testid="chart"
      data-annotations={annotations?.length ?? 0}
      data-points={points}
      title={onAnnotate ? 'Drag to zoom, Ctrl+drag to pan; click to annotate a moment, Shift+drag to annotate a span' : onZoom ? 'Drag to zoom, Ctrl+drag to pan' : undefined}
    />
  );
}
