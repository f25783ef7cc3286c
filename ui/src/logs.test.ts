import { describe, expect, it } from 'vitest';
import { logFilter, severityChart, SEVERITY_COLORS } from './pages/Logs';
import { agentCommands } from './components/AgentHelp';

describe('logs', () => {
  it('filters by severity and searches the message text without regard to case', () => {
    expect(logFilter(['err', 'crit'], 'a.b')).toBe(`time > :dashboardTime: AND time < :upperDashboardTime: AND ("severity" = 'err' OR "severity" = 'crit') AND "message" =~ /(?i)a\\.b/`);
    expect(logFilter(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'], '')).toBe('time > :dashboardTime: AND time < :upperDashboardTime:');
  });

  it('names the histogram series by severity, most severe first, in their colors', () => {
    const chart = { labels: ['syslog {severity=info}', 'syslog {severity=crit}', 'syslog {severity=err}'], data: [[1, 2], [5, 6], [0, 1], [2, 2]] as [number[], ...number[][]] };
    const h = severityChart(chart)!;
    expect(h.chart.labels).toEqual(['crit', 'err', 'info']);
    expect(h.chart.data).toEqual([[1, 2], [0, 1], [2, 2], [5, 6]]);
    expect(h.colors).toEqual([SEVERITY_COLORS.crit, SEVERITY_COLORS.err, SEVERITY_COLORS.info]);
    expect(severityChart(null)).toBeNull();
  });

  it('tells how to start the agent against this server', () => {
    const text = agentCommands('http://10.0.0.5:8086', 'cpu:mem', undefined, true);
    expect(text).toContain('almanac agent --sample-config --input-filter cpu:mem --output-filter influxdb > agent.conf');
    expect(text).toContain('urls = ["http://10.0.0.5:8086"], username and password');
    expect(text.split('\n').pop()).toBe('almanac agent --config agent.conf');
  });
});
