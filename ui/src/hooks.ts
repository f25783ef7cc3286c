// Shared hooks: cancellable queries, auto-refresh, the theme.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { influxql, type QueryOptions, type QueryResponse } from './api';

/** State of a running or finished query. */
export interface QueryState {
  loading: boolean;
  error: string | null;
  response: QueryResponse | null;
  /** Milliseconds the last query took (until its answer was parsed). */
  elapsedMs: number | null;
  /** The query text that produced `response`. */
  query: string | null;
}

/**
 * Runs queries one at a time: a new run aborts the previous one; `cancel`
 * aborts the current one (AbortController).
 */
export function useQueryRunner() {
  const [state, setState] = useState<QueryState>({ loading: false, error: null, response: null, elapsedMs: null, query: null });
  const ctrl = useRef<AbortController | null>(null);
  const run = useCallback(async (q: string, opts: Omit<QueryOptions, 'signal'> = {}, exec?: (signal: AbortSignal) => Promise<QueryResponse>) => {
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    setState((s) => ({ ...s, loading: true, error: null }));
    const t0 = performance.now();
    try {
      const response = exec ? await exec(c.signal) : await influxql(q, { ...opts, signal: c.signal });
      if (ctrl.current !== c) return;
      setState({ loading: false, error: null, response, elapsedMs: performance.now() - t0, query: q });
    } catch (e) {
      if (ctrl.current !== c) return;
      const aborted = (e as Error).name === 'AbortError';
      setState((s) => ({
        ...s,
        loading: false,
        error: aborted ? 'Query cancelled' : (e as Error).message,
        elapsedMs: performance.now() - t0,
        query: q,
      }));
    }
  }, []);
  const cancel = useCallback(() => ctrl.current?.abort(), []);
  useEffect(() => () => ctrl.current?.abort(), []);
  return { state, run, cancel };
}

/** Calls `f` every `ms` milliseconds (0 = off). */
export function useInterval(f: () => void, ms: number): void {
  const saved = useRef(f);
  saved.current = f;
  useEffect(() => {
    if (!ms) return;
    const id = setInterval(() => saved.current(), ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** Auto-refresh choices. */
export const REFRESH_CHOICES: { ms: number; label: string }[] = [
  { ms: 0, label: 'Off' },
  { ms: 5000, label: '5s' },
  { ms: 10000, label: '10s' },
  { ms: 30000, label: '30s' },
  { ms: 60000, label: '1m' },
  { ms: 300000, label: '5m' },
];

/** Loads something asynchronously; `reload` runs it again. */
export function useAsync<T>(f: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const c = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    f(c.signal).then(
      (data) => !c.signal.aborted && setState({ data, error: null, loading: false }),
      (e) => !c.signal.aborted && setState({ data: null, error: (e as Error).message, loading: false }),
    );
    return () => c.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** Light/dark theme, remembered in localStorage. */
export function useTheme(): [string, () => void] {
  const initial = localStorage.getItem('almanac.theme') ?? (matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark');
  const [theme, setTheme] = useState(initial);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('almanac.theme', theme);
  }, [theme]);
  return [theme, () => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))];
}
