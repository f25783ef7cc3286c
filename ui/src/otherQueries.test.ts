import { describe, expect, it } from 'vitest';
import { fluxToResponse, parseCSV, sqlToResponse } from './otherQueries';
import { toChartData } from './results';

const annotated = [
  '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string',
  '#group,false,false,true,true,false,false,true,true,true',
  '#default,_result,,,,,,,,',
  ',result,table,_start,_stop,_time,_value,_field,_measurement,host',
  ',,0,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:01Z,1.5,usage,cpu,a',
  ',,0,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:02Z,2.5,usage,cpu,a',
  ',,1,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:01Z,7,usage,cpu,b',
  '',
].join('\r\n');

describe('Flux and SQL answers', () => {
  it('parses quoted CSV', () => {
    expect(parseCSV('a,"b,c","d""e"\n1,,3')).toEqual([
      ['a', 'b,c', 'd"e'],
      ['1', '', '3'],
    ]);
  });

  it('turns annotated CSV tables into series', () => {
    const r = fluxToResponse(annotated);
    const s = r.results[0].series!;
    expect(s).toHaveLength(2);
    expect(s[0]).toEqual({ name: 'cpu.usage', tags: { host: 'a' }, columns: ['time', '_value'], values: [[Date.parse('2024-01-01T00:00:01Z'), 1.5], [Date.parse('2024-01-01T00:00:02Z'), 2.5]] });
    expect(toChartData(r)!.labels).toEqual(['cpu.usage {host=a}', 'cpu.usage {host=b}']);
  });

  it('throws the error of a Flux error table', () => {
    expect(() => fluxToResponse('#datatype,string,string\n#group,true,true\n#default,,\n,error,reference\n,undefined identifier x,\n')).toThrow('undefined identifier x');
  });

  it('turns SQL rows into a series per tag value with time first', () => {
    const t = (s: number) => Date.parse(`2024-01-01T00:00:0${s}Z`);
    const r = sqlToResponse([
      { host: 'a', time: '2024-01-01T00:00:01', v: 1 },
      { host: 'b', time: '2024-01-01T00:00:01', v: 5 },
      { host: 'a', time: '2024-01-01T00:00:02', v: 2 },
    ]);
    expect(r.results[0].series).toEqual([
      { name: '', tags: { host: 'a' }, columns: ['time', 'v'], values: [[t(1), 1], [t(2), 2]] },
      { name: '', tags: { host: 'b' }, columns: ['time', 'v'], values: [[t(1), 5]] },
    ]);
    expect(toChartData(r)!.labels).toEqual(['v {host=a}', 'v {host=b}']);
    expect(sqlToResponse([]).results[0].series).toBeUndefined();
  });

  it('keeps SQL rows in one series without a time column or with many text values', () => {
    const r = sqlToResponse([{ host: 'a', v: 1 }]);
    expect(r.results[0].series![0]).toEqual({ name: '', columns: ['host', 'v'], values: [['a', 1]] });
    const logs = Array.from({ length: 60 }, (_, i) => ({ time: i * 1000, message: `line ${i}`, n: i }));
    expect(sqlToResponse(logs).results[0].series).toHaveLength(1);
  });
});
