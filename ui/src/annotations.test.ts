import { describe, expect, it } from 'vitest';
import { fromRows, toLine } from './annotations';

describe('annotations', () => {
  it('writes Chronograf\'s line protocol', () => {
    expect(toLine({ id: 'a b', text: 'deploy "v2"', type: '', start: 1000, end: 2000 }, false, 3000)).toBe(
      'annotations,id=a\\ b deleted=false,start_time=1000000000i,modified_time_ns=3000000000i,text="deploy \\"v2\\"",type="" 2000000000',
    );
  });

  it('reads rows, dropping deleted ones', () => {
    const rows = [
      { time: 2000, id: 'x', text: 'spans', type: '', start_time: 1_000_000_000, modified_time_ns: 1, deleted: false },
      { time: 5000, id: 'y', text: 'gone', type: '', start_time: 5_000_000_000, modified_time_ns: 2, deleted: true },
    ];
    expect(fromRows(rows)).toEqual([{ id: 'x', text: 'spans', type: '', start: 1000, end: 2000 }]);
  });
});
