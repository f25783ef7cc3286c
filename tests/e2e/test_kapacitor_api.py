"""Kapacitor API beyond tasks: recordings and replays (stream, batch and
query recordings kept under the data directory, replays that fire a task's
alerts to a local receiver), /kapacitor/v1/config overrides and service
tests, with Kapacitor 1.7's JSON shapes and errors."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from e2e_util import unique
from test_kapacitor import Receiver, kap


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def wait_done(server, path: str, timeout: float = 15.0) -> dict:
    """Polls a recording or replay until it is no longer running (200)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = kap(server, "GET", path)
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "running"
        time.sleep(0.1)
    raise AssertionError(f"{path} still running")


def crit_script(receiver_url: str, field: str) -> str:
    return f"|alert()\n .crit(lambda: \"{field}\" > 90)\n .post('{receiver_url}')\n"


def test_stream_recording_replays_into_alerts(server, receiver):
    db = server.create_db()
    task = unique("rec_task")
    r = kap(server, "POST", "/tasks", json={
        "id": task, "type": "stream", "status": "disabled",
        "dbrps": [{"db": db, "rp": "autogen"}],
        "script": "stream\n|from().measurement('cpu')\n" + crit_script(receiver.url, "usage"),
    })
    assert r.status_code == 200, r.text

    stop = datetime.now(timezone.utc) + timedelta(seconds=1.5)
    r = kap(server, "POST", "/recordings/stream", json={"id": "rec1", "task": task, "stop": rfc3339(stop)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["link"] == {"rel": "self", "href": "/kapacitor/v1/recordings/rec1"}
    assert (body["id"], body["type"], body["status"]) == ("rec1", "stream", "running")
    server.write_ok(db, "cpu,host=a usage=50\nmem,host=a used=99")
    server.write_ok(db, "cpu,host=a usage=95")
    server.write_ok(server.create_db(), "cpu,host=x usage=99")  # another database: not recorded

    rec = wait_done(server, "/recordings/rec1")
    assert rec["status"] == "finished" and rec["error"] == "" and rec["progress"] == 1
    data = (server.data_dir / "kapacitor" / "recordings" / "rec1.srpl").read_text()
    assert rec["size"] == len(data.encode())
    assert data.count(f"{db}\nautogen\ncpu,host=a usage=") == 2 and "host=x" not in data
    assert receiver.bodies == []  # the task is disabled: nothing live

    r = kap(server, "POST", "/replays", json={"id": "rp1", "task": task, "recording": "rec1"})
    assert r.status_code == 201, r.text
    assert r.json()["clock"] == "fast" and r.json()["recording-time"] is False
    rp = wait_done(server, "/replays/rp1")
    assert rp["status"] == "finished", rp
    alert = rp["stats"]["node-stats"]["alert2"]
    assert alert["collected"] == 2 and alert["crits_triggered"] == 1
    bodies = receiver.wait_for(1)
    assert [b["level"] for b in bodies] == ["CRITICAL"]
    # recording-time false: the replayed point is stamped around now.
    t = datetime.fromisoformat(bodies[0]["time"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - t).total_seconds()) < 30

    assert [x["id"] for x in kap(server, "GET", "/recordings").json()["recordings"]] == ["rec1"]
    listed = kap(server, "GET", "/replays", params={"pattern": "rp*", "fields": "status"}).json()["replays"]
    assert listed == [{"id": "rp1", "link": {"rel": "self", "href": "/kapacitor/v1/replays/rp1"},
                       "status": "finished"}]

    # Recordings and replays survive a restart.
    server.restart()
    assert kap(server, "GET", "/recordings/rec1").json()["size"] == rec["size"]
    assert kap(server, "GET", "/replays/rp1").json()["stats"]["node-stats"]["alert2"]["crits_triggered"] == 1

    assert kap(server, "DELETE", "/recordings/rec1").status_code == 204
    assert kap(server, "GET", "/recordings/rec1").status_code == 404
    assert not (server.data_dir / "kapacitor" / "recordings" / "rec1.srpl").exists()
    assert kap(server, "DELETE", "/recordings/rec1").status_code == 204  # unknown is fine
    assert kap(server, "DELETE", "/replays/rp1").status_code == 204
    assert kap(server, "GET", "/replays/rp1").json() == {"error": "no replay exists with ID rp1"}


def test_batch_and_query_recordings_and_direct_replays(server, receiver):
    db = server.create_db()
    now = time.time_ns()
    server.write_ok(db, f"cpu,host=a usage=97 {now - 20 * 60 * 10**9}\n"
                        f"cpu,host=b usage=10 {now - 20 * 60 * 10**9}")
    task = unique("batch_task")
    script = (f"batch\n|query('SELECT max(usage) AS usage FROM \"{db}\".\"autogen\".\"cpu\"')\n"
              " .period(10m).every(10m).groupBy('host')\n" + crit_script(receiver.url, "usage"))
    r = kap(server, "POST", "/tasks", json={"id": task, "type": "batch", "status": "disabled",
                                            "dbrps": [{"db": db, "rp": "autogen"}], "script": script})
    assert r.status_code == 200, r.text

    # Batch recording over the last hour: six 10m runs, one of which sees the points.
    r = kap(server, "POST", "/recordings/batch", json={"id": "brec", "task": task, "past": "1h"})
    assert r.status_code == 201, r.text
    rec = wait_done(server, "/recordings/brec")
    assert (rec["type"], rec["status"]) == ("batch", "finished"), rec
    lines = (server.data_dir / "kapacitor" / "recordings" / "brec.brpl").read_text().splitlines()
    assert len(lines) == 2 and all('"source":0' in ln for ln in lines)

    rp = wait_done(server, "/replays/" + kap(server, "POST", "/replays", json={
        "task": task, "recording": "brec", "recording-time": True}).json()["id"])
    assert rp["status"] == "finished", rp
    bodies = receiver.wait_for(1)
    assert [(b["id"], b["level"]) for b in bodies] == [("cpu:host=a", "CRITICAL")]
    assert bodies[0]["data"]["series"][0]["tags"] == {"host": "a"}

    # Query recording (batch type) and a direct query replay.
    q = f'SELECT usage FROM "{db}"."autogen"."cpu" WHERE time > now() - 1h GROUP BY *'
    r = kap(server, "POST", "/recordings/query", json={"id": "qrec", "type": "stream", "query": q})
    assert r.status_code == 201, r.text
    assert wait_done(server, "/recordings/qrec")["status"] == "finished"
    assert (server.data_dir / "kapacitor" / "recordings" / "qrec.srpl").read_text().count("cpu,host=") == 2
    r = kap(server, "POST", "/replays/batch", json={"task": task, "past": "1h", "id": "live"})
    assert r.status_code == 201, r.text
    assert r.json()["recording"] == ""
    assert wait_done(server, "/replays/live")["stats"]["node-stats"]["alert2"]["collected"] == 2

    # Errors, as Kapacitor words them.
    bad = [
        ("/recordings/stream", {"task": task, "stop": rfc3339(datetime.now(timezone.utc))}, 400, "stream recordings need a stream task"),
        ("/recordings/batch", {"task": "nope", "past": "1h"}, 404, "no task exists with ID nope"),
        ("/recordings/batch", {"task": task}, 400, "must provide start time or past duration"),
        ("/recordings/query", {"type": "stream", "query": "SELECT"}, 400, "invalid query"),
        ("/recordings/query", {"type": "table", "query": q}, 400, "invalid recording type"),
        ("/replays", {"task": task, "recording": "nope"}, 404, "no recording exists with ID nope"),
        ("/replays", {"task": task, "recording": "qrec"}, 400, "cannot replay the stream recording qrec to the batch task"),
        ("/replays", {"task": task, "recording": "brec", "clock": "slow"}, 400, "invalid clock"),
        ("/recordings/batch", {"id": "brec", "task": task, "past": "1h"}, 400, "already exists"),
    ]
    for path, body, status, msg in bad:
        r = kap(server, "POST", path, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert msg in r.json()["error"], (path, r.json())


def test_config_overrides_and_service_tests(server, receiver):
    sections = kap(server, "GET", "/config").json()
    assert sections["link"] == {"rel": "self", "href": "/kapacitor/v1/config"}
    slack = sections["sections"]["slack"]
    assert slack["link"]["href"] == "/kapacitor/v1/config/slack"
    el = slack["elements"][0]
    assert el["link"]["href"] == "/kapacitor/v1/config/slack/"
    assert el["redacted"] == ["url"] and el["options"]["url"] is False
    assert el["options"]["username"] == "kapacitor" and el["options"]["enabled"] is True

    r = kap(server, "POST", "/config/slack/", json={"set": {"url": receiver.url, "channel": "#ops"}})
    assert r.status_code == 204, r.text
    el = kap(server, "GET", "/config/slack/").json()
    assert el["options"]["url"] is True and el["options"]["channel"] == "#ops"

    # A topic handler without options runs with the section: the override decides the channel.
    db = unique("cfg")
    topic = unique("cfg_topic")
    r = kap(server, "POST", f"/alerts/topics/{topic}/handlers", json={"id": "s", "kind": "slack"})
    assert r.status_code == 200, r.text
    r = kap(server, "POST", "/tasks", json={
        "id": unique("cfg_task"), "type": "stream", "status": "enabled",
        "dbrps": [{"db": db, "rp": "autogen"}],
        "script": f"stream\n|from().measurement('cpu')\n|alert().crit(lambda: \"v\" > 90).topic('{topic}')\n"})
    assert r.status_code == 200, r.text
    assert kap(server, "POST", "/write", params={"db": db, "rp": "autogen"}, data="cpu v=95").status_code == 204
    assert [b["channel"] for b in receiver.wait_for(1)] == ["#ops"]
    assert kap(server, "POST", "/config/slack", json={"set": {"channel": "#other"}}).status_code == 204
    assert kap(server, "POST", "/write", params={"db": db, "rp": "autogen"}, data="cpu v=10").status_code == 204
    assert [b["channel"] for b in receiver.wait_for(2)] == ["#ops", "#other"]

    # Service tests go through the configured service.
    tests = kap(server, "GET", "/service-tests", params={"pattern": "sl*"}).json()
    assert [s["name"] for s in tests["services"]] == ["slack"]
    assert tests["services"][0]["options"]["message"] == "test slack message"
    r = kap(server, "POST", "/service-tests/slack", json={"message": "hello from the test"})
    assert r.json() == {"success": True, "message": ""}
    bodies = receiver.wait_for(3)
    assert len(bodies) == 3 and "hello from the test" in str(bodies[2]) and bodies[2]["channel"] == "#other"
    assert kap(server, "POST", "/config/slack/", json={"set": {"enabled": False}}).status_code == 204
    r = kap(server, "POST", "/service-tests/slack", json={}).json()
    assert r["success"] is False and "not enabled" in r["message"]

    # Overrides survive a restart; errors name what is wrong.
    server.restart()
    opts = kap(server, "GET", "/config/slack/").json()["options"]
    assert (opts["channel"], opts["enabled"], opts["url"]) == ("#other", False, True)
    r = kap(server, "POST", "/config/slack/", json={"set": {"bogus": 1}})
    assert r.status_code == 400 and 'unknown option "bogus"' in r.json()["error"]
    r = kap(server, "POST", "/config/slack/", json={"set": {"channel": 5}})
    assert r.status_code == 400 and "channel" in r.json()["error"]
    assert kap(server, "GET", "/config/nope").status_code == 404
    assert kap(server, "POST", "/service-tests/nope", json={}).status_code == 404
    assert kap(server, "POST", "/config/slack/", json={"delete": ["channel", "enabled", "url"]}).status_code == 204
    assert kap(server, "GET", "/config/slack/").json()["options"]["channel"] == ""
