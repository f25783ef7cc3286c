"""The InfluxQL statements /query answers so far: CREATE/SHOW/DROP DATABASE."""

import time

import requests

from e2e_util import HTTP_TIMEOUT, unique


def now_ns() -> int:
    return time.time_ns()


def test_show_databases_on_empty_server_has_no_values(server):
    r = server.influxql("SHOW DATABASES")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers.get("X-Influxdb-Version")
    assert r.json() == {
        "results": [{"statement_id": 0, "series": [{"name": "databases", "columns": ["name"]}]}]
    }


def test_create_show_drop_exact_shapes(server):
    r = server.influxql('CREATE DATABASE "alpha"')
    assert r.status_code == 200
    assert r.json() == {"results": [{"statement_id": 0}]}
    r = server.influxql("CREATE DATABASE beta")
    assert r.json() == {"results": [{"statement_id": 0}]}

    r = server.influxql("SHOW DATABASES")
    body = r.json()
    assert set(body) == {"results"}
    assert len(body["results"]) == 1
    result = body["results"][0]
    assert set(result) == {"statement_id", "series"}
    assert result["statement_id"] == 0
    assert len(result["series"]) == 1
    series = result["series"][0]
    assert set(series) == {"name", "columns", "values"}
    assert series["name"] == "databases"
    assert series["columns"] == ["name"]
    assert sorted(series["values"]) == [["alpha"], ["beta"]]

    r = server.influxql("DROP DATABASE alpha")
    assert r.status_code == 200
    assert r.json() == {"results": [{"statement_id": 0}]}
    values = server.influxql("SHOW DATABASES").json()["results"][0]["series"][0]["values"]
    assert values == [["beta"]]


def test_get_query_works_like_post(shared_server):
    db = unique()
    r = requests.get(shared_server.url + "/query", params={"q": f"CREATE DATABASE {db}"},
                     timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    # As influxd: executed, with a deprecation warning for a change made through GET.
    assert r.json() == {"results": [{"statement_id": 0, "messages": [{
        "level": "warning",
        "text": f"deprecated use of 'CREATE DATABASE {db}' in a read only context, "
                "please use a POST request instead"}]}]}
    r = requests.get(shared_server.url + "/query", params={"q": "SHOW DATABASES"}, timeout=HTTP_TIMEOUT)
    assert [db] in r.json()["results"][0]["series"][0]["values"]


def test_create_existing_database_is_idempotent(shared_server):
    db = shared_server.create_db()
    shared_server.write_ok(db, "m v=1 1")
    r = shared_server.influxql(f"CREATE DATABASE {db}")
    assert r.status_code == 200
    assert r.json() == {"results": [{"statement_id": 0}]}
    # ... and does not lose data.
    assert shared_server.count(db, "m") == 1


def test_drop_missing_database_is_not_an_error(shared_server):
    r = shared_server.influxql(f"DROP DATABASE {unique('never')}")
    assert r.status_code == 200
    assert r.json() == {"results": [{"statement_id": 0}]}


def test_multiple_statements(shared_server):
    a, b = unique(), unique()
    r = shared_server.influxql(f"CREATE DATABASE {a}; CREATE DATABASE {b}; SHOW DATABASES")
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["statement_id"] for x in results] == [0, 1, 2]
    assert "error" not in results[0] and "error" not in results[1]
    names = [v[0] for v in results[2]["series"][0]["values"]]
    assert a in names and b in names


def test_create_database_with_duration_and_rp_name(server):
    r = server.influxql("CREATE DATABASE weather WITH DURATION 1d NAME short")
    assert r.status_code == 200, r.text
    assert r.json() == {"results": [{"statement_id": 0}]}
    values = server.influxql("SHOW DATABASES").json()["results"][0]["series"][0]["values"]
    assert values == [["weather"]]

    # A recent point goes into the named retention policy, explicitly and by default.
    t = now_ns()
    server.write_ok("weather", f"temp,city=oslo c=3.5 {t}", rp="short")
    server.write_ok("weather", f"temp,city=rome c=21.0 {t}")
    rows = server.sql("weather", "SELECT city, c FROM temp ORDER BY city")
    assert rows == [{"city": "oslo", "c": 3.5}, {"city": "rome", "c": 21.0}]


def test_write_beyond_one_day_retention_is_not_stored(server):
    server.influxql("CREATE DATABASE shortlived WITH DURATION 1d NAME day")
    t = now_ns()
    server.write_ok("shortlived", f"m v=1 {t}")
    two_days_ago = t - 2 * 86400 * 10**9
    r = server.write("shortlived", f"m v=2 {two_days_ago}")
    # InfluxDB drops points outside the retention policy: 400 partial write
    # ("points beyond retention policy dropped=1").
    assert r.status_code == 400, r.text
    assert "dropped=1" in r.json()["error"], r.text
    assert server.count("shortlived", "m") == 1


def test_create_database_bad_duration_is_an_error(shared_server):
    db = unique()
    r = shared_server.influxql(f"CREATE DATABASE {db} WITH DURATION banana")
    body = r.json()
    err = body.get("error") or body["results"][0].get("error")
    assert err, body
    values = shared_server.influxql("SHOW DATABASES").json()["results"][0]["series"][0].get("values", [])
    assert [db] not in values


def test_drop_database_then_write_is_404(server):
    db = server.create_db()
    server.write_ok(db, "cpu,host=a v=1 1")
    assert server.count(db, "cpu") == 1
    r = server.influxql(f"DROP DATABASE {db}")
    assert r.json() == {"results": [{"statement_id": 0}]}

    r = server.write(db, "cpu,host=a v=2 2")
    assert r.status_code == 404, r.text
    assert r.json() == {"error": f'database not found: "{db}"'}
    r = requests.post(server.url + "/api/v2/write", params={"bucket": db, "org": "x"},
                      data=b"cpu,host=a v=2 2", timeout=HTTP_TIMEOUT)
    assert r.status_code == 404, r.text
    r = server.sql_response(db, "SELECT count(*) FROM cpu")
    assert r.status_code == 404, r.text

    # Re-created, it starts empty: the dropped data does not come back.
    server.create_db(db)
    server.write_ok(db, "cpu,host=z v=9 9")
    assert server.sql(db, "SELECT host, v FROM cpu") == [{"host": "z", "v": 9.0}]


def test_drop_database_survives_restart(server):
    keep = server.create_db("keepme")
    gone = server.create_db("dropme")
    server.write_ok(keep, "m v=1 1")
    server.write_ok(gone, "m v=1 1")
    server.influxql(f"DROP DATABASE {gone}")
    server.restart()
    values = server.influxql("SHOW DATABASES").json()["results"][0]["series"][0]["values"]
    assert values == [[keep]]
    assert server.write(gone, "m v=2 2").status_code == 404
    assert server.count(keep, "m") == 1


def test_unsupported_statement_error(shared_server):
    db = shared_server.create_db()
    for q in ("DELETE FROM m WHERE a = 'x' OR b = 'y'",):
        r = shared_server.influxql(q, db=db)
        assert r.status_code == 200, r.text
        result = r.json()["results"][0]
        assert result["statement_id"] == 0
        assert "not supported yet" in result["error"], result


def test_missing_q_is_400(shared_server):
    r = requests.post(shared_server.url + "/query", data={}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400
    assert "error" in r.json()


def test_quoted_database_name(shared_server):
    name = "my-db." + unique("x")
    r = shared_server.influxql(f'CREATE DATABASE "{name}"')
    assert r.json() == {"results": [{"statement_id": 0}]}, r.text
    shared_server.write_ok(name, "m v=1 1")
    assert shared_server.count(name, "m") == 1
    values = shared_server.influxql("SHOW DATABASES").json()["results"][0]["series"][0]["values"]
    assert [name] in values
