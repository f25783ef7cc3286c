"""/ping, /health and /metrics."""

import re

import requests

from e2e_util import HTTP_TIMEOUT, parse_prometheus


def test_ping_get(shared_server):
    r = requests.get(shared_server.url + "/ping", timeout=HTTP_TIMEOUT)
    assert r.status_code == 204
    assert r.content == b""
    version = r.headers.get("X-Influxdb-Version")
    assert version, r.headers
    assert re.match(r"^\d+\.\d+", version), version
    assert r.headers.get("X-Influxdb-Build"), r.headers


def test_ping_head(shared_server):
    r = requests.head(shared_server.url + "/ping", timeout=HTTP_TIMEOUT)
    assert r.status_code == 204
    assert r.headers.get("X-Influxdb-Version")
    assert r.content == b""


def test_ping_verbose(shared_server):
    r = requests.get(shared_server.url + "/ping", params={"verbose": "true"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert r.json()["version"] == r.headers["X-Influxdb-Version"]


def test_health(shared_server):
    r = requests.get(shared_server.url + "/health", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "pass"
    assert isinstance(body.get("name"), str) and body["name"]
    assert isinstance(body.get("version"), str) and body["version"]
    assert isinstance(body.get("checks", []), list)


def test_unknown_path_is_404(shared_server):
    r = requests.get(shared_server.url + "/no/such/endpoint", timeout=HTTP_TIMEOUT)
    assert r.status_code == 404


def test_metrics_format(shared_server):
    r = requests.get(shared_server.url + "/metrics", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    typed = set()
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            typed.add(name)
        elif line.startswith("#") or not line.strip():
            continue
        else:
            # name{labels} value  |  name value
            assert re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEinfNa]+$", line), line
    values = parse_prometheus(r.text)
    for name in ("almanac_write_lines_total", "almanac_wal_fsyncs_total",
                 "almanac_write_requests_total", "almanac_query_requests_total"):
        assert name in values, f"{name} missing from /metrics:\n{r.text}"
        assert name in typed, f"{name} has no # TYPE line"
    for name, value in values.items():
        if name.endswith("_total"):
            assert value >= 0, (name, value)


def test_metrics_counters_increase_after_write(server):
    db = server.create_db()
    before = server.metrics()
    server.write_ok(db, "cpu,host=a v=1 1\ncpu,host=b v=2 2\ncpu,host=c v=3 3\n")
    after = server.metrics()
    assert after["almanac_write_lines_total"] >= before["almanac_write_lines_total"] + 3, (before, after)
    assert after["almanac_write_requests_total"] >= before["almanac_write_requests_total"] + 1
    assert after["almanac_wal_fsyncs_total"] >= before["almanac_wal_fsyncs_total"] + 1
    assert after.get("almanac_wal_records_total", 1) >= before.get("almanac_wal_records_total", 0)

    # A rejected line is counted as rejected, not as written.
    r = server.write(db, "cpu,host=d v=4 4\nthis is not line protocol\n")
    assert r.status_code == 400
    after2 = server.metrics()
    assert after2["almanac_write_lines_total"] == after["almanac_write_lines_total"] + 1
    if "almanac_write_lines_rejected_total" in after2:
        assert after2["almanac_write_lines_rejected_total"] >= after.get("almanac_write_lines_rejected_total", 0) + 1

    # InfluxQL /query, /api/v2/query and SQL each count one request
    q_before = after2["almanac_query_requests_total"]
    r = server.influxql("SELECT count(v) FROM cpu", db=db)
    assert r.status_code == 200, r.text
    assert server.metrics()["almanac_query_requests_total"] == q_before + 1
    r = requests.post(server.url + "/api/v2/query", data=f'from(bucket: "{db}") |> range(start: 0)',
                      headers={"Content-Type": "application/vnd.flux"}, timeout=30)
    assert r.status_code == 200, r.text
    assert server.metrics()["almanac_query_requests_total"] == q_before + 2
    assert server.count(db, "cpu") == 4
