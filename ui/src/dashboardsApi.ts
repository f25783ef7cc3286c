// Dashboards stored by the server through /api/v2/dashboards (+ cell views).

import { v2 } from './api';
import { fromV2, toV2, type Dashboard } from './dashboard';

/** A dashboard as the list shows it. */
export interface DashboardSummary {
  id: string;
  name: string;
  cells: number;
  updatedAt: string;
}

/**
 * Makes sure an organization exists: dashboards belong to one. Before
 * `/api/v2/setup` there is none, so the UI creates `almanac` (setup later
 * still works and makes its own).
 */
export async function ensureOrg(): Promise<void> {
  const orgs = await v2<{ orgs: unknown[] }>('GET', '/api/v2/orgs');
  if (!orgs.orgs?.length) await v2('POST', '/api/v2/orgs', { name: 'almanac', description: 'Created by the Almanac UI for its dashboards' });
}

/** Every dashboard. */
export async function listDashboards(signal?: AbortSignal): Promise<DashboardSummary[]> {
  const r = await v2<{ dashboards: any[] }>('GET', '/api/v2/dashboards', undefined, signal);
  return (r.dashboards ?? [])
    .map((d) => ({ id: d.id, name: d.name, cells: (d.cells ?? []).length, updatedAt: d.meta?.updatedAt ?? '' }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One dashboard with its cells' views. */
export async function getDashboard(id: string, signal?: AbortSignal): Promise<Dashboard> {
  const d = await v2<any>('GET', `/api/v2/dashboards/${encodeURIComponent(id)}`, undefined, signal);
  const views: Record<string, any> = {};
  await Promise.all(
    (d.cells ?? []).map(async (c: any) => {
      views[c.id] = await v2('GET', `/api/v2/dashboards/${encodeURIComponent(id)}/cells/${encodeURIComponent(c.id)}/view`, undefined, signal);
    }),
  );
  return fromV2(d, views);
}

/** Creates a dashboard; returns its id. */
export async function createDashboard(d: Omit<Dashboard, 'id'>): Promise<string> {
  await ensureOrg();
  const r = await v2<{ id: string }>('POST', '/api/v2/dashboards', toV2(d));
  return r.id;
}

/** Saves name, cells (with views) and templates of a dashboard. */
export async function saveDashboard(d: Dashboard): Promise<void> {
  await v2('PATCH', `/api/v2/dashboards/${encodeURIComponent(d.id)}`, toV2(d));
}

/** Renames a dashboard. */
export async function renameDashboard(id: string, name: string): Promise<void> {
  await v2('PATCH', `/api/v2/dashboards/${encodeURIComponent(id)}`, { name });
}

/** Deletes a dashboard. */
export async function deleteDashboard(id: string): Promise<void> {
  await v2('DELETE', `/api/v2/dashboards/${encodeURIComponent(id)}`);
}

/** Copies a dashboard under a new name; returns the copy's id. */
export async function cloneDashboard(id: string): Promise<string> {
  const d = await getDashboard(id);
  return createDashboard({ ...d, name: `${d.name} (clone)` });
}

/** A fresh id for a cell or template (server-independent, unique enough). */
export function newId(): string {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
