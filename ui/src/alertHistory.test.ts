import { describe, expect, it } from 'vitest';
import { recordsFromRows, timeline } from './alertHistory';

const rows = [
  { time: 1000, alertName: 'cpu', alertID: 'cpu:host=a', level: 'CRITICAL', message: 'a is CRITICAL', value: 95, duration: 0 },
  { time: 3000, alertName: 'cpu', alertID: 'cpu:host=a', level: 'OK', message: 'a is OK', value: 5, duration: 2e9 },
  { time: 2000, alertName: 'cpu', alertID: 'cpu:host=b', level: 'WARNING', message: 'b is WARNING', value: 80, duration: 0 },
];

describe('alert history', () => {
  it('reads Chronograf alert points newest first', () => {
    const r = recordsFromRows(rows);
    expect(r.map((x) => x.time)).toEqual([3000, 2000, 1000]);
    expect(r[0]).toEqual({ time: 3000, name: 'cpu', id: 'cpu:host=a', level: 'OK', message: 'a is OK', value: 5, durationMs: 2000 });
  });

  it('turns events into level segments per alert id, most severe ids first', () => {
    const t = timeline(recordsFromRows(rows), 500, 5000);
    expect(t.ids).toEqual(['cpu:host=a', 'cpu:host=b']);
    expect(t.segments).toEqual([
      { id: 'cpu:host=a', level: 'CRITICAL', start: 1000, end: 3000 },
      { id: 'cpu:host=a', level: 'OK', start: 3000, end: 5000 },
      { id: 'cpu:host=b', level: 'WARNING', start: 2000, end: 5000 },
    ]);
  });

  it('clips segments to the range and limits the ids', () => {
    const t = timeline(recordsFromRows(rows), 1500, 2500, 1);
    expect(t.ids).toEqual(['cpu:host=a']);
    expect(t.segments).toEqual([{ id: 'cpu:host=a', level: 'CRITICAL', start: 1500, end: 2500 }]);
  });
});
