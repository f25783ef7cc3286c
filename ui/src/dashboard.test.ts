import { describe, expect, it } from 'vitest';
import { exportChronograf, fromV2, importChronograf, resolveOverlaps, toV2, newCell } from './dashboard';
import { durationMs, autoInterval, formatDuration } from './timerange';

// The shape of Chronograf's "Export dashboard" file.
const chronograf = {
  meta: { chronografVersion: '1.9.4', sources: { '1': { name: 'influx', link: '/chronograf/v1/sources/1' } } },
  dashboard: {
    id: 3,
    name: 'System',
    cells: [
      {
        i: 'c1',
        x: 0,
        y: 0,
        w: 6,
        h: 4,
        name: 'CPU :host:',
        queries: [{ query: 'SELECT mean("usage_idle") FROM "cpu" WHERE host = :host: AND time > :dashboardTime: GROUP BY time(:interval:)', queryConfig: { database: 'telegraf', retentionPolicy: 'autogen' }, source: '', type: 'influxql' }],
        axes: { y: { bounds: ['0', '100'], label: 'idle', prefix: '', suffix: '%', base: '10', scale: 'linear' } },
        type: 'line-stacked',
        colors: [{ id: 'x', type: 'threshold', hex: '#ff0000', name: 'red', value: '90' }],
        legend: {},
        decimalPlaces: { isEnforced: true, digits: 1 },
        note: '',
      },
      { i: 'c2', x: 6, y: 0, w: 3, h: 2, name: 'weird', queries: [], type: 'histogram' },
    ],
    templates: [
      {
        tempVar: ':host:',
        values: [{ value: 'web1', type: 'tagValue', selected: true }],
        id: 't1',
        type: 'tagValues',
        label: '',
        query: { influxql: 'SHOW TAG VALUES ON :database: FROM :measurement: WITH KEY=:tagKey:', db: 'telegraf', measurement: 'cpu', tagKey: 'host', fieldKey: '' },
      },
    ],
  },
};

describe('Chronograf dashboards', () => {
  it('imports cells, queries, options and templates', () => {
    let n = 0;
    const { dashboard, warnings } = importChronograf(chronograf, () => `id${n++}`);
    expect(dashboard.name).toBe('System');
    expect(dashboard.cells).toHaveLength(2);
    const c = dashboard.cells[0];
    expect(c).toMatchObject({ x: 0, y: 0, w: 6, h: 4, name: 'CPU :host:', type: 'line-stacked' });
    expect(c.queries[0]).toEqual({ query: chronograf.dashboard.cells[0].queries[0].query, db: 'telegraf', rp: 'autogen' });
    expect(c.axes.y).toEqual({ label: 'idle', prefix: '', suffix: '%', bounds: ['0', '100'], scale: 'linear' });
    expect(c.decimalPlaces).toEqual({ isEnforced: true, digits: 1 });
    expect(c.colors[0].value).toBe('90');
    expect(dashboard.cells[1].type).toBe('line');
    expect(warnings).toEqual(['cell "weird": visualization "histogram" is shown as a line chart']);
    expect(dashboard.templates[0]).toMatchObject({ tempVar: ':host:', type: 'tagValues', query: { db: 'telegraf', measurement: 'cpu', tagKey: 'host' } });
  });

  it('keeps the language of Flux queries', () => {
    const d = { cells: [{ name: 'f', queries: [{ query: 'from(bucket: "b")', type: 'flux' }], type: 'line' }] };
    const { dashboard, warnings } = importChronograf(d, () => 'x');
    expect(dashboard.cells[0].queries).toEqual([{ query: 'from(bucket: "b")', db: undefined, rp: undefined, type: 'flux' }]);
    expect(warnings).toEqual([]);
    expect((exportChronograf({ ...dashboard, id: 'i' }) as any).dashboard.cells[0].queries[0].type).toBe('flux');
  });

  it("exports the built-in variables with Chronograf's meta query", () => {
    const t = (type: any, query: any) => ({ id: type, tempVar: `:${type}:`, type, label: '', values: [], query });
    const d = {
      id: 'i',
      name: 'v',
      description: '',
      cells: [],
      templates: [t('databases', {}), t('measurements', { db: 'telegraf' }), t('tagValues', { db: 'telegraf', measurement: 'cpu', tagKey: 'host' }), t('csv', {})],
    };
    const out = (exportChronograf(d) as any).dashboard.templates;
    expect(out[0].query).toEqual({ influxql: 'SHOW DATABASES' });
    expect(out[1].query).toEqual({ db: 'telegraf', influxql: 'SHOW MEASUREMENTS ON :database:' });
    expect(out[2].query).toEqual({ db: 'telegraf', measurement: 'cpu', tagKey: 'host', influxql: 'SHOW TAG VALUES ON :database: FROM :measurement: WITH KEY=:tagKey:' });
    expect(out[3].query).toEqual({});
    expect(out.every((x: any) => x.sourceID === 'dynamic')).toBe(true);
    // Imported again, the built-in kinds keep reading their database, measurement and tag key.
    const back = importChronograf(exportChronograf(d), () => 'x').dashboard.templates;
    expect(back[2].query).toMatchObject({ db: 'telegraf', measurement: 'cpu', tagKey: 'host' });
  });

  it('accepts the bare dashboard object and rejects non-dashboards', () => {
    expect(importChronograf(chronograf.dashboard, () => 'x').dashboard.cells).toHaveLength(2);
    expect(() => importChronograf({ foo: 1 }, () => 'x')).toThrow(/not a Chronograf dashboard/);
    expect(() => importChronograf(null, () => 'x')).toThrow();
  });

  it('round-trips through export and through the v2 storage shape', () => {
    const { dashboard } = importChronograf(chronograf, () => 'id');
    const d = { ...dashboard, id: 'd1', cells: dashboard.cells.map((c, i) => ({ ...c, id: `c${i}` })) };
    const again = importChronograf(exportChronograf(d), () => 'id').dashboard;
    expect(again.cells.map((c) => [c.name, c.type, c.queries])).toEqual(d.cells.map((c) => [c.name, c.type, c.queries]));
    const body = toV2(d) as any;
    const views = Object.fromEntries(body.cells.map((c: any) => [c.id, c.view]));
    const back = fromV2({ id: 'd1', name: body.name, cells: body.cells.map(({ view, ...c }: any) => c), templates: body.templates }, views);
    expect(back.cells).toEqual(d.cells);
    expect(back.templates).toEqual(d.templates);
  });

  it('pushes overlapping cells down', () => {
    const a = { ...newCell('a', 0), x: 0, y: 0, w: 6, h: 4 };
    const b = { ...newCell('b', 0), x: 0, y: 4, w: 6, h: 4 };
    const moved = { ...a, y: 2 };
    const out = resolveOverlaps([moved, b], 'a');
    expect(out.find((c) => c.id === 'b')!.y).toBe(6);
  });
});

describe('time ranges', () => {
  it('parses and formats durations', () => {
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('7d')).toBe(604_800_000);
    expect(durationMs('1x')).toBeNaN();
    expect(durationMs('')).toBeNaN();
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(3_600_000)).toBe('1h');
  });

  it('picks a nice interval for at most 1000 points', () => {
    expect(autoInterval({ kind: 'relative', duration: '1h' })).toBe('5s');
    expect(autoInterval({ kind: 'relative', duration: '7d' })).toBe('15m');
    expect(autoInterval({ kind: 'absolute', start: 0, end: 10_000 })).toBe('1s');
  });
});
