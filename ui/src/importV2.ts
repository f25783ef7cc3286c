// InfluxDB 2 dashboard templates (the `influx export` / UI "Export" JSON: an
// array of `{apiVersion, kind, metadata, spec}` resources) as dashboards:
// Dashboard charts become cells with Flux queries, Variable resources become
// template variables (Flux query, InfluxQL query, constant, map).

import { cellFromChronograf, importChronograf, newCell, type Cell, type ImportResult, type VisType } from './dashboard';
import type { Template } from './templates';

const XY_GEOMS: Record<string, VisType> = { line: 'line', monotoneX: 'line', step: 'line-stepplot', stacked: 'line-stacked', bar: 'bar' };

const CHART_KINDS: Record<string, VisType> = {
  Single_Stat: 'single-stat',
  Single_Stat_Plus_Line: 'line-plus-single-stat',
  Gauge: 'gauge',
  Table: 'table',
  Markdown: 'note',
  Band: 'line',
};

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/** Whether `json` is an InfluxDB 2 template (rather than a Chronograf export). */
export function isV2Template(json: unknown): boolean {
  if (Array.isArray(json)) return json.some((r) => r && typeof r === 'object' && 'kind' in r);
  return !!json && typeof json === 'object' && 'kind' in (json as object) && 'spec' in (json as object);
}

/** A cell from a v2 chart spec. */
export function cellFromV2Chart(c: Record<string, any>, id: string, warnings: string[]): Cell {
  const kind = str(c.kind);
  let type: VisType;
  if (kind === 'Xy' || kind === 'xy') {
    type = c.position === 'stacked' ? 'line-stacked' : (XY_GEOMS[str(c.geom)] ?? 'line');
  } else if (CHART_KINDS[kind]) {
    type = CHART_KINDS[kind];
  } else {
    type = 'line';
    warnings.push(`chart "${str(c.name) || kind}": kind "${kind}" is shown as a line chart`);
  }
  const y = (Array.isArray(c.axes) ? c.axes : []).find((a: any) => a?.name === 'y') ?? {};
  const domain: unknown[] = Array.isArray(y.domain) ? y.domain : [];
  const base = cellFromChronograf(
    {
      type,
      name: str(c.name),
      axes: { y: { label: str(y.label), prefix: str(y.prefix ?? c.prefix), suffix: str(y.suffix ?? c.suffix), bounds: [domain[0] ?? '', domain[1] ?? ''].map((d) => (d === null ? '' : String(d))), scale: y.scale === 'log' ? 'log' : 'linear' } },
      colors: (Array.isArray(c.colors) ? c.colors : []).map((k: any, i: number) => ({ id: str(k?.id) || String(i), type: str(k?.type) || 'threshold', hex: str(k?.hex), name: str(k?.name), value: String(k?.value ?? '') })),
      legend: { hidden: c.legendOpacity === 0 },
      decimalPlaces: { isEnforced: c.enforceDecimals === true, digits: num(c.decimalPlaces, 2) },
      note: str(c.note),
      queries: [],
    },
    id,
  );
  return {
    ...base,
    x: num(c.xPos, 0),
    y: num(c.yPos, 0),
    w: Math.max(1, num(c.width, newCell(id, 0).w)),
    h: Math.max(1, num(c.height, newCell(id, 0).h)),
    queries: (Array.isArray(c.queries) ? c.queries : []).map((q: any) => ({ query: str(q?.query), type: 'flux' as const })).filter((q: { query: string }) => q.query.trim()),
  };
}

/** A template variable from a v2 Variable spec; null (with a warning) for kinds there is no equivalent of. */
export function templateFromV2Variable(spec: Record<string, any>, id: string, warnings: string[]): Template | null {
  const name = str(spec.name);
  if (!/^[A-Za-z_][\w-]*$/.test(name)) {
    warnings.push(`variable "${name}": the name cannot be used as :${name}:`);
    return null;
  }
  const selected: string[] = Array.isArray(spec.selected) ? spec.selected.map(String) : [];
  const base = { id, tempVar: `:${name}:`, label: str(spec.description) };
  const type = str(spec.type);
  if (type === 'query') {
    const lang = str(spec.language) || 'flux';
    const q = str(spec.query);
    const values = selected.map((v, i) => ({ value: v, type: lang === 'flux' ? 'flux' : 'influxql', selected: i === 0 }));
    return lang === 'influxql' ? { ...base, type: 'influxql', values, query: { influxql: q } } : { ...base, type: 'flux', values, query: { flux: q } };
  }
  if (type === 'constant') {
    const vals: string[] = Array.isArray(spec.values) ? spec.values.map(String) : [];
    const sel = vals.includes(selected[0]) ? selected[0] : vals[0];
    return { ...base, type: 'csv', values: vals.map((v) => ({ value: v, type: 'csv', selected: v === sel })) };
  }
  if (type === 'map') {
    const entries = Object.entries((spec.values ?? {}) as Record<string, unknown>).map(([k, v]) => ({ key: k, value: String(v) }));
    const sel = entries.find((e) => e.key === selected[0]) ?? entries[0];
    return { ...base, type: 'map', values: entries.map((e) => ({ ...e, type: 'map', selected: e === sel })) };
  }
  warnings.push(`variable "${name}": type "${type}" is not supported yet`);
  return null;
}

/** The first dashboard of a v2 template with the variables of the template. Throws when there is no Dashboard. */
export function importV2Template(json: unknown, newId: () => string): ImportResult {
  const resources: Record<string, any>[] = (Array.isArray(json) ? json : [json]).filter((r) => r && typeof r === 'object');
  const dash = resources.find((r) => r.kind === 'Dashboard');
  if (!dash) throw new Error('not an InfluxDB 2 dashboard template: expected a resource of kind "Dashboard"');
  const warnings: string[] = [];
  const spec = dash.spec ?? {};
  const cells = (Array.isArray(spec.charts) ? spec.charts : []).map((c: any) => cellFromV2Chart(c ?? {}, newId(), warnings));
  const templates = resources
    .filter((r) => r.kind === 'Variable')
    .map((r) => templateFromV2Variable(r.spec ?? {}, newId(), warnings))
    .filter((t): t is Template => t !== null);
  const name = str(spec.name) || str(dash.metadata?.name) || 'Imported dashboard';
  return { dashboard: { name, description: str(spec.description), cells, templates }, warnings };
}

/** A dashboard from either Chronograf's export JSON or an InfluxDB 2 template. */
export function importDashboard(json: unknown, newId: () => string): ImportResult {
  return isV2Template(json) ? importV2Template(json, newId) : importChronograf(json, newId);
}
