"""SHOW QUERIES / KILL QUERY on a statement that really runs, and a client
that hangs up: the statement answers "query killed" at once, and neither
stays listed in SHOW QUERIES."""

import threading
import time

import pytest
import requests

from e2e_util import unique

SLOW = "SELECT percentile(v, 95) FROM wave GROUP BY time(10ms), s"


def running(server, text: str) -> list:
    """Rows of SHOW QUERIES whose query text contains `text`."""
    body = server.influxql("SHOW QUERIES").json()
    series = body["results"][0].get("series", [])
    rows = series[0].get("values", []) if series else []
    return [r for r in rows if text in r[1] and "SHOW QUERIES" not in r[1]]


def load_until_slow(server, db: str, min_secs: float = 2.0) -> None:
    """Writes series of points until SLOW takes at least `min_secs`."""
    written = 0
    batch = 50_000
    for _ in range(8):
        for s in range(4):
            lines = "\n".join(
                f"wave,s=s{s} v={(i * 7919) % 1000} {(written + i) * 1_000_000}"
                for i in range(batch)
            )
            server.write_ok(db, lines)
        written += batch
        t0 = time.monotonic()
        r = server.influxql(SLOW, db=db)
        assert r.status_code == 200, r.text
        if time.monotonic() - t0 >= min_secs:
            return
        batch *= 2
    raise AssertionError("could not make the query slow enough to kill")


@pytest.fixture(scope="module")
def slow_db(shared_server):
    """(server, database) where SLOW runs for a few seconds."""
    db = shared_server.create_db(unique("kill"))
    load_until_slow(shared_server, db)
    return shared_server, db


def test_kill_query_answers_killed_and_unlists(slow_db):
    server, db = slow_db

    answer = {}

    def run():
        t0 = time.monotonic()
        r = requests.post(server.url + "/query", data={"q": SLOW, "db": db}, timeout=120)
        answer["secs"] = time.monotonic() - t0
        answer["body"] = r.json()

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 10
    rows = []
    while not rows and time.monotonic() < deadline:
        rows = running(server, "percentile")
        time.sleep(0.05)
    assert rows, "the slow query never showed in SHOW QUERIES"
    qid, _text, database, duration = rows[0][:4]
    assert database == db
    assert duration  # e.g. "12ms"
    killed_at = time.monotonic()
    r = server.influxql(f"KILL QUERY {qid}")
    assert r.status_code == 200 and "error" not in r.json()["results"][0], r.text
    t.join(timeout=60)
    assert not t.is_alive()
    result = answer["body"]["results"][0]
    assert result.get("error") == "query killed", result
    # the caller is answered at once, not when the work would have ended
    assert time.monotonic() - killed_at < 1.5
    assert running(server, "percentile") == []
    # killing it again: it is gone
    r = server.influxql(f"KILL QUERY {qid}")
    assert "no such query id" in r.json()["results"][0]["error"]


def test_client_that_hangs_up_leaves_no_running_query(slow_db):
    server, db = slow_db
    try:
        requests.post(server.url + "/query", data={"q": SLOW, "db": db}, timeout=0.5)
    except requests.exceptions.Timeout:
        pass
    deadline = time.monotonic() + 5
    while running(server, "percentile") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(server, "percentile") == []
