// Logs: a viewer for `syslog` measurement data (the agent's syslog input):
// severity filters, a histogram by severity, and the newest messages.

import { useEffect, useState } from 'preact/hooks';
import { influxql } from '../api';
import { quoteString } from '../influxql';
import { rowsAsObjects, toChartData, type ChartData } from '../results';
import * as schema from '../schema';
import { useAsync, useInterval, REFRESH_CHOICES } from '../hooks';
import { builtinSubstitutions, substitute } from '../templates';
import { TimeRangePicker } from '../components/TimeRangePicker';
import { Chart } from '../components/Chart';
import type { TimeRange } from '../timerange';
import { navigate } from '../router';
import { AgentHelp } from '../components/AgentHelp';

/** Syslog severities (RFC 5424 names, as the agent tags them), most severe first. */
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** A color per severity, from red (emerg) to grey (debug). */
export const SEVERITY_COLORS: Record<string, string> = {
  emerg: '#b4232a',
  alert: '#e0393e',
  crit: '#f05a5a',
  err: '#fb923c',
  warning: '#ffb94a',
  notice: '#4ed8a0',
  info: '#22adf6',
  debug: '#8b93a7',
};

/** The WHERE clause of the selected severities and search text (case-insensitive). */
export function logFilter(severities: string[], search: string): string {
  const parts = ['time > :dashboardTime:', 'time < :upperDashboardTime:'];
  if (severities.length && severities.length < SEVERITIES.length) parts.push('(' + severities.map((s) => `"severity" = ${quoteString(s)}`).join(' OR ') + ')');
  if (search) parts.push(`"message" =~ /(?i)${search.replace(/[\\/.*+?^${}()|[\]]/g, '\\$&')}/`);
  return parts.join(' AND ');
}

/**
 * The histogram of a `count(...) GROUP BY time, "severity"` chart: a series
 * per severity named by it, most severe first, in its severity's color.
 */
export function severityChart(chart: ChartData | null): { chart: ChartData; colors: string[] } | null {
  if (!chart) return null;
  const sevOf = (label: string) => label.match(/severity=([^,}]+)/)?.[1] ?? label;
  const rank = (s: string) => (SEVERITIES.includes(s) ? SEVERITIES.indexOf(s) : SEVERITIES.length);
  const order = chart.labels.map((l, i) => ({ sev: sevOf(l), i })).sort((a, b) => rank(a.sev) - rank(b.sev) || a.sev.localeCompare(b.sev));
  return {
    chart: { labels: order.map((o) => o.sev), data: [chart.data[0], ...order.map((o) => chart.data[o.i + 1])] },
    colors: order.map((o) => SEVERITY_COLORS[o.sev] ?? '#9aa0b2'),
  };
}

/** The logs page. */
export function Logs({ db: dbParam }: { db: string | null }) {
  const dbs = useAsync((signal) => schema.databases(signal), []);
  const db = dbParam ?? (dbs.data?.includes('telegraf') ? 'telegraf' : dbs.data?.[0] ?? null);
  const [range, setRange] = useState<TimeRange>({ kind: 'relative', duration: '1h' });
  const [sev, setSev] = useState<string[]>(SEVERITIES);
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  // The search applies as one types (after a pause).
  useEffect(() => {
    const t = setTimeout(() => setSearch(searchText.trim()), 300);
    return () => clearTimeout(t);
  }, [searchText]);
  const [refresh, setRefresh] = useState(0);
  const data = useAsync(
    async (signal) => {
      if (!db) return null;
      const subs = builtinSubstitutions(range, 120);
      const where = substitute(logFilter(sev, search), subs);
      const interval = subs.find((s) => s.tempVar === ':interval:')!.text;
      const [hist, rows] = await Promise.all([
        influxql(`SELECT count("message") FROM "syslog" WHERE ${where} GROUP BY time(${interval}), "severity" FILL(0)`, { db, signal }),
        influxql(`SELECT "message", "severity", "hostname", "appname", "facility" FROM "syslog" WHERE ${where} ORDER BY time DESC LIMIT 500`, { db, signal }),
      ]);
      return { chart: severityChart(toChartData(hist)), rows: rowsAsObjects(rows) };
    },
    [db, JSON.stringify(range), sev.join(','), search],
  );
  useInterval(data.reload, refresh);
  return (
    <div>
      <div class="spread">
        <h1>Logs</h1>
        <div class="row">
          <label>
            Database
            <select aria-label="Database" value={db ?? ''} onChange={(e) => navigate(`/logs?db=${encodeURIComponent((e.target as HTMLSelectElement).value)}`)}>
              {dbs.data?.map((d) => (
                <option value={d}>{d}</option>
              ))}
            </select>
          </label>
          <TimeRangePicker value={range} onChange={setRange} />
          <label>
            Refresh
            <select aria-label="Auto-refresh" value={refresh} onChange={(e) => setRefresh(Number((e.target as HTMLSelectElement).value))}>
              {REFRESH_CHOICES.map((c) => (
                <option value={c.ms}>{c.label}</option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <fieldset class="row" style={{ border: 'none', padding: 0, margin: '0 0 8px' }}>
        <legend class="sr-only">Severities</legend>
        {SEVERITIES.map((s) => (
          <label>
            <input type="checkbox" checked={sev.includes(s)} onChange={() => setSev(sev.includes(s) ? sev.filter((x) => x !== s) : [...sev, s])} /> {s}
          </label>
        ))}
        <label>
          Search <input type="search" value={searchText} onInput={(e) => setSearchText((e.target as HTMLInputElement).value)} placeholder="text in message" />
        </label>
      </fieldset>
      {data.error && <p class="error">{data.error}</p>}
      {data.loading && <span class="spinner" role="status" aria-label="Loading" />}
      {!data.loading && !dbs.loading && (!db || (data.data && !data.data.chart && data.data.rows.length === 0)) && (
        <div class="empty">
          <p>{db ? (search || sev.length < SEVERITIES.length ? 'No syslog messages match in this time range.' : 'No syslog messages in this time range.') : 'No databases yet.'}</p>
          <p>
            Collect them with the agent's <code>[[inputs.syslog]]</code> input writing to this server:
          </p>
          <AgentHelp inputs="syslog" note='in [[inputs.syslog]]: server = "udp://:6514", then point rsyslog or journald at it' />
        </div>
      )}
      {data.data?.chart && (
        <div class="card" style={{ marginBottom: '10px' }}>
          <Chart
            data={data.data.chart.chart}
            colors={data.data.chart.colors}
            kind="bar"
            stacked
            height={160}
            onZoom={(a, b) => setRange({ kind: 'absolute', start: a, end: b })}
          />
        </div>
      )}
      {data.data && data.data.rows.length > 0 && (
        <table class="data logs">
          <thead>
            <tr>
              <th>Time</th>
              <th>Severity</th>
              <th>Host</th>
              <th>App</th>
              <th>Facility</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {data.data.rows.map((r) => (
              <tr>
                <td>{new Date(Number(r.time)).toISOString().replace('T', ' ').slice(0, 23)}</td>
                <td>
                  <span class="dot" style={{ background: SEVERITY_COLORS[String(r.severity)] ?? 'var(--muted)' }} />
                  {String(r.severity ?? '')}
                </td>
                <td>{String(r.hostname ?? '')}</td>
                <td>{String(r.appname ?? '')}</td>
                <td>{String(r.facility ?? '')}</td>
                <td style={{ whiteSpace: 'normal' }}>{String(r.message ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
