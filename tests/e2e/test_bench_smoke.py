"""Smoke run of the benchmark harness (`almanac-bench`, crate bench/) at tiny
scale: it checks that the harness works end to end, not how fast anything is.

- `gen` writes the TSBS cpu-only data set;
- `load` writes it to a fresh Almanac server;
- `query` runs every TSBS devops query type against it and requires a
  successful answer to each (non-empty, except high-cpu-* whose threshold
  may rightly match nothing);
- `compare` runs Almanac and influxd (Debian `influxdb`, when installed)
  with the same data and queries, cross-checks their answers, and writes
  the JSON result; `report` turns it into Markdown tables and SVG charts.

The bench binary sits next to $ALMANAC_BIN (both come from
`cargo build --workspace --bins`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e_util import almanac_bin

HOSTS = 2
DURATION = "10m"
ALL_TYPES = [
    "single-groupby-1-1-1",
    "single-groupby-1-1-12",
    "single-groupby-1-8-1",
    "single-groupby-5-1-1",
    "single-groupby-5-1-12",
    "single-groupby-5-8-1",
    "cpu-max-all-1",
    "cpu-max-all-8",
    "double-groupby-1",
    "double-groupby-5",
    "double-groupby-all",
    "high-cpu-1",
    "high-cpu-all",
    "lastpoint",
    "groupby-orderby-limit",
]
MAY_BE_EMPTY = {"high-cpu-1", "high-cpu-all"}


def bench_bin() -> Path:
    path = almanac_bin().parent / "almanac-bench"
    if not path.exists():
        pytest.fail(f"almanac-bench not found at {path}: run `cargo build --workspace --bins`", pytrace=False)
    return path


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bench_bin()), *args], capture_output=True, text=True, timeout=timeout
    )


def test_gen_writes_the_data_set(tmp_path):
    out = tmp_path / "cpu.lp"
    r = run("gen", "--scale", str(HOSTS), "--duration", DURATION, "--out", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == HOSTS * 60
    assert lines[0].startswith("cpu,hostname=host_0,region=")
    assert " usage_user=" in lines[0] and lines[0].endswith("1451606400000000000")


def test_load_then_every_query_type(server, tmp_path):
    r = run(
        "load", "--url", server.url, "--create-db", "--scale", str(HOSTS),
        "--duration", DURATION, "--gzip", "--quiet", "--batch-size", "50",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "loaded 120 lines (1200 field values" in r.stdout

    report = tmp_path / "query.json"
    r = run(
        "query", "--url", server.url, "--scale", str(HOSTS), "--duration", DURATION,
        "--queries", "2", "--workers", "2", "--json", str(report),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads(report.read_text())
    assert result["failed"] == 0
    types = {t["query_type"]: t for t in result["types"]}
    assert list(types) == ALL_TYPES
    for name, t in types.items():
        assert t["queries"] == 2 and t["ok"] == 2 and t["failed"] == 0, (name, t)
        assert t["latency"]["p50_ms"] > 0
        if name not in MAY_BE_EMPTY:
            assert t["rows"] > 0 and t["empty"] == 0, (name, t)
    # lastpoint: one row per host.
    assert types["lastpoint"]["rows"] == 2 * HOSTS
    # groupby-orderby-limit: five 1-minute buckets.
    assert types["groupby-orderby-limit"]["rows"] == 2 * 5


def test_query_reports_failures_as_failures(server, tmp_path):
    # No data and no database: every answer is an error, none is a zero.
    r = run(
        "query", "--url", server.url, "--db", "missing_db", "--scale", str(HOSTS),
        "--duration", DURATION, "--queries", "1", "--types", "lastpoint,cpu-max-all-1",
        "--json", str(tmp_path / "q.json"),
    )
    assert r.returncode == 1, r.stdout + r.stderr
    result = json.loads((tmp_path / "q.json").read_text())
    assert result["failed"] == 2
    for t in result["types"]:
        assert t["failed"] == 1 and t["ok"] == 0 and t["latency"] is None
        assert t["errors"], t


def test_compare_with_influxd_and_report(tmp_path):
    targets = "almanac,influxd"
    if shutil.which("influxd") is None:
        pytest.skip("influxd (Debian package influxdb) is not installed")
    results = tmp_path / "results"
    r = run(
        "compare", "--almanac-bin", str(almanac_bin()), "--targets", targets,
        "--scale", str(HOSTS), "--duration", DURATION, "--queries", "2",
        "--query-workers", "2", "--query-warmup-secs", "0.05", "--cross-check", "2",
        "--results-dir", str(results),
        "--work-dir", str(tmp_path), "--settle-timeout-secs", "40", "--strict",
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    [path] = list(results.glob("compare-*.json"))
    result = json.loads(path.read_text())
    by_name = {t["target"]: t for t in result["targets"]}
    assert set(by_name) == {"almanac", "influxd"}
    for name, t in by_name.items():
        assert t["errors"] == [], (name, t["errors"])
        assert t["load"]["lines"] == HOSTS * 60 and t["load"]["failed_batches"] == 0
        assert t["persisted"]["data_bytes"] > 0, name
        assert t["ingest_peak_rss_bytes"] > 0
        assert t["queries"]["failed"] == 0
        assert [x["query_type"] for x in t["queries"]["types"]] == ALL_TYPES
    assert by_name["almanac"]["persisted"]["files"] >= 1
    # `almanac compact` ran after the queries: one file, measured again.
    compacted = by_name["almanac"]["compacted"]
    assert compacted["method"] == "almanac compact" and compacted["files"] == 1, compacted
    assert 0 < compacted["data_bytes"], compacted
    cc = result["cross_check"]
    assert cc["compared"] == 2 * len(ALL_TYPES) and cc["mismatches"] == 0, cc

    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nHand-written intro.\n")
    r = run("report", "--results-dir", str(results), "--doc", str(doc))
    assert r.returncode == 0, r.stderr
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written intro.")
    assert "<!-- BEGIN generated: compare -->" in text
    assert "| ingest values/s (higher is better) |" in text
    assert "| lastpoint |" in text
    for svg in ("compare-ingest.svg", "compare-queries.svg"):
        assert (results / svg).read_text().startswith("<svg")
