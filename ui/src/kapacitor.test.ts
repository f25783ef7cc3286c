import { describe, expect, it } from 'vitest';
import { formatDbrps, goDurationMs, parseDbrps } from './kapacitor';

describe('kapacitor helpers', () => {
  it('parses Go durations', () => {
    expect(goDurationMs('0s')).toBe(0);
    expect(goDurationMs('1s')).toBe(1000);
    expect(goDurationMs('1h2m3.5s')).toBe(3_723_500);
    expect(goDurationMs('250ms')).toBe(250);
    expect(goDurationMs('-1m')).toBe(-60_000);
    expect(goDurationMs('1 hour')).toBeNaN();
  });

  it('reads and writes db.rp lists', () => {
    expect(parseDbrps('telegraf.autogen, "db"."rp"\n')).toEqual([
      { db: 'telegraf', rp: 'autogen' },
      { db: 'db', rp: 'rp' },
    ]);
    expect(parseDbrps('')).toEqual([]);
    expect(() => parseDbrps('telegraf')).toThrow(/write them as db.rp/);
    expect(formatDbrps([{ db: 'a', rp: 'b' }])).toBe('a.b');
  });
});
