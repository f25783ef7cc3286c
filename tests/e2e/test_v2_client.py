"""The InfluxDB 2.x Python client (PyPI `influxdb-client`), used unchanged,
writing through /api/v2/write; results read back through SQL."""

from datetime import datetime, timezone

import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from e2e_util import unique

BASE_S = 1_704_067_200  # 2024-01-01T00:00:00Z
BASE_NS = BASE_S * 10**9


@pytest.fixture(params=[False, True], ids=["plain", "gzip"])
def gzip(request):
    return request.param


@pytest.fixture
def client(shared_server, gzip):
    c = InfluxDBClient(url=shared_server.url, token="any", org="any", timeout=30_000,
                       enable_gzip=gzip)
    yield c
    c.close()


@pytest.fixture
def write_api(client):
    api = client.write_api(write_options=SYNCHRONOUS)
    yield api
    api.close()


@pytest.mark.parametrize("bucket_suffix", ["/autogen", ""], ids=["db/autogen", "db"])
def test_write_points(shared_server, write_api, bucket_suffix):
    db = shared_server.create_db(unique("v2"))
    bucket = db + bucket_suffix
    points = [
        Point("cpu")
        .tag("host", f"h{i % 2}")
        .tag("region", "eu")
        .field("usage", 10.25 * i)
        .field("cores", i)
        .field("model", f"m{i}")
        .field("hot", i > 5)
        .time(BASE_NS + i * 1_000, WritePrecision.NS)
        for i in range(10)
    ]
    write_api.write(bucket=bucket, record=points)
    assert shared_server.count(db, "cpu") == 10
    rows = shared_server.sql(
        db,
        "SELECT host, region, usage, cores, model, hot, CAST(time AS BIGINT) AS t "
        "FROM cpu ORDER BY time")
    assert rows == [
        {"host": f"h{i % 2}", "region": "eu", "usage": 10.25 * i, "cores": i,
         "model": f"m{i}", "hot": i > 5, "t": BASE_NS + i * 1_000}
        for i in range(10)
    ]


def test_write_line_strings(shared_server, write_api, gzip):
    db = shared_server.create_db(unique("v2"))
    lines = [f"net,iface=eth{i % 3} rx={i * 100}i,tx={i * 50}i {BASE_S + i}" for i in range(300)]
    # A list of strings, then a single multi-line string.
    write_api.write(bucket=f"{db}/autogen", record=lines[:200], write_precision=WritePrecision.S)
    write_api.write(bucket=db, record="\n".join(lines[200:]), write_precision=WritePrecision.S)
    assert shared_server.count(db, "net") == 300
    assert shared_server.scalar(db, "SELECT sum(rx) AS s FROM net") == sum(i * 100 for i in range(300))
    assert shared_server.scalar(
        db, "SELECT CAST(max(time) AS BIGINT) AS t FROM net") == (BASE_S + 299) * 10**9
    rows = shared_server.sql(db, "SELECT iface, count(*) AS n FROM net GROUP BY iface ORDER BY iface")
    assert rows == [{"iface": "eth0", "n": 100}, {"iface": "eth1", "n": 100}, {"iface": "eth2", "n": 100}]


def test_write_dicts_with_precisions(shared_server, write_api):
    db = shared_server.create_db(unique("v2"))
    cases = [
        (WritePrecision.S, BASE_S, BASE_S * 10**9),
        (WritePrecision.MS, BASE_S * 1000 + 1, BASE_S * 10**9 + 1_000_000),
        (WritePrecision.US, BASE_S * 10**6 + 2, BASE_S * 10**9 + 2_000),
        (WritePrecision.NS, BASE_NS + 3, BASE_NS + 3),
    ]
    for i, (precision, ts, _) in enumerate(cases):
        write_api.write(
            bucket=db,
            record={"measurement": "dict", "tags": {"p": str(precision)},
                    "fields": {"v": float(i)}, "time": ts},
            write_precision=precision,
        )
    rows = shared_server.sql(db, "SELECT p, v, CAST(time AS BIGINT) AS t FROM dict ORDER BY v")
    assert rows == [
        {"p": str(p), "v": float(i), "t": expected} for i, (p, _, expected) in enumerate(cases)
    ]


def test_write_datetime_point(shared_server, write_api):
    db = shared_server.create_db(unique("v2"))
    when = datetime(2024, 3, 1, 12, 30, 15, 250000, tzinfo=timezone.utc)
    write_api.write(bucket=db, record=Point("dt").field("x", 1.0).time(when))
    expected = int(when.timestamp()) * 10**9 + 250_000_000
    assert shared_server.scalar(db, "SELECT CAST(time AS BIGINT) AS t FROM dt") == expected


def test_field_merge_and_last_write_wins(shared_server, write_api):
    db = shared_server.create_db(unique("v2"))
    write_api.write(bucket=db, record=Point("m").tag("k", "a").field("x", 1.0).field("y", 2.0).time(BASE_NS))
    write_api.write(bucket=db, record=Point("m").tag("k", "a").field("y", 3.0).field("z", 4.0).time(BASE_NS))
    assert shared_server.sql(db, "SELECT k, x, y, z FROM m") == [{"k": "a", "x": 1.0, "y": 3.0, "z": 4.0}]


def test_missing_bucket_raises_404(shared_server, write_api):
    missing = unique("nobucket")
    with pytest.raises(ApiException) as e:
        write_api.write(bucket=missing, record="m v=1 1")
    assert e.value.status == 404
    assert f'bucket \\"{missing}\\" not found' in e.value.body or \
        f'bucket "{missing}" not found' in e.value.body, e.value.body


def test_bad_line_raises_400(shared_server, write_api):
    db = shared_server.create_db(unique("v2"))
    with pytest.raises(ApiException) as e:
        write_api.write(bucket=db, record="m v=1 1\nnot valid line protocol")
    assert e.value.status == 400
    assert "partial write" in e.value.body, e.value.body
    assert shared_server.count(db, "m") == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ping_and_health(client):
    assert client.ping() is True
    health = client.health()
    assert health.status == "pass"
