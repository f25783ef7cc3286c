"""Debian's `influxd` 1.6.7 (package `influxdb`) as a reference server for
differential tests.

`ReferenceServer` starts `influxd` in a temp dir on free loopback ports. Its
config comes from `influxd config`, rewritten so that nothing touches the
system: every `dir`/`wal-dir` points into the temp dir, every `bind-address`
(the top-level RPC one on 8088, HTTP, and the disabled listeners) is a free
127.0.0.1 port, the unix socket is off, and `[monitor] store-enabled` and
reporting are disabled (so there is no `_internal` database).

Fixture: `reference_server` (module scope). It skips the test, with the
reason, when `influxd` is not installed and cannot be installed (root +
`apt-get install influxdb influxdb-client`; `scripts/test` installs the
packages itself).

Import it into a test module: `from reference import reference_server`.
Also here: `load_dataset` / `load_into`, which read an export-format file
(`# DDL`, `# DML`, `# CONTEXT-DATABASE:`, `# CONTEXT-RETENTION-POLICY:`) such
as `fixtures/influxql_dataset.lp` (DATASET) and load it into a server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from e2e_util import free_port

DATASET = Path(__file__).resolve().parent / "fixtures" / "influxql_dataset.lp"
STARTUP_TIMEOUT = 60  # seconds for influxd to answer /ping
HTTP_TIMEOUT = 30

_INSTALL_TRIED = False
_INSTALL_ERROR: str | None = None


def _try_install() -> str | None:
    """Installs the Debian packages once per run when possible; returns why
    not otherwise."""
    global _INSTALL_TRIED, _INSTALL_ERROR
    if not _INSTALL_TRIED:
        _INSTALL_TRIED = True
        _INSTALL_ERROR = _install()
    return _INSTALL_ERROR


def _install() -> str | None:
    if os.geteuid() != 0:
        return "not root, cannot apt-get install influxdb influxdb-client"
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "influxdb", "influxdb-client"]
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"apt-get install failed: {e}"
    if r.returncode != 0:
        return f"apt-get install influxdb influxdb-client failed: {r.stderr.strip()[-300:]}"
    return None


def find_binary(name: str) -> str | None:
    """Path of `influxd` / `influx`, installing the Debian packages once if
    they are missing and this process may; None when they cannot be had."""
    path = shutil.which(name)
    if path is None and _try_install() is None:
        path = shutil.which(name)
    return path


def make_config(base: str, root: Path, http_port: int) -> str:
    """Rewrites `influxd config` output for an isolated instance under `root`."""
    out: list[str] = []
    section = ""
    for line in base.splitlines():
        stripped = line.strip()
        m = re.match(r"^\[\[?([A-Za-z_-]+)\]?\]$", stripped)
        if m:
            section = m.group(1)
            out.append(line)
            continue
        key = stripped.split("=", 1)[0].strip() if "=" in stripped else ""
        indent = line[: len(line) - len(line.lstrip())]
        if key == "bind-address":
            port = http_port if section == "http" else free_port()
            line = f'{indent}bind-address = "127.0.0.1:{port}"'
        elif key == "reporting-enabled":
            line = f"{indent}reporting-enabled = false"
        elif key == "dir" or key == "wal-dir":
            line = f'{indent}{key} = "{root / (section + "-" + key)}"'
        elif section == "monitor" and key == "store-enabled":
            line = f"{indent}store-enabled = false"
        elif section == "http" and key == "unix-socket-enabled":
            line = f"{indent}unix-socket-enabled = false"
        elif section == "http" and key == "bind-socket":
            line = f'{indent}bind-socket = "{root / "influxd.sock"}"'
        elif section == "http" and key in ("log-enabled", "pprof-enabled"):
            line = f"{indent}{key} = false"
        elif section == "data" and key in ("query-log-enabled", "trace-logging-enabled"):
            line = f"{indent}{key} = false"
        elif section == "logging" and key == "level":
            line = f'{indent}level = "warn"'
        elif section == "logging" and key == "suppress-logo":
            line = f"{indent}suppress-logo = true"
        elif key == "enabled" and section in ("ifql", "retention", "shard-precreation"):
            # Nothing may run on its own and change what queries see.
            line = f"{indent}enabled = false"
        out.append(line)
    return "\n".join(out) + "\n"


def load_dataset(path: Path = DATASET):
    """(ddl statements, [(db, rp, [lines])]) of an export-format file."""
    ddl: list[str] = []
    batches: list[tuple[str, str, list[str]]] = []
    section = None
    db = rp = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.strip() == "# DDL":
                section = "ddl"
            elif line.strip() == "# DML":
                section = "dml"
            elif line.startswith("# CONTEXT-DATABASE:"):
                db = line.split(":", 1)[1].strip()
            elif line.startswith("# CONTEXT-RETENTION-POLICY:"):
                rp = line.split(":", 1)[1].strip()
            continue
        if section == "ddl":
            ddl.append(line)
        elif section == "dml":
            if not batches or batches[-1][:2] != (db, rp):
                batches.append((db, rp, []))
            batches[-1][2].append(line)
    return ddl, batches


def load_into(server, ddl, batches) -> None:
    """Runs the DDL and writes the points over HTTP (almanac or influxd)."""
    for stmt in ddl:
        r = server.influxql(stmt)
        assert r.status_code == 200 and "error" not in r.json()["results"][0], \
            f"{stmt}: {r.status_code} {r.text}"
    for db, rp, lines in batches:
        for i in range(0, len(lines), 2000):
            body = "\n".join(lines[i:i + 2000]) + "\n"
            r = server.write(db, body, rp=rp)
            assert r.status_code == 204, f"write to {db}.{rp}: {r.status_code} {r.text}"


class ReferenceServer:
    """One `influxd` 1.6.7 process in its own directory."""

    def __init__(self, root: Path, binary: str):
        self.root = Path(root)
        self.binary = binary
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.url: str | None = None
        self.log_path = self.root / "influxd.log"
        self._log = None

    def start(self) -> "ReferenceServer":
        self.root.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.pop("INFLUXDB_CONFIG_PATH", None)
        base = subprocess.run(
            [self.binary, "config"], capture_output=True, text=True, timeout=60,
            env=env, cwd=str(self.root),
        ).stdout
        if "[http]" not in base:
            raise RuntimeError(f"`{self.binary} config` printed no config:\n{base[:500]}")
        last = ""
        for _attempt in range(3):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            conf = self.root / "influxdb.conf"
            conf.write_text(make_config(base, self.root, self.port))
            self._log = open(self.log_path, "ab", buffering=0)
            self.proc = subprocess.Popen(
                [self.binary, "run", "-config", str(conf)],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                cwd=str(self.root), env=env,
            )
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    if requests.get(self.url + "/ping", timeout=2).status_code == 204:
                        return self
                except requests.RequestException:
                    pass
                time.sleep(0.05)
            last = self.log_tail()
            self.close()
            if "address already in use" not in last:
                break
        raise RuntimeError(f"influxd did not start; log:\n{last}")

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")[-chars:]
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- HTTP helpers (same shape as e2e_util.Server's) --------------------

    def influxql(self, q: str, method: str = "POST", **params) -> requests.Response:
        if method == "POST":
            return requests.post(self.url + "/query", data={"q": q, **params},
                                 timeout=HTTP_TIMEOUT)
        return requests.get(self.url + "/query", params={"q": q, **params},
                            timeout=HTTP_TIMEOUT)

    def write(self, db: str, body, precision: str | None = None, rp: str | None = None,
              **params) -> requests.Response:
        params = {"db": db, **params}
        if precision is not None:
            params["precision"] = precision
        if rp is not None:
            params["rp"] = rp
        if isinstance(body, str):
            body = body.encode("utf-8")
        return requests.post(self.url + "/write", params=params, data=body,
                             timeout=HTTP_TIMEOUT)


@pytest.fixture(scope="module")
def reference_server(tmp_path_factory):
    """A fresh influxd 1.6.7 for the module; skips when it cannot be had."""
    binary = find_binary("influxd")
    if binary is None:
        pytest.skip(
            "influxd (Debian package influxdb 1.6.7) is not installed and could not be "
            f"installed ({_try_install() or 'unknown reason'}); scripts/test installs it"
        )
    ref = ReferenceServer(tmp_path_factory.mktemp("influxd"), binary)
    try:
        ref.start()
        yield ref
    finally:
        ref.close()
