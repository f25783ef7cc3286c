"""Helpers shared by the end-to-end tests: starting the real `almanac`
binary, and small HTTP helpers for writes, InfluxQL and SQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
COUNT_EXPR = "count(*)"
HTTP_TIMEOUT = 30  # seconds for one ordinary request
STARTUP_TIMEOUT = 60  # seconds for the server to answer /ping


def almanac_bin() -> Path:
    """The binary under test: $ALMANAC_BIN or target/debug/almanac."""
    raw = os.environ.get("ALMANAC_BIN", "target/debug/almanac")
    path = Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str = "db") -> str:
    """A fresh lowercase name (SQL folds unquoted identifiers to lowercase)."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


class ServerStartError(RuntimeError):
    pass


# Every server started in this test process, so a failing test can show logs
# and nothing is left running at the end.
ALL_SERVERS: list["Server"] = []
_ALL_LOCK = threading.Lock()


class Server:
    """One `almanac server` process on a data directory.

    Attributes: url, port, data_dir, proc, log_path, args (extra flags).
    """

    def __init__(self, binary: Path, data_dir: Path, log_path: Path, args=(), env=None):
        self.binary = Path(binary)
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.args = list(args)
        self.env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.url: str | None = None
        self.starts = 0
        self._log_file = None
        with _ALL_LOCK:
            ALL_SERVERS.append(self)

    # -- lifecycle -------------------------------------------------------

    def start(self, args=None, timeout: float = STARTUP_TIMEOUT) -> "Server":
        """Starts the process (on the previous port when it is free) and
        waits until /ping answers 204."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running")
        if args is not None:
            self.args = list(args)
        if not self.binary.exists():
            raise ServerStartError(
                f"almanac binary not found at {self.binary} "
                "(build it with `cargo build --workspace` or set ALMANAC_BIN)"
            )
        last_error = None
        for attempt in range(3):
            port = self.port if (self.port and attempt == 0) else free_port()
            try:
                self._spawn(port, timeout)
                return self
            except ServerStartError as e:
                last_error = e
                # Only retry when the port was taken; anything else is a real failure.
                if "Address already in use" not in self.log_since_start():
                    raise
        raise last_error  # type: ignore[misc]

    def _spawn(self, port: int, timeout: float) -> None:
        self.starts += 1
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab", buffering=0)
        header = (
            f"\n===== start #{self.starts} at {time.strftime('%H:%M:%S')}: port {port}, "
            f"args {' '.join(self.args) or '(none)'} =====\n"
        )
        self._log_file.write(header.encode())
        self._log_offset = self.log_path.stat().st_size
        env = dict(os.environ)
        env.pop("ALMANAC_CONFIG", None)
        env.setdefault("ALMANAC_LOG_LEVEL", "info")
        env.setdefault("NO_COLOR", "1")
        env.update(self.env)
        cmd = [
            str(self.binary),
            "server",
            "--data-dir",
            str(self.data_dir),
            "--http-bind",
            f"127.0.0.1:{port}",
            *self.args,
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=self._log_file,
            cwd=str(self.data_dir.parent),
            env=env,
        )
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise ServerStartError(
                    f"almanac exited with {code} during startup; log:\n{self.log_tail()}"
                )
            try:
                r = requests.get(self.url + "/ping", timeout=2)
                if r.status_code == 204:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.kill9()
                raise ServerStartError(
                    f"almanac did not answer /ping within {timeout}s; log:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then waits for a graceful exit; returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._close_log()
                raise AssertionError(f"almanac did not exit within {timeout}s of SIGTERM")
        self._close_log()
        return self.proc.returncode

    def kill9(self) -> None:
        """SIGKILL, no chance to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_log()

    def restart(self, args=None, graceful: bool = True) -> "Server":
        """Stops (SIGTERM, or SIGKILL when graceful=False) and starts again
        on the same data directory."""
        if graceful:
            code = self.stop()
            assert code == 0, f"almanac exited with {code} on SIGTERM; log:\n{self.log_tail()}"
        else:
            self.kill9()
        return self.start(args=args)

    def close(self) -> None:
        self.kill9()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # -- logs ------------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, chars: int = 20000) -> str:
        text = self.log_text()
        return text[-chars:]

    def log_since_start(self) -> str:
        """Log of the current (last) run only."""
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[getattr(self, "_log_offset", 0):].decode("utf-8", "replace")

    # -- HTTP helpers ------------------------------------------------------

    def ping(self) -> requests.Response:
        return requests.get(self.url + "/ping", timeout=HTTP_TIMEOUT)

    def influxql(self, q: str, method: str = "POST", **params) -> requests.Response:
        if method == "POST":
            return requests.post(
                self.url + "/query", data={"q": q, **params}, timeout=HTTP_TIMEOUT
            )
        return requests.get(self.url + "/query", params={"q": q, **params}, timeout=HTTP_TIMEOUT)

    def create_db(self, name: str | None = None, with_clause: str = "") -> str:
        name = name or unique()
        r = self.influxql(f'CREATE DATABASE "{name}" {with_clause}'.strip())
        assert r.status_code == 200, r.text
        body = r.json()
        assert "error" not in body["results"][0], body
        return name

    def write(self, db: str, body, precision: str | None = None, rp: str | None = None,
              headers=None, timeout: float = HTTP_TIMEOUT, **params) -> requests.Response:
        params = {"db": db, **params}
        if precision is not None:
            params["precision"] = precision
        if rp is not None:
            params["rp"] = rp
        if isinstance(body, str):
            body = body.encode("utf-8")
        return requests.post(self.url + "/write", params=params, data=body,
                             headers=headers or {}, timeout=timeout)

    def write_ok(self, db: str, body, **kw) -> None:
        r = self.write(db, body, **kw)
        assert r.status_code == 204, f"write failed: {r.status_code} {r.text}"

    def sql_response(self, db: str, q: str, fmt: str = "json") -> requests.Response:
        return requests.get(
            self.url + "/api/v3/query_sql",
            params={"db": db, "q": q, "format": fmt},
            timeout=HTTP_TIMEOUT,
        )

    def sql(self, db: str, q: str) -> list[dict]:
        """Rows of a SQL query as a list of dicts (JSON format); NULL columns
        are left out of a row whether or not the server writes them."""
        r = self.sql_response(db, q)
        assert r.status_code == 200, f"SQL {q!r} failed: {r.status_code} {r.text}"
        return [{k: v for k, v in row.items() if v is not None} for row in json.loads(r.text)]

    def scalar(self, db: str, q: str):
        rows = self.sql(db, q)
        assert len(rows) == 1 and len(rows[0]) == 1, f"not a scalar: {rows}"
        return next(iter(rows[0].values()))

    def count(self, db: str, table: str) -> int:
        """Rows in a table. Uses count(time) (time is never NULL): plain
        count(*) is covered on its own by test_sql.py::test_count_star, so a
        bug there shows up once instead of in every test."""
        return int(self.scalar(db, f'SELECT {COUNT_EXPR} AS n FROM "{table}"'))

    def metrics(self) -> dict[str, float]:
        r = requests.get(self.url + "/metrics", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
        return parse_prometheus(r.text)


def parse_prometheus(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def assert_alive(server: Server) -> None:
    """The process runs and answers /ping."""
    assert server.alive(), f"almanac died; log:\n{server.log_tail()}"
    r = server.ping()
    assert r.status_code == 204, r.text
