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
