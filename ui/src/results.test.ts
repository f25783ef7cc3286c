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
    expect(c.data).toEqual([
      [1, 2, 3],
      [1, 2, null],
      [null, 5, null],
    ]);
    expect(lastValue(c)).toBe(2);
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
