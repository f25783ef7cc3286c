import { describe, expect, it } from 'vitest';
import { lastValue, seriesLabel, toCSV, toChartData, toTable } from './results';

const resp = {
  results: [
    {
      statement_id: 0,
      series: [
        { name: 'cpu', tags: { host: 'a' }, columns: ['time', 'mean'], values: [[1000, 1], [2000, 2]] },
        { name: 'cpu', tags: { host: 'b' }, columns: ['time', 'mean'], values: [[2000, 5], [3000, null]] },
      ],
    },
  ],
};

describe('result parsing', () => {
  it('aligns series on a shared time axis in seconds', () => {
    const c = toChartData(resp)!;
    expect(c.labels).toEqual(['cpu {host=a}', 'cpu {host=b}']);
    // A time a series has no row for is undefined; host b's row at 3 s without a value is null.
    expect(c.data).toEqual([
      [1, 2, 3],
      [1, 2, undefined],
      [undefined, 5, null],
    ]);
    expect(c.data[2][0]).toBeUndefined();
    expect(c.data[2][2]).toBeNull();
    expect(lastValue(c)).toBe(2);
  });

  it('sorts rows by time and keeps the last of rows with the same time', () => {
    const r = { results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'v'], values: [[3000, 3], [1000, 1], [3000, 4], [2000, 2]] }] }] };
    expect(toChartData(r)!.data).toEqual([
      [1, 2, 3],
      [1, 2, 4],
    ]);
  });

  it('aligns many large series quickly', () => {
    const n = 100_000;
    const series = Array.from({ length: 8 }, (_, s) => ({
      name: 'big',
      tags: { s: `s${s}` },
      columns: ['time', 'v'],
      // Every other series is offset by half a second: the union of times is needed.
      values: Array.from({ length: n }, (_, i) => [i * 1000 + (s % 2) * 500, i + s]),
    }));
    const t0 = performance.now();
    const c = toChartData({ results: [{ statement_id: 0, series }] })!;
    const ms = performance.now() - t0;
    expect(c.data[0]).toHaveLength(2 * n);
    expect(c.data[1][0]).toBe(0);
    expect(c.data[1][1]).toBeUndefined();
    expect(c.data[2][1]).toBe(1);
    expect(c.labels[7]).toBe('big {s=s7}');
    expect(ms).toBeLessThan(2000);
  });

  it('charts every numeric column of a multi-field series and parses RFC 3339 times', () => {
    const r = { results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'a', 's', 'b'], values: [['1970-01-01T00:00:01Z', 1, 'x', true]] }] }] };
    const c = toChartData(r)!;
    expect(c.labels).toEqual(['m.a', 'm.b']);
    expect(c.data).toEqual([[1], [1], [1]]);
  });

  it('returns null when there is nothing to chart', () => {
    expect(toChartData({ results: [{ statement_id: 0 }] })).toBeNull();
    expect(toChartData({ results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['a']] }] }] })).toBeNull();
  });

  it('flattens series into one table with name and tag columns', () => {
    expect(toTable(resp)).toEqual({
      columns: ['name', 'host', 'time', 'mean'],
      rows: [
        ['cpu', 'a', 1000, 1],
        ['cpu', 'a', 2000, 2],
        ['cpu', 'b', 2000, 5],
        ['cpu', 'b', 3000, null],
      ],
    });
    const single = { results: [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'v'], values: [[1, 2]] }] }] };
    expect(toTable(single)).toEqual({ columns: ['time', 'v'], rows: [[1, 2]] });
  });

  it('writes RFC 4180 CSV', () => {
    expect(toCSV({ columns: ['a', 'b'], rows: [['x,y', 'say "hi"'], [null, 3]] })).toBe('a,b\r\n"x,y","say ""hi"""\r\n,3\r\n');
  });

  it('writes times as RFC 3339 in CSV', () => {
    expect(toCSV({ columns: ['time', 'v'], rows: [[1_700_000_000_000, 1]] })).toBe('time,v\r\n2023-11-14T22:13:20.000Z,1\r\n');
  });

  it('labels series', () => {
    expect(seriesLabel({ name: 'cpu', tags: { host: 'a', empty: '' }, columns: [], values: [] }, 'v')).toBe('cpu.v {host=a}');
  });
});

import { stack } from './components/Chart';

describe('stacking', () => {
  it('adds series up and keeps times without any value as gaps', () => {
    expect(stack([[1, 2, 3], [1, null, 2], [10, null, null]])).toEqual([
      [1, 2, 3],
      [1, null, 2],
      [11, null, 2],
    ]);
  });
});
