"""`almanac agent` (the Telegraf-compatible collector) against a real
`almanac server`, both the real binary ($ALMANAC_BIN):

- host inputs (cpu, mem, system, disk) arrive through the influxdb output with
  Telegraf's names and the host tag;
- an outage (server down, then up) loses nothing that fits in the buffer;
- the disk buffer survives `kill -9` of the agent while the server is down;
- the influxdb_v2 output writes through /api/v2/write with bucket "db/rp".
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from e2e_util import almanac_bin, unique

AGENT_EXIT_TIMEOUT = 30


class AgentProc:
    """One `almanac agent --config FILE` process; output goes to a log file."""

    def __init__(self, tmp: Path, name: str, config: str):
        self.config_path = tmp / f"{name}.conf"
        self.config_path.write_text(config)
        self.log_path = tmp / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *extra: str) -> "AgentProc":
        log = open(self.log_path, "ab", buffering=0)
        env = dict(os.environ)
        env.setdefault("NO_COLOR", "1")
        self.proc = subprocess.Popen(
            [str(almanac_bin()), "agent", "--config", str(self.config_path), *extra],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
        )
        log.close()
        return self

    def wait(self, timeout: float = AGENT_EXIT_TIMEOUT) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> int:
        """SIGTERM (graceful: outputs flush) and the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""


@pytest.fixture
def agents(tmp_path):
    started: list[AgentProc] = []

    def make(name: str, config: str) -> AgentProc:
        a = AgentProc(tmp_path, name, config)
        started.append(a)
        return a

    yield make
    for a in started:
        a.kill9()


def rows(server, db: str, q: str) -> list[dict]:
    """Rows of every series of an InfluxQL query, as dicts (tags of GROUP BY included)."""
    r = server.influxql(q, db=db)
    assert r.status_code == 200, r.text
    res = r.json()["results"][0]
    assert "error" not in res, (q, res)
    out = []
    for s in res.get("series", []):
        for v in s["values"]:
            row = dict(zip(s["columns"], v))
            row.update(s.get("tags") or {})
            out.append(row)
    return out


def count_of(server, db: str, measurement: str, field: str) -> int:
    got = rows(server, db, f'SELECT count("{field}") FROM "{measurement}"')
    return int(got[0]["count"]) if got else 0


def wait_for(pred, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def counted_exec_script(tmp: Path, runs: int, per_run: int) -> tuple[Path, Path]:
    """A shell script for inputs.exec: on each of its first `runs` calls it prints
    `per_run` metrics (`seq_metric,run=R,seq=I v=1i`), afterwards nothing. Returns the
    script and its state file (number of calls that produced metrics)."""
    state = tmp / "exec_runs"
    script = tmp / "gen.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'f="{state}"\n'
        'n=$(cat "$f" 2>/dev/null || echo 0)\n'
        f'if [ "$n" -ge {runs} ]; then exit 0; fi\n'
        "n=$((n+1))\n"
        'echo "$n" > "$f"\n'
        "i=0\n"
        f'while [ "$i" -lt {per_run} ]; do\n'
        '  echo "seq_metric,run=$n,seq=$i v=1i"\n'
        "  i=$((i+1))\n"
        "done\n"
    )
    script.chmod(0o755)
    return script, state


def runs_done(state: Path) -> int:
    try:
        return int(state.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def test_host_inputs_arrive_with_telegraf_names(server, agents):
    db = server.create_db(unique("agent"))
    a = agents(
        "host",
        f"""
[agent]
  interval = "1s"
  round_interval = false
  flush_interval = "500ms"
  hostname = "e2e-agent-host"
[[outputs.influxdb]]
  urls = ["{server.url}"]
  database = "{db}"
[[inputs.cpu]]
  percpu = false
  totalcpu = true
[[inputs.mem]]
[[inputs.system]]
[[inputs.disk]]
""",
    ).start()
    # cpu usage needs two samples: wait for it, then stop gracefully
    wait_for(
        lambda: rows(server, db, 'SELECT "usage_user" FROM "cpu"'),
        30,
        "cpu usage_user",
    )
    assert a.stop() == 0, a.log()

    names = {r["name"] for r in rows(server, db, "SHOW MEASUREMENTS")}
    assert {"cpu", "mem", "system", "disk"} <= names, names

    cpu = rows(server, db, 'SELECT "usage_user", "usage_idle" FROM "cpu" GROUP BY "cpu", "host"')
    assert cpu, "no cpu rows"
    for r in cpu:
        assert r["cpu"] == "cpu-total"
        assert r["host"] == "e2e-agent-host"
        assert 0.0 <= r["usage_user"] <= 100.0, r
        assert 0.0 <= r["usage_idle"] <= 100.0, r

    mem = rows(server, db, 'SELECT "used_percent", "total" FROM "mem" GROUP BY "host"')
    assert mem and all(r["host"] == "e2e-agent-host" for r in mem)
    assert all(0.0 < r["used_percent"] < 100.0 and r["total"] > 0 for r in mem), mem

    system = rows(server, db, 'SELECT "load1", "n_cpus", "uptime" FROM "system" GROUP BY "host"')
    assert system and all(r["host"] == "e2e-agent-host" for r in system)
    assert all(r["load1"] is not None and r["load1"] >= 0 for r in system), system
    assert all(r["n_cpus"] >= 1 for r in system if r["n_cpus"] is not None), system

    disk = rows(server, db, 'SELECT "used_percent" FROM "disk" GROUP BY "path"')
    assert disk and all(0.0 <= r["used_percent"] <= 100.0 for r in disk), disk


def test_outage_loses_nothing_within_the_buffer(server, agents, tmp_path):
    runs, per_run = 5, 40
    db = server.create_db(unique("outage"))
    assert server.stop() == 0
    script, state = counted_exec_script(tmp_path, runs, per_run)
    a = agents(
        "outage",
        f"""
[agent]
  interval = "300ms"
  round_interval = false
  flush_interval = "300ms"
  metric_buffer_limit = 10000
  omit_hostname = true
[[outputs.influxdb]]
  urls = ["{server.url}"]
  database = "{db}"
  timeout = "2s"
[[inputs.exec]]
  commands = ["{script}"]
  data_format = "influx"
""",
    ).start()
    # every metric is gathered while the server is down
    wait_for(lambda: runs_done(state) >= runs, 30, "all exec runs")
    time.sleep(1.0)
    assert a.alive(), a.log()
    assert "write failed" in a.log() or "connecting" in a.log(), a.log()

    server.start()
    expected = runs * per_run
    wait_for(
        lambda: count_of(server, db, "seq_metric", "v") >= expected,
        30,
        f"{expected} metrics after the outage",
    )
    assert a.stop() == 0, a.log()
    assert count_of(server, db, "seq_metric", "v") == expected
    per = rows(server, db, 'SELECT count("v") FROM "seq_metric" GROUP BY "run"')
    assert sorted(int(r["run"]) for r in per) == list(range(1, runs + 1))
    assert all(int(r["count"]) == per_run for r in per), per


def wal_records(directory: Path) -> int:
    """Data records in the agent's write-ahead buffer files."""
    n = 0
    for f in directory.glob("*.wal"):
        n += sum(1 for line in f.read_bytes().split(b"\n") if line.startswith(b"D "))
    return n


def test_disk_buffer_survives_kill9_of_the_agent(server, agents, tmp_path):
    runs, per_run = 3, 50
    expected = runs * per_run
    db = server.create_db(unique("crash"))
    assert server.stop() == 0
    script, state = counted_exec_script(tmp_path, runs, per_run)
    buf_dir = tmp_path / "agent-buffer"
    config = f"""
[agent]
  interval = "300ms"
  round_interval = false
  flush_interval = "300ms"
  omit_hostname = true
  buffer_strategy = "disk"
  buffer_directory = "{buf_dir}"
[[outputs.influxdb]]
  urls = ["{server.url}"]
  database = "{db}"
  timeout = "2s"
[[inputs.exec]]
  commands = ["{script}"]
  data_format = "influx"
"""
    first = agents("crash-1", config).start()
    wait_for(lambda: runs_done(state) >= runs, 30, "all exec runs")
    wait_for(lambda: wal_records(buf_dir) >= expected, 10, "metrics in the write-ahead file")
    first.kill9()  # no graceful flush: only the write-ahead file has them

    server.start()
    assert count_of(server, db, "seq_metric", "v") == 0
    second = agents("crash-2", config).start()
    wait_for(
        lambda: count_of(server, db, "seq_metric", "v") >= expected,
        30,
        f"{expected} metrics after the restart",
    )
    assert second.stop() == 0, second.log()
    assert count_of(server, db, "seq_metric", "v") == expected
    assert "restored" in second.log(), second.log()
    # delivered: the buffer file holds nothing for a third start
    assert wal_records(buf_dir) == 0


def test_influxdb_v2_output_with_db_rp_bucket(server, agents, tmp_path):
    db = server.create_db(unique("v2out"))
    src = tmp_path / "points.lp"
    base = 1_704_067_200_000_000_000
    src.write_text("".join(f"v2m,k=a{i % 3} x={i}i {base + i * 10**9}\n" for i in range(30)))
    a = agents(
        "v2",
        f"""
[agent]
  omit_hostname = true
[[outputs.influxdb_v2]]
  urls = ["{server.url}"]
  token = "any-token"
  organization = "any-org"
  bucket = "{db}/autogen"
[[inputs.file]]
  files = ["{src}"]
  data_format = "influx"
""",
    ).start("--once")
    assert a.wait() == 0, a.log()
    assert count_of(server, db, "v2m", "x") == 30
    got = rows(server, db, 'SELECT sum("x") FROM "v2m" GROUP BY "k"')
    assert {r["k"]: int(r["sum"]) for r in got} == {
        "a0": sum(i for i in range(30) if i % 3 == 0),
        "a1": sum(i for i in range(30) if i % 3 == 1),
        "a2": sum(i for i in range(30) if i % 3 == 2),
    }
