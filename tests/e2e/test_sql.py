"""/api/v3/query_sql: formats, GET and POST, errors, filters, and the
`almanac query` command."""

import csv
import io
import json
import subprocess

import pytest
import requests

from e2e_util import HTTP_TIMEOUT, unique

BASE_S = 1_704_067_200  # 2024-01-01T00:00:00Z
BASE_NS = BASE_S * 10**9

HOSTS = ["alpha", "beta", "gamma"]


@pytest.fixture(scope="module")
def db(shared_server):
    name = shared_server.create_db(unique("sql"))
    lines = []
    for i in range(30):
        host = HOSTS[i % 3]
        region = "eu" if i % 2 == 0 else "us"
        lines.append(
            f'cpu,host={host},region={region} usage={i * 1.5},n={i}i,label="l{i}",ok={"true" if i % 4 == 0 else "false"} '
            f"{BASE_NS + i * 10**9}"
        )
    shared_server.write_ok(name, "\n".join(lines))
    shared_server.write_ok(name, f"mem,host=alpha free=100i {BASE_NS}")
    return name


def get(srv, **params):
    return requests.get(srv.url + "/api/v3/query_sql", params=params, timeout=HTTP_TIMEOUT)


Q = "SELECT host, n, usage FROM cpu WHERE n < 4 ORDER BY n"
EXPECTED = [
    {"host": "alpha", "n": 0, "usage": 0.0},
    {"host": "beta", "n": 1, "usage": 1.5},
    {"host": "gamma", "n": 2, "usage": 3.0},
    {"host": "alpha", "n": 3, "usage": 4.5},
]


def test_format_json_is_default(shared_server, db):
    r = get(shared_server, db=db, q=Q)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == EXPECTED
    assert get(shared_server, db=db, q=Q, format="json").json() == EXPECTED


def test_format_jsonl(shared_server, db):
    r = get(shared_server, db=db, q=Q, format="jsonl")
    assert r.status_code == 200, r.text
    lines = [ln for ln in r.text.split("\n") if ln.strip()]
    assert [json.loads(ln) for ln in lines] == EXPECTED


def test_format_csv(shared_server, db):
    r = get(shared_server, db=db, q=Q, format="csv")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["host", "n", "usage"]
    assert len(rows) == 5
    assert [(h, int(n), float(u)) for h, n, u in rows[1:]] == \
        [(e["host"], e["n"], e["usage"]) for e in EXPECTED]


def test_format_pretty(shared_server, db):
    r = get(shared_server, db=db, q=Q, format="pretty")
    assert r.status_code == 200, r.text
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("+") and lines[-1].startswith("+"), r.text
    header = [c.strip() for c in lines[1].strip("|").split("|")]
    assert header == ["host", "n", "usage"]
    body = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[3:-1]]
    assert [row[0] for row in body] == ["alpha", "beta", "gamma", "alpha"]
    assert [int(row[1]) for row in body] == [0, 1, 2, 3]


def test_format_parquet(shared_server, db):
    r = get(shared_server, db=db, q=Q, format="parquet")
    assert r.status_code == 200, r.text
    data = r.content
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1", data[:16]
    assert len(data) > 100
    # Column names are in the footer metadata.
    for col in (b"host", b"n", b"usage"):
        assert col in data


def test_format_invalid(shared_server, db):
    r = get(shared_server, db=db, q=Q, format="xml")
    assert r.status_code == 400
    assert "error" in r.json()


def test_empty_result_every_format(shared_server, db):
    q = "SELECT host, n FROM cpu WHERE n > 1000"
    assert get(shared_server, db=db, q=q).json() == []
    assert get(shared_server, db=db, q=q, format="jsonl").text.strip() == ""
    csv_text = get(shared_server, db=db, q=q, format="csv").text
    assert csv_text.strip() in ("host,n", "")
    assert get(shared_server, db=db, q=q, format="parquet").content[:4] == b"PAR1"
    assert get(shared_server, db=db, q=q, format="pretty").status_code == 200


def test_post_json_body(shared_server, db):
    r = requests.post(shared_server.url + "/api/v3/query_sql",
                      json={"db": db, "q": Q, "format": "json"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json() == EXPECTED
    r = requests.post(shared_server.url + "/api/v3/query_sql",
                      json={"db": db, "q": Q, "format": "csv"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.text.splitlines()[0] == "host,n,usage"
    r = requests.post(shared_server.url + "/api/v3/query_sql", json={"db": db, "q": Q},
                      timeout=HTTP_TIMEOUT)
    assert r.json() == EXPECTED


def test_post_invalid_json_body(shared_server, db):
    r = requests.post(shared_server.url + "/api/v3/query_sql", data=b"{not json",
                      headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400
    assert "error" in r.json()


def test_unknown_database(shared_server):
    name = unique("nosuchdb")
    r = get(shared_server, db=name, q="SELECT 1")
    assert r.status_code == 404, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert name in body["error"]


def test_missing_parameters(shared_server, db):
    r = get(shared_server, q="SELECT 1")
    assert r.status_code == 400 and "db" in r.json()["error"]
    r = get(shared_server, db=db)
    assert r.status_code == 400 and "q" in r.json()["error"]


@pytest.mark.parametrize("q", [
    "SELEKT * FROM cpu",
    "SELECT FROM WHERE",
    "SELECT nosuchcolumn FROM cpu",
    "SELECT * FROM nosuchtable",
    "SELECT * FROM cpu WHERE",
])
def test_bad_sql_is_400(shared_server, db, q):
    r = get(shared_server, db=db, q=q)
    assert r.status_code == 400, (q, r.status_code, r.text)
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body


def test_counts_and_aggregates(shared_server, db):
    assert shared_server.count(db, "cpu") == 30
    assert shared_server.count(db, "mem") == 1
    rows = shared_server.sql(
        db, "SELECT host, count(*) AS c, sum(n) AS s, max(usage) AS mx FROM cpu GROUP BY host ORDER BY host")
    assert rows == [
        {"host": "alpha", "c": 10, "s": sum(range(0, 30, 3)), "mx": 27 * 1.5},
        {"host": "beta", "c": 10, "s": sum(range(1, 30, 3)), "mx": 28 * 1.5},
        {"host": "gamma", "c": 10, "s": sum(range(2, 30, 3)), "mx": 29 * 1.5},
    ]


@pytest.mark.parametrize("q", ["SELECT count(*) AS c FROM cpu", "SELECT count(1) AS c FROM cpu",
                               "SELECT count(*) AS c FROM mem"])
def test_count_star(shared_server, db, q):
    r = get(shared_server, db=db, q=q)
    assert r.status_code == 200, r.text
    assert r.json() == [{"c": 1 if "mem" in q else 30}]


def test_count_star_with_columns_in_play(shared_server, db):
    assert shared_server.scalar(db, "SELECT count(*) AS c FROM cpu WHERE host = 'alpha'") == 10
    assert shared_server.scalar(
        db, "SELECT count(*) AS c FROM (SELECT DISTINCT host, time FROM cpu) d") == 30
    assert shared_server.scalar(db, "SELECT count(time) AS c FROM cpu") == 30


def test_schema_columns(shared_server, db):
    rows = shared_server.sql(db, "SELECT * FROM cpu ORDER BY time LIMIT 1")
    assert set(rows[0]) == {"host", "region", "usage", "n", "label", "ok", "time"}
    assert rows[0]["time"].startswith("2024-01-01T00:00:00"), rows[0]


def test_time_filters(shared_server, db):
    t5 = BASE_NS + 5 * 10**9
    q = "SELECT count(*) AS c FROM cpu WHERE time >= '2024-01-01T00:00:05Z' AND time < '2024-01-01T00:00:15Z'"
    assert shared_server.scalar(db, q) == 10
    q = "SELECT count(*) AS c FROM cpu WHERE time > to_timestamp_seconds(%d)" % (BASE_S + 25)
    assert shared_server.scalar(db, q) == 4
    q = f"SELECT CAST(time AS BIGINT) AS t FROM cpu WHERE CAST(time AS BIGINT) = {t5}"
    assert shared_server.sql(db, q) == [{"t": t5}]
    q = "SELECT count(*) AS c FROM cpu WHERE time < '2023-01-01T00:00:00Z'"
    assert shared_server.scalar(db, q) == 0
    q = "SELECT n FROM cpu WHERE time BETWEEN '2024-01-01T00:00:28Z' AND '2024-01-01T00:01:00Z' ORDER BY time DESC"
    assert shared_server.sql(db, q) == [{"n": 29}, {"n": 28}]


def test_tag_and_field_filters(shared_server, db):
    assert shared_server.scalar(db, "SELECT count(*) AS c FROM cpu WHERE host = 'beta'") == 10
    assert shared_server.scalar(
        db, "SELECT count(*) AS c FROM cpu WHERE host = 'beta' AND region = 'eu'") == 5
    assert shared_server.scalar(db, "SELECT count(*) AS c FROM cpu WHERE host IN ('alpha', 'gamma')") == 20
    assert shared_server.scalar(db, "SELECT count(*) AS c FROM cpu WHERE host = 'nobody'") == 0
    assert shared_server.scalar(db, "SELECT count(*) AS c FROM cpu WHERE host LIKE 'g%'") == 10
    assert shared_server.scalar(db, "SELECT count(*) AS c FROM cpu WHERE ok") == 8
    assert shared_server.scalar(db, "SELECT count(*) AS c FROM cpu WHERE label = 'l7'") == 1
    rows = shared_server.sql(db, "SELECT n FROM cpu WHERE usage > 40 ORDER BY n")
    assert rows == [{"n": 27}, {"n": 28}, {"n": 29}]


def test_join_two_measurements(shared_server, db):
    rows = shared_server.sql(
        db, "SELECT c.n, m.free FROM cpu c JOIN mem m ON c.host = m.host AND c.time = m.time")
    assert rows == [{"n": 0, "free": 100}]


def test_cli_query_prints_table(shared_server, db, binary):
    out = subprocess.run(
        [str(binary), "query", "--sql", "SELECT host, n FROM cpu WHERE n < 3 ORDER BY n",
         "--database", db, "--host", shared_server.url],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("+-") and lines[-1].startswith("+-"), out.stdout
    assert [c.strip() for c in lines[1].strip("|").split("|")] == ["host", "n"], out.stdout
    text = out.stdout
    for host in ("alpha", "beta", "gamma"):
        assert f"| {host}" in text, text
    assert len(lines) == 3 + 3 + 1  # border, header, border, 3 rows, border


def test_cli_query_formats_and_errors(shared_server, db, binary):
    out = subprocess.run(
        [str(binary), "query", "--sql", "SELECT host, n FROM cpu WHERE n < 2 ORDER BY n",
         "--database", db, "--host", shared_server.url, "--format", "csv"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines() == ["host,n", "alpha,0", "beta,1"]

    out = subprocess.run(
        [str(binary), "query", "--sql", "SELECT * FROM nosuchtable", "--database", db,
         "--host", shared_server.url],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode != 0
    assert "nosuchtable" in out.stderr.lower(), out.stderr

    out = subprocess.run(
        [str(binary), "query", "--sql", "SELECT 1", "--database", db, "--host", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode != 0
    assert out.stderr.strip(), "no error message when the server is unreachable"
