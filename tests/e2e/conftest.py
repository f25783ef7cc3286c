"""Fixtures of the end-to-end tests.

- `server`: a fresh `almanac server` for one test (own temp data dir, free port).
- `shared_server`: one server per test module (tests use unique database names).
- `server_factory`: start servers with extra flags (e.g. `--max-body-size 1000`)
  or on a given data directory; all of them are killed at teardown.

The binary is $ALMANAC_BIN (default target/debug/almanac). Each server's
stdout/stderr goes to a log file in its temp dir; when a test fails, the logs
of the servers it used are attached to the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e_util import ALL_SERVERS, Server, almanac_bin


def _new_server(tmp_root: Path, name: str, args=(), data_dir: Path | None = None) -> Server:
    tmp_root.mkdir(parents=True, exist_ok=True)
    return Server(
        binary=almanac_bin(),
        data_dir=data_dir or (tmp_root / f"{name}-data"),
        log_path=tmp_root / f"{name}.log",
        args=args,
    )


@pytest.fixture(scope="session")
def binary() -> Path:
    path = almanac_bin()
    if not path.exists():
        pytest.fail(
            f"almanac binary not found at {path}: run `cargo build --workspace` "
            "or set ALMANAC_BIN",
            pytrace=False,
        )
    return path


class ServerFactory:
    def __init__(self, root: Path):
        self.root = root
        self.servers: list[Server] = []

    def __call__(self, *args: str, data_dir: Path | None = None, start: bool = True) -> Server:
        name = f"server{len(self.servers)}"
        srv = _new_server(self.root, name, args=args, data_dir=data_dir)
        self.servers.append(srv)
        if start:
            srv.start()
        return srv

    def close(self) -> None:
        for s in self.servers:
            s.close()


@pytest.fixture
def server_factory(binary, tmp_path):
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def server(server_factory) -> Server:
    """A fresh server for this test only."""
    return server_factory()


@pytest.fixture(scope="module")
def shared_server(binary, tmp_path_factory):
    """One server for the whole module."""
    root = tmp_path_factory.mktemp("shared")
    srv = _new_server(root, "shared")
    try:
        srv.start()
        yield srv
    finally:
        srv.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.passed or rep.skipped:
        return
    seen = set()
    for value in item.funcargs.values():
        servers = []
        if isinstance(value, Server):
            servers = [value]
        elif isinstance(value, ServerFactory):
            servers = value.servers
        for srv in servers:
            if id(srv) in seen:
                continue
            seen.add(id(srv))
            rep.sections.append(
                (f"almanac log {srv.log_path} ({rep.when})", srv.log_tail(12000) or "(empty)")
            )


def pytest_sessionfinish(session, exitstatus):
    # Nothing may outlive the test run.
    for srv in list(ALL_SERVERS):
        try:
            srv.close()
        except Exception:
            pass
