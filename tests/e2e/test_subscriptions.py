"""Subscriptions both ways.

- Almanac forwards writes: `CREATE SUBSCRIPTION … DESTINATIONS ALL|ANY` sends
  every accepted write as line protocol (ns timestamps) to local HTTP
  receivers (`POST <path>/write?db=&rp=`, basic auth from the URL) and a UDP
  socket; a dead destination never slows ingest and is counted; subscriptions
  survive a restart and stop at DROP SUBSCRIPTION.
- Almanac receives an InfluxDB subscription: Debian's influxd 1.6.7 with
  `CREATE SUBSCRIPTION` pointing at Almanac's `/kapacitor/v1` (stream task
  fires, its post handler reaches a local receiver) and at Almanac's base URL
  (`/write`: the points are stored).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from e2e_util import HTTP_TIMEOUT, unique
from reference import reference_server  # noqa: F401 (fixture)


class HttpReceiver:
    """Records every POST: (path, query dict, headers (lower-case names), body text)."""

    def __init__(self):
        self.requests: list[tuple[str, dict, dict, str]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n).decode("utf-8")
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                with outer.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    outer.requests.append((url.path, query, headers, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def body_text(self) -> str:
        with self.lock:
            return "".join(r[3] for r in self.requests)

    def wait_lines(self, n: int, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.body_text().splitlines()
            if len(lines) >= n:
                return lines
            time.sleep(0.05)
        return self.body_text().splitlines()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class UdpReceiver:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.data = ""

    def wait_lines(self, n: int, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.data.splitlines()) < n:
            try:
                self.data += self.sock.recv(65536).decode("utf-8")
            except socket.timeout:
                pass
        return self.data.splitlines()

    def close(self):
        self.sock.close()


@pytest.fixture
def http_receivers():
    made: list[HttpReceiver] = []

    def make() -> HttpReceiver:
        made.append(HttpReceiver())
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def udp_receiver():
    r = UdpReceiver()
    yield r
    r.close()


def ok(server, q: str, **params) -> dict:
    r = server.influxql(q, **params)
    assert r.status_code == 200, r.text
    result = r.json()["results"][0]
    assert "error" not in result, (q, result)
    return result


def test_forwarding_http_udp_any_and_dead_destination(server, http_receivers, udp_receiver):
    db = unique("subs")
    server.create_db(db)
    http = http_receivers()
    ok(server, f"CREATE SUBSCRIPTION \"all\" ON {db}.autogen DESTINATIONS ALL "
               f"'http://us%40r:p%3Aw@127.0.0.1:{http.port}/base/', 'udp://127.0.0.1:{udp_receiver.port}'")
    # Timestamps in seconds; tags out of order: destinations get ns and canonical tag order.
    server.write_ok(db, 'cpu,region=eu,host=a usage=1.5,n=3i 1700000000\n'
                        'cpu,host=b usage=2,msg="x y" 1700000001', precision="s")
    expected = [
        'cpu,host=a,region=eu usage=1.5,n=3i 1700000000000000000',
        'cpu,host=b usage=2,msg="x y" 1700000001000000000',
    ]
    assert http.wait_lines(2) == expected
    assert udp_receiver.wait_lines(2) == expected
    path, query, headers, _ = http.requests[0]
    assert path == "/base/write"
    assert query == {"db": db, "rp": "autogen"}
    assert headers["authorization"] == "Basic " + base64.b64encode(b"us@r:p:w").decode()

    # A write with a rejected line forwards only the accepted ones; a line
    # without timestamp carries the time storage gave it.
    r = server.write(db, "cpu,host=c usage=3\nbad line")
    assert r.status_code == 400, r.text
    lines = http.wait_lines(3)
    stored = ok(server, "SELECT usage FROM cpu WHERE host = 'c'", db=db, epoch="ns")
    t = stored["series"][0]["values"][0][0]
    assert lines[2:] == [f"cpu,host=c usage=3 {t}"]
    assert udp_receiver.wait_lines(3)[2:] == [f"cpu,host=c usage=3 {t}"]

    # ANY: round-robin over the destinations; a dead one is counted, never blocks.
    a, b = http_receivers(), http_receivers()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    other = unique("subs_any")
    server.create_db(other)
    ok(server, f"CREATE SUBSCRIPTION s ON {other}.autogen DESTINATIONS ANY "
               f"'http://127.0.0.1:{a.port}', 'http://127.0.0.1:{b.port}'")
    ok(server, f"CREATE SUBSCRIPTION dead ON {other}.autogen DESTINATIONS ALL 'http://127.0.0.1:{dead_port}'")
    start = time.monotonic()
    for i in range(4):
        server.write_ok(other, f"m v={i} {i}")
    assert time.monotonic() - start < 5, "a dead destination must not slow writes"
    a.wait_lines(2)
    b.wait_lines(2)
    assert sorted(a.body_text().splitlines() + b.body_text().splitlines()) == [
        f"m v={i} {i}" for i in range(4)]
    assert len(a.body_text().splitlines()) == 2 and len(b.body_text().splitlines()) == 2

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        m = server.metrics()
        if m.get("almanac_subscriber_write_failures_total", 0) >= 1:
            break
        time.sleep(0.2)
    assert m["almanac_subscriber_write_failures_total"] >= 1
    assert m["almanac_subscriber_retries_total"] >= 1
    assert m["almanac_subscriber_points_written_total"] >= 6 + 4
    stats = ok(server, "SHOW STATS FOR 'subscriber'")["series"]
    dests = {s["tags"]["destination"]: dict(zip(s["columns"], s["values"][0]))
             for s in stats if s.get("tags")}
    assert dests[f"http://127.0.0.1:{dead_port}"]["writeFailures"] >= 1
    assert dests[f"udp://127.0.0.1:{udp_receiver.port}"]["pointsWritten"] == 3

    # Subscriptions are durable; DROP stops forwarding.
    ok(server, f"DROP SUBSCRIPTION dead ON {other}.autogen")
    server.restart()
    shown = ok(server, "SHOW SUBSCRIPTIONS")["series"]
    assert [(s["name"], [v[1] for v in s["values"]]) for s in shown] == [(db, ["all"]), (other, ["s"])]
    server.write_ok(db, "cpu,host=d usage=4 1700000002", precision="s")
    assert http.wait_lines(4)[3] == "cpu,host=d usage=4 1700000002000000000"
    ok(server, f'DROP SUBSCRIPTION "all" ON {db}.autogen')
    server.write_ok(db, "cpu,host=e usage=5 1700000003", precision="s")
    server.write_ok(other, "m v=9 9")  # still forwarded: orders the check below
    (a if len(a.body_text().splitlines()) == 2 else b).wait_lines(3)
    time.sleep(0.3)
    assert len(http.body_text().splitlines()) == 4


def kap(server, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, server.url + "/kapacitor/v1" + path, timeout=HTTP_TIMEOUT, **kw)


def test_influxd_subscription_feeds_almanac(server, reference_server, http_receivers):  # noqa: F811
    alerts = http_receivers()
    task_db, store_db = unique("from_influxd"), unique("into_almanac")
    script = (
        "stream\n|from().measurement('cpu')\n|alert()\n.crit(lambda: \"usage\" > 90)\n"
        f".post('http://127.0.0.1:{alerts.port}/alert')"
    )
    r = kap(server, "POST", "/tasks", json={
        "id": "influxd_sub", "type": "stream", "status": "enabled", "script": script,
        "dbrps": [{"db": task_db, "rp": "autogen"}]})
    assert r.status_code == 200, r.text
    server.create_db(store_db)

    for db in (task_db, store_db):
        assert reference_server.influxql(f"CREATE DATABASE {db}").status_code == 200
    almanac = server.url
    for q in (f"CREATE SUBSCRIPTION k ON {task_db}.autogen DESTINATIONS ALL '{almanac}/kapacitor/v1'",
              f"CREATE SUBSCRIPTION w ON {store_db}.autogen DESTINATIONS ANY '{almanac}'"):
        r = reference_server.influxql(q)
        assert r.json() == {"results": [{"statement_id": 0}]}, r.text

    # influxd picks up new subscriptions asynchronously: write until they arrive.
    deadline = time.monotonic() + 30
    i = 0
    got = []
    stored = None
    while time.monotonic() < deadline:
        i += 1
        assert reference_server.write(task_db, f"cpu,host=a usage=95 {i}", precision="s").status_code == 204
        assert reference_server.write(store_db, f"mem,host=a free={i}i {i}", precision="s").status_code == 204
        time.sleep(0.3)
        got = alerts.requests
        res = server.influxql("SELECT free FROM mem", db=store_db, epoch="s").json()["results"][0]
        stored = res.get("series")
        if got and stored:
            break
    assert got, "the Almanac task never fired from influxd's subscription"
    alert = json.loads(got[0][3])
    assert alert["level"] == "CRITICAL"
    assert alert["id"] == "cpu:nil"
    assert alert["data"]["series"][0]["tags"].get("host") == "a"
    assert alert["data"]["series"][0]["values"][0][1] == 95
    # influxd sent the points with their own (ns) timestamps to /write.
    assert stored and stored[0]["values"][-1][1] == stored[0]["values"][-1][0]
