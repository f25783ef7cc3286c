import { describe, expect, it } from 'vitest';
import { importDashboard, isV2Template } from './importV2';
import { fluxQuery, fluxTimeOption, userSubstitutions, builtinSubstitutions, valuesFromFlux, withValues } from './templates';
import { importChronograf } from './dashboard';
import { fluxToResponse } from './otherQueries';

// The shape of `influx export dashboards` (InfluxDB 2 templates).
const v2 = [
  {
    apiVersion: 'influxdata.com/v2alpha1',
    kind: 'Variable',
    metadata: { name: 'var-host' },
    spec: { name: 'host', type: 'query', language: 'flux', query: 'import "influxdata/influxdb/schema"\nschema.tagValues(bucket: "telegraf", tag: "host")', selected: ['web-2'] },
  },
  { apiVersion: 'influxdata.com/v2alpha1', kind: 'Variable', metadata: { name: 'var-c' }, spec: { name: 'cpu', type: 'constant', values: ['cpu0', 'cpu1'] } },
  { apiVersion: 'influxdata.com/v2alpha1', kind: 'Variable', metadata: { name: 'var-m' }, spec: { name: 'env', type: 'map', values: { prod: '10.0.0.1', dev: '10.0.0.2' }, selected: ['dev'] } },
  {
    apiVersion: 'influxdata.com/v2alpha1',
    kind: 'Dashboard',
    metadata: { name: 'dash-1' },
    spec: {
      name: 'System (v2)',
      charts: [
        {
          kind: 'Xy',
          name: 'CPU',
          geom: 'step',
          xPos: 0,
          yPos: 1,
          width: 6,
          height: 3,
          queries: [{ query: 'from(bucket: "telegraf") |> range(start: v.timeRangeStart) |> filter(fn: (r) => r.host == v.host)' }],
          axes: [{ name: 'y', label: 'idle', suffix: '%', domain: [0, 100] }],
        },
        { kind: 'Single_Stat', name: 'Load', xPos: 6, yPos: 0, width: 3, height: 2, decimalPlaces: 1, enforceDecimals: true, queries: [{ query: 'from(bucket: "telegraf")' }] },
        { kind: 'Markdown', name: 'Read me', note: '# Hello', xPos: 9, yPos: 0, width: 3, height: 2 },
        { kind: 'Heatmap', name: 'Heat', queries: [{ query: 'x' }] },
      ],
    },
  },
];

describe('InfluxDB 2 dashboard templates', () => {
  it('are told apart from Chronograf exports', () => {
    expect(isV2Template(v2)).toBe(true);
    expect(isV2Template({ meta: {}, dashboard: { cells: [] } })).toBe(false);
  });

  it('import charts as cells with Flux queries', () => {
    let n = 0;
    const { dashboard, warnings } = importDashboard(v2, () => `id${n++}`);
    expect(dashboard.name).toBe('System (v2)');
    const [cpu, load, note, heat] = dashboard.cells;
    expect(cpu).toMatchObject({ name: 'CPU', type: 'line-stepplot', x: 0, y: 1, w: 6, h: 3 });
    expect(cpu.queries).toEqual([{ query: v2[3].spec!.charts![0].queries![0].query, type: 'flux' }]);
    expect(cpu.axes.y).toMatchObject({ label: 'idle', suffix: '%', bounds: ['0', '100'] });
    expect(load).toMatchObject({ type: 'single-stat', decimalPlaces: { isEnforced: true, digits: 1 } });
    expect(note).toMatchObject({ type: 'note', note: '# Hello' });
    expect(heat.type).toBe('line');
    expect(warnings).toEqual(['chart "Heat": kind "Heatmap" is shown as a line chart']);
  });

  it('import variables: Flux queries, constants and maps', () => {
    const { dashboard } = importDashboard(v2, () => 'x');
    const [host, cpu, env] = dashboard.templates;
    expect(host).toMatchObject({ tempVar: ':host:', type: 'flux', query: { flux: v2[0].spec.query } });
    expect(host.values).toEqual([{ value: 'web-2', type: 'flux', selected: true }]);
    expect(fluxQuery(host)).toContain('schema.tagValues');
    expect(cpu.type).toBe('csv');
    expect(cpu.values.map((v) => [v.value, v.selected])).toEqual([
      ['cpu0', true],
      ['cpu1', false],
    ]);
    expect(env.type).toBe('map');
    expect(userSubstitutions([env])).toEqual([{ tempVar: ':env:', text: '10.0.0.2', raw: '10.0.0.2' }]);
  });
});

describe('flux template variables', () => {
  it('come from Chronograf exports too', () => {
    const d = { dashboard: { cells: [], templates: [{ tempVar: ':host:', type: 'flux', label: '', values: [], query: { flux: 'buckets()' } }] } };
    const t = importChronograf(d, () => 'x').dashboard.templates[0];
    expect(t.type).toBe('flux');
    expect(fluxQuery(t)).toBe('buckets()');
    expect(() => fluxQuery({ ...t, query: {} })).toThrow(/Flux query is required/);
  });

  it('take their values from the _value column and keep the selection', () => {
    const csv = '#datatype,string,long,string\n#group,false,false,false\n#default,_result,,\n,result,table,_value\n,,0,web-1\n,,0,web-2\n,,1,web-1\n';
    expect(valuesFromFlux(fluxToResponse(csv))).toEqual(['web-1', 'web-2']);
    const t = { id: 'x', tempVar: ':host:', type: 'flux' as const, label: '', values: [{ value: 'web-2', type: 'flux', selected: true }], query: { flux: 'q' } };
    expect(withValues(t, ['web-1', 'web-2']).values.find((v) => v.selected)?.value).toBe('web-2');
  });

  it('are substituted as typed and read as v.name in Flux', () => {
    const t = { id: 'x', tempVar: ':host:', type: 'flux' as const, label: '', values: [{ value: 'web "1"', type: 'flux', selected: true }], query: { flux: 'q' } };
    const subs = [...userSubstitutions([t]), ...builtinSubstitutions({ kind: 'relative', duration: '1h' })];
    expect(fluxTimeOption('from(bucket: "b") |> filter(fn: (r) => r.host == v.host)', subs)).toBe(
      'option v = {timeRangeStart: -1h, timeRangeStop: now(), windowPeriod: 5s, host: "web \\"1\\""}\nfrom(bucket: "b") |> filter(fn: (r) => r.host == v.host)',
    );
    expect(fluxTimeOption('from(bucket: "b")', subs)).toBe('from(bucket: "b")');
  });
});
