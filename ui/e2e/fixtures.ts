// A real almanac server per test file: started on a free port with a
// temporary data directory, stopped afterwards.

import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

/** A running server. */
export interface Almanac {
  url: string;
  /** Writes line protocol to `db` (created first). */
  write(db: string, lines: string[]): Promise<void>;
  /** Runs InfluxQL (POST /query) and returns the JSON. */
  query(q: string, db?: string, auth?: string): Promise<any>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `almanac server` with extra flags; resolves once /ping answers. */
export async function startAlmanac(extra: string[] = []): Promise<{ server: Almanac; stop: () => Promise<void> }> {
  const bin = process.env.ALMANAC_BIN ?? path.join(repo, 'target', 'debug', 'almanac');
  const dir = mkdtempSync(path.join(tmpdir(), 'almanac-ui-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, ['server', '--data-dir', dir, '--http-bind', `127.0.0.1:${port}`, '--log-level', 'warn', ...extra], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`almanac server exited early (binary ${bin})`);
    try {
      const r = await fetch(`${url}/ping`);
      if (r.status === 204) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('almanac server did not answer /ping within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const query = async (q: string, db?: string, auth?: string) => {
    const body = new URLSearchParams({ q });
    if (db) body.set('db', db);
    const r = await fetch(`${url}/query`, { method: 'POST', body, headers: auth ? { Authorization: auth } : {} });
    return r.json();
  };
  const server: Almanac = {
    url,
    query,
    async write(db, lines) {
      await query(`CREATE DATABASE "${db}"`);
      const r = await fetch(`${url}/write?db=${encodeURIComponent(db)}`, { method: 'POST', body: lines.join('\n') });
      if (r.status !== 204) throw new Error(`write: HTTP ${r.status} ${await r.text()}`);
    },
  };
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { server, stop };
}

/** The test with a worker-scoped server and baseURL pointing at it. */
export const test = base.extend<{}, { almanac: Almanac }>({
  almanac: [
    async ({}, use) => {
      const { server, stop } = await startAlmanac();
      await use(server);
      await stop();
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ almanac }, use) => use(almanac.url),
});

export { expect };

/**
 * Saves a screenshot of a main screen: into docs/images/ when
 * ALMANAC_UI_SCREENSHOTS=1 (to refresh the documentation), else into
 * test-results/ (so a test run leaves the tree clean).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.ALMANAC_UI_SCREENSHOTS === '1' ? path.join(repo, 'docs', 'images') : path.join(here, '..', 'test-results');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `ui-${name}.png`) });
}

/** Line protocol of `minutes` minutes of agent-like data for `hosts`, ending now. */
export function agentData(hosts: string[], minutes = 60): string[] {
  const now = Date.now();
  const lines: string[] = [];
  for (let i = 0; i <= minutes; i++) {
    const t = (now - (minutes - i) * 60_000) * 1_000_000;
    hosts.forEach((h, k) => {
      const wave = Math.sin((i + k * 7) / 6);
      lines.push(`cpu,host=${h},cpu=cpu-total usage_idle=${(70 + 20 * wave).toFixed(2)},usage_user=${(20 - 10 * wave).toFixed(2)},usage_system=${(5 + 2 * wave).toFixed(2)},usage_iowait=1 ${t}`);
      lines.push(`mem,host=${h} used_percent=${(40 + 10 * wave + k * 5).toFixed(2)} ${t}`);
      lines.push(`system,host=${h} load1=${(1 + wave).toFixed(2)},load5=${(0.9 + wave / 2).toFixed(2)},load15=0.8 ${t}`);
      // A flat series: charts must still draw it.
      lines.push(`swap,host=${h} used_percent=5 ${t}`);
    });
  }
  return lines;
}
