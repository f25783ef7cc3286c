"""/write and /api/v2/write over plain HTTP: precisions, partial writes, type
conflicts, errors, and hostile input. After every bad input the server must
still answer /ping and the data stored before it must be intact."""

import gzip
import random
import subprocess
import time

import pytest
import requests

from e2e_util import HTTP_TIMEOUT, assert_alive, unique

BASE_S = 1_704_067_200  # 2024-01-01T00:00:00Z
BASE_NS = BASE_S * 10**9


# ------------------------------------------------------------ precision ----

# (precision parameter, timestamp in the line, expected stored nanoseconds)
V1_PRECISIONS = [
    (None, BASE_NS + 123_456_789, BASE_NS + 123_456_789),
    ("n", BASE_NS + 123_456_789, BASE_NS + 123_456_789),
    ("ns", BASE_NS + 1, BASE_NS + 1),
    ("u", BASE_S * 10**6 + 123_456, BASE_NS + 123_456_000),
    ("us", BASE_S * 10**6 + 7, BASE_NS + 7_000),
    ("ms", BASE_S * 1000 + 123, BASE_NS + 123_000_000),
    ("s", BASE_S + 5, BASE_NS + 5 * 10**9),
    ("m", BASE_S // 60 + 3, BASE_NS + 3 * 60 * 10**9),
    ("h", BASE_S // 3600 + 2, BASE_NS + 2 * 3600 * 10**9),
]


@pytest.mark.parametrize("precision,ts,expected", V1_PRECISIONS,
                         ids=[str(p[0]) for p in V1_PRECISIONS])
def test_v1_precision(shared_server, precision, ts, expected):
    db = shared_server.create_db()
    shared_server.write_ok(db, f"p,k=x v=1 {ts}", precision=precision)
    assert shared_server.scalar(db, "SELECT CAST(time AS BIGINT) AS t FROM p") == expected


@pytest.mark.parametrize("precision,ts,expected", [
    ("ns", BASE_NS + 9, BASE_NS + 9),
    ("us", BASE_S * 10**6 + 9, BASE_NS + 9_000),
    ("ms", BASE_S * 1000 + 9, BASE_NS + 9_000_000),
    ("s", BASE_S + 9, BASE_NS + 9 * 10**9),
])
def test_v2_precision(shared_server, precision, ts, expected):
    db = shared_server.create_db()
    r = requests.post(shared_server.url + "/api/v2/write",
                      params={"org": "o", "bucket": db, "precision": precision},
                      data=f"p v=1 {ts}", timeout=HTTP_TIMEOUT)
    assert r.status_code == 204, r.text
    assert shared_server.scalar(db, "SELECT CAST(time AS BIGINT) AS t FROM p") == expected


def test_invalid_precision_is_400(shared_server):
    db = shared_server.create_db()
    r = shared_server.write(db, "p v=1 1", precision="fortnight")
    assert r.status_code == 400
    assert "precision" in r.json()["error"]
    r = requests.post(shared_server.url + "/api/v2/write",
                      params={"org": "o", "bucket": db, "precision": "fortnight"},
                      data="p v=1 1", timeout=HTTP_TIMEOUT)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid" and "precision" in body["message"], body


def test_missing_timestamp_uses_server_time(shared_server):
    db = shared_server.create_db()
    before = time.time_ns()
    shared_server.write_ok(db, "now,k=a v=1\nnow,k=b v=2", precision="s")
    after = time.time_ns()
    rows = shared_server.sql(db, "SELECT k, CAST(time AS BIGINT) AS t FROM now ORDER BY k")
    assert [r["k"] for r in rows] == ["a", "b"]
    for r in rows:
        # Within the request's lifetime (one second of slack for precision truncation).
        assert before - 10**9 <= r["t"] <= after, (before, r, after)
    # Both lines of one request get the same time.
    assert rows[0]["t"] == rows[1]["t"]


# ------------------------------------------------ partial writes, conflicts ----

def test_partial_write_stores_good_lines(shared_server):
    db = shared_server.create_db()
    body = "\n".join([
        f"pw,h=a v=1 {BASE_NS}",
        "pw,h=b v=oops_not_a_value 2",
        f"pw,h=c v=3 {BASE_NS}",
        "pw,h=d",
        f"pw,h=e v=5 {BASE_NS}",
    ])
    r = shared_server.write(db, body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err.startswith("partial write"), err
    assert "dropped=2" in err, err
    assert "pw,h=b v=oops_not_a_value 2" in err or "pw,h=d" in err, err
    assert r.headers.get("X-Influxdb-Error"), r.headers
    rows = shared_server.sql(db, "SELECT h, v FROM pw ORDER BY h")
    assert rows == [{"h": "a", "v": 1.0}, {"h": "c", "v": 3.0}, {"h": "e", "v": 5.0}]


def test_nothing_parsable_is_unable_to_parse(shared_server):
    db = shared_server.create_db()
    shared_server.write_ok(db, f"keep v=1 {BASE_NS}")
    r = shared_server.write(db, "garbage line here\n")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err.startswith("unable to parse"), err
    assert "garbage line here" in err, err
    assert shared_server.count(db, "keep") == 1


def test_v2_partial_write_shape(shared_server):
    db = shared_server.create_db()
    r = requests.post(shared_server.url + "/api/v2/write", params={"bucket": db, "org": "o"},
                      data=f"v2p v=1 {BASE_NS}\nv2p v=\n", timeout=HTTP_TIMEOUT)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid", body
    assert "partial write" in body["message"] and "dropped=1" in body["message"], body
    assert shared_server.count(db, "v2p") == 1


def test_field_type_conflict_in_one_request(shared_server):
    db = shared_server.create_db()
    body = f"tc,h=a v=1i {BASE_NS}\ntc,h=b v=\"text\" {BASE_NS}\ntc,h=c v=3i {BASE_NS}\n"
    r = shared_server.write(db, body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert "partial write" in err and "field type conflict" in err, err
    assert "dropped=1" in err, err
    assert shared_server.sql(db, "SELECT h, v FROM tc ORDER BY h") == [
        {"h": "a", "v": 1}, {"h": "c", "v": 3}]


def test_field_type_conflict_across_requests(shared_server):
    db = shared_server.create_db()
    shared_server.write_ok(db, f"tc2,h=a v=1i {BASE_NS}")
    for bad in ("1.5", '"s"', "true"):
        r = shared_server.write(db, f"tc2,h=z v={bad} {BASE_NS + 1}")
        assert r.status_code == 400, (bad, r.text)
        err = r.json()["error"]
        assert "field type conflict" in err, err
        assert "dropped=1" in err, err
    # Nothing of the conflicting writes was stored.
    assert shared_server.sql(db, "SELECT h, v FROM tc2") == [{"h": "a", "v": 1}]
    # A different field name is fine.
    shared_server.write_ok(db, f"tc2,h=z w=1.5 {BASE_NS + 1}")
    assert shared_server.count(db, "tc2") == 2


def test_field_named_time_is_rejected(server):
    """InfluxDB refuses a field called `time` (partial write, the point is dropped)."""
    db = server.create_db()
    r = server.write(db, f"tf v=1 {BASE_NS}\ntf time=1 {BASE_NS + 1}\ntf v=3,time=2 {BASE_NS + 2}")
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert "partial write" in err and "time" in err and "dropped=2" in err, err
    assert server.sql(db, "SELECT * FROM tf") == [{"v": 1.0, "time": "2024-01-01T00:00:00"}]
    # The rejected field must not break persistence or a graceful shutdown.
    assert server.stop() == 0, server.log_tail()
    server.start()
    assert server.count(db, "tf") == 1


def test_tag_named_time_is_rejected(shared_server):
    db = shared_server.create_db()
    r = shared_server.write(db, f"tt,time=x v=1 {BASE_NS}\ntt v=2 {BASE_NS}")
    assert r.status_code == 400, r.text
    assert "time" in r.json()["error"]
    assert shared_server.sql(db, "SELECT * FROM tt") == [{"v": 2.0, "time": "2024-01-01T00:00:00"}]


def test_series_identity(shared_server):
    """Tag order does not matter; a missing tag is a different series."""
    db = shared_server.create_db()
    shared_server.write_ok(db, "\n".join([
        f"sid,a=1,b=2 v=1 {BASE_NS}",
        f"sid,b=2,a=1 v=5 {BASE_NS}",     # same series and time: overwrites
        f"sid,a=1 v=7 {BASE_NS}",         # another series
        f"sid v=9 {BASE_NS}",             # and another
        f"sid,a=1,b=2 w=3 {BASE_NS}",     # merges into the first
    ]))
    rows = shared_server.sql(db, "SELECT a, b, v, w FROM sid ORDER BY v")
    assert rows == [{"a": "1", "b": "2", "v": 5.0, "w": 3.0}, {"a": "1", "v": 7.0}, {"v": 9.0}]


def test_tag_and_field_with_the_same_name(shared_server):
    db = shared_server.create_db()
    r = shared_server.write(db, f"same,host=a host=1 {BASE_NS}")
    assert r.status_code in (204, 400), r.text
    # Either way the table stays queryable and the tag keeps its value.
    r2 = shared_server.sql_response(db, "SELECT * FROM same")
    if r.status_code == 204:
        assert r2.status_code == 200, r2.text
        assert r2.json()[0]["host"] == "a", r2.text
    assert_alive(shared_server)


def test_case_sensitive_names(shared_server):
    db = shared_server.create_db()
    shared_server.write_ok(db, f"CPU,Host=A Value=1 {BASE_NS}\ncpu,host=a value=2 {BASE_NS}")
    assert shared_server.sql(db, 'SELECT "Host", "Value" FROM "CPU"') == [{"Host": "A", "Value": 1.0}]
    assert shared_server.sql(db, "SELECT host, value FROM cpu") == [{"host": "a", "value": 2.0}]


def test_float_and_integer_literals(shared_server):
    db = shared_server.create_db()
    shared_server.write_ok(db, "\n".join([
        f"lit f=1,i=-5i,b=t,s=\"x y\",e=1.5e3 {BASE_NS}",
        f"lit f=-0.25,i=9223372036854775807i,b=FALSE,s=\"\",e=-2E-2 {BASE_NS + 1}",
        f"lit f=1e308,i=-9223372036854775808i,b=True,s=\"\\\\\",e=0 {BASE_NS + 2}",
    ]))
    rows = shared_server.sql(db, "SELECT f, i, b, s, e FROM lit ORDER BY time")
    assert rows == [
        {"f": 1.0, "i": -5, "b": True, "s": "x y", "e": 1500.0},
        {"f": -0.25, "i": 9223372036854775807, "b": False, "s": "", "e": -0.02},
        {"f": 1e308, "i": -9223372036854775808, "b": True, "s": "\\", "e": 0.0},
    ]


def test_unsigned_integers(shared_server):
    """`u` suffix (InfluxDB 2.x line protocol): stored as unsigned."""
    db = shared_server.create_db()
    shared_server.write_ok(db, f"uns v=0u {BASE_NS}\nuns v=18446744073709551615u {BASE_NS + 1}")
    rows = shared_server.sql(db, "SELECT v FROM uns ORDER BY time")
    assert rows == [{"v": 0}, {"v": 18446744073709551615}]
    r = shared_server.write(db, f"uns v=18446744073709551616u {BASE_NS + 2}")
    assert r.status_code == 400, r.text
    r = shared_server.write(db, f"uns v=-1u {BASE_NS + 2}")
    assert r.status_code == 400, r.text


def test_escapes_and_unicode(shared_server):
    db = shared_server.create_db()
    line = ('esc,tag\\ key=va\\,l\\=ue,city=Zürich '
            'field\\ one="say \\"hi\\" \\\\ bye",emoji="🦀" ' f"{BASE_NS}")
    shared_server.write_ok(db, line)
    rows = shared_server.sql(db, 'SELECT "tag key", city, "field one", emoji FROM esc')
    assert rows == [{"tag key": "va,l=ue", "city": "Zürich",
                     "field one": 'say "hi" \\ bye', "emoji": "🦀"}]


def test_comments_blank_lines_crlf(shared_server):
    db = shared_server.create_db()
    body = f"# a comment\n\ncr v=1 {BASE_NS}\r\n   \ncr v=2 {BASE_NS + 1}\n# end\n"
    shared_server.write_ok(db, body)
    assert shared_server.count(db, "cr") == 2


def test_empty_body_is_ok(shared_server):
    db = shared_server.create_db()
    r = shared_server.write(db, b"")
    assert r.status_code in (204, 400), r.text
    assert_alive(shared_server)


# --------------------------------------------------------- request errors ----

def test_missing_database_404(shared_server):
    name = unique("nodb")
    r = shared_server.write(name, "m v=1 1")
    assert r.status_code == 404
    assert r.json() == {"error": f'database not found: "{name}"'}
    r = requests.post(shared_server.url + "/api/v2/write", params={"bucket": name, "org": "o"},
                      data="m v=1 1", timeout=HTTP_TIMEOUT)
    assert r.status_code == 404
    assert r.json() == {"code": "not found", "message": f'bucket "{name}" not found'}


def test_missing_db_param_400(shared_server):
    r = requests.post(shared_server.url + "/write", data="m v=1 1", timeout=HTTP_TIMEOUT)
    assert r.status_code == 400
    assert "error" in r.json()
    r = requests.post(shared_server.url + "/write", params={"db": ""}, data="m v=1 1",
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 400
    r = requests.post(shared_server.url + "/api/v2/write", params={"org": "o"}, data="m v=1 1",
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"


def test_unknown_retention_policy(shared_server):
    db = shared_server.create_db()
    r = shared_server.write(db, "m v=1 1", rp="nosuchrp")
    assert 400 <= r.status_code < 500, r.text
    assert "retention policy not found" in r.json()["error"]


def test_write_with_get_is_rejected(shared_server):
    db = shared_server.create_db()
    r = requests.get(shared_server.url + "/write", params={"db": db}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 405


def test_gzip_body_requests(shared_server):
    db = shared_server.create_db()
    body = "\n".join(f"gz,h=h{i % 5} v={i}i {BASE_NS + i}" for i in range(1000)).encode()
    r = shared_server.write(db, gzip.compress(body), headers={"Content-Encoding": "gzip"})
    assert r.status_code == 204, r.text
    r = requests.post(shared_server.url + "/api/v2/write", params={"bucket": db, "org": "o"},
                      data=gzip.compress(f"gz,h=v2 v=1i {BASE_NS}".encode()),
                      headers={"Content-Encoding": "gzip"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 204, r.text
    assert shared_server.count(db, "gz") == 1001
    # Two gzip members concatenated are one body.
    two = gzip.compress(b"gz,h=m1 v=1i 1\n") + gzip.compress(b"gz,h=m2 v=1i 1\n")
    shared_server.write_ok(db, two, headers={"Content-Encoding": "gzip"})
    assert shared_server.count(db, "gz") == 1003


def test_curl_gzip_file(shared_server, tmp_path):
    db = shared_server.create_db()
    lines = "\n".join(f"curl,h=h{i % 3} v={i * 0.5} {BASE_S + i}" for i in range(500)) + "\n"
    path = tmp_path / "batch.lp.gz"
    path.write_bytes(gzip.compress(lines.encode()))
    out = subprocess.run(
        ["curl", "-sS", "-o", str(tmp_path / "out"), "-w", "%{http_code}",
         "-XPOST", f"{shared_server.url}/write?db={db}&precision=s",
         "--data-binary", f"@{path}", "-H", "Content-Encoding: gzip"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "204", (out.stdout, (tmp_path / "out").read_text())
    assert shared_server.count(db, "curl") == 500
    assert shared_server.scalar(db, "SELECT sum(v) AS s FROM curl") == sum(i * 0.5 for i in range(500))

    # The same file cut short: 400, nothing more stored.
    bad = tmp_path / "truncated.gz"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    out = subprocess.run(
        ["curl", "-sS", "-o", str(tmp_path / "out2"), "-w", "%{http_code}",
         "-XPOST", f"{shared_server.url}/write?db={db}&precision=s",
         "--data-binary", f"@{bad}", "-H", "Content-Encoding: gzip"],
        capture_output=True, text=True, timeout=60)
    assert out.stdout == "400", (out.stdout, (tmp_path / "out2").read_text())
    assert "error" in (tmp_path / "out2").read_text()
    assert shared_server.count(db, "curl") == 500


def test_body_too_large_413(server_factory):
    srv = server_factory("--max-body-size", "1000")
    db = srv.create_db()
    small = b"".join(b"big,h=a v=%di %d\n" % (i, i) for i in range(40))
    assert len(small) < 1000
    srv.write_ok(db, small)
    assert srv.count(db, "big") == 40

    large = b"".join(b"big,h=b v=%di %d\n" % (i, i) for i in range(200))
    assert len(large) > 1000
    r = srv.write(db, large)
    assert r.status_code == 413, r.text
    r = requests.post(srv.url + "/api/v2/write", params={"bucket": db, "org": "o"}, data=large,
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 413, r.text

    # Small when compressed, too large once decompressed.
    bomb = gzip.compress(b"big,h=c v=1i 1\n" * 5000)
    assert len(bomb) < 1000
    r = srv.write(db, bomb, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413, r.text

    assert_alive(srv)
    assert srv.count(db, "big") == 40


# ------------------------------------------------- hostile input, each one ----

def _random_bytes(n: int) -> bytes:
    rng = random.Random(1234)
    return bytes(rng.getrandbits(8) for _ in range(n))


def _long_tag_line() -> bytes:
    return b"huge,tag=" + b"x" * (10 * 1024 * 1024) + b" v=1 1\n"


# (id, headers, body, accepted statuses)
BAD_INPUTS = [
    ("truncated-gzip", {"Content-Encoding": "gzip"},
     lambda: gzip.compress(b"bad v=1 1\n" * 1000)[:60], {400}),
    ("not-gzip-at-all", {"Content-Encoding": "gzip"}, lambda: b"bad v=1 1\n", {400}),
    ("wrong-content-encoding-br", {"Content-Encoding": "br"}, lambda: b"bad v=1 1\n", {415}),
    ("wrong-content-encoding-deflate", {"Content-Encoding": "deflate"},
     lambda: b"bad v=1 1\n", {415}),
    ("random-bytes", {}, lambda: _random_bytes(64 * 1024), {400}),
    ("random-bytes-gzipped", {"Content-Encoding": "gzip"},
     lambda: gzip.compress(_random_bytes(64 * 1024)), {400}),
    ("invalid-utf8-tag", {}, lambda: b"bad,host=\xff\xfe\xfd v=1 1\n", {400}),
    ("invalid-utf8-measurement", {}, lambda: b"\xc3\x28bad v=1 1\n", {400}),
    ("invalid-utf8-string-field", {}, lambda: b'bad s="\xed\xa0\x80" 1\n', {400}),
    ("nul-bytes", {}, lambda: b"bad\x00 v=1\x00 1\n", {400}),
    ("10mb-tag-value", {}, _long_tag_line, {400, 413}),
    ("10mb-line-no-newline", {}, lambda: b"huge v=" + b"9" * (10 * 1024 * 1024), {400, 413}),
    ("many-tags", {}, lambda: b"bad," + b",".join(b"t%d=v" % i for i in range(100_000)) + b" v=1 1\n",
     {400, 413}),
    ("ts-overflows-i64", {}, lambda: b"bad v=1 99999999999999999999\n", {400}),
    ("ts-i64-max", {}, lambda: b"bad v=1 9223372036854775807\n", {400}),
    ("ts-i64-min", {}, lambda: b"bad v=1 -9223372036854775808\n", {400}),
    ("ts-seconds-overflow", {}, lambda: b"bad v=1 10000000000000\n", {400}),  # with precision=s below
    ("ts-not-a-number", {}, lambda: b"bad v=1 12ab\n", {400}),
    ("field-without-value", {}, lambda: b"bad v= 1\n", {400}),
    ("unterminated-string", {}, lambda: b'bad s="never closed 1\n', {400}),
    ("integer-overflow", {}, lambda: b"bad v=9223372036854775808i 1\n", {400}),
    ("only-measurement", {}, lambda: b"bad\n", {400}),
    ("only-whitespace-and-commas", {}, lambda: b" , , ,\n", {400}),
    ("inf-float", {}, lambda: b"bad v=inf 1\n", {400}),
    ("nan-float", {}, lambda: b"bad v=NaN 1\n", {400}),
]


@pytest.fixture(scope="module")
def baseline(shared_server):
    """A database with known content that no bad input may change."""
    db = shared_server.create_db(unique("baseline"))
    body = "\n".join(f"base,h=h{i % 4} v={i}i {BASE_NS + i}" for i in range(200))
    shared_server.write_ok(db, body)
    return db


def _assert_intact(srv, db, n):
    assert srv.count(db, "base") == n
    assert srv.scalar(db, "SELECT sum(v) AS s FROM base") == sum(range(n))


@pytest.mark.parametrize("name,headers,make_body,statuses", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_rejected_and_server_survives(shared_server, baseline, name, headers,
                                                   make_body, statuses):
    # The bad input goes to a database of its own, so one accepted input
    # cannot make the other cases fail; the module's baseline must not change either.
    victim = shared_server.create_db()
    shared_server.write_ok(victim, "\n".join(f"base,h=a v={i}i {BASE_NS + i}" for i in range(10)))
    body = make_body()
    extra = {"precision": "s"} if name == "ts-seconds-overflow" else {}

    r = shared_server.write(victim, body, headers=headers, timeout=120, **extra)
    assert r.status_code in statuses, (name, r.status_code, r.text[:500])
    if r.status_code != 413:
        assert r.json().get("error"), r.text[:500]
    assert len(r.content) < 1_000_000, "the error answer echoes the whole input"

    # v2 endpoint: same input, same kind of answer in the v2 shape.
    r = requests.post(shared_server.url + "/api/v2/write",
                      params={"bucket": victim, "org": "o", **extra},
                      data=body, headers=headers, timeout=120)
    assert r.status_code in statuses, (name, "v2", r.status_code, r.text[:500])
    if r.status_code != 413:
        assert r.json().get("code"), r.text[:500]

    assert_alive(shared_server)
    _assert_intact(shared_server, victim, 10)
    _assert_intact(shared_server, baseline, 200)
    # The bad measurement never became a table with rows in it.
    r = shared_server.sql_response(victim, "SELECT count(*) AS n FROM bad")
    if r.status_code == 200:
        assert r.json() == [{"n": 0}], r.text
    else:
        assert r.status_code in (400, 404), r.text


def test_timestamps_at_the_edges_of_the_range(shared_server):
    db = shared_server.create_db()
    lo = -9223372036854775806
    hi = 9223372036854775806
    neg = -1_000_000_000  # 1969-12-31T23:59:59Z
    shared_server.write_ok(db, f"edge,k=neg v=1 {neg}\nedge,k=zero v=2 0\nedge,k=year2200 v=3 {7258118400 * 10**9}")
    rows = shared_server.sql(db, "SELECT k, CAST(time AS BIGINT) AS t FROM edge ORDER BY time")
    assert rows == [{"k": "neg", "t": neg}, {"k": "zero", "t": 0},
                    {"k": "year2200", "t": 7258118400 * 10**9}]
    # The extreme representable values are either accepted and read back
    # exactly, or refused with 400 - never stored wrongly, never a crash.
    for k, t in (("lo", lo), ("hi", hi)):
        r = shared_server.write(db, f"edge,k={k} v=9 {t}")
        assert r.status_code in (204, 400), r.text
        got = shared_server.sql(db, f"SELECT CAST(time AS BIGINT) AS t FROM edge WHERE k = '{k}'")
        if r.status_code == 204:
            assert got == [{"t": t}], (k, got)
        else:
            assert got == [], (k, got)
    assert_alive(shared_server)


def test_many_concurrent_connections_with_errors(shared_server):
    """Good and bad writes interleaved from several threads."""
    import concurrent.futures

    db = shared_server.create_db()

    def work(i):
        if i % 3 == 0:
            r = shared_server.write(db, f"cc,w=w{i} v=oops {i}")
            return r.status_code == 400
        r = shared_server.write(db, f"cc,w=w{i} v={i}i {BASE_NS + i}")
        return r.status_code == 204

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(300)))
    assert all(results)
    assert shared_server.count(db, "cc") == 200
    assert_alive(shared_server)


def test_slow_and_aborted_clients(shared_server):
    """A client that sends half a request and disconnects leaves nothing behind."""
    import socket

    db = shared_server.create_db()
    body = f"abort v=1i {BASE_NS}\n".encode() * 100
    for cut in (10, len(body) // 2, len(body) - 1):
        s = socket.create_connection(("127.0.0.1", shared_server.port), timeout=10)
        head = (f"POST /write?db={db} HTTP/1.1\r\nHost: x\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        s.sendall(head + body[:cut])
        s.close()
    time.sleep(0.3)
    assert_alive(shared_server)
    r = shared_server.sql_response(db, "SELECT count(*) AS n FROM abort")
    if r.status_code == 200:
        assert r.json() == [{"n": 0}], r.text
    else:
        assert r.status_code in (400, 404), r.text


def test_concurrent_schema_changes(shared_server):
    """Many writers adding new fields and tags to one measurement at once:
    every acknowledged value is there afterwards."""
    import concurrent.futures

    db = shared_server.create_db()

    def work(w):
        for k in range(15):
            line = f"schema,w=w{w},t{k}=x f_{w}_{k}={w * 100 + k}i {BASE_NS + w * 1000 + k}"
            r = shared_server.write(db, line)
            if r.status_code != 204:
                return f"{line}: {r.status_code} {r.text}"
        return None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        errors = [e for e in pool.map(work, range(8)) if e]
    assert not errors, errors
    assert shared_server.count(db, "schema") == 8 * 15
    rows = shared_server.sql(db, "SELECT * FROM schema")
    assert len(rows) == 120
    for w in range(8):
        for k in range(15):
            matching = [r for r in rows if r.get(f"f_{w}_{k}") is not None]
            assert len(matching) == 1, (w, k, matching)
            assert matching[0][f"f_{w}_{k}"] == w * 100 + k
            assert matching[0]["w"] == f"w{w}" and matching[0][f"t{k}"] == "x"


def test_concurrent_type_conflict_race(shared_server):
    """Writers race to create the same new field with different types: one
    type wins, every losing write gets a 400, and the table stays queryable."""
    import concurrent.futures

    for attempt in range(5):
        db = shared_server.create_db()
        values = ["1i", "1.5", '"s"', "true", "2u"]

        def work(j):
            r = shared_server.write(db, f"race,j=j{j} f={values[j % len(values)]} {BASE_NS + j}")
            return j, r.status_code, r.text

        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            results = list(pool.map(work, range(20)))
        ok = [j for j, code, _ in results if code == 204]
        bad = [(j, code, text) for j, code, text in results if code != 204]
        assert ok, results
        kinds = {values[j % len(values)] for j in ok}
        # All accepted writes agree on one type ("1i" and "2u" are different types).
        assert len(kinds) == 1, (attempt, kinds, results)
        for j, code, text in bad:
            assert code == 400 and "field type conflict" in text, (j, code, text)
        rows = shared_server.sql(db, "SELECT j, f FROM race ORDER BY j")
        assert len(rows) == len(ok), (rows, ok)
