// The alert history: a timeline of each alert's level over the time range
// and the table of events, from `chronograf`.`autogen`.`alerts`.

import { useState } from 'preact/hooks';
import { useAsync, useInterval, REFRESH_CHOICES } from '../hooks';
import { linkClick } from '../router';
import { bounds, type TimeRange } from '../timerange';
import { LEVELS, loadAlertHistory, timeline, type AlertRecord } from '../alertHistory';
import { TimeRangePicker } from './TimeRangePicker';

const LEVEL_COLORS: Record<string, string> = {
  CRITICAL: 'var(--danger)',
  WARNING: 'var(--warn)',
  INFO: 'var(--accent)',
  OK: 'var(--ok)',
};

function fmtTime(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

function fmtDuration(ms: number): string {
  if (ms <= 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** The level-over-time chart: one row per alert id. */
function Timeline({ records, start, end }: { records: AlertRecord[]; start: number; end: number }) {
  const { ids, segments } = timeline(records, start, end);
  const labelW = 220;
  const width = 1000;
  const rowH = 22;
  const height = ids.length * rowH + 24;
  const x = (t: number) => labelW + ((t - start) / Math.max(end - start, 1)) * (width - labelW - 10);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => start + f * (end - start));
  return (
    <svg class="timeline" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Alert levels over time" data-testid="alert-timeline">
      {ids.map((id, i) => (
        <text x={4} y={i * rowH + 15}>
          {id.length > 34 ? id.slice(0, 33) + '…' : id}
        </text>
      ))}
      {segments.map((s) => {
        const row = ids.indexOf(s.id);
        const ok = s.level === 'OK';
        return (
          <rect
            x={x(s.start)}
            y={row * rowH + (ok ? 9 : 3)}
            width={Math.max(x(s.end) - x(s.start), 2)}
            height={ok ? 4 : 16}
            fill={LEVEL_COLORS[s.level] ?? 'var(--muted)'}
            data-level={s.level}
          >
            <title>{`${s.id}: ${s.level} from ${fmtTime(s.start)} to ${fmtTime(s.end)}`}</title>
          </rect>
        );
      })}
      {ticks.map((t) => (
        <text x={Math.min(x(t), width - 60)} y={height - 6}>
          {new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
        </text>
      ))}
    </svg>
  );
}

/** The history tab. */
export function AlertHistory() {
  const [range, setRange] = useState<TimeRange>({ kind: 'relative', duration: '1h' });
  const [level, setLevel] = useState('');
  const [refresh, setRefresh] = useState(10_000);
  const data = useAsync(
    async (signal) => {
      const [start, end] = bounds(range);
      return { start, end, records: await loadAlertHistory(start, end, 2000, signal) };
    },
    [JSON.stringify(range)],
  );
  useInterval(data.reload, refresh);
  const records = (data.data?.records ?? []).filter((r) => !level || r.level === level);
  return (
    <div>
      <div class="row" style={{ marginBottom: '10px' }}>
        <TimeRangePicker value={range} onChange={setRange} />
        <label>
          Level
          <select aria-label="Level filter" value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {LEVELS.map((l) => (
              <option value={l}>{l.toLowerCase()}</option>
            ))}
          </select>
        </label>
        <label>
          Auto-refresh
          <select aria-label="Auto-refresh" value={refresh} onChange={(e) => setRefresh(Number((e.target as HTMLSelectElement).value))}>
            {REFRESH_CHOICES.map((c) => (
              <option value={c.ms}>{c.label}</option>
            ))}
          </select>
        </label>
        {data.loading && <span class="spinner" role="status" aria-label="Loading" />}
      </div>
      {data.error && (
        <p class="error" role="alert">
          {data.error}
        </p>
      )}
      {data.data && data.data.records.length === 0 && (
        <div class="empty" data-testid="history-empty">
          <h2>No alerts in this time range</h2>
          <p>
            Rules made in the{' '}
            <a href="/alerting/rules/new" onClick={linkClick}>
              rule builder
            </a>{' '}
            write every alert they raise to the <code>chronograf</code> database (measurement <code>alerts</code>), as Chronograf's rules do; they show
            up here.
          </p>
          <p>
            A TICKscript of your own can do the same: end it with <code>|influxDBOut().database('chronograf').measurement('alerts')</code> after the{' '}
            <code>|alert()</code> node, with <code>.levelTag('level')</code> and <code>.idTag('alertID')</code>.
          </p>
        </div>
      )}
      {records.length > 0 && data.data && (
        <>
          <div class="card" style={{ marginBottom: '10px' }}>
            <Timeline records={records} start={data.data.start} end={data.data.end} />
          </div>
          <table class="data" aria-label="Alert history">
            <thead>
              <tr>
                <th>Time</th>
                <th>Level</th>
                <th>Rule</th>
                <th>Alert</th>
                <th>Value</th>
                <th>Message</th>
                <th>Duration</th>
              </tr>
            </thead>
            <tbody>
              {records.slice(0, 500).map((r) => (
                <tr data-testid="history-row">
                  <td>{fmtTime(r.time)}</td>
                  <td>
                    <span class={`level level-${r.level}`}>{r.level}</span>
                  </td>
                  <td>{r.name}</td>
                  <td>{r.id}</td>
                  <td>{r.value ?? ''}</td>
                  <td style={{ whiteSpace: 'normal' }}>{r.message}</td>
                  <td>{fmtDuration(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
