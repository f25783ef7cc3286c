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

  it('turns SQL rows into one series with time first', () => {
    const r = sqlToResponse([{ host: 'a', time: '2024-01-01T00:00:01', v: 1 }]);
    expect(r.results[0].series![0]).toEqual({ name: '', columns: ['time', 'host', 'v'], values: [[Date.parse('2024-01-01T00:00:01Z'), 'a', 1]] });
    expect(sqlToResponse([]).results[0].series).toBeUndefined();
  });
});
