// HTTP access to the almanac server: InfluxQL over /query and the v2 JSON API.
// Credentials live in sessionStorage and travel only as a Basic auth header
// (never in a URL).

/** A user's credentials for a server with auth enabled. */
export interface Credentials {
  username: string;
  password: string;
}

const CREDS_KEY = 'almanac.credentials';

let credentials: Credentials | null = readCredentials();

function readCredentials(): Credentials | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(CREDS_KEY);
    return raw ? (JSON.parse(raw) as Credentials) : null;
  } catch {
    return null;
  }
}

/** Sets (or clears) the credentials every request carries. */
export function setCredentials(c: Credentials | null): void {
  credentials = c;
  if (c) globalThis.sessionStorage?.setItem(CREDS_KEY, JSON.stringify(c));
  else globalThis.sessionStorage?.removeItem(CREDS_KEY);
}

/** The current credentials, if any. */
export function getCredentials(): Credentials | null {
  return credentials;
}

function utf8Base64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Headers with the Basic auth of the current credentials. */
export function authHeaders(c: Credentials | null = credentials): Record<string, string> {
  return c ? { Authorization: 'Basic ' + utf8Base64(`${c.username}:${c.password}`) } : {};
}

/** An error answered by the server (status and its own message). */
export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Handler called on 401 answers (the app shows the login page). */
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(f: (() => void) | null): void {
  onUnauthorized = f;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let message = text.trim() || res.statusText || `HTTP ${res.status}`;
  try {
    const j = JSON.parse(text);
    message = j.error ?? j.message ?? message;
  } catch {
    /* not JSON: keep the text */
  }
  if (res.status === 401 && onUnauthorized) onUnauthorized();
  return new ApiError(res.status, message);
}

/** One series of an InfluxQL result. */
export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** One statement's result. */
export interface StatementResult {
  statement_id: number;
  series?: Series[];
  error?: string;
  messages?: { level: string; text: string }[];
}

/** The JSON body of a /query answer. */
export interface QueryResponse {
  results: StatementResult[];
  error?: string;
}

/** Options of an InfluxQL request. */
export interface QueryOptions {
  db?: string;
  rp?: string;
  signal?: AbortSignal;
  /** Timestamps as epoch milliseconds (default) or RFC 3339 strings. */
  epoch?: 'ms' | 'rfc3339';
}

/**
 * Runs InfluxQL through POST /query. Throws ApiError with the server's
 * message when the request or any statement fails.
 */
export async function influxql(q: string, opts: QueryOptions = {}): Promise<QueryResponse> {
  const form = new URLSearchParams({ q });
  if (opts.db) form.set('db', opts.db);
  if (opts.rp) form.set('rp', opts.rp);
  if ((opts.epoch ?? 'ms') === 'ms') form.set('epoch', 'ms');
  const res = await fetch('/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...authHeaders() },
    body: form,
    signal: opts.signal,
  });
  if (!res.ok) throw await errorOf(res);
  const body = (await res.json()) as QueryResponse;
  if (body.error) throw new ApiError(res.status, body.error);
  const failed = body.results?.find((r) => r.error);
  if (failed?.error) throw new ApiError(res.status, failed.error);
  return body;
}

/** Calls the v2 JSON API; returns the parsed body (null for 204). */
export async function v2<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...authHeaders(),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return null as T;
  return (await res.json()) as T;
}

/** Whether the server requires credentials for /query (auth enabled). */
export async function authRequired(): Promise<boolean> {
  const res = await fetch('/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q: 'SHOW DATABASES' }),
  });
  return res.status === 401;
}

/** Checks credentials against /query; throws ApiError on rejection. */
export async function checkCredentials(c: Credentials): Promise<void> {
  const res = await fetch('/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...authHeaders(c) },
    body: new URLSearchParams({ q: 'SHOW DATABASES' }),
  });
  if (res.ok) return;
  const text = await res.text();
  let message = text || `HTTP ${res.status}`;
  try {
    message = JSON.parse(text).error ?? message;
  } catch {
    /* keep */
  }
  throw new ApiError(res.status, message);
}
