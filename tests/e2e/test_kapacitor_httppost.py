"""Kapacitor's `[[httppost]]` endpoints end to end: endpoints from the
configuration file used by an `httpPost` node (row template, basic auth,
headers, `.codeField()`) and by an alert's `.post().endpoint()` (alert
template); `/kapacitor/v1/config/httppost` adds, changes and removes
endpoints, and those changes survive a restart."""

from __future__ import annotations

import base64
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from e2e_util import HTTP_TIMEOUT, unique


class Receiver:
    """Records (path, headers, body text) of every POST; answers 200, or
    503 for paths under /down."""

    def __init__(self):
        self.got: list[tuple[str, dict, str]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.got.append((self.path, {k.lower(): v for k, v in self.headers.items()},
                                      body.decode()))
                self.send_response(503 if self.path.startswith("/down") else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def at(self, prefix: str) -> list[tuple[str, dict, str]]:
        with self.lock:
            return [g for g in self.got if g[0].startswith(prefix)]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def kap(server, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, server.url + "/kapacitor/v1" + path, timeout=HTTP_TIMEOUT, **kw)


def wait_for(cond, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def define(server, task_id: str, db: str, script: str) -> requests.Response:
    return kap(server, "POST", "/tasks", json={
        "id": task_id, "type": "stream", "dbrps": [{"db": db, "rp": "autogen"}],
        "script": script, "status": "enabled"})


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def configured(server_factory, tmp_path, receiver):
    config = tmp_path / "almanac.toml"
    config.write_text(f"""
[[httppost]]
  endpoint = "rows"
  url = '{receiver.url}/rows/{{{{index .Tags "host"}}}}'
  headers = {{ Example = "your-key" }}
  basic-auth = {{ username = "my-user", password = "my-pass" }}
  row-template = '{{{{.Name}}}} host={{{{index .Tags "host"}}}}{{{{range .Values}}}} {{{{index . "value"}}}}{{{{end}}}}'

[[httppost]]
  endpoint = "api-alert"
  url = "{receiver.url}/api/alerts"
  headers = {{ From = "alerts@mydomain.com" }}
  alert-template = "{{{{.Level}}}} {{{{.Message}}}}"
""")
    return server_factory("--config", str(config))


def test_endpoints_from_the_configuration(configured, receiver):
    server = configured
    db, out = server.create_db(unique("hp")), server.create_db(unique("hpout"))
    r = define(server, "rows_post", db, f"""
stream
    |from().measurement('cpu')
    |httpPost().endpoint('rows').header('X-Node', 'n1').codeField('code')
    |influxDBOut().database('{out}').measurement('posted')
""")
    assert r.status_code == 200, r.text
    r = define(server, "alert_post", db, """
stream
    |from().measurement('cpu')
    |alert()
        .message('cpu of {{ index .Tags "host" }} is high')
        .crit(lambda: "value" > 90)
        .post().endpoint('api-alert')
""")
    assert r.status_code == 200, r.text

    t0 = int(time.time()) - 10
    server.write_ok(db, f"cpu,host=a value=95 {t0}", precision="s")
    wait_for(lambda: receiver.at("/rows") and receiver.at("/api/alerts"))

    path, headers, body = receiver.at("/rows")[0]
    assert path == "/rows/a"
    assert body == "cpu host=a 95"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"my-user:my-pass").decode()
    assert headers["example"] == "your-key"
    assert headers["x-node"] == "n1"

    _, headers, body = receiver.at("/api/alerts")[0]
    assert body == "CRITICAL cpu of a is high"
    assert headers["from"] == "alerts@mydomain.com"

    # codeField: the status code travels on with the point.
    def posted():
        res = server.influxql(f'SELECT "code", "value" FROM "{out}"."autogen"."posted"').json()
        return res["results"][0].get("series")
    wait_for(posted)
    assert posted()[0]["values"][0][1:] == [200, 95]

    r = define(server, "nowhere", db, "stream|from()|httpPost().endpoint('missing')")
    assert r.status_code == 400
    assert "endpoint 'missing' does not exist" in r.json()["error"]


def test_config_api_adds_changes_and_removes_endpoints(configured, receiver):
    server = configured
    section = kap(server, "GET", "/config/httppost").json()
    by_name = {e["options"]["endpoint"]: e for e in section["elements"]}
    assert set(by_name) == {"api-alert", "rows"}
    assert by_name["rows"]["link"]["href"] == "/kapacitor/v1/config/httppost/rows"
    assert by_name["rows"]["options"]["basic-auth"] is True
    assert by_name["api-alert"]["options"]["basic-auth"] is False
    assert by_name["rows"]["redacted"] == ["basic-auth"]
    assert "httppost" in kap(server, "GET", "/config").json()["sections"]

    r = kap(server, "POST", "/config/httppost", json={
        "add": {"endpoint": "added", "url": receiver.url + "/down/added"}})
    assert r.status_code == 204, r.text
    r = kap(server, "POST", "/config/httppost", json={
        "add": {"endpoint": "bad", "url": "ftp://x"}})
    assert r.status_code == 400
    assert "must start with http:// or https://" in r.json()["error"]
    r = kap(server, "POST", "/config/httppost/added", json={"set": {"headers": {"K": "v"}}})
    assert r.status_code == 204, r.text
    assert kap(server, "GET", "/config/httppost/added").json()["options"]["headers"] == {"K": "v"}
    r = kap(server, "POST", "/config/httppost", json={"remove": ["rows"]})
    assert r.status_code == 204, r.text
    assert kap(server, "GET", "/config/httppost/rows").status_code == 404

    server.restart()
    names = {e["options"]["endpoint"] for e in kap(server, "GET", "/config/httppost").json()["elements"]}
    assert names == {"api-alert", "added"}

    # A failing endpoint: the code field says so, the task keeps running.
    db, out = server.create_db(unique("hp")), server.create_db(unique("hpout"))
    r = define(server, "down_post", db, f"""
stream
    |from().measurement('m')
    |httpPost().endpoint('added').codeField('status')
    |influxDBOut().database('{out}').measurement('posted')
""")
    assert r.status_code == 200, r.text
    r = define(server, "gone", db, "stream|from()|httpPost().endpoint('rows')")
    assert r.status_code == 400
    server.write_ok(db, f"m v=1 {int(time.time()) - 5}", precision="s")

    def status():
        res = server.influxql(f'SELECT "status" FROM "{out}"."autogen"."posted"').json()
        series = res["results"][0].get("series")
        return series and series[0]["values"][0][1]
    wait_for(status)
    assert status() == 503
    _, headers, body = receiver.at("/down/added")[0]
    assert headers["k"] == "v"
    assert headers["content-type"] == "application/json"
    assert '"series":[{' in body.replace(" ", "")
