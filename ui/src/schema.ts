// Schema look-ups over /query (SHOW statements).

import { influxql } from './api';
import { quoteIdent } from './influxql';
import { firstColumn, rowsAsObjects } from './results';

/** Database names. */
export async function databases(signal?: AbortSignal): Promise<string[]> {
  return firstColumn(await influxql('SHOW DATABASES', { signal }), 'name');
}

/** A retention policy as SHOW RETENTION POLICIES lists it. */
export interface RetentionPolicy {
  name: string;
  duration: string;
  shardGroupDuration: string;
  replicaN: number;
  default: boolean;
}

/** Retention policies of a database. */
export async function retentionPolicies(db: string, signal?: AbortSignal): Promise<RetentionPolicy[]> {
  const rows = rowsAsObjects(await influxql(`SHOW RETENTION POLICIES ON ${quoteIdent(db)}`, { signal }));
  return rows.map((r) => ({
    name: String(r.name),
    duration: String(r.duration),
    shardGroupDuration: String(r.shardGroupDuration),
    replicaN: Number(r.replicaN),
    default: r.default === true,
  }));
}

/** Measurement names of a database. */
export async function measurements(db: string, signal?: AbortSignal): Promise<string[]> {
  return firstColumn(await influxql(`SHOW MEASUREMENTS ON ${quoteIdent(db)}`, { signal }), 'name');
}

/** Tag keys of a measurement. */
export async function tagKeys(db: string, m: string, signal?: AbortSignal): Promise<string[]> {
  return firstColumn(await influxql(`SHOW TAG KEYS ON ${quoteIdent(db)} FROM ${quoteIdent(m)}`, { signal }), 'tagKey');
}

/** Values of a tag key of a measurement. */
export async function tagValues(db: string, m: string, key: string, signal?: AbortSignal): Promise<string[]> {
  const q = `SHOW TAG VALUES ON ${quoteIdent(db)} FROM ${quoteIdent(m)} WITH KEY = ${quoteIdent(key)}`;
  return firstColumn(await influxql(q, { signal }), 'value');
}

/** Field keys with their types. */
export async function fieldKeys(db: string, m: string, signal?: AbortSignal): Promise<{ key: string; type: string }[]> {
  const rows = rowsAsObjects(await influxql(`SHOW FIELD KEYS ON ${quoteIdent(db)} FROM ${quoteIdent(m)}`, { signal }));
  return rows.map((r) => ({ key: String(r.fieldKey), type: String(r.fieldType) }));
}

/**
 * The measurement a query reads (`FROM "m"`, `FROM db.rp.m`, `FROM "db".."m"`),
 * for completing its tag and field keys; null when there is none or it is a regex.
 */
export function measurementOf(query: string): string | null {
  const m = query.match(/\bFROM\s+((?:"(?:[^"\\]|\\.)*"|[\w-]*)(?:\.(?:"(?:[^"\\]|\\.)*"|[\w-]*)){0,2})/i);
  if (!m || !m[1]) return null;
  const parts = m[1].match(/"(?:[^"\\]|\\.)*"|[\w-]+|\.(?=\.)/g) ?? [];
  const last = parts.filter((p) => p !== '.').pop();
  if (!last) return null;
  return last.startsWith('"') ? last.slice(1, -1).replace(/\\(.)/g, '$1') : last;
}

const namesCache = new Map<string, string[] | 'loading'>();

function cached(key: string, load: () => Promise<string[]>): string[] {
  const v = namesCache.get(key);
  if (Array.isArray(v)) return v;
  if (v !== 'loading') {
    namesCache.set(key, 'loading');
    load().then(
      (names) => namesCache.set(key, names),
      () => namesCache.delete(key),
    );
  }
  return [];
}

/**
 * Names to complete in a query on `db` (synchronous: what is known now; the
 * rest is fetched for the next time): the database's measurements and, for
 * the measurement the query reads, its tag and field keys.
 */
export function namesFor(db: string | undefined, query: string): { measurements: string[]; tagKeys: string[]; fieldKeys: string[] } {
  if (!db) return { measurements: [], tagKeys: [], fieldKeys: [] };
  const ms = cached(`m\u0000${db}`, () => measurements(db));
  const m = measurementOf(query);
  if (!m) return { measurements: ms, tagKeys: [], fieldKeys: [] };
  return {
    measurements: ms,
    tagKeys: cached(`t\u0000${db}\u0000${m}`, () => tagKeys(db, m)),
    fieldKeys: cached(`f\u0000${db}\u0000${m}`, async () => (await fieldKeys(db, m)).map((f) => f.key)),
  };
}
