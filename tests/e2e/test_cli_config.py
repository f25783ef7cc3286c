"""The `almanac` command line: help, configuration from flags, environment
and TOML file, signals, and startup errors."""

import os
import signal
import socket
import subprocess
import time

import requests

from e2e_util import free_port


def run(binary, *args, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=full_env)


def test_help_lists_commands_and_flags(binary):
    out = run(binary, "--help")
    assert out.returncode == 0, out.stderr
    assert "server" in out.stdout and "query" in out.stdout
    out = run(binary, "server", "--help")
    assert out.returncode == 0, out.stderr
    for flag in ("--data-dir", "--http-bind", "--persist-rows", "--persist-age-secs",
                 "--buffer-limit", "--max-body-size", "--compaction-files", "--log-level"):
        assert flag in out.stdout, f"{flag} missing from server --help"
    out = run(binary, "--version")
    assert out.returncode == 0 and out.stdout.strip(), out


def test_unknown_flag_fails(binary):
    out = run(binary, "server", "--no-such-flag")
    assert out.returncode != 0
    assert "--no-such-flag" in out.stderr


def test_environment_variables(binary, tmp_path):
    port = free_port()
    data = tmp_path / "envdata"
    env = dict(os.environ, ALMANAC_DATA_DIR=str(data), ALMANAC_HTTP_BIND=f"127.0.0.1:{port}",
               ALMANAC_MAX_BODY_SIZE="500", NO_COLOR="1")
    with open(tmp_path / "log", "wb") as log:
        proc = subprocess.Popen([str(binary), "server"], env=env, stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "log").read_text()
            try:
                if requests.get(url + "/ping", timeout=2).status_code == 204:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.05)
        requests.post(url + "/query", data={"q": "CREATE DATABASE e"}, timeout=30)
        r = requests.post(url + "/write", params={"db": "e"}, data=b"m v=1 1\n" * 100, timeout=30)
        assert r.status_code == 413, r.text  # ALMANAC_MAX_BODY_SIZE=500
        assert requests.post(url + "/write", params={"db": "e"}, data=b"m v=1 1",
                             timeout=30).status_code == 204
        assert data.is_dir() and any(data.iterdir()), "ALMANAC_DATA_DIR not used"
    finally:
        proc.send_signal(signal.SIGINT)  # SIGINT is a graceful shutdown too
        try:
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert code == 0, (tmp_path / "log").read_text()


def test_flags_beat_environment(server_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("ALMANAC_MAX_BODY_SIZE", "100")
    srv = server_factory("--max-body-size", "100000")
    db = srv.create_db()
    srv.write_ok(db, b"m v=1 1\n" * 100)


def test_toml_config_file(binary, tmp_path):
    port = free_port()
    cfg = tmp_path / "almanac.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "tomldata"}"\nhttp_bind = "127.0.0.1:{port}"\n'
                   "max_body_size = 300\n")
    # The Server helper passes --data-dir/--http-bind itself; run the binary directly.
    env = dict(os.environ, NO_COLOR="1")
    with open(tmp_path / "toml.log", "wb") as log:
        proc = subprocess.Popen([str(binary), "server", "--config", str(cfg)], env=env, stdout=log,
                                stderr=log, stdin=subprocess.DEVNULL, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "toml.log").read_text()
            try:
                if requests.get(url + "/ping", timeout=2).status_code == 204:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.05)
        requests.post(url + "/query", data={"q": "CREATE DATABASE t"}, timeout=30)
        r = requests.post(url + "/write", params={"db": "t"}, data=b"m v=1 1\n" * 100, timeout=30)
        assert r.status_code == 413, r.text
        assert (tmp_path / "tomldata").is_dir()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    bad = tmp_path / "bad.toml"
    bad.write_text("no_such_key = 1\n")
    out = run(binary, "server", "--config", str(bad), "--http-bind", f"127.0.0.1:{free_port()}",
              "--data-dir", str(tmp_path / "x"))
    assert out.returncode != 0
    assert "no_such_key" in out.stderr


def test_port_in_use_fails_with_message(binary, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        out = run(binary, "server", "--data-dir", str(tmp_path / "d"),
                  "--http-bind", f"127.0.0.1:{port}", env={"NO_COLOR": "1"})
    assert out.returncode != 0
    assert "in use" in out.stderr.lower() or "address" in out.stderr.lower(), out.stderr
    assert "panicked" not in out.stderr, out.stderr


def test_unusable_data_dir_fails_with_message(binary, tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("not a directory")
    out = run(binary, "server", "--data-dir", str(afile / "sub"),
              "--http-bind", f"127.0.0.1:{free_port()}", env={"NO_COLOR": "1"})
    assert out.returncode != 0
    assert "a-file" in out.stderr, out.stderr
    assert "panicked" not in out.stderr, out.stderr


def test_second_server_on_same_data_dir_is_refused(server_factory):
    """Two processes on one data directory would corrupt it; the second must not start."""
    first = server_factory()
    db = first.create_db()
    first.write_ok(db, "m v=1 1")
    second = server_factory(data_dir=first.data_dir, start=False)
    try:
        second.start(timeout=15)
        started = True
    except Exception:
        started = False
    assert not started, "a second server started on a data directory already in use"
    assert first.count(db, "m") == 1
