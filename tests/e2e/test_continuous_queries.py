"""Continuous queries: CREATE/SHOW/DROP as influxd 1.6.7 answers them, and
the server running them on their schedule (downsampling into another
measurement), with runs counted in /metrics and logged.

The server checks every second (influxd's `run-interval`); a query with
`GROUP BY time(1s)` runs once per second over the second that just ended, so
points are written into a window that has not closed yet and the test polls
until the downsampled rows show up.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from influxdb import InfluxDBClient

from e2e_util import unique
from reference import reference_server  # noqa: F401  (fixture)

NS = 1_000_000_000
POLL_TIMEOUT = 20  # seconds for a query to have run


def q(server, stmt: str, **params) -> dict:
    r = server.influxql(stmt, **params)
    assert r.status_code == 200, f"{stmt}: {r.status_code} {r.text}"
    return r.json()["results"][0]


def ok(server, stmt: str, **params) -> dict:
    res = q(server, stmt, **params)
    assert "error" not in res, f"{stmt}: {res}"
    return res


def rows(server, db: str, stmt: str) -> list[list]:
    res = ok(server, stmt, db=db, epoch="ns")
    return [row for s in res.get("series", []) for row in s["values"]]


def poll_rows(server, db: str, stmt: str, want: int) -> list[list]:
    """Rows of `stmt` once there are at least `want` of them."""
    deadline = time.monotonic() + POLL_TIMEOUT
    got: list[list] = []
    while time.monotonic() < deadline:
        got = rows(server, db, stmt)
        if len(got) >= want:
            return got
        time.sleep(0.2)
    pytest.fail(f"{stmt}: only {got} after {POLL_TIMEOUT}s\n{server.log_tail(4000)}")


def cq_listing(server) -> dict[str, list[list]]:
    res = ok(server, "SHOW CONTINUOUS QUERIES")
    out = {}
    for s in res["series"]:
        assert s["columns"] == ["name", "query"]
        out[s["name"]] = s.get("values", [])
    return out


def next_second_after(delay: float) -> int:
    """Start (s) of the first whole second at least `delay` s from now."""
    return int(time.time() + delay) + 1


def test_group_by_time_1s_downsamples_new_points(server):
    db = server.create_db()
    ok(server, f"CREATE CONTINUOUS QUERY cq ON {db} BEGIN "
               "SELECT mean(v) AS v, count(v) AS n INTO down FROM m "
               "GROUP BY time(1s), host END")
    base = next_second_after(1.0)
    t = lambda s, frac: (base + s) * NS + int(frac * NS)  # noqa: E731
    server.write_ok(db, "\n".join([
        f"m,host=a v=1 {t(0, 0.1)}",
        f"m,host=a v=3 {t(0, 0.5)}",
        f"m,host=b v=10 {t(0, 0.7)}",
        f"m,host=a v=7 {t(1, 0.2)}",
    ]))
    got = poll_rows(server, db, "SELECT v, n, host FROM down", 3)
    assert got == [
        [base * NS, 2.0, 2, "a"],
        [base * NS, 10.0, 1, "b"],
        [(base + 1) * NS, 7.0, 1, "a"],
    ]
    metrics = server.metrics()
    assert metrics["almanac_cq_runs_total"] >= 2
    assert metrics["almanac_cq_points_written_total"] >= 3
    assert metrics["almanac_cq_failures_total"] == 0
    log = server.log_text()
    assert "finished continuous query" in log and "cq" in log


def test_resample_for_covers_windows_that_already_closed(server):
    db = server.create_db()
    ok(server, f"CREATE CONTINUOUS QUERY late ON {db} RESAMPLE EVERY 2s FOR 4s BEGIN "
               "SELECT sum(v) INTO late_sum FROM m GROUP BY time(1s) END")
    # Points of the second before now: that window has closed already; the
    # next run (within EVERY 2s) reaches 4s back and computes it.
    past = int(time.time()) - 1
    server.write_ok(db, f"m v=2 {past * NS}\nm v=5 {past * NS + NS // 2}")
    got = poll_rows(server, db, "SELECT sum FROM late_sum", 1)
    assert got == [[past * NS, 7.0]]
    listing = cq_listing(server)[db]
    assert listing == [[
        "late",
        f"CREATE CONTINUOUS QUERY late ON {db} RESAMPLE EVERY 2s FOR 4s BEGIN "
        f"SELECT sum(v) INTO {db}.autogen.late_sum FROM {db}.autogen.m GROUP BY time(1s) END",
    ]]


def test_show_create_drop_as_influxd(server):
    db = server.create_db()
    other = server.create_db()
    ok(server, f"CREATE RETENTION POLICY rp2 ON {db} DURATION 1d REPLICATION 1")
    listing = cq_listing(server)
    assert listing[db] == [] and listing[other] == []

    ok(server, f"CREATE CONTINUOUS QUERY a ON {db} BEGIN SELECT max(v) INTO m2 FROM m "
               "WHERE host = 'x' GROUP BY time(1h, 5m), host fill(0) END")
    # The db/rp parameters qualify the measurements, as in influxd.
    ok(server, f"CREATE CONTINUOUS QUERY b ON {db} BEGIN SELECT count(v) INTO m3 FROM m "
               "GROUP BY time(10m) END", db=db, rp="rp2")
    # The same statement again is a no-op; another one with that name is not.
    ok(server, f"CREATE CONTINUOUS QUERY a ON {db} BEGIN SELECT max(v) INTO m2 FROM m "
               "WHERE host = 'x' GROUP BY time(1h, 5m), host fill(0) END")
    res = q(server, f"CREATE CONTINUOUS QUERY a ON {db} BEGIN SELECT min(v) INTO m2 FROM m "
                    "GROUP BY time(1h) END")
    assert res["error"] == "continuous query already exists"
    listing = cq_listing(server)
    assert listing[db] == [
        ["a", f"CREATE CONTINUOUS QUERY a ON {db} BEGIN SELECT max(v) INTO {db}.autogen.m2 "
              f"FROM {db}.autogen.m WHERE host = 'x' GROUP BY time(1h, 5m), host fill(0) END"],
        ["b", f"CREATE CONTINUOUS QUERY b ON {db} BEGIN SELECT count(v) INTO {db}.rp2.m3 "
              f"FROM {db}.rp2.m GROUP BY time(10m) END"],
    ]
    assert listing[other] == []

    errors = {
        "CREATE CONTINUOUS QUERY c ON nodb_x BEGIN SELECT mean(v) INTO m2 FROM m "
        "GROUP BY time(1h) END": "database not found: nodb_x",
        f"CREATE CONTINUOUS QUERY c ON {db} BEGIN SELECT mean(v) INTO m2 FROM {db}.norp.m "
        "GROUP BY time(1h) END": f"retention policy not found: {db}.norp",
        f"CREATE CONTINUOUS QUERY c ON {db} BEGIN SELECT mean(v) INTO {db}.norp.m2 FROM m "
        "GROUP BY time(1h) END": f"retention policy not found: {db}.norp",
    }
    for stmt, want in errors.items():
        assert q(server, stmt).get("error") == want, stmt
    r = server.influxql(f"CREATE CONTINUOUS QUERY c ON {db} BEGIN SELECT mean(v) INTO m2 "
                        "FROM m END")
    assert r.status_code == 400
    assert "expected GROUP BY time(...)" in r.json()["error"]

    ok(server, f"DROP CONTINUOUS QUERY a ON {db}")
    ok(server, f"DROP CONTINUOUS QUERY a ON {db}")  # gone already: not an error
    ok(server, "DROP CONTINUOUS QUERY a ON nodb_x")
    assert [r[0] for r in cq_listing(server)[db]] == ["b"]


def test_failures_are_counted(server):
    db = server.create_db()
    before = server.metrics()["almanac_cq_failures_total"]
    # Accepted (as by influxd) but not an aggregate: fails on every check.
    ok(server, f"CREATE CONTINUOUS QUERY raw ON {db} BEGIN SELECT v INTO m2 FROM m "
               "GROUP BY time(1s) END")
    deadline = time.monotonic() + POLL_TIMEOUT
    while server.metrics()["almanac_cq_failures_total"] <= before:
        assert time.monotonic() < deadline, server.log_tail(4000)
        time.sleep(0.2)
    assert "continuous queries must be aggregate queries" in server.log_text()


def test_python_client_continuous_queries(server):
    db = unique("cq")
    client = InfluxDBClient(host="127.0.0.1", port=server.port, database=db, timeout=30)
    try:
        client.create_database(db)
        select = 'SELECT mean("value") INTO "cpu_mean" FROM "cpu" GROUP BY time(1m)'
        client.create_continuous_query("cpu_mean", select, db, "EVERY 10s FOR 2m")
        cqs = client.get_list_continuous_queries()
        assert {db: [{
            "name": "cpu_mean",
            "query": f"CREATE CONTINUOUS QUERY cpu_mean ON {db} RESAMPLE EVERY 10s FOR 2m "
                     f"BEGIN SELECT mean(value) INTO {db}.autogen.cpu_mean "
                     f"FROM {db}.autogen.cpu GROUP BY time(1m) END",
        }]} in cqs
        client.drop_continuous_query("cpu_mean", db)
        assert {db: []} in client.get_list_continuous_queries()
    finally:
        client.close()


def test_same_as_influxd(server, reference_server):
    """The same statements and points on influxd 1.6.7 and Almanac: the same
    answers, stored texts and downsampled rows."""
    db = unique("cqref")
    statements = [
        f"CREATE DATABASE {db}",
        f"CREATE RETENTION POLICY rp2 ON {db} DURATION 1d REPLICATION 1",
        f"CREATE CONTINUOUS QUERY cq ON {db} BEGIN SELECT mean(v) AS v, count(v) AS n, "
        "max(v) INTO down FROM m GROUP BY time(1s), host END",
        f"CREATE CONTINUOUS QUERY r1 ON {db} BEGIN SELECT mean(v) INTO {db}.autogen.:MEASUREMENT "
        "FROM /.*/ GROUP BY time(1h) END",
        f"CREATE CONTINUOUS QUERY r2 ON {db} RESAMPLE FOR 3h BEGIN SELECT sum(v) INTO \"x y\" "
        "FROM m, (SELECT v FROM rp2.m) WHERE time > now() - 1h AND host =~ /a/ "
        "GROUP BY time(1h, 10m), * fill(none) END",
        f"CREATE CONTINUOUS QUERY r3 ON {db} BEGIN SELECT mean(v) INTO m2 FROM nope.m "
        "GROUP BY time(1h) END",
        f"CREATE CONTINUOUS QUERY cq ON {db} BEGIN SELECT mean(v) INTO m2 FROM m "
        "GROUP BY time(1h) END",
        f"DROP CONTINUOUS QUERY r1 ON {db}",
        f"DROP CONTINUOUS QUERY missing ON {db}",
    ]
    for stmt in statements:
        ours, theirs = server.influxql(stmt), reference_server.influxql(stmt)
        assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json()), stmt

    def listing(srv):
        res = srv.influxql("SHOW CONTINUOUS QUERIES").json()["results"][0]
        return [s for s in res["series"] if s["name"] == db]

    assert listing(server) == listing(reference_server)

    base = next_second_after(1.0)
    t = lambda s, frac: (base + s) * NS + int(frac * NS)  # noqa: E731
    body = "\n".join([
        f"m,host=a v=1 {t(0, 0.1)}",
        f"m,host=a v=4 {t(0, 0.5)}",
        f"m,host=b v=10 {t(0, 0.7)}",
        f"m,host=a v=7 {t(1, 0.2)}",
    ])
    server.write_ok(db, body)
    r = reference_server.write(db, body)
    assert r.status_code == 204, r.text
    stmt = "SELECT * FROM down"
    ours = poll_rows(server, db, stmt, 3)
    deadline = time.monotonic() + POLL_TIMEOUT
    theirs: list = []
    while time.monotonic() < deadline:
        res = reference_server.influxql(stmt, db=db, epoch="ns").json()["results"][0]
        theirs = [row for s in res.get("series", []) for row in s["values"]]
        if len(theirs) >= 3:
            break
        time.sleep(0.2)
    assert ours == theirs


def test_continuous_queries_section_of_the_config_file(server_factory, tmp_path):
    """`[continuous_queries]` as in influxdb.conf: `enabled = false` stops the
    service, `run-interval` sets how often it checks, `log-enabled = false`
    silences the per-run log lines; a bad duration fails start-up naming it."""
    off = tmp_path / "off.toml"
    off.write_text("[continuous_queries]\nenabled = false\n")
    server = server_factory("--config", str(off))
    db = server.create_db()
    ok(server, f"CREATE CONTINUOUS QUERY cq ON {db} BEGIN "
               "SELECT count(v) AS n INTO down FROM m GROUP BY time(1s) END")
    server.write_ok(db, f"m v=1 {next_second_after(0.2) * NS}")
    time.sleep(3.5)
    assert server.metrics()["almanac_cq_runs_total"] == 0
    assert "continuous query service disabled" in server.log_text()

    quiet = tmp_path / "quiet.toml"
    quiet.write_text('[continuous_queries]\nrun-interval = "200ms"\nlog-enabled = false\n')
    server = server_factory("--config", str(quiet))
    db = server.create_db()
    ok(server, f"CREATE CONTINUOUS QUERY cq ON {db} BEGIN "
               "SELECT count(v) AS n INTO down FROM m GROUP BY time(1s) END")
    server.write_ok(db, f"m v=1 {next_second_after(0.5) * NS}")
    assert poll_rows(server, db, "SELECT n FROM down", 1)[0][1] == 1
    assert server.metrics()["almanac_cq_runs_total"] >= 1
    assert "finished continuous query" not in server.log_text()
    # SHOW STATS has InfluxDB's `cq` module.
    stats = q(server, "SHOW STATS FOR 'cq'")["series"]
    assert [s["name"] for s in stats] == ["cq"]
    row = dict(zip(stats[0]["columns"], stats[0]["values"][0]))
    assert row["queryOk"] >= 1 and row["queryFail"] == 0

    bad = tmp_path / "bad.toml"
    bad.write_text('[continuous_queries]\nrun-interval = "soon"\n')
    server = server_factory("--config", str(bad), start=False)
    proc = subprocess.run([str(server.binary), "server", "--config", str(bad),
                           "--data-dir", str(tmp_path / "bad-data"), "--http-bind", "127.0.0.1:0"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "run-interval" in proc.stderr and "soon" in proc.stderr, proc.stderr
