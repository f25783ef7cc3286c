import { describe, expect, it } from 'vitest';
import { buildQuery, emptyQuery, setFunction, toggleField, toggleGroupByTag, toggleTagValue } from './querybuilder';

const cpu = () => ({ ...emptyQuery('telegraf', ''), measurement: 'cpu' });

describe('query builder', () => {
  it('writes nothing until a measurement is chosen', () => {
    expect(buildQuery(emptyQuery('db', ''))).toBe('');
  });

  it('selects every field of a measurement with the time range', () => {
    expect(buildQuery(cpu())).toBe('SELECT * FROM "telegraf".."cpu" WHERE time > :dashboardTime: AND time < :upperDashboardTime:');
  });

  it('aggregates a field by the auto interval with fill', () => {
    let q = toggleField(cpu(), 'usage_idle');
    q = { ...q, fill: '0' };
    expect(buildQuery(q)).toBe(
      'SELECT mean("usage_idle") AS "mean_usage_idle" FROM "telegraf".."cpu" WHERE time > :dashboardTime: AND time < :upperDashboardTime: GROUP BY time(:interval:) FILL(0)',
    );
  });

  it('filters tags (OR within a key, AND across keys) and groups by tags', () => {
    let q = toggleField(cpu(), 'usage_user');
    q = toggleTagValue(q, 'host', 'a');
    q = toggleTagValue(q, 'host', "b'c");
    q = toggleTagValue(q, 'cpu', 'cpu-total');
    q = toggleGroupByTag(q, 'host');
    q = { ...q, groupByTime: '5m', rp: 'autogen' };
    expect(buildQuery(q)).toBe(
      `SELECT mean("usage_user") AS "mean_usage_user" FROM "telegraf"."autogen"."cpu" WHERE time > :dashboardTime: AND time < :upperDashboardTime: AND "cpu" = 'cpu-total' AND ("host" = 'a' OR "host" = 'b\\'c') GROUP BY time(5m), "host"`,
    );
  });

  it('excludes tag values when not accepted', () => {
    let q = toggleTagValue(cpu(), 'host', 'a');
    q = toggleTagValue(q, 'host', 'b');
    q = { ...q, tagsAccepted: false };
    expect(buildQuery(q)).toContain(`("host" != 'a' AND "host" != 'b')`);
  });

  it('removes a tag filter when its last value is unticked', () => {
    const q = toggleTagValue(toggleTagValue(cpu(), 'host', 'a'), 'host', 'a');
    expect(q.tags).toEqual({});
  });

  it('raw fields have no GROUP BY time, transformations wrap mean, percentile takes an argument', () => {
    let q = setFunction(toggleField(cpu(), 'v'), 'v', '');
    expect(buildQuery(q)).toBe('SELECT "v" FROM "telegraf".."cpu" WHERE time > :dashboardTime: AND time < :upperDashboardTime:');
    q = setFunction(q, 'v', 'non_negative_derivative');
    expect(buildQuery(q)).toContain('non_negative_derivative(mean("v")) AS "non_negative_derivative_v"');
    q = setFunction(q, 'v', 'percentile');
    expect(buildQuery(q)).toContain('percentile("v", 95)');
    q = { ...q, groupByTime: '' };
    expect(buildQuery(q)).not.toContain('GROUP BY');
  });

  it('quotes identifiers with quotes and backslashes', () => {
    const q = { ...emptyQuery('my"db', ''), measurement: 'we\\ird' };
    expect(buildQuery(q)).toContain('FROM "my\\"db".."we\\\\ird"');
  });
});
