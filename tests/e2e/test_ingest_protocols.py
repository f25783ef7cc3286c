"""InfluxDB 1.x's other ways in, configured as in influxdb.conf sections of
the TOML file: Graphite (TCP, templates), UDP line protocol and OpenTSDB
(telnet `put` and HTTP `/api/put` on one port)."""

import json
import socket
import time

import requests

from e2e_util import HTTP_TIMEOUT, free_port


def wait_for(fn, timeout=10.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    return last


def values(server, db, q):
    r = server.influxql(q, db=db).json()["results"][0]
    series = r.get("series") or []
    return series[0]["values"] if series else []


def test_graphite_udp_and_opentsdb_listeners(server_factory, tmp_path):
    graphite, udp, tsdb = free_port(), free_port(), free_port()
    config = tmp_path / "almanac.toml"
    config.write_text(
        f"""
[[graphite]]
enabled = true
bind-address = "127.0.0.1:{graphite}"
database = "graphite"
templates = ["host.measurement.field"]
batch-timeout = "50ms"

[[udp]]
enabled = true
bind-address = "127.0.0.1:{udp}"
database = "udpdb"
batch-timeout = "50ms"

[[opentsdb]]
enabled = true
bind-address = "127.0.0.1:{tsdb}"
database = "tsdb"
batch-timeout = "50ms"
"""
    )
    server = server_factory("--config", str(config))
    now = int(time.time())

    with socket.create_connection(("127.0.0.1", graphite), timeout=5) as s:
        s.sendall(b"server01.cpu.load 1.5 %d\nserver02.cpu.load 2.5 %d\n" % (now, now))
    rows = wait_for(lambda: values(server, "graphite", "SELECT load, host FROM cpu") if len(values(server, "graphite", "SELECT load, host FROM cpu")) == 2 else None)
    assert sorted((r[1], r[2]) for r in rows) == [(1.5, "server01"), (2.5, "server02")]

    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"m,t=x v=2i 1000000000\nm,t=y v=3i 2000000000\n", ("127.0.0.1", udp))
    rows = wait_for(lambda: values(server, "udpdb", "SELECT v, t FROM m") if len(values(server, "udpdb", "SELECT v, t FROM m")) == 2 else None)
    assert rows == [["1970-01-01T00:00:01Z", 2, "x"], ["1970-01-01T00:00:02Z", 3, "y"]]

    with socket.create_connection(("127.0.0.1", tsdb), timeout=5) as s:
        s.sendall(b"put sys.load 1356998400 42.5 host=web01\n")
    body = json.dumps([{"metric": "sys.load", "timestamp": 1356998401, "value": 7, "tags": {"host": "web02"}}])
    r = requests.post(f"http://127.0.0.1:{tsdb}/api/put", data=body, timeout=HTTP_TIMEOUT)
    assert r.status_code == 204, r.text
    rows = wait_for(lambda: values(server, "tsdb", 'SELECT value, host FROM "sys.load"') if len(values(server, "tsdb", 'SELECT value, host FROM "sys.load"')) == 2 else None)
    assert [(r[1], r[2]) for r in rows] == [(42.5, "web01"), (7, "web02")]


def test_unknown_listener_option_is_a_config_error(server_factory, tmp_path):
    config = tmp_path / "almanac.toml"
    config.write_text('[[graphite]]\nenabled = true\nno-such-option = 1\n')
    server = server_factory("--config", str(config), start=False)
    try:
        server.start(timeout=10)
        started = True
    except Exception as e:  # noqa: BLE001 - any start failure is what we expect
        started = False
        assert "no-such-option" in str(e) or "no-such-option" in server.log_text()
    assert not started
