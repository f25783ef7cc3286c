// The Kapacitor API of the server (/kapacitor/v1): tasks, alert topics and
// their events, in Kapacitor 1.7's JSON.

import { ApiError, authHeaders, v2 } from './api';

const BASE = '/kapacitor/v1';

/** A database and retention policy a task reads. */
export interface Dbrp {
  db: string;
  rp: string;
}

/** A task as GET /kapacitor/v1/tasks answers it. */
export interface Task {
  id: string;
  type: 'stream' | 'batch';
  dbrps: Dbrp[];
  script: string;
  status: 'enabled' | 'disabled';
  executing: boolean;
  error: string;
  created: string;
  modified: string;
  'last-enabled'?: string;
  'template-id'?: string;
  /** The pipeline as a DOT graph (with node statistics while running). */
  dot?: string;
}

/** The body of a task create or patch. */
export interface TaskBody {
  id?: string;
  type?: 'stream' | 'batch';
  dbrps?: Dbrp[];
  script?: string;
  status?: 'enabled' | 'disabled';
}

/** An alert topic with its highest level. */
export interface Topic {
  id: string;
  level: string;
  collected: number;
}

/** The current state of one alert id in a topic. */
export interface AlertEventState {
  id: string;
  /** `duration` is a Go duration string (`1m30s`), as Kapacitor writes it. */
  state: { level: string; message: string; details: string; time: string; duration: string };
}

/**
 * Whether the server provides the Kapacitor API (GET /kapacitor/v1/ping
 * answers 204). Throws when it refuses the user (the API needs an admin).
 */
export async function kapacitorAvailable(signal?: AbortSignal): Promise<boolean> {
  const res = await fetch(`${BASE}/ping`, { signal, headers: authHeaders() });
  if (res.status === 401 || res.status === 403) throw new ApiError(res.status, 'the alerting API needs an admin user');
  return res.status === 204;
}

/** Every task. */
export async function listTasks(signal?: AbortSignal): Promise<Task[]> {
  return (await v2<{ tasks: Task[] }>('GET', `${BASE}/tasks?limit=10000`, undefined, signal)).tasks ?? [];
}

/** One task. */
export function getTask(id: string, signal?: AbortSignal): Promise<Task> {
  return v2<Task>('GET', `${BASE}/tasks/${encodeURIComponent(id)}`, undefined, signal);
}

/** Creates a task; the server checks the script and answers `line N char M: ...` errors. */
export function createTask(body: TaskBody): Promise<Task> {
  return v2<Task>('POST', `${BASE}/tasks`, body);
}

/** Changes a task (status, script, dbrps, type). */
export function updateTask(id: string, body: TaskBody): Promise<Task> {
  return v2<Task>('PATCH', `${BASE}/tasks/${encodeURIComponent(id)}`, body);
}

/** Deletes a task. */
export async function deleteTask(id: string): Promise<void> {
  await v2('DELETE', `${BASE}/tasks/${encodeURIComponent(id)}`);
}

/** Alert topics (with `min-level`, e.g. WARNING, to list only active ones). */
export async function listTopics(minLevel = 'OK', signal?: AbortSignal): Promise<Topic[]> {
  return (await v2<{ topics: Topic[] }>('GET', `${BASE}/alerts/topics?min-level=${minLevel}`, undefined, signal)).topics ?? [];
}

/** Current state of every alert id of a topic. */
export async function topicEvents(topic: string, minLevel = 'OK', signal?: AbortSignal): Promise<AlertEventState[]> {
  const path = `${BASE}/alerts/topics/${encodeURIComponent(topic)}/events?min-level=${minLevel}`;
  return (await v2<{ events: AlertEventState[] }>('GET', path, undefined, signal)).events ?? [];
}

/** `db.rp` lines of a form as dbrps (`telegraf.autogen`, one per line or comma). */
export function parseDbrps(text: string): Dbrp[] {
  const out: Dbrp[] = [];
  for (const part of text.split(/[\n,]/)) {
    const s = part.trim();
    if (!s) continue;
    const m = s.match(/^"?([^".]+)"?\."?([^".]+)"?$/);
    if (!m) throw new Error(`database and retention policy "${s}": write them as db.rp (e.g. telegraf.autogen)`);
    out.push({ db: m[1], rp: m[2] });
  }
  return out;
}

/** The `db.rp` text of dbrps. */
export function formatDbrps(dbrps: Dbrp[]): string {
  return dbrps.map((d) => `${d.db}.${d.rp}`).join(', ');
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go duration string such as `1h2m3.5s` or `250ms`; NaN if invalid. */
export function goDurationMs(d: string): number {
  if (d === '0' || d === '0s') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  const neg = d.startsWith('-');
  const body = neg ? d.slice(1) : d;
  while ((m = re.exec(body)) !== null) {
    total += Number(m[1]) * GO_UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== body.length) return NaN;
  return neg ? -total : total;
}
