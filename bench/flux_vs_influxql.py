#!/usr/bin/env python3
"""Flux vs InfluxQL latency on TSBS-like cpu data (one server, same questions).

Generates `--hosts` hosts × `--hours` hours of TSBS cpu-only rows (10 fields,
one row per host every 10 s), writes them to database `bench` of a running
server, then times each query type in Flux (/api/v2/query) and InfluxQL
(/query), checks that both give the same values, and prints median latencies
and the Flux/InfluxQL ratio.

    python3 bench/flux_vs_influxql.py --url http://127.0.0.1:8086 [--hosts 100 --hours 12]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import time

import requests

FIELDS = ["usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
          "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"]
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
T0_RFC = "2024-01-01T00:00:00Z"


def load(url: str, hosts: int, hours: int) -> None:
    requests.post(f"{url}/query", data={"q": "CREATE DATABASE bench"}).raise_for_status()
    rnd = random.Random(42)
    state = [[rnd.uniform(0, 100) for _ in FIELDS] for _ in range(hosts)]
    batch: list[str] = []
    steps = hours * 360
    for step in range(steps):
        ts = (T0 + step * 10) * 10**9
        for h in range(hosts):
            vals = state[h]
            for i in range(len(vals)):
                vals[i] = min(100.0, max(0.0, vals[i] + rnd.uniform(-1, 1)))
            fields = ",".join(f"{f}={v:.3f}" for f, v in zip(FIELDS, vals))
            batch.append(f"cpu,hostname=host_{h},region=r{h % 3},datacenter=d{h % 7} {fields} {ts}")
            if len(batch) >= 5000:
                requests.post(f"{url}/write?db=bench", data="\n".join(batch)).raise_for_status()
                batch.clear()
    if batch:
        requests.post(f"{url}/write?db=bench", data="\n".join(batch)).raise_for_status()


def flux_values(text: str) -> list[float]:
    rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0] == ""]
    header = rows[0]
    i = header.index("_value")
    return sorted(float(r[i]) for r in rows[1:] if r[1] != "result" and r[i] != "")


def influxql_values(body: dict) -> list[float]:
    out = []
    for res in body["results"]:
        for s in res.get("series", []):
            for row in s["values"]:
                out.extend(float(v) for v in row[1:] if v is not None)
    return sorted(out)


def timed(fn, runs: int):
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8086")
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--hours", type=int, default=12)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-load", action="store_true")
    a = ap.parse_args()
    if not a.skip_load:
        t = time.perf_counter()
        load(a.url, a.hosts, a.hours)
        print(f"loaded {a.hosts * a.hours * 360} rows in {time.perf_counter() - t:.1f} s")
    stop = f"2024-01-01T{a.hours:02d}:00:00Z" if a.hours < 24 else "2024-01-02T00:00:00Z"
    one_h = "2024-01-01T01:00:00Z"
    cases = [
        # (name, flux, influxql)
        ("single-groupby-1-1-1 (1 host, 1 field, 1 h, max/1m)",
         f'from(bucket: "bench") |> range(start: {T0_RFC}, stop: {one_h}) '
         '|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_user" and r.hostname == "host_7") '
         '|> aggregateWindow(every: 1m, fn: max, createEmpty: false)',
         f"SELECT max(usage_user) FROM cpu WHERE hostname = 'host_7' AND time >= '{T0_RFC}' "
         f"AND time < '{one_h}' GROUP BY time(1m)"),
        (f"single-groupby-1-1-{a.hours} (1 host, 1 field, {a.hours} h, max/1m)",
         f'from(bucket: "bench") |> range(start: {T0_RFC}, stop: {stop}) '
         '|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_user" and r.hostname == "host_7") '
         '|> aggregateWindow(every: 1m, fn: max, createEmpty: false)',
         f"SELECT max(usage_user) FROM cpu WHERE hostname = 'host_7' AND time >= '{T0_RFC}' "
         f"AND time < '{stop}' GROUP BY time(1m)"),
        ("single-groupby-5-1-1 (1 host, 5 fields, 1 h, max/1m)",
         f'from(bucket: "bench") |> range(start: {T0_RFC}, stop: {one_h}) '
         '|> filter(fn: (r) => r._measurement == "cpu" and r.hostname == "host_7" and '
         '(r._field == "usage_user" or r._field == "usage_system" or r._field == "usage_idle" or '
         'r._field == "usage_nice" or r._field == "usage_iowait")) '
         '|> aggregateWindow(every: 1m, fn: max, createEmpty: false)',
         "SELECT max(usage_user), max(usage_system), max(usage_idle), max(usage_nice), "
         f"max(usage_iowait) FROM cpu WHERE hostname = 'host_7' AND time >= '{T0_RFC}' "
         f"AND time < '{one_h}' GROUP BY time(1m)"),
        ("lastpoint-ish (last usage_user per host, 1 h)",
         f'from(bucket: "bench") |> range(start: {T0_RFC}, stop: {one_h}) '
         '|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_user") |> last()',
         f"SELECT last(usage_user) FROM cpu WHERE time >= '{T0_RFC}' AND time < '{one_h}' "
         "GROUP BY hostname"),
    ]
    print(f"{'query':58} {'flux ms':>9} {'influxql ms':>12} {'ratio':>6}")
    for name, fq, iq in cases:
        def run_flux():
            r = requests.post(f"{a.url}/api/v2/query", data=fq,
                              headers={"Content-Type": "application/vnd.flux"})
            r.raise_for_status()
            return flux_values(r.text)

        def run_iql():
            r = requests.get(f"{a.url}/query", params={"db": "bench", "q": iq})
            r.raise_for_status()
            return influxql_values(r.json())

        run_flux(), run_iql()  # warm up
        tf, vf = timed(run_flux, a.runs)
        ti, vi = timed(run_iql, a.runs)
        same = len(vf) == len(vi) and all(abs(x - y) < 1e-9 for x, y in zip(vf, vi))
        print(f"{name:58} {tf * 1000:9.1f} {ti * 1000:12.1f} {tf / ti:6.2f}"
              f"{'' if same else '  VALUES DIFFER'} ({len(vf)} values)")


if __name__ == "__main__":
    main()
