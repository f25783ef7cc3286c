"""Flux through /api/v2/query with the real InfluxDB 2 clients (PyPI
`influxdb-client`, npm `@influxdata/influxdb-client`): every query_api entry
point, answers compared with the same questions asked in InfluxQL, `to()`,
dialects, gzip, errors, /api/v2/query/ast and /analyze."""

from __future__ import annotations

import gzip as gz
import json
import os
import subprocess
from pathlib import Path

import pytest
import requests
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.flux_csv_parser import FluxQueryException
from influxdb_client.client.flux_table import FluxStructureEncoder
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from e2e_util import unique

BASE_S = 1_704_067_200  # 2024-01-01T00:00:00Z
BASE_NS = BASE_S * 10**9
START = "2024-01-01T00:00:00Z"
STOP = "2024-01-01T00:30:00Z"
HOSTS = ["h0", "h1", "h2"]
POINTS = 180  # one every 10 s for 30 minutes


def usage(h: int, i: int) -> float:
    return round((i * 7 + h * 13) % 100 + 0.25 * h, 2)


@pytest.fixture(scope="module")
def data(shared_server):
    """A database with cpu (3 hosts, float/int fields) written by the v2 client."""
    db = shared_server.create_db(unique("flux"))
    with InfluxDBClient(url=shared_server.url, token="t", org="o") as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        points = [
            Point("cpu").tag("host", host).tag("region", "eu" if h < 2 else "us")
            .field("usage_user", usage(h, i))
            .field("usage_system", float(i % 10))
            .field("procs", i % 7)
            .time(BASE_NS + i * 10 * 10**9, WritePrecision.NS)
            for h, host in enumerate(HOSTS)
            for i in range(POINTS)
        ]
        w.write(bucket=db, record=points)
        w.close()
    return db


@pytest.fixture
def client(shared_server):
    c = InfluxDBClient(url=shared_server.url, token="t", org="o", timeout=60_000)
    yield c
    c.close()


def flux(db: str, body: str) -> str:
    return f'from(bucket: "{db}") |> range(start: {START}, stop: {STOP}) {body}'


def influxql(server, db: str, q: str) -> list[dict]:
    """Rows of every series of an InfluxQL answer, tags merged in."""
    r = server.influxql(q, db=db)
    assert r.status_code == 200, r.text
    out = []
    for result in r.json()["results"]:
        assert "error" not in result, result
        for s in result.get("series", []):
            for row in s["values"]:
                rec = dict(zip(s["columns"], row))
                rec.update(s.get("tags", {}))
                out.append(rec)
    return out


def window_times(records, every_s: int):
    """Flux stamps aggregateWindow rows at the window stop, InfluxQL at the start."""
    return {(r["host"], r.get_time().timestamp() - every_s): r.get_value() for r in records}


def test_query_tables_and_records(client, data):
    tables = client.query_api().query(
        flux(data, '|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_user")'))
    assert len(tables) == 3
    by_host = {t.records[0]["host"]: t for t in tables}
    assert sorted(by_host) == HOSTS
    recs = by_host["h1"].records
    assert len(recs) == POINTS
    assert [r.get_value() for r in recs[:3]] == [usage(1, 0), usage(1, 1), usage(1, 2)]
    assert recs[0].get_field() == "usage_user" and recs[0].get_measurement() == "cpu"
    assert recs[5].get_time().timestamp() == BASE_S + 50
    assert recs[0]["region"] == "eu"
    # column metadata from the annotations
    cols = {c.label: (c.data_type, c.group) for c in by_host["h1"].columns}
    assert cols["_value"] == ("double", False)
    assert cols["_time"] == ("dateTime:RFC3339", False)
    assert cols["host"] == ("string", True)
    # the integer field comes back as long
    t = client.query_api().query(
        flux(data, '|> filter(fn: (r) => r._field == "procs" and r.host == "h0") |> limit(n: 3)'))
    assert [r.get_value() for r in t[0].records] == [0, 1, 2]
    assert isinstance(t[0].records[0].get_value(), int)
    json.dumps(tables, cls=FluxStructureEncoder)  # the client's serializer accepts them


def test_query_csv_stream_raw(client, data):
    q = flux(data, '|> filter(fn: (r) => r._field == "usage_user" and r.host == "h2") |> limit(n: 4)')
    rows = list(client.query_api().query_csv(q))
    assert rows[0][0] == "#datatype"
    header = next(r for r in rows if r[:3] == ["", "result", "table"])
    data_rows = [r for r in rows if r and r[0] == "" and r is not header and r[1] != "result"]
    assert len(data_rows) == 4
    i = header.index("_value")
    assert [float(r[i]) for r in data_rows] == [usage(2, k) for k in range(4)]
    recs = list(client.query_api().query_stream(q))
    assert [r.get_value() for r in recs] == [usage(2, k) for k in range(4)]
    raw = client.query_api().query_raw(q).data.decode()
    assert "#group,false,false,true,true" in raw
    assert raw.count("\r\n") >= 8


def test_query_data_frame(client, data, shared_server):
    import pandas as pd
    df = client.query_api().query_data_frame(
        flux(data, '|> filter(fn: (r) => r._field == "usage_user" or r._field == "usage_system")'
                   ' |> filter(fn: (r) => r.host == "h0")'
                   ' |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")'))
    assert isinstance(df, pd.DataFrame)
    assert len(df) == POINTS
    assert list(df["usage_user"][:3]) == [usage(0, 0), usage(0, 1), usage(0, 2)]
    assert list(df["usage_system"][:3]) == [0.0, 1.0, 2.0]
    # the same question in InfluxQL
    rows = influxql(shared_server, data,
                    f"SELECT usage_user, usage_system FROM cpu WHERE host = 'h0' "
                    f"AND time >= '{START}' AND time < '{STOP}'")
    assert list(df["usage_user"]) == [r["usage_user"] for r in rows]
    assert list(df["usage_system"]) == [r["usage_system"] for r in rows]


@pytest.mark.parametrize("fn,iql", [("mean", "mean"), ("max", "max"), ("min", "min"),
                                    ("sum", "sum"), ("count", "count"), ("last", "last"),
                                    ("first", "first")])
def test_aggregate_window_agrees_with_influxql(client, data, shared_server, fn, iql):
    tables = client.query_api().query(flux(
        data, f'|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_user")'
              f' |> aggregateWindow(every: 1m, fn: {fn}, createEmpty: false)'))
    got = window_times([r for t in tables for r in t.records], 60)
    rows = influxql(shared_server, data,
                    f"SELECT {iql}(usage_user) FROM cpu WHERE time >= '{START}' AND time < '{STOP}' "
                    "GROUP BY time(1m), host")
    from datetime import datetime
    want = {(r["host"], datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()): r[iql]
            for r in rows}
    assert len(want) == 3 * 30
    assert got.keys() == want.keys()
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-12), k


def test_group_mean_last_agree_with_influxql(client, data, shared_server):
    q = client.query_api()
    t = q.query(flux(data, '|> filter(fn: (r) => r._field == "usage_user")'
                           ' |> group(columns: ["region"]) |> mean()'))
    got = {r["region"]: r.get_value() for tb in t for r in tb.records}
    rows = influxql(shared_server, data,
                    f"SELECT mean(usage_user) FROM cpu WHERE time >= '{START}' AND time < '{STOP}' "
                    "GROUP BY region")
    want = {r["region"]: r["mean"] for r in rows}
    assert got.keys() == want.keys() == {"eu", "us"}
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-12)
    t = q.query(flux(data, '|> filter(fn: (r) => r._field == "procs") |> last()'))
    got = {r["host"]: (r.get_value(), r.get_time().timestamp()) for tb in t for r in tb.records}
    rows = influxql(shared_server, data, "SELECT last(procs) FROM cpu GROUP BY host")
    from datetime import datetime
    want = {r["host"]: (r["last"], datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp())
            for r in rows}
    assert got == want


def test_to_then_read_back(client, data, shared_server):
    target = shared_server.create_db(unique("down"))
    client.query_api().query(flux(
        data, '|> filter(fn: (r) => r._field == "usage_user")'
              ' |> aggregateWindow(every: 5m, fn: mean)'
              ' |> set(key: "_measurement", value: "cpu_5m")'
              f' |> to(bucket: "{target}/autogen", org: "o")'))
    back = client.query_api().query(
        f'from(bucket: "{target}") |> range(start: {START}, stop: 2024-01-01T01:00:00Z)'
        ' |> filter(fn: (r) => r._measurement == "cpu_5m")')
    got = window_times([r for t in back for r in t.records], 300)
    rows = influxql(shared_server, data,
                    f"SELECT mean(usage_user) FROM cpu WHERE time >= '{START}' AND time < '{STOP}' "
                    "GROUP BY time(5m), host")
    from datetime import datetime
    want = {(r["host"], datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()): r["mean"]
            for r in rows}
    assert len(want) == 18
    assert got == pytest.approx(want)
    # tags travel with to(): InfluxQL sees them too
    tagged = influxql(shared_server, target, "SELECT count(usage_user) FROM cpu_5m GROUP BY region")
    assert {r["region"]: r["count"] for r in tagged} == {"eu": 12, "us": 6}


def test_buckets_function(client, data):
    t = client.query_api().query('buckets() |> filter(fn: (r) => r.name =~ /^flux/)')
    rows = {r["name"]: r for tb in t for r in tb.records}
    # Named as /api/v2/buckets names them: the default RP's bucket is the
    # database's name.
    assert data in rows, sorted(rows)
    assert rows[data]["retentionPolicy"] == "autogen"
    listed = client.buckets_api().find_bucket_by_name(data)
    assert listed is not None and listed.id == rows[data]["id"]


def test_compile_error_names_line_and_column(client, data):
    with pytest.raises(ApiException) as e:
        client.query_api().query(f'from(bucket: "{data}")\n  |> rnge(start: -1h)')
    assert e.value.status == 400
    body = json.loads(e.value.body)
    assert body["code"] == "invalid"
    assert "@2:6-2:10" in body["message"] and "rnge" in body["message"], body
    with pytest.raises(ApiException) as e:
        client.query_api().query('from(bucket: "x") |> range(start: -1h) |>')
    assert e.value.status == 400


def test_unknown_bucket_is_404(client):
    with pytest.raises(ApiException) as e:
        client.query_api().query('from(bucket: "no_such_bucket") |> range(start: -1h)')
    assert e.value.status == 404
    assert "could not find bucket" in json.loads(e.value.body)["message"]


def test_runtime_error_after_output_is_an_error_row(client, data, shared_server):
    script = (flux(data, '|> filter(fn: (r) => r._field == "procs") |> limit(n: 1) |> yield(name: "ok")')
              + "\n" + flux(data, '|> map(fn: (r) => ({r with _value: r._value + "x"}))'))
    r = requests.post(f"{shared_server.url}/api/v2/query", data=script,
                      headers={"Content-Type": "application/vnd.flux"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert ",error,reference\r\n" in r.text
    assert ",ok,0," in r.text
    with pytest.raises(FluxQueryException):
        client.query_api().query(script)
    # nothing produced yet: a JSON error instead
    r = requests.post(f"{shared_server.url}/api/v2/query",
                      data=flux(data, '|> map(fn: (r) => ({r with _value: r._value + "x"}))'),
                      headers={"Content-Type": "application/vnd.flux"})
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_dialects(shared_server, data):
    q = flux(data, '|> filter(fn: (r) => r._field == "procs" and r.host == "h0") |> limit(n: 2)')
    url = f"{shared_server.url}/api/v2/query?org=o"
    plain = requests.post(url, data=q, headers={"Content-Type": "application/vnd.flux"})
    assert plain.status_code == 200
    lines = plain.text.split("\r\n")
    assert lines[0] == ",result,table,_start,_stop,_time,_value,_field,_measurement,host,region"
    assert lines[1].startswith(",_result,0,2024-01-01T00:00:00Z,2024-01-01T00:30:00Z,")
    body = {"query": q, "type": "flux",
            "dialect": {"header": False, "delimiter": ";", "annotations": ["group"]}}
    r = requests.post(url, json=body)
    lines = r.text.split("\r\n")
    assert lines[0] == "#group;false;false;true;true;false;false;true;true;true;true"
    assert lines[1].startswith(";_result;0;")
    assert len([x for x in lines if x]) == 3
    for bad, msg in [({"annotations": ["nope"]}, "unknown dialect annotation type: nope"),
                     ({"delimiter": ";;"}, "invalid dialect delimeter"),
                     ({"dateTimeFormat": "x"}, "unknown dialect date time format: x")]:
        r = requests.post(url, json={"query": q, "dialect": bad})
        assert r.status_code == 400 and msg in r.json()["message"], r.text
    r = requests.post(url, json={"query": q, "type": "sql"})
    assert r.status_code == 400 and r.json()["message"] == "unknown query type: sql"
    r = requests.post(url, json={"type": "flux"})
    assert r.status_code == 400 and "requires either query or AST" in r.json()["message"]


def test_now_params_and_extern(shared_server, data):
    url = f"{shared_server.url}/api/v2/query"
    r = requests.post(url, json={
        "query": f'from(bucket: "{data}") |> range(start: -10m) |> filter(fn: (r) => r.host == params.h'
                 ' and r._field == "procs") |> count()',
        "now": "2024-01-01T00:30:00Z", "params": {"h": "h1"}})
    assert r.status_code == 200, r.text
    assert r.text.splitlines()[1].split(",")[-1] == "60"
    with InfluxDBClient(url=shared_server.url, token="t", org="o") as c:
        t = c.query_api().query(
            f'from(bucket: "{data}") |> range(start: {START}, stop: {STOP})'
            ' |> filter(fn: (r) => r.host == h and r._field == "procs") |> count()',
            params={"h": "h2"})
        assert [r.get_value() for tb in t for r in tb.records] == [POINTS]


def test_gzip_both_ways(shared_server, data):
    q = flux(data, '|> filter(fn: (r) => r._field == "procs") |> count()').encode()
    r = requests.post(f"{shared_server.url}/api/v2/query", data=gz.compress(q),
                      headers={"Content-Type": "application/vnd.flux", "Content-Encoding": "gzip",
                               "Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == "gzip"
    assert r.text.count(",180,") + r.text.count(f",{POINTS}\r") >= 3
    with InfluxDBClient(url=shared_server.url, token="t", org="o", enable_gzip=True) as c:
        t = c.query_api().query(q.decode())
        assert [r.get_value() for tb in t for r in tb.records] == [POINTS] * 3


def test_influxql_type(shared_server, data):
    r = requests.post(f"{shared_server.url}/api/v2/query", json={
        "type": "influxql", "bucket": f"{data}/autogen",
        "query": "SELECT count(procs) FROM cpu GROUP BY host"})
    assert r.status_code == 200, r.text
    series = r.json()["results"][0]["series"]
    assert [(s["tags"]["host"], s["values"][0][1]) for s in series] == [(h, POINTS) for h in HOSTS]
    r = requests.post(f"{shared_server.url}/api/v2/query",
                      json={"type": "influxql", "query": "SELECT 1"})
    assert r.status_code == 400
    assert r.json()["message"] == "bucket parameter is required for influxql queries"


def test_ast_and_analyze(shared_server):
    r = requests.post(f"{shared_server.url}/api/v2/query/ast",
                      json={"query": 'from(bucket: "b") |> range(start: -1h)'})
    assert r.status_code == 200
    pkg = r.json()["ast"]
    assert pkg["type"] == "Package" and pkg["package"] == "main"
    expr = pkg["files"][0]["body"][0]["expression"]
    assert expr["type"] == "PipeExpression"
    assert expr["call"]["callee"]["name"] == "range"
    r = requests.post(f"{shared_server.url}/api/v2/query/analyze",
                      json={"query": 'from(bucket: "b")\n |> range(start: -1h'})
    assert r.status_code == 200
    errors = r.json()["errors"]
    assert len(errors) == 1 and errors[0]["line"] == 2, errors
    assert errors[0]["message"]
    r = requests.post(f"{shared_server.url}/api/v2/query/analyze", json={"query": "x = 1"})
    assert r.json() == {"errors": []}


JS = Path(__file__).parent / "js"


def test_js_client_query_api(shared_server, data):
    if not (JS / "node_modules" / "@influxdata" / "influxdb-client").exists():
        pytest.fail("npm packages missing: run scripts/test (npm ci in tests/e2e/js)")
    q = flux(data, '|> filter(fn: (r) => r._field == "usage_user")'
                   ' |> aggregateWindow(every: 10m, fn: max, createEmpty: false)')
    out = subprocess.run(["node", str(JS / "flux_query.mjs")], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "URL": shared_server.url, "QUERY": q})
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    rows = res["rows"]
    assert len(rows) == 9
    rows_iql = influxql(shared_server, data,
                        f"SELECT max(usage_user) FROM cpu WHERE time >= '{START}' AND time < '{STOP}' "
                        "GROUP BY time(10m), host")
    assert sorted(r["_value"] for r in rows) == sorted(r["max"] for r in rows_iql)
    assert {r["host"] for r in rows} == set(HOSTS)
    assert res["raw"].startswith("#datatype,string,long,dateTime:RFC3339")
    assert res["error"]["status"] == 400 and "compilation failed" in res["error"]["message"]
