// Hosts: the list built from agent data, and a ready-made dashboard per host.

import { useState } from 'preact/hooks';
import { influxql } from '../api';
import { quoteIdent, quoteString } from '../influxql';
import { allSeries } from '../results';
import * as schema from '../schema';
import { useAsync } from '../hooks';
import { BASICS, hostDashboard } from '../hostLayouts';
import { linkClick, navigate } from '../router';
import { Board } from '../components/Board';
import type { TimeRange } from '../timerange';
import * as api from '../dashboardsApi';
import { AgentHelp } from '../components/AgentHelp';

/** A row of the host list. */
interface HostRow {
  host: string;
  lastSeen: number | null;
  cpu: number | null;
  load: number | null;
  mem: number | null;
  apps: string[];
}

const UP_WITHIN_MS = 5 * 60_000;

/** Last value per host of `SELECT ... GROUP BY "host"` (time of the point, value). */
function perHost(resp: Awaited<ReturnType<typeof influxql>>): Map<string, { time: number; value: number | null }> {
  const out = new Map<string, { time: number; value: number | null }>();
  for (const s of allSeries(resp)) {
    const host = s.tags?.host;
    const row = s.values?.[s.values.length - 1];
    if (host && row) out.set(host, { time: Number(row[0]), value: typeof row[1] === 'number' ? row[1] : null });
  }
  return out;
}

async function hostMeasurements(db: string, signal: AbortSignal): Promise<Map<string, string[]>> {
  const byHost = new Map<string, string[]>();
  for (const m of await schema.measurements(db, signal)) {
    let hosts: string[] = [];
    try {
      hosts = await schema.tagValues(db, m, 'host', signal);
    } catch {
      continue;
    }
    for (const h of hosts) byHost.set(h, [...(byHost.get(h) ?? []), m]);
  }
  return byHost;
}

async function loadHosts(db: string, signal: AbortSignal): Promise<HostRow[]> {
  const on = { db, signal };
  const [byHost, sys, cpu, mem] = await Promise.all([
    hostMeasurements(db, signal),
    influxql(`SELECT last("load1") FROM "system" WHERE time > now() - 7d GROUP BY "host"`, on).catch(() => ({ results: [] })),
    influxql(`SELECT last("usage_idle") FROM "cpu" WHERE "cpu" = 'cpu-total' AND time > now() - 7d GROUP BY "host"`, on).catch(() => ({ results: [] })),
    influxql(`SELECT last("used_percent") FROM "mem" WHERE time > now() - 7d GROUP BY "host"`, on).catch(() => ({ results: [] })),
  ]);
  const s = perHost(sys);
  const c = perHost(cpu);
  const m = perHost(mem);
  return [...byHost.entries()]
    .filter(([, ms]) => ms.some((x) => BASICS.has(x)))
    .map(([host, ms]) => {
      const times = [s.get(host)?.time, c.get(host)?.time, m.get(host)?.time].filter((t): t is number => t !== undefined);
      const idle = c.get(host)?.value;
      return {
        host,
        lastSeen: times.length ? Math.max(...times) : null,
        cpu: idle === null || idle === undefined ? null : 100 - idle,
        load: s.get(host)?.value ?? null,
        mem: m.get(host)?.value ?? null,
        apps: ms.filter((x) => !BASICS.has(x)).sort(),
      };
    })
    .sort((a, b) => a.host.localeCompare(b.host));
}

const fmt = (v: number | null, suffix = '') => (v === null ? '—' : `${Math.round(v * 100) / 100}${suffix}`);

/** The host list. */
export function Hosts({ db: dbParam }: { db: string | null }) {
  const dbs = useAsync((signal) => schema.databases(signal), []);
  const db = dbParam ?? (dbs.data?.includes('telegraf') ? 'telegraf' : dbs.data?.[0] ?? null);
  const hosts = useAsync(async (signal) => (db ? loadHosts(db, signal) : []), [db]);
  const now = Date.now();
  return (
    <div>
      <div class="spread">
        <h1>Hosts</h1>
        <label>
          Database
          <select aria-label="Database" value={db ?? ''} onChange={(e) => navigate(`/hosts?db=${encodeURIComponent((e.target as HTMLSelectElement).value)}`)}>
            {dbs.data?.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </label>
      </div>
      {(hosts.loading || dbs.loading) && <span class="spinner" role="status" aria-label="Loading" />}
      {hosts.error && <p class="error">{hosts.error}</p>}
      {!hosts.loading && hosts.data?.length === 0 && (
        <div class="empty">
          <p>No hosts reporting to {db ? <code>{db}</code> : 'any database'} yet.</p>
          <p>Start the agent on each machine, writing to this server:</p>
          <AgentHelp />
        </div>
      )}
      {hosts.data && hosts.data.length > 0 && (
        <table class="data hosts">
          <thead>
            <tr>
              <th>Host</th>
              <th>Status</th>
              <th>CPU</th>
              <th>Load</th>
              <th>Memory</th>
              <th>Apps</th>
            </tr>
          </thead>
          <tbody>
            {hosts.data.map((h) => {
              const up = h.lastSeen !== null && now - h.lastSeen < UP_WITHIN_MS;
              return (
                <tr>
                  <td>
                    <a href={`/hosts/${encodeURIComponent(h.host)}?db=${encodeURIComponent(db ?? '')}`} onClick={linkClick}>
                      {h.host}
                    </a>
                  </td>
                  <td>
                    <span class="dot" style={{ background: up ? 'var(--ok)' : 'var(--danger)' }} />
                    {up ? 'up' : h.lastSeen ? `last seen ${new Date(h.lastSeen).toISOString().replace('T', ' ').slice(0, 19)}` : 'no recent data'}
                  </td>
                  <td>{fmt(h.cpu, '%')}</td>
                  <td>{fmt(h.load)}</td>
                  <td>{fmt(h.mem, '%')}</td>
                  <td>
                    {h.apps.map((a) => (
                      <span class="pill">{a}</span>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The ready-made dashboard of one host. */
export function HostPage({ host, db }: { host: string; db: string }) {
  const [range, setRange] = useState<TimeRange>({ kind: 'relative', duration: '1h' });
  const [msg, setMsg] = useState<string | null>(null);
  const dash = useAsync(async (signal) => {
    const ms: string[] = [];
    for (const m of await schema.measurements(db, signal)) {
      const r = await influxql(`SHOW TAG VALUES ON ${quoteIdent(db)} FROM ${quoteIdent(m)} WITH KEY = "host" WHERE "host" = ${quoteString(host)}`, { signal }).catch(() => null);
      if (r && allSeries(r).some((s) => (s.values ?? []).length > 0)) ms.push(m);
    }
    const other: Record<string, string[]> = {};
    for (const m of ms) {
      const f = await schema.fieldKeys(db, m, signal).catch(() => []);
      other[m] = f.filter((x) => x.type === 'float' || x.type === 'integer').map((x) => x.key);
    }
    return hostDashboard(host, db, ms, other);
  }, [host, db]);
  return (
    <div>
      <h1>
        <a href={`/hosts?db=${encodeURIComponent(db)}`} onClick={linkClick} style={{ textDecoration: 'none' }}>
          Hosts
        </a>{' '}
        / {host}
      </h1>
      {dash.error && <p class="error">{dash.error}</p>}
      {msg && <p class="error">{msg}</p>}
      {dash.loading && <span class="spinner" role="status" aria-label="Loading" />}
      {dash.data && (
        <Board
          dashboard={dash.data}
          editing={false}
          range={range}
          onRange={setRange}
          toolbar={
            <button
              onClick={async () => {
                try {
                  const id = await api.createDashboard(dash.data!);
                  navigate(`/dashboards/${id}`);
                } catch (e) {
                  setMsg((e as Error).message);
                }
              }}
            >
              Save as dashboard
            </button>
          }
        />
      )}
    </div>
  );
}
