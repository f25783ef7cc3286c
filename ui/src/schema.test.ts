import { describe, expect, it } from 'vitest';
import { measurementOf } from './schema';

describe('schema names of a query', () => {
  it('finds the measurement a query reads', () => {
    expect(measurementOf('SELECT mean("v") FROM "cpu" WHERE time > now() - 1h')).toBe('cpu');
    expect(measurementOf('SELECT * FROM cpu')).toBe('cpu');
    expect(measurementOf('SELECT * FROM "telegraf"."autogen"."disk io"')).toBe('disk io');
    expect(measurementOf('SELECT * FROM "telegraf".."mem" LIMIT 1')).toBe('mem');
    expect(measurementOf('SELECT * FROM telegraf.autogen.net')).toBe('net');
    expect(measurementOf('SHOW DATABASES')).toBeNull();
    expect(measurementOf('SELECT * FROM /cpu.*/')).toBeNull();
  });
});
