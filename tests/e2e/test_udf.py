"""UDFs over Kapacitor's UDF protocol and the built-in anomaly detectors,
end to end: the example moving-average UDF (examples/udf/moving_avg.py) is
configured in the server's TOML both as a process the server starts and as
a unix-socket agent the test runs; tasks defined over /kapacitor/v1 use it
and their output is read back with InfluxQL. Also: options type-checked at
define time (line/char errors), a killed socket agent failing its task, and
@mad() flagging a spike before an alert."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from e2e_util import HTTP_TIMEOUT, unique

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "udf" / "moving_avg.py"


def kap(server, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, server.url + "/kapacitor/v1" + path, timeout=HTTP_TIMEOUT, **kw)


def define(server, task_id: str, db: str, script: str) -> requests.Response:
    return kap(server, "POST", "/tasks", json={
        "id": task_id, "type": "stream", "dbrps": [{"db": db, "rp": "autogen"}],
        "script": script, "status": "enabled",
    })


def wait_for(what: str, check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def rows(server, db: str, q: str) -> list[list]:
    body = server.influxql(q, db=db).json()
    series = body["results"][0].get("series", [])
    return [v for s in series for v in s["values"]]


@pytest.fixture
def udf_server(server_factory, tmp_path):
    """A server with the example UDF as a process (movingAvg) and as a socket agent (sockAvg)."""
    sock = tmp_path / "avg.sock"
    agent = subprocess.Popen([sys.executable, "-u", str(EXAMPLE), "--socket", str(sock)],
                             stderr=subprocess.DEVNULL)
    try:
        wait_for("the socket agent", sock.exists, timeout=5)
        config = tmp_path / "almanac.toml"
        config.write_text(f"""
[udf.functions.movingAvg]
prog = "{sys.executable}"
args = ["-u", "{EXAMPLE}"]
timeout = "10s"

[udf.functions.sockAvg]
socket = "{sock}"
""")
        srv = server_factory("--config", str(config))
        yield srv, agent
    finally:
        agent.kill()
        agent.wait()


def test_process_udf_moving_average(udf_server):
    server, _ = udf_server
    src, out = server.create_db(unique("udfin")), server.create_db(unique("udfout"))
    r = define(server, "avg", src, f"""
stream
    |from().measurement('cpu').groupBy('host')
    @movingAvg()
        .field('usage')
        .size(3)
        .as('avg')
    |influxDBOut().database('{out}').measurement('cpu_avg')
""")
    assert r.status_code == 200, r.text
    task = r.json()
    assert task["executing"] is True and task["error"] == ""
    assert "from1 -> movingAvg2;" in task["dot"] or "from1 -> movingAvg2 [" in task["dot"]
    server.write_ok(src, "\n".join([
        "cpu,host=a usage=1 1000000000",
        "cpu,host=a usage=2 2000000000",
        "cpu,host=b usage=10 2500000000",
        "cpu,host=a usage=6 3000000000",
        "cpu,host=a usage=7 4000000000",
        "cpu,host=b usage=20 4500000000",
    ]))
    got = wait_for("two averages", lambda: (
        r if len(r := rows(server, out, 'SELECT "avg", "host" FROM "cpu_avg"')) >= 2 else None))
    assert got == [["1970-01-01T00:00:03Z", 3.0, "a"], ["1970-01-01T00:00:04Z", 5.0, "a"]]
    stats = kap(server, "GET", "/tasks/avg").json()["stats"]["node-stats"]["movingAvg2"]
    assert stats["points_sent"] == 6 and stats["points_received"] == 2


def test_define_time_type_errors(udf_server):
    server, _ = udf_server
    r = define(server, "bad", "db", "stream\n    |from()\n    @movingAvg()\n        .size('3')")
    assert r.status_code == 400
    assert r.json() == {"error": "invalid TICKscript: line 4 char 15: unexpected arg to size, got STRING expected INT"}
    r = define(server, "bad", "db", "stream|from()@movingAvg().window(3)")
    assert r.json() == {"error": 'invalid TICKscript: line 1 char 27: no option "window" on UDF @movingAvg (options: as, field, size)'}
    r = define(server, "bad", "db", "stream|from()@nope()")
    assert r.json() == {"error": 'invalid TICKscript: line 1 char 15: no UDF named "nope" (configure it in [udf.functions.nope])'}


def test_socket_udf_and_its_crash(udf_server):
    server, agent = udf_server
    src, out = server.create_db(unique("sockin")), server.create_db(unique("sockout"))
    r = define(server, "sock", src, f"""
stream|from().measurement('m')
    @sockAvg().field('v').size(2)
    |influxDBOut().database('{out}').measurement('m_avg')
""")
    assert r.status_code == 200, r.text
    server.write_ok(src, "m v=1 1000000000\nm v=3 2000000000\nm v=5 3000000000")
    got = wait_for("two averages", lambda: (
        r if len(r := rows(server, out, 'SELECT "avg" FROM "m_avg"')) >= 2 else None))
    assert got == [["1970-01-01T00:00:02Z", 2.0], ["1970-01-01T00:00:03Z", 4.0]]

    # The agent dies: the task stops with the reason, the server keeps serving.
    agent.kill()
    agent.wait()
    task = wait_for("the task error", lambda: (
        t if (t := kap(server, "GET", "/tasks/sock").json())["error"] else None))
    # EOF or a reset, depending on what was in flight when the agent died.
    assert task["error"].startswith("sockAvg2: UDF sockAvg: "), task["error"]
    assert task["executing"] is False
    server.write_ok(src, "m v=7 4000000000")
    assert server.ping().status_code == 204


def test_builtin_anomaly_detector_before_alert(udf_server, tmp_path):
    server, _ = udf_server
    src = server.create_db(unique("lat"))
    log = tmp_path / "alerts.log"
    r = define(server, "anomalies", src, f"""
stream
    |from().measurement('latency')
    @mad()
        .field('ms')
        .size(6)
    |alert()
        .id('latency')
        .message('{{{{ .Level }}}} {{{{ index .Fields "ms" }}}}')
        .crit(lambda: "is_anomaly")
        .log('{log}')
""")
    assert r.status_code == 200, r.text
    values = [20, 21, 19, 22, 20, 21, 20.5, 95, 21, 20]
    server.write_ok(src, "\n".join(f"latency ms={v} {i + 1}000000000" for i, v in enumerate(values)))
    text = wait_for("two alerts", lambda: (
        t if log.exists() and (t := log.read_text()).count("\n") >= 2 else None))
    events = [json.loads(line) for line in text.splitlines()]
    assert [(e["level"], e["message"]) for e in events] == [("CRITICAL", "CRITICAL 95"), ("OK", "OK 21")]
