import { describe, expect, it } from 'vitest';
import { RuleError, emptyRule, parseScriptError, ruleFromScript, ruleToTickscript, taskIdFor, whereLambda, type AlertRule } from './tickscript';

const base = (p: Partial<AlertRule>): AlertRule => ({ ...emptyRule(), name: 'CPU high', db: 'telegraf', measurement: 'cpu', field: 'usage_user', value: '90', ...p });

describe('ruleToTickscript', () => {
  it('writes a threshold rule on every point, in Chronograf layout', () => {
    const s = ruleToTickscript(base({ groupBy: ['host'], where: { cpu: ['cpu-total'] } }));
    expect(s).toContain("var groupBy = ['host']");
    expect(s).toContain(`var whereFilter = lambda: "cpu" == 'cpu-total'`);
    expect(s).toContain('var crit = 90.0');
    expect(s).toContain(`|eval(lambda: "usage_user")\n        .as('value')`);
    expect(s).toContain(`|alert()\n        .crit(lambda: "value" > crit)`);
    expect(s).toContain('.stateChangesOnly()');
    // Every alert also lands in chronograf.autogen.alerts, tagged with the rule.
    expect(s).toContain("var outputDB = 'chronograf'");
    expect(s).toContain("var outputMeasurement = 'alerts'");
    expect(s).toContain(`trigger\n    |eval(lambda: float("value"))\n        .as('value')\n        .keep()\n    |influxDBOut()`);
    expect(s).toContain(".tag('alertName', name)");
    expect(s).not.toContain('|window()');
  });

  it('aggregates over a window', () => {
    const s = ruleToTickscript(base({ aggregate: 'mean', period: '5m', every: '1m', operator: 'less than', value: '0.5', level: 'warn' }));
    expect(s).toContain('var period = 5m');
    expect(s).toContain('var every = 1m');
    expect(s).toContain("|window()\n        .period(period)\n        .every(every)\n        .align()\n    |mean('usage_user')\n        .as('value')");
    expect(s).toContain('.warn(lambda: "value" < crit)');
    expect(s).toContain('var crit = 0.5');
  });

  it('writes ranges with lower and upper bounds', () => {
    const s = ruleToTickscript(base({ operator: 'outside range', value: '10', rangeValue: '20' }));
    expect(s).toContain('var lower = 10.0');
    expect(s).toContain('var upper = 20.0');
    expect(s).toContain('.crit(lambda: "value" < lower OR "value" > upper)');
    expect(s).not.toContain('var crit');
  });

  it('writes a relative rule as a join of the shifted window', () => {
    const s = ruleToTickscript(base({ kind: 'relative', aggregate: 'max', change: '% change', shift: '10m' }));
    expect(s).toContain('var shift = 10m');
    expect(s).toContain("var past = data\n    |shift(shift)");
    expect(s).toContain("|join(current)\n        .as('past', 'current')");
    expect(s).toContain('abs(float("current.value" - "past.value")) / float("past.value") * 100.0');
    expect(s).toContain("var triggerType = 'relative'");
    expect(() => ruleToTickscript(base({ kind: 'relative', aggregate: '' }))).toThrow(/relative rule compares windows/);
  });

  it('writes a deadman rule', () => {
    const s = ruleToTickscript(base({ kind: 'deadman', field: '', period: '2m', deadmanThreshold: '1' }));
    expect(s).toContain('var threshold = 1.0');
    expect(s).toContain('|deadman(threshold, period)');
    expect(s).toContain(`|eval(lambda: "emitted")\n        .as('value')\n        .keep('value', messageField, durationField)`);
    expect(s).not.toContain('.crit(');
  });

  it('quotes names and values and adds handlers', () => {
    const s = ruleToTickscript(
      base({
        name: "it's hot",
        field: 'temp "c"',
        where: { host: ['a', "b'c"] },
        handlers: [
          { kind: 'log', path: '/tmp/alerts.log' },
          { kind: 'post', url: 'http://hook.example/x' },
          { kind: 'exec', prog: '/bin/echo', args: ['hi'] },
        ],
      }),
    );
    expect(s).toContain("var name = 'it\\'s hot'");
    expect(s).toContain('|eval(lambda: "temp \\"c\\"")');
    expect(s).toContain(`("host" == 'a' OR "host" == 'b\\'c')`);
    expect(s).toContain(".log('/tmp/alerts.log')");
    expect(s).toContain(".post('http://hook.example/x')");
    expect(s).toContain(".exec('/bin/echo', 'hi')");
  });

  it('names the field at fault', () => {
    const err = (p: Partial<AlertRule>) => {
      try {
        ruleToTickscript(base(p));
      } catch (e) {
        expect(e).toBeInstanceOf(RuleError);
        return (e as RuleError).field;
      }
      return null;
    };
    expect(err({ name: ' ' })).toBe('name');
    expect(err({ value: 'abc' })).toBe('value');
    expect(err({ aggregate: 'mean', period: '5 minutes' })).toBe('period');
    expect(err({ measurement: '' })).toBe('measurement');
    expect(err({ handlers: [{ kind: 'log', path: 'relative.log' }] })).toBe('log handler');
  });

  it('round-trips the rule through the script marker', () => {
    const r = base({ groupBy: ['host'], aggregate: 'mean' });
    expect(ruleFromScript(ruleToTickscript(r))).toEqual(r);
    expect(ruleFromScript('stream|from()')).toBeNull();
  });
});

describe('helpers', () => {
  it('builds where lambdas and task ids', () => {
    expect(whereLambda({})).toBe('TRUE');
    expect(whereLambda({ b: ['1'], a: ['x', 'y'], c: [] })).toBe(`("a" == 'x' OR "a" == 'y') AND "b" == '1'`);
    expect(taskIdFor('CPU high / web')).toBe('cpu_high_web');
    expect(taskIdFor('***')).toBe('rule');
  });

  it('finds the position in a TICKscript error', () => {
    expect(parseScriptError('invalid TICKscript: line 5 char 6: no method or property "bogus" on WindowNode')).toEqual({
      line: 5,
      char: 6,
      message: 'no method or property "bogus" on WindowNode',
    });
    expect(parseScriptError('task not found')).toBeNull();
  });
});
