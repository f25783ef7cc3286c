// Annotations stored as Chronograf stores them: points of the `annotations`
// measurement in the `chronograf` database (tag `id`; fields `text`, `type`,
// `start_time` and `modified_time_ns` in ns, `deleted`; the point's time is
// the end of the annotated span). A change writes the same point again.

import { influxql } from './api';
import { authHeaders, ApiError } from './api';
import { rowsAsObjects } from './results';

/** An annotation: a moment (start == end) or a span, in epoch ms. */
export interface Annotation {
  id: string;
  text: string;
  type: string;
  start: number;
  end: number;
}

const DB = 'chronograf';

function escapeField(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function escapeTag(s: string): string {
  return s.replace(/[,= \\]/g, (c) => '\\' + c);
}

/** The line protocol of an annotation (ms → ns; `deleted` marks removal). */
export function toLine(a: Annotation, deleted = false, now: number = Date.now()): string {
  const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;
  return (
    `annotations,id=${escapeTag(a.id)} deleted=${deleted},start_time=${ns(a.start)}i,modified_time_ns=${ns(now)}i,` +
    `text="${escapeField(a.text)}",type="${escapeField(a.type)}" ${ns(a.end)}`
  );
}

/** Annotations from the rows of `SELECT * FROM annotations` (deleted ones dropped). */
export function fromRows(rows: Record<string, unknown>[]): Annotation[] {
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const key = `${r.id}/${r.time}`;
    const prev = latest.get(key);
    if (!prev || Number(r.modified_time_ns ?? 0) >= Number(prev.modified_time_ns ?? 0)) latest.set(key, r);
  }
  return [...latest.values()]
    .filter((r) => r.deleted !== true)
    .map((r) => {
      const end = Number(r.time);
      const startNs = Number(r.start_time ?? NaN);
      return {
        id: String(r.id ?? ''),
        text: String(r.text ?? ''),
        type: String(r.type ?? ''),
        start: Number.isFinite(startNs) ? Math.round(startNs / 1e6) : end,
        end,
      };
    })
    .sort((a, b) => a.start - b.start);
}

/** Annotations overlapping [start, end] (epoch ms). */
export async function listAnnotations(start: number, end: number, signal?: AbortSignal): Promise<Annotation[]> {
  const dbs = rowsAsObjects(await influxql('SHOW DATABASES', { signal })).map((r) => r.name);
  if (!dbs.includes(DB)) return [];
  const q = `SELECT * FROM "${DB}"."autogen"."annotations" WHERE time >= ${Math.floor(start)}ms AND "start_time" <= ${Math.ceil(end)}000000`;
  return fromRows(rowsAsObjects(await influxql(q, { signal }))).filter((a) => a.end >= start && a.start <= end);
}

async function write(line: string): Promise<void> {
  await influxql(`CREATE DATABASE "${DB}"`);
  const res = await fetch(`/write?db=${DB}&rp=autogen`, { method: 'POST', headers: authHeaders(), body: line });
  if (!res.ok) {
    const text = await res.text();
    let msg = text;
    try {
      msg = JSON.parse(text).error ?? text;
    } catch {
      /* text */
    }
    throw new ApiError(res.status, msg || `HTTP ${res.status}`);
  }
}

/** Stores a new or changed annotation. */
export async function saveAnnotation(a: Annotation): Promise<void> {
  await write(toLine(a));
}

/** Removes an annotation (a `deleted=true` version of its point, as Chronograf does). */
export async function deleteAnnotation(a: Annotation): Promise<void> {
  await write(toLine(a, true));
}
