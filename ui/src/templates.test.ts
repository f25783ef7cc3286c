import { describe, expect, it } from 'vitest';
import {
  builtinSubstitutions,
  formatValue,
  metaQuery,
  normalizeTempVar,
  fluxTimeOption,
  parseCSVValues,
  parseMapValues,
  select,
  substitute,
  titleSubstitutions,
  unresolved,
  userSubstitutions,
  valuesFromResponse,
  withValues,
  type Template,
} from './templates';

const tpl = (over: Partial<Template>): Template => ({ id: '1', tempVar: ':host:', type: 'tagValues', label: '', values: [], ...over });

describe('template variables', () => {
  it('quotes values by type as Chronograf does', () => {
    expect(formatValue('tagValues', "it's")).toBe("'it\\'s'");
    expect(formatValue('measurements', 'cpu')).toBe('"cpu"');
    expect(formatValue('fieldKeys', 'usage')).toBe('"usage"');
    expect(formatValue('databases', 'db')).toBe('"db"');
    expect(formatValue('csv', '5m')).toBe('5m');
    expect(formatValue('text', 'raw')).toBe('raw');
  });

  it('substitutes the longest names first and leaves unknown ones', () => {
    const subs = [
      { tempVar: ':host:', text: "'a'" },
      { tempVar: ':hostname:', text: "'b'" },
    ];
    expect(substitute('x = :host: AND y = :hostname: AND z = :other:', subs)).toBe("x = 'a' AND y = 'b' AND z = :other:");
    expect(unresolved('x = :host: AND z = :other: AND t > \'12:00:00\'', subs)).toEqual([':other:']);
  });

  it('substitutes selected values and the built-in time variables', () => {
    const ts = [
      tpl({ values: [{ value: 'web1', type: 'tagValue', selected: false }, { value: 'web2', type: 'tagValue', selected: true }] }),
      tpl({ id: '2', tempVar: ':m:', type: 'measurements', values: [{ value: 'cpu', type: 'measurement', selected: true }] }),
    ];
    const subs = [...userSubstitutions(ts), ...builtinSubstitutions({ kind: 'relative', duration: '1h' })];
    expect(substitute('SELECT mean(v) FROM :m: WHERE host = :host: AND time > :dashboardTime: GROUP BY time(:interval:)', subs)).toBe(
      `SELECT mean(v) FROM "cpu" WHERE host = 'web2' AND time > now() - 1h GROUP BY time(5s)`,
    );
    const abs = builtinSubstitutions({ kind: 'absolute', start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 0, 2) });
    expect(abs[0].text).toBe("'2024-01-01T00:00:00.000Z'");
    expect(abs[1].text).toBe("'2024-01-02T00:00:00.000Z'");
    expect(abs[2].text).toBe('5m');
  });

  it('builds meta queries and rejects missing parameters', () => {
    expect(metaQuery(tpl({ type: 'databases' }))).toBe('SHOW DATABASES');
    expect(metaQuery(tpl({ query: { db: 'telegraf', measurement: 'cpu', tagKey: 'host' } }))).toBe('SHOW TAG VALUES ON "telegraf" FROM "cpu" WITH KEY = "host"');
    expect(metaQuery(tpl({ type: 'fieldKeys', query: { db: 't', measurement: 'cpu' } }))).toBe('SHOW FIELD KEYS ON "t" FROM "cpu"');
    expect(metaQuery(tpl({ type: 'csv' }))).toBeNull();
    expect(() => metaQuery(tpl({ query: { db: 'telegraf' } }))).toThrow(/measurement is required/);
  });

  it('reads values from SHOW answers and keeps the selection', () => {
    const resp = { results: [{ statement_id: 0, series: [{ name: 'cpu', columns: ['key', 'value'], values: [['host', 'a'], ['host', 'b']] }] }] };
    const t = tpl({ values: [{ value: 'b', type: 'tagValue', selected: true }] });
    expect(valuesFromResponse(t, resp)).toEqual(['a', 'b']);
    const next = withValues(t, ['a', 'b']);
    expect(next.values.find((v) => v.selected)?.value).toBe('b');
    expect(withValues(t, ['x']).values[0].selected).toBe(true);
    const custom = tpl({ type: 'influxql' });
    const r2 = { results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'host'], values: [[1, 'h1']] }] }] };
    expect(valuesFromResponse(custom, r2)).toEqual(['h1']);
  });

  it('lists the values of a custom SHOW TAG VALUES / FIELD KEYS query, each once', () => {
    const custom = tpl({ type: 'influxql', query: { influxql: 'SHOW TAG VALUES ON "telegraf" WITH KEY = "path"' } });
    const tagValues = {
      results: [
        {
          statement_id: 0,
          series: [
            { name: 'disk', columns: ['key', 'value'], values: [['path', '/'], ['path', '/var']] },
            { name: 'diskio', columns: ['key', 'value'], values: [['path', '/']] },
          ],
        },
      ],
    };
    expect(valuesFromResponse(custom, tagValues)).toEqual(['/', '/var']);
    const fieldKeys = { results: [{ statement_id: 0, series: [{ name: 'cpu', columns: ['fieldKey', 'fieldType'], values: [['usage_idle', 'float']] }] }] };
    expect(valuesFromResponse(custom, fieldKeys)).toEqual(['usage_idle']);
    const series = { results: [{ statement_id: 0, series: [{ columns: ['key'], values: [['cpu,host=a'], ['cpu,host=b']] }] }] };
    expect(valuesFromResponse(custom, series as any)).toEqual(['cpu,host=a', 'cpu,host=b']);
  });

  it("fills Chronograf's placeholders of a custom meta query", () => {
    const t = tpl({ type: 'influxql', query: { influxql: 'SHOW TAG VALUES ON :database: FROM :measurement: WITH KEY=:tagKey:', db: 'telegraf', measurement: 'cpu', tagKey: 'host' } });
    expect(metaQuery(t)).toBe('SHOW TAG VALUES ON "telegraf" FROM "cpu" WITH KEY="host"');
    expect(metaQuery(tpl({ type: 'influxql', query: { influxql: 'SHOW DATABASES' } }))).toBe('SHOW DATABASES');
  });

  it('parses CSV and map values, selects map entries by key', () => {
    expect(parseCSVValues(`a, "b",'c'\nd,,`)).toEqual(['a', '"b"', "'c'", 'd']);
    const m = parseMapValues('prod, "10.0.0.1"\nbad line\ndev,10.0.0.2');
    expect(m).toEqual([
      { key: 'prod', value: '10.0.0.1' },
      { key: 'dev', value: '10.0.0.2' },
    ]);
    const t = tpl({ type: 'map', values: m.map((e) => ({ ...e, type: 'map', selected: false })) });
    expect(userSubstitutions([select(t, 'dev')])).toEqual([{ tempVar: ':host:', text: '10.0.0.2', raw: '10.0.0.2' }]);
    expect(titleSubstitutions([select(t, 'dev')])).toEqual([{ tempVar: ':host:', text: 'dev' }]);
    const tv = tpl({ values: [{ value: 'web-1', type: 'tagValue', selected: true }] });
    expect(titleSubstitutions([tv])).toEqual([{ tempVar: ':host:', text: 'web-1' }]);
  });

  it('normalizes names', () => {
    expect(normalizeTempVar(' host ')).toBe(':host:');
    expect(normalizeTempVar('::host::')).toBe(':host:');
  });
});

describe('Flux time range', () => {
  it('defines v from the dashboard range when the script uses it', () => {
    const rel = builtinSubstitutions({ kind: 'relative', duration: '1h' });
    expect(fluxTimeOption('from(bucket: "b") |> range(start: v.timeRangeStart)', rel)).toBe(
      'option v = {timeRangeStart: -1h, timeRangeStop: now(), windowPeriod: 5s}\nfrom(bucket: "b") |> range(start: v.timeRangeStart)',
    );
    const abs = builtinSubstitutions({ kind: 'absolute', start: 0, end: 60_000 });
    expect(fluxTimeOption('x(v.timeRangeStop)', abs)).toBe(
      'option v = {timeRangeStart: 1970-01-01T00:00:00.000Z, timeRangeStop: 1970-01-01T00:01:00.000Z, windowPeriod: 1s}\nx(v.timeRangeStop)',
    );
    expect(fluxTimeOption('from(bucket: "b") |> range(start: -1h)', rel)).toBe('from(bucket: "b") |> range(start: -1h)');
    expect(fluxTimeOption('option v = {timeRangeStart: -5m}\nrange(start: v.timeRangeStart)', rel)).toContain('option v = {timeRangeStart: -5m}');
  });
});
