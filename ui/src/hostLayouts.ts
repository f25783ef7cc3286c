// Ready-made host dashboards: one cell per agent input a host reports.

import { newCell, type Cell, type Dashboard } from './dashboard';
import { quoteIdent, quoteString } from './influxql';

interface Layout {
  measurement: string;
  title: string;
  type?: Cell['type'];
  suffix?: string;
  /** SELECT expressions (each uses :interval: through GROUP BY). */
  select: string[];
  where?: string;
  groupBy?: string[];
}

const D = (f: string) => `non_negative_derivative(mean(${quoteIdent(f)}), 1s) AS ${quoteIdent(f + '_per_s')}`;
const M = (f: string) => `mean(${quoteIdent(f)}) AS ${quoteIdent(f)}`;

/** Cells for the inputs of the agent (Telegraf's measurement names). */
export const LAYOUTS: Layout[] = [
  { measurement: 'system', title: 'System load', select: [M('load1'), M('load5'), M('load15')] },
  { measurement: 'cpu', title: 'CPU usage', type: 'line-stacked', suffix: '%', select: [M('usage_user'), M('usage_system'), M('usage_iowait')], where: `"cpu" = 'cpu-total'` },
  { measurement: 'mem', title: 'Memory used', suffix: '%', select: [M('used_percent')] },
  { measurement: 'swap', title: 'Swap used', suffix: '%', select: [M('used_percent')] },
  { measurement: 'disk', title: 'Disk used', suffix: '%', select: [`max("used_percent") AS "used_percent"`], groupBy: ['path'] },
  { measurement: 'diskio', title: 'Disk I/O (bytes/s)', select: [D('read_bytes'), D('write_bytes')], groupBy: ['name'] },
  { measurement: 'net', title: 'Network (bytes/s)', select: [D('bytes_recv'), D('bytes_sent')], groupBy: ['interface'] },
  { measurement: 'processes', title: 'Processes', select: [M('running'), M('sleeping'), M('blocked'), M('zombies')] },
  { measurement: 'kernel', title: 'Context switches /s', select: [D('context_switches')] },
  { measurement: 'netstat', title: 'TCP connections', select: [M('tcp_established'), M('tcp_time_wait')] },
  { measurement: 'docker', title: 'Docker containers', select: [M('n_containers_running'), M('n_containers_stopped')] },
  { measurement: 'nginx', title: 'nginx requests /s', select: [D('requests'), M('active')] },
  { measurement: 'redis', title: 'Redis', select: [M('clients'), M('used_memory')] },
  { measurement: 'postgresql', title: 'PostgreSQL', select: [M('numbackends'), D('xact_commit')] },
  { measurement: 'procstat', title: 'Processes (procstat)', select: [M('cpu_usage'), M('memory_rss')], groupBy: ['process_name'] },
  { measurement: 'syslog', title: 'Log messages by severity', type: 'bar', select: [`count("message") AS "messages"`], groupBy: ['severity'] },
];

/** Measurements the host list treats as "apps" (beyond the system basics). */
export const BASICS = new Set(['system', 'cpu', 'mem', 'swap', 'disk', 'diskio', 'net', 'processes', 'kernel']);

/**
 * A dashboard for `host` with a cell per measurement it reports (known inputs
 * get their layout; others a chart of their first numeric fields, given in
 * `otherFields`).
 */
export function hostDashboard(host: string, db: string, measurements: string[], otherFields: Record<string, string[]>): Dashboard {
  const cells: Cell[] = [];
  const hostFilter = `"host" = ${quoteString(host)}`;
  const place = (c: Cell) => {
    const i = cells.length;
    c.x = (i % 2) * 6;
    c.y = Math.floor(i / 2) * 4;
    cells.push(c);
  };
  const make = (title: string, measurement: string, select: string[], where: string[], groupBy: string[], type: Cell['type'] = 'line', suffix = '') => {
    const c = newCell(`${measurement}-${cells.length}`, 0);
    c.name = title;
    c.type = type;
    c.axes.y.suffix = suffix;
    const groups = ['time(:interval:)', ...groupBy.map(quoteIdent)].join(', ');
    c.queries = [
      {
        db,
        query: `SELECT ${select.join(', ')} FROM ${quoteIdent(measurement)} WHERE ${[hostFilter, ...where, 'time > :dashboardTime:', 'time < :upperDashboardTime:'].join(' AND ')} GROUP BY ${groups} FILL(null)`,
      },
    ];
    place(c);
  };
  for (const l of LAYOUTS) {
    if (measurements.includes(l.measurement)) make(l.title, l.measurement, l.select, l.where ? [l.where] : [], l.groupBy ?? [], l.type, l.suffix);
  }
  const known = new Set(LAYOUTS.map((l) => l.measurement));
  for (const m of measurements) {
    if (known.has(m) || !(otherFields[m]?.length)) continue;
    make(m, m, otherFields[m].slice(0, 4).map(M), [], []);
  }
  return { id: '', name: `Host ${host}`, description: `Ready-made dashboard of host ${host} (${db})`, cells, templates: [] };
}
