"""Kapacitor inside `almanac server`: the /kapacitor/v1 API (tasks, topics,
handlers, write, httpOut) with the PyPI `requests` library, and alert
delivery end to end: a stream task fed by /write, a local HTTP receiver that
records exactly which notifications the post handler sends (none for
stateChangesOnly repeats), and a restart in the middle of an alert."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from e2e_util import HTTP_TIMEOUT, unique


class Receiver:
    """A local HTTP server recording every POST body (JSON) it gets."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/alert"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, n: int, timeout: float = 15.0) -> list[dict]:
        """Waits until at least n bodies arrived, then a little longer to
        catch any extra (unexpected) notification."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.bodies) >= n:
                    break
            time.sleep(0.05)
        time.sleep(1.0)
        with self.lock:
            return list(self.bodies)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def kap(server, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, server.url + "/kapacitor/v1" + path, timeout=HTTP_TIMEOUT, **kw)


def define(server, task_id: str, db: str, script: str, status: str = "enabled",
           task_type: str = "stream") -> dict:
    r = kap(server, "POST", "/tasks", json={
        "id": task_id,
        "type": task_type,
        "dbrps": [{"db": db, "rp": "autogen"}],
        "script": script,
        "status": status,
    })
    assert r.status_code == 200, r.text
    return r.json()


def test_ping_and_task_lifecycle(server):
    r = kap(server, "GET", "/ping")
    assert r.status_code == 204
    assert r.headers["X-Kapacitor-Version"].startswith("1.7")

    # Script errors name line and column, in Kapacitor's error body.
    r = kap(server, "POST", "/tasks", json={
        "id": "bad", "type": "stream", "dbrps": [{"db": "d", "rp": "autogen"}],
        "script": "stream\n    |from()\n    |window().period(1m).nope()",
    })
    assert r.status_code == 400
    assert r.json() == {"error": 'invalid TICKscript: line 3 char 26: no method or property "nope" on WindowNode'}
    r = kap(server, "POST", "/tasks", json={"id": "x", "type": "stream", "script": "stream|from()"})
    assert r.status_code == 400
    assert r.json()["error"] == "must provide at least one database and retention policy."

    script = "stream|from().measurement('cpu')|alert().crit(lambda: \"value\" > 90)"
    t = define(server, "cpu_alert", "telegraf", script, status="disabled")
    assert t["id"] == "cpu_alert" and t["status"] == "disabled" and t["executing"] is False
    assert t["link"] == {"rel": "self", "href": "/kapacitor/v1/tasks/cpu_alert"}
    assert t["dot"] == "digraph cpu_alert {\nstream0 -> from1;\nfrom1 -> alert2;\n}\n"
    assert kap(server, "POST", "/tasks", json={
        "id": "cpu_alert", "dbrps": [{"db": "d", "rp": "r"}], "script": script,
    }).json() == {"error": "task cpu_alert already exists"}

    r = kap(server, "PATCH", "/tasks/cpu_alert", json={"status": "enabled"})
    assert r.status_code == 200, r.text
    t = kap(server, "GET", "/tasks/cpu_alert").json()
    assert t["executing"] is True and t["status"] == "enabled"
    assert 'alert2 [alerts_inhibited="0" alerts_triggered="0"' in t["dot"]
    assert "from1 -> alert2 [processed=\"0\"];" in t["dot"]
    assert set(t["stats"]["node-stats"]) == {"stream0", "from1", "alert2"}

    tasks = kap(server, "GET", "/tasks", params={"pattern": "cpu*", "fields": "status"}).json()["tasks"]
    assert tasks == [{"link": {"rel": "self", "href": "/kapacitor/v1/tasks/cpu_alert"},
                      "id": "cpu_alert", "status": "enabled"}]

    assert kap(server, "DELETE", "/tasks/cpu_alert").status_code == 204
    r = kap(server, "GET", "/tasks/cpu_alert")
    assert r.status_code == 404
    assert r.json() == {"error": "no task exists with ID cpu_alert"}


def test_alert_delivery_state_changes_only_and_restart(server, receiver):
    db = server.create_db(unique("kap"))
    script = f"""
stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('cpu-{{{{ index .Tags "host" }}}}')
        .message('{{{{ .ID }}}} is {{{{ .Level }}}} value={{{{ index .Fields "value" }}}}')
        .warn(lambda: "value" > 70)
        .crit(lambda: "value" > 90)
        .stateChangesOnly()
        .post('{receiver.url}')
"""
    define(server, "cpu_alert", db, script)
    t0 = int(time.time()) - 100
    for i, v in enumerate([50, 75, 80, 95, 96]):
        server.write_ok(db, f"cpu,host=a value={v} {t0 + i}", precision="s")
    got = receiver.wait_for(2)
    assert [(b["id"], b["level"], b["previousLevel"], b["message"]) for b in got] == [
        ("cpu-a", "WARNING", "OK", "cpu-a is WARNING value=75"),
        ("cpu-a", "CRITICAL", "WARNING", "cpu-a is CRITICAL value=95"),
    ]
    assert got[1]["duration"] == 2 * 10**9
    assert got[1]["data"]["series"][0]["values"] == [[time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + 3)), 95.0]]

    topic = "main:cpu_alert:alert2"
    topics = kap(server, "GET", "/alerts/topics").json()["topics"]
    assert [(t["id"], t["level"]) for t in topics] == [(topic, "CRITICAL")]
    events = kap(server, "GET", f"/alerts/topics/{topic}/events").json()["events"]
    assert [(e["id"], e["state"]["level"]) for e in events] == [("cpu-a", "CRITICAL")]

    # Restart in the middle of the alert: task, state and history survive.
    server.restart()
    t = kap(server, "GET", "/tasks/cpu_alert").json()
    assert t["executing"] is True
    ev = kap(server, "GET", f"/alerts/topics/{topic}/events/cpu-a").json()
    assert ev["state"]["level"] == "CRITICAL"
    assert ev["state"]["message"] == "cpu-a is CRITICAL value=95"

    server.write_ok(db, f"cpu,host=a value=97 {t0 + 10}", precision="s")  # still CRITICAL: nothing
    server.write_ok(db, f"cpu,host=a value=10 {t0 + 20}", precision="s")  # recovery
    got = receiver.wait_for(3)
    assert [(b["level"], b["previousLevel"]) for b in got] == [
        ("WARNING", "OK"), ("CRITICAL", "WARNING"), ("OK", "CRITICAL"),
    ]
    assert got[2]["duration"] == 19 * 10**9  # since the alert started at t0+1
    history = kap(server, "GET", f"/alerts/topics/{topic}/history").json()["events"]
    assert [h["level"] for h in history] == ["WARNING", "CRITICAL", "OK"]


def test_topic_handlers_kapacitor_write_and_http_out(server, receiver):
    # A handler bound to a topic through the API (Kapacitor's handler spec).
    r = kap(server, "POST", "/alerts/topics/ops/handlers", json={
        "id": "to-receiver", "kind": "post", "options": {"url": receiver.url},
    })
    assert r.status_code == 200, r.text
    assert r.json()["link"]["href"] == "/kapacitor/v1/alerts/topics/ops/handlers/to-receiver"
    r = kap(server, "POST", "/alerts/topics/ops/handlers", json={"id": "bad", "kind": "pagerDuty9"})
    assert r.status_code == 400
    assert "not supported yet" in r.json()["error"]
    handlers = kap(server, "GET", "/alerts/topics/ops/handlers").json()["handlers"]
    assert [h["id"] for h in handlers] == ["to-receiver"]

    define(server, "mem", "tele", """
var data = stream|from().measurement('mem')
data|alert().crit(lambda: "used" > 90.0).topic('ops')
data|window().period(10s).every(10s).align()|mean('used')|httpOut('avg')
""")
    # Kapacitor's own write endpoint feeds tasks without storing anything.
    body = "\n".join(f"mem used={v} {t}" for t, v in [(1, 10.0), (2, 95.0), (5, 20.0), (12, 30.0)])
    r = kap(server, "POST", "/write", params={"db": "tele", "rp": "autogen", "precision": "s"}, data=body)
    assert r.status_code == 204, r.text
    got = receiver.wait_for(2)
    assert [(b["id"], b["level"]) for b in got] == [("mem:nil", "CRITICAL"), ("mem:nil", "OK")]
    out = kap(server, "GET", "/tasks/mem/avg").json()
    assert out == {"series": [{"name": "mem", "columns": ["time", "mean"],
                               "values": [["1970-01-01T00:00:10Z", 125.0 / 3]]}]}
    assert kap(server, "GET", "/tasks/mem/nope").status_code == 404

    assert kap(server, "DELETE", "/alerts/topics/ops/handlers/to-receiver").status_code == 204
    assert kap(server, "GET", "/alerts/topics/ops/handlers").json()["handlers"] == []


def test_batch_task_runs_influxql_on_schedule(server):
    db = server.create_db(unique("kapb"))
    now = int(time.time())
    rows = [("a", 10.0), ("a", 30.0), ("b", 5.0)]
    server.write_ok(db, "\n".join(f"cpu,host={h} usage={v} {now - 30 + i}" for i, (h, v) in enumerate(rows)),
                    precision="s")
    t = define(server, "batch_mean", db, f"""
batch
    |query('SELECT mean("usage") AS usage FROM "{db}"."autogen"."cpu"')
        .period(1h)
        .every(1s)
        .groupBy('host')
    |httpOut('mean')
""", task_type="batch")
    assert t["type"] == "batch" and t["executing"] is True
    assert t["dot"].startswith("digraph batch_mean {")
    deadline = time.monotonic() + 15
    series = []
    while time.monotonic() < deadline:
        series = kap(server, "GET", "/tasks/batch_mean/mean").json()["series"]
        if len(series) == 2:
            break
        time.sleep(0.2)
    assert [(s["tags"], s["columns"], [r[1] for r in s["values"]]) for s in series] == [
        ({"host": "a"}, ["time", "usage"], [20.0]),
        ({"host": "b"}, ["time", "usage"], [5.0]),
    ]


def test_templates(server):
    r = kap(server, "POST", "/templates", json={
        "id": "threshold",
        "type": "stream",
        "script": "var measurement string\nvar limit = 90.0\n"
                  "stream|from().measurement(measurement)|alert().crit(lambda: \"v\" > limit).topic('tpl')",
    })
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["vars"] == {"limit": {"type": "float", "value": 90.0},
                         "measurement": {"type": "string", "value": None}}
    r = kap(server, "POST", "/tasks", json={
        "id": "from_tpl", "template-id": "threshold", "status": "enabled",
        "dbrps": [{"db": "tele", "rp": "autogen"}],
        "vars": {"measurement": {"type": "string", "value": "cpu"}, "limit": {"type": "float", "value": 50.0}},
    })
    assert r.status_code == 200, r.text
    assert r.json()["template-id"] == "threshold"
    r = kap(server, "POST", "/write", params={"db": "tele", "precision": "s"}, data="cpu v=60 1\nmem v=99 2")
    assert r.status_code == 204, r.text
    events = kap(server, "GET", "/alerts/topics/tpl/events").json()["events"]
    assert [(e["id"], e["state"]["level"]) for e in events] == [("cpu:nil", "CRITICAL")]
    assert kap(server, "GET", "/templates/threshold").json()["task-ids"] == ["from_tpl"]
    assert [t["id"] for t in kap(server, "GET", "/templates").json()["templates"]] == ["threshold"]
    assert kap(server, "DELETE", "/templates/threshold").status_code == 204
    assert kap(server, "GET", "/templates/threshold").status_code == 404


def test_http_post_node_and_loopback(server, receiver):
    define(server, "fwd", "tele", f"""
stream|from().measurement('cpu')
    |eval(lambda: "v" * 10.0).as('v10')
    |kapacitorLoopback().database('tele').retentionPolicy('autogen').measurement('cpu10')
""")
    define(server, "poster", "tele", f"""
stream|from().measurement('cpu10')|httpPost('{receiver.url}').header('X-From', 'almanac')
""")
    r = kap(server, "POST", "/write", params={"db": "tele", "rp": "autogen", "precision": "s"}, data="cpu v=1.5 7")
    assert r.status_code == 204, r.text
    got = receiver.wait_for(1)
    assert got == [{"series": [{"name": "cpu10", "columns": ["time", "v10"],
                                "values": [["1970-01-01T00:00:07Z", 15.0]]}]}]


def test_debug_vars(server):
    define(server, "dv", "tele", "stream|from().measurement('cpu')|alert().crit(lambda: \"v\" > 1)")
    r = kap(server, "POST", "/write", params={"db": "tele", "precision": "s"}, data="cpu v=5 1")
    assert r.status_code == 204
    v = kap(server, "GET", "/debug/vars").json()
    assert v["product"] == "kapacitor" and v["num_tasks"] == 1 and v["num_enabled_tasks"] == 1
    stats = v["kapacitor"]
    alert = stats["nodes:dv:alert2"]
    assert alert["name"] == "nodes"
    assert alert["tags"]["kind"] == "alert" and alert["tags"]["task"] == "dv"
    assert alert["values"]["crits_triggered"] == 1
    assert stats["edges:dv:from1:alert2"]["values"]["collected"] == 1
    ids = (v["cluster_id"], v["server_id"])
    server.restart()
    v = kap(server, "GET", "/debug/vars").json()
    assert (v["cluster_id"], v["server_id"]) == ids
