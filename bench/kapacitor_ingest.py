#!/usr/bin/env python3
"""Ingest slowdown caused by a Kapacitor stream task (issue 8's benchmark).

Loads the TSBS cpu-only data set into a fresh `almanac server` twice per
round: once with no task ("baseline") and once with a stream task that
windows, averages and alerts on every host ("task"), the order alternating
between rounds so that drift on the machine hits both sides alike. For the
task runs it also waits until the task has consumed every written point and
reports the task's throughput in points (events) per second from the task's
own node statistics (`GET /kapacitor/v1/tasks/<id>`).

Usage (release binaries; standard library only):

    python3 bench/kapacitor_ingest.py \\
        --almanac-bin target/release/almanac --bench-bin target/release/almanac-bench

Writes bench/results/kapacitor-ingest-<date>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

TASK_ID = "bench_cpu_alert"

# The stream task of the benchmark: per host, one-minute windows of the
# points, their mean usage_user, and an alert with two levels on it.
TASK_SCRIPT = """dbrp "benchmark"."autogen"

stream
    |from()
        .measurement('cpu')
        .groupBy('hostname')
    |window()
        .period(1m)
        .every(1m)
    |mean('usage_user')
        .as('mean')
    |alert()
        .warn(lambda: "mean" > 70)
        .crit(lambda: "mean" > 90)
        .stateChangesOnly()
        .log('{log}')
"""


def log(msg: str) -> None:
    print(f"==> {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None) -> tuple[int, dict | None]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"error": raw.decode(errors="replace")}


class Server:
    """One `almanac server` on a fresh data directory."""

    def __init__(self, binary: Path, root: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = root / "data"
        self.log_path = root / "server.log"
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(binary), "server", "--data-dir", str(self.data),
             "--http-bind", f"127.0.0.1:{self.port}"],
            stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited during startup; see {self.log_path}")
            try:
                if http("GET", self.url + "/ping")[0] == 204:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer /ping within 60 s; see {self.log_path}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


def node_stats(url: str) -> dict:
    status, body = http("GET", f"{url}/kapacitor/v1/tasks/{TASK_ID}")
    if status != 200 or body is None:
        raise RuntimeError(f"GET task answered {status}: {body}")
    if body.get("error"):
        raise RuntimeError(f"task {TASK_ID} failed: {body['error']}")
    return body.get("stats", {}).get("node-stats", {})


def collected_by(stats: dict, prefix: str) -> int:
    return sum(int(v.get("collected", 0)) for k, v in stats.items() if k.startswith(prefix))


def run_once(args, mode: str, lp: Path, work: Path) -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=work))
    server = Server(args.almanac_bin, root)
    try:
        if mode == "task":
            script = TASK_SCRIPT.format(log=root / "alerts.log")
            status, body = http("POST", server.url + "/kapacitor/v1/tasks", {
                "id": TASK_ID, "type": "stream", "status": "enabled", "script": script})
            if status != 200:
                raise RuntimeError(f"defining the task answered {status}: {body}")
        load_json = root / "load.json"
        subprocess.run(
            [str(args.bench_bin), "load", "--url", server.url, "--db", "benchmark",
             "--create-db", "--workers", str(args.workers), "--batch-size",
             str(args.batch_size), "--gzip", "--file", str(lp), "--json", str(load_json),
             "--quiet"], check=True)
        load_done = time.monotonic()
        load = json.loads(load_json.read_text())
        result = {
            "mode": mode,
            "lines": load["lines"],
            "values_per_sec": load["values_per_sec"],
            "wall_seconds": load["wall_seconds"],
            "failed_batches": load.get("failed_batches", 0),
        }
        if mode == "task":
            # Wait until the task has consumed every line written (the
            # stream is asynchronous), then take its throughput.
            deadline = load_done + args.catch_up_timeout
            consumed = 0
            while time.monotonic() < deadline:
                consumed = collected_by(node_stats(server.url), "from")
                if consumed >= load["lines"]:
                    break
                time.sleep(0.05)
            caught_up = time.monotonic()
            stats = node_stats(server.url)
            result.update({
                "task_points": consumed,
                "task_caught_up": consumed >= load["lines"],
                "catch_up_seconds": round(caught_up - load_done, 3),
                # Points per second from the start of the timed load to the
                # moment the task had consumed them all.
                "task_events_per_sec": round(
                    consumed / (load["wall_seconds"] + (caught_up - load_done)), 1),
                "windows_emitted": collected_by(stats, "mean"),
                "alert_node_stats": {k: v for k, v in stats.items() if k.startswith("alert")},
            })
        return result
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--almanac-bin", type=Path, default=Path("target/release/almanac"))
    p.add_argument("--bench-bin", type=Path, default=Path("target/release/almanac-bench"))
    p.add_argument("--scale", type=int, default=100)
    p.add_argument("--duration", default="12h")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--catch-up-timeout", type=float, default=300.0,
                   help="seconds to wait after the load for the task to consume every point")
    p.add_argument("--results-dir", type=Path, default=Path("bench/results"))
    p.add_argument("--work-dir", type=Path, default=None)
    p.add_argument("--keep", action="store_true", help="keep the data directories")
    args = p.parse_args()
    for b in (args.almanac_bin, args.bench_bin):
        if not b.is_file():
            p.error(f"{b}: no such binary (build with cargo build --release)")

    work = Path(tempfile.mkdtemp(prefix="almanac-kapacitor-ingest.", dir=args.work_dir))
    lp = work / "cpu-only.lp"
    log(f"generating TSBS cpu-only: {args.scale} hosts × {args.duration} → {lp}")
    subprocess.run([str(args.bench_bin), "gen", "--use-case", "cpu-only", "--scale",
                    str(args.scale), "--duration", args.duration, "--out", str(lp)], check=True)
    loadavg_before = os.getloadavg()
    runs = []
    for r in range(args.rounds):
        order = ("baseline", "task") if r % 2 == 0 else ("task", "baseline")
        for mode in order:
            res = run_once(args, mode, lp, work)
            res["round"] = r + 1
            runs.append(res)
            extra = ""
            if mode == "task":
                extra = (f", task consumed {res['task_points']} points at "
                         f"{res['task_events_per_sec']:,.0f}/s, caught up "
                         f"{res['catch_up_seconds']} s after the load")
            log(f"round {r + 1} {mode}: {res['values_per_sec']:,.0f} values/s{extra}")
    loadavg_after = os.getloadavg()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    def med(mode: str, key: str) -> float:
        return statistics.median(x[key] for x in runs if x["mode"] == mode)

    base = med("baseline", "values_per_sec")
    task = med("task", "values_per_sec")
    summary = {
        "baseline_values_per_sec_median": base,
        "task_values_per_sec_median": task,
        "task_over_baseline": round(task / base, 4),
        "slowdown_percent": round(100 * (1 - task / base), 2),
        "task_events_per_sec_median": med("task", "task_events_per_sec"),
        "catch_up_seconds_median": med("task", "catch_up_seconds"),
        "all_caught_up": all(x.get("task_caught_up", True) for x in runs),
    }
    command = " ".join(["python3", "bench/kapacitor_ingest.py", *sys.argv[1:]])
    doc = {
        "benchmark": "kapacitor-ingest",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "machine": {"nproc": os.cpu_count(), "kernel": platform.release(),
                    "loadavg_before": loadavg_before, "loadavg_after": loadavg_after},
        "dataset": {"use_case": "cpu-only", "scale": args.scale, "duration": args.duration},
        "task_script": TASK_SCRIPT,
        "runs": runs,
        "summary": summary,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"kapacitor-ingest-{time.strftime('%Y-%m-%d', time.gmtime())}.json"
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"| runs | baseline values/s (median) | with task values/s (median) | task ÷ baseline "
          f"| slowdown | task events/s (median) | catch-up after load (median) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {args.rounds} + {args.rounds} | {base:,.0f} | {task:,.0f} | "
          f"{summary['task_over_baseline']:.3f} | {summary['slowdown_percent']:.1f}% | "
          f"{summary['task_events_per_sec_median']:,.0f} | "
          f"{summary['catch_up_seconds_median']} s |")
    print(f"\nCommand: `{command}`; results: {out}")
    return 0 if summary["all_caught_up"] else 1


if __name__ == "__main__":
    sys.exit(main())
