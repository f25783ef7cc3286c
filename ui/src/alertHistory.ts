// The alert history: the points rules write to `chronograf`.`autogen`.`alerts`
// (Chronograf's layout: tags alertName, alertID, level, triggerType; fields
// message, value, duration) as events, and the level-over-time segments of the
// timeline.

import { influxql } from './api';
import { rowsAsObjects } from './results';

/** One alert event. */
export interface AlertRecord {
  time: number;
  name: string;
  id: string;
  level: string;
  message: string;
  value: number | null;
  /** How long the alert had been in a non-OK state (ms). */
  durationMs: number;
}

/** Alert levels, most severe first. */
export const LEVELS = ['CRITICAL', 'WARNING', 'INFO', 'OK'];

/** Events from the rows of `SELECT * FROM alerts` (newest first). */
export function recordsFromRows(rows: Record<string, unknown>[]): AlertRecord[] {
  return rows
    .map((r) => ({
      time: Number(r.time),
      name: String(r.alertName ?? ''),
      id: String(r.alertID ?? r.alertName ?? ''),
      level: String(r.level ?? 'OK').toUpperCase(),
      message: String(r.message ?? ''),
      value: typeof r.value === 'number' ? r.value : null,
      durationMs: typeof r.duration === 'number' ? Math.round(r.duration / 1e6) : 0,
    }))
    .filter((r) => Number.isFinite(r.time))
    .sort((a, b) => b.time - a.time);
}

/** A stretch of time one alert id spent at one level. */
export interface Segment {
  id: string;
  level: string;
  start: number;
  end: number;
}

/**
 * Per alert id, the levels over [start, end]: each event's level lasts until
 * the id's next event (or `end`). Ids are ordered by their most severe level,
 * then by name; at most `maxIds` ids.
 */
export function timeline(records: AlertRecord[], start: number, end: number, maxIds = 20): { ids: string[]; segments: Segment[] } {
  const byId = new Map<string, AlertRecord[]>();
  for (const r of records) {
    const list = byId.get(r.id) ?? [];
    list.push(r);
    byId.set(r.id, list);
  }
  const severity = (l: string) => {
    const i = LEVELS.indexOf(l);
    return i < 0 ? LEVELS.length : i;
  };
  const worst = (id: string) => Math.min(...byId.get(id)!.map((r) => severity(r.level)));
  const ids = [...byId.keys()].sort((a, b) => worst(a) - worst(b) || a.localeCompare(b)).slice(0, maxIds);
  const segments: Segment[] = [];
  for (const id of ids) {
    const evs = [...byId.get(id)!].sort((a, b) => a.time - b.time);
    evs.forEach((e, i) => {
      const s = Math.max(e.time, start);
      const t = Math.min(i + 1 < evs.length ? evs[i + 1].time : end, end);
      if (t >= s) segments.push({ id, level: e.level, start: s, end: t });
    });
  }
  return { ids, segments };
}

/** Whether the server has the `chronograf` database (where rules write their alerts). */
async function hasChronografDb(signal?: AbortSignal): Promise<boolean> {
  const rows = rowsAsObjects(await influxql('SHOW DATABASES', { signal }));
  return rows.some((r) => r.name === 'chronograf');
}

/** Alert events in [start, end] (epoch ms), newest first, at most `limit`. */
export async function loadAlertHistory(start: number, end: number, limit = 2000, signal?: AbortSignal): Promise<AlertRecord[]> {
  if (!(await hasChronografDb(signal))) return [];
  const q = `SELECT * FROM "chronograf"."autogen"."alerts" WHERE time >= ${Math.floor(start)}ms AND time <= ${Math.ceil(end)}ms ORDER BY time DESC LIMIT ${limit}`;
  return recordsFromRows(rowsAsObjects(await influxql(q, { signal })));
}
