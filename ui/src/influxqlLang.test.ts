import { describe, expect, it } from 'vitest';
import { EditorState } from '@codemirror/state';
import { CompletionContext, type Completion } from '@codemirror/autocomplete';
import { influxqlCompletion, nameKind } from './influxqlLang';

const names = { measurements: ['cpu', 'mem'], tagKeys: ['host'], fieldKeys: ['usage_user', 'used percent'], templateVars: [':dashboardTime:'] };

/** The completions offered at the end of `doc`, best first (as CodeMirror orders equal matches: by boost). */
function complete(doc: string): { from: number; options: Completion[] } {
  const state = EditorState.create({ doc });
  const r = influxqlCompletion(() => names)(new CompletionContext(state, doc.length, true))!;
  return { from: r.from, options: [...r.options].sort((a, b) => (b.boost ?? 0) - (a.boost ?? 0)) };
}

describe('query completion', () => {
  it('knows the clause a name is typed in', () => {
    expect(nameKind('SELECT mean(')).toBe('field');
    expect(nameKind('SELECT mean("usage_user") FROM ')).toBe('measurement');
    expect(nameKind('SELECT * FROM cpu WHERE ')).toBe('tag');
    expect(nameKind('SELECT * FROM cpu WHERE time > now() - 1h GROUP BY time(1m), ')).toBe('tag');
    expect(nameKind('SELECT * FROM cpu LIMIT ')).toBeNull();
    expect(nameKind('from(bucket: "t") |> filter(fn: (r) => r._measurement == "')).toBe('measurement');
    expect(nameKind('|> filter(fn: (r) => r._field == ')).toBe('field');
    expect(nameKind('|> filter(fn: (r) => r.')).toBe('tag');
  });

  it('offers the names that fit the clause first', () => {
    expect(complete('SELECT mean(').options[0].label).toBe('usage_user');
    expect(complete('SELECT mean("usage_user") FROM ').options.slice(0, 2).map((o) => o.label)).toEqual(['cpu', 'mem']);
    expect(complete('SELECT * FROM cpu WHERE ').options[0].label).toBe('host');
  });

  it('completes inside a started quoted name without losing the quotes', () => {
    const r = complete('SELECT mean("us');
    expect(r.from).toBe('SELECT mean("'.length);
    expect(r.options.every((o) => o.type !== 'keyword' && o.type !== 'function')).toBe(true);
    expect(r.options.find((o) => o.label === 'used percent')?.apply).toBe('used percent');
    // Outside quotes a name that needs them gets them.
    expect(complete('SELECT ').options.find((o) => o.label === 'used percent')?.apply).toBe('"used percent"');
  });
});
