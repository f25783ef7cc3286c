"""The InfluxDB 1.x Python client (PyPI `influxdb`), used unchanged, against
Almanac; what it stored is read back through /api/v3/query_sql."""

import pytest
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError

from e2e_util import unique

BASE_S = 1_704_067_200  # 2024-01-01T00:00:00Z


@pytest.fixture
def client(shared_server):
    c = InfluxDBClient(host="127.0.0.1", port=shared_server.port, timeout=30)
    yield c
    c.close()


def test_ping_returns_version(client, shared_server):
    version = client.ping()
    assert version
    assert version == shared_server.ping().headers["X-Influxdb-Version"]


def test_create_list_drop_database(client):
    db = unique("v1")
    client.create_database(db)
    assert {"name": db} in client.get_list_database()
    # The client quotes identifiers; a name that needs quoting works too.
    odd = unique("v1-odd.name")
    client.create_database(odd)
    names = [d["name"] for d in client.get_list_database()]
    assert db in names and odd in names
    client.drop_database(odd)
    client.drop_database(db)
    names = [d["name"] for d in client.get_list_database()]
    assert db not in names and odd not in names


def test_write_points_json_seconds(client, shared_server):
    db = unique("v1")
    client.create_database(db)
    points = [
        {
            "measurement": "cpu",
            "tags": {"host": "server01", "region": "us-west"},
            "time": BASE_S + i,
            "fields": {
                "usage": 0.5 + i,       # float
                "cores": 4 + i,         # integer
                "state": f"run {i}",    # string
                "ok": i % 2 == 0,       # boolean
            },
        }
        for i in range(10)
    ]
    assert client.write_points(points, time_precision="s", database=db) is True

    assert shared_server.count(db, "cpu") == 10
    rows = shared_server.sql(
        db,
        "SELECT host, region, usage, cores, state, ok, CAST(time AS BIGINT) AS t "
        "FROM cpu ORDER BY time",
    )
    assert len(rows) == 10
    for i, row in enumerate(rows):
        assert row == {
            "host": "server01",
            "region": "us-west",
            "usage": 0.5 + i,
            "cores": 4 + i,
            "state": f"run {i}",
            "ok": i % 2 == 0,
            "t": (BASE_S + i) * 10**9,
        }


def test_write_points_json_milliseconds_and_default_tags(client, shared_server):
    db = unique("v1")
    client.create_database(db)
    base_ms = BASE_S * 1000
    points = [
        {"measurement": "mem", "tags": {"host": f"h{i % 3}"}, "time": base_ms + i * 7,
         "fields": {"used": i * 1024}}
        for i in range(30)
    ]
    assert client.write_points(points, time_precision="ms", database=db,
                               tags={"dc": "ams"}, batch_size=7) is True
    assert shared_server.count(db, "mem") == 30
    rows = shared_server.sql(
        db, "SELECT host, dc, used, CAST(time AS BIGINT) AS t FROM mem ORDER BY time")
    assert [r["t"] for r in rows] == [(base_ms + i * 7) * 10**6 for i in range(30)]
    assert [r["used"] for r in rows] == [i * 1024 for i in range(30)]
    assert [r["host"] for r in rows] == [f"h{i % 3}" for i in range(30)]
    assert {r["dc"] for r in rows} == {"ams"}
    by_host = shared_server.sql(
        db, "SELECT host, count(*) AS n FROM mem GROUP BY host ORDER BY host")
    assert by_host == [{"host": "h0", "n": 10}, {"host": "h1", "n": 10}, {"host": "h2", "n": 10}]


def test_write_points_rfc3339_time(client, shared_server):
    db = unique("v1")
    client.create_database(db)
    points = [{"measurement": "ev", "time": "2024-01-01T00:00:01.5Z", "fields": {"n": 1}}]
    assert client.write_points(points, database=db)
    assert shared_server.scalar(db, "SELECT CAST(time AS BIGINT) AS t FROM ev") == \
        (BASE_S + 1) * 10**9 + 500_000_000


def test_write_points_line_protocol(client, shared_server):
    db = unique("v1")
    client.create_database(db)
    lines = [
        f"disk,host=a,path=/ free=10i,pct=0.25 {BASE_S}000000000",
        f"disk,host=a,path=/home free=20i,pct=0.5 {BASE_S}000000000",
        f'disk,host=b,path=/ free=30i,pct=0.75,note="a \\"quoted\\" word" {BASE_S + 1}000000000',
    ]
    assert client.write_points(lines, database=db, protocol="line") is True
    rows = shared_server.sql(db, "SELECT host, path, free, pct, note FROM disk ORDER BY host, path")
    assert rows == [
        {"host": "a", "path": "/", "free": 10, "pct": 0.25},
        {"host": "a", "path": "/home", "free": 20, "pct": 0.5},
        {"host": "b", "path": "/", "free": 30, "pct": 0.75, "note": 'a "quoted" word'},
    ]


def test_duplicate_points_merge_fields_and_later_write_wins(client, shared_server):
    db = unique("v1")
    client.create_database(db)
    t = BASE_S
    first = [{"measurement": "w", "tags": {"loc": "x"}, "time": t, "fields": {"a": 1.0, "b": 2.0}}]
    second = [{"measurement": "w", "tags": {"loc": "x"}, "time": t, "fields": {"b": 20.0, "c": "new"}}]
    other = [{"measurement": "w", "tags": {"loc": "y"}, "time": t, "fields": {"a": 7.0}}]
    assert client.write_points(first, time_precision="s", database=db)
    assert client.write_points(other, time_precision="s", database=db)
    assert client.write_points(second, time_precision="s", database=db)

    assert shared_server.count(db, "w") == 2
    rows = shared_server.sql(db, "SELECT loc, a, b, c FROM w ORDER BY loc")
    assert rows == [{"loc": "x", "a": 1.0, "b": 20.0, "c": "new"}, {"loc": "y", "a": 7.0}]

    # The same point many times in one request: the last one wins.
    batch = [{"measurement": "w", "tags": {"loc": "z"}, "time": t, "fields": {"a": float(i)}}
             for i in range(50)]
    assert client.write_points(batch, time_precision="s", database=db)
    assert shared_server.sql(db, "SELECT a FROM w WHERE loc = 'z'") == [{"a": 49.0}]
    assert shared_server.count(db, "w") == 3


def test_write_to_missing_database_raises_404(client):
    with pytest.raises(InfluxDBClientError) as e:
        client.write_points([{"measurement": "m", "fields": {"v": 1}}], database=unique("missing"))
    assert e.value.code == 404
    assert "database not found" in str(e.value.content)


def test_query_show_databases_through_client(client):
    db = unique("v1")
    client.create_database(db)
    rs = client.query("SHOW DATABASES")
    assert {"name": db} in list(rs.get_points())


def test_unsupported_query_raises_with_message(client):
    db = unique("v1")
    client.create_database(db)
    with pytest.raises(InfluxDBClientError) as e:
        client.query("DELETE FROM m WHERE a = 'x' OR b = 'y'", database=db)
    assert "not supported yet" in str(e.value)
