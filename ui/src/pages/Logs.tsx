// Logs: a viewer for `syslog` measurement data (the agent's syslog input):
// severity filters, a histogram by severity, and the newest messages.

import { useState } from 'preact/hooks';
import { influxql } from '../api';
import { quoteString } from '../influxql';
import { rowsAsObjects, toChartData } from '../results';
import * as schema from '../schema';
import { useAsync, useInterval, REFRESH_CHOICES } from '../hooks';
import { builtinSubstitutions, substitute } from '../templates';
import { TimeRangePicker } from '../components/TimeRangePicker';
import { Chart } from '../components/Chart';
import type { TimeRange } from '../timerange';
import { navigate } from '../router';

/** Syslog severities (RFC 5424 names, as the agent tags them), most severe first. */
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** The WHERE clause of the selected severities and search text. */
export function logFilter(severities: string[], search: string): string {
  const parts = ['time > :dashboardTime:', 'time < :upperDashboardTime:'];
  if (severities.length && severities.length < SEVERITIES.length) parts.push('(' + severities.map((s) => `"severity" = ${quoteString(s)}`).join(' OR ') + ')');
  if (search) parts.push(`"message" =~ /${search.replace(/[\\/.*+?^${}()|[\]]/g, '\\$&')}/`);
  return parts.join(' AND ');
}

/** The logs page. */
export function Logs({ db: dbParam }: { db: string | null }) {
  const dbs = useAsync((signal) => schema.databases(signal), []);
  const db = dbParam ?? (dbs.data?.includes('telegraf') ? 'telegraf' : dbs.data?.[0] ?? null);
  const [range, setRange] = useState<TimeRange>({ kind: 'relative', duration: '1h' });
  const [sev, setSev] = useState<string[]>(SEVERITIES);
  const [search, setSearch] = useState('');
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
      return { chart: toChartData(hist), rows: rowsAsObjects(rows) };
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
          Search <input value={search} onChange={(e) => setSearch((e.target as HTMLInputElement).value)} placeholder="text in message" />
        </label>
      </fieldset>
      {data.error && <p class="error">{data.error}</p>}
      {data.loading && <span class="spinner" role="status" aria-label="Loading" />}
      {data.data && !data.data.chart && data.data.rows.length === 0 && (
        <div class="empty">
          <p>No syslog messages in this time range.</p>
          <p>
            Collect them with the agent's <code>[[inputs.syslog]]</code> input (e.g. <code>server = "udp://:6514"</code>) writing to this server.
          </p>
        </div>
      )}
      {data.data?.chart && (
        <div class="card" style={{ marginBottom: '10px' }}>
          <Chart data={data.data.chart} kind="bar" height={160} onZoom={(a, b) => setRange({ kind: 'absolute', start: a, end: b })} />
        </div>
      )}
      {data.data && data.data.rows.length > 0 && (
        <table class="data">
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
                <td>{String(r.severity ?? '')}</td>
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
