"""Users, privileges and authentication (`--auth-enabled`), as InfluxDB 1.x:
the PyPI `influxdb` client's user API unchanged, then raw requests for each
credential style (u/p, basic, `Token user:pass`, JWT bearer) and the exact
401/403 answers influxd 1.6.7 gives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError

from e2e_util import Server, unique

SECRET = "e2e-shared-secret"
ADMIN = ("root", "r00t-pw")
BOB = ("bob", "b0b-pw")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, secret: str = SECRET, alg: str = "HS256") -> str:
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), digest).digest()
    return f"{head}.{body}.{b64url(sig)}"


@pytest.fixture(scope="module")
def auth_server(binary, tmp_path_factory):
    root = tmp_path_factory.mktemp("auth")
    srv = Server(binary=binary, data_dir=root / "data", log_path=root / "auth.log",
                 args=("--auth-enabled", "--shared-secret", SECRET))
    try:
        srv.start()
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def setup(auth_server):
    """Bootstraps the first admin, then creates two databases and bob."""
    url = auth_server.url
    # Before any user exists, only creating an admin is allowed.
    r = requests.post(f"{url}/query", data={"q": "SHOW DATABASES"}, timeout=30)
    assert r.status_code == 403
    assert r.json() == {
        "error": "error authorizing query: create admin user first or disable authentication"
    }
    r = requests.post(f"{url}/query", data={"q": f"CREATE USER {BOB[0]} WITH PASSWORD 'x'"}, timeout=30)
    assert r.status_code == 403
    r = requests.post(
        f"{url}/query",
        data={"q": f"CREATE USER {ADMIN[0]} WITH PASSWORD '{ADMIN[1]}' WITH ALL PRIVILEGES"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"results": [{"statement_id": 0}]}
    admin = InfluxDBClient(
        host="127.0.0.1", port=auth_server.port, username=ADMIN[0], password=ADMIN[1], timeout=30
    )
    db_read, db_write = unique("authr"), unique("authw")
    admin.create_database(db_read)
    admin.create_database(db_write)
    admin.create_user(BOB[0], BOB[1])
    admin.grant_privilege("read", db_read, BOB[0])
    admin.grant_privilege("write", db_write, BOB[0])
    admin.write_points([{"measurement": "m", "fields": {"v": 1.0}, "time": 1_000_000_000}],
                       database=db_read, time_precision="n")
    yield {"url": url, "admin": admin, "read": db_read, "write": db_write, "server": auth_server}
    admin.close()


def post(url, q, db=None, auth=None, headers=None, params=None):
    p = dict(params or {})
    if db:
        p["db"] = db
    return requests.post(f"{url}/query", params=p, data={"q": q}, auth=auth,
                         headers=headers or {}, timeout=30)


def test_client_user_management(setup, auth_server):
    admin = setup["admin"]
    users = admin.get_list_users()
    assert users[:2] == [{"user": ADMIN[0], "admin": True}, {"user": BOB[0], "admin": False}]
    grants = admin.get_list_privileges(BOB[0])
    assert sorted(grants, key=lambda g: g["database"]) == sorted(
        [{"database": setup["read"], "privilege": "READ"},
         {"database": setup["write"], "privilege": "WRITE"}],
        key=lambda g: g["database"])

    carl = unique("carl")
    admin.create_user(carl, "c1")
    admin.grant_privilege("all", setup["read"], carl)
    admin.revoke_privilege("read", setup["read"], carl)
    assert admin.get_list_privileges(carl) == [{"database": setup["read"], "privilege": "WRITE"}]
    admin.revoke_privilege("all", setup["read"], carl)
    assert admin.get_list_privileges(carl) == [
        {"database": setup["read"], "privilege": "NO PRIVILEGES"}]

    # A new password works, the old one no longer does.
    admin.set_user_password(carl, "c2")
    c = InfluxDBClient(host="127.0.0.1", port=auth_server.port, username=carl, password="c1", timeout=30)
    with pytest.raises(InfluxDBClientError) as err:
        c.get_list_database()
    assert err.value.code == 401
    c.switch_user(carl, "c2")
    assert c.get_list_database() == []  # NO PRIVILEGES anywhere: nothing listed
    c.close()

    # Errors as influxd words them.
    with pytest.raises(InfluxDBClientError, match="user already exists"):
        admin.create_user(carl, "other")
    with pytest.raises(InfluxDBClientError, match="database not found: nope"):
        admin.grant_privilege("read", "nope", carl)
    admin.drop_user(carl)
    with pytest.raises(InfluxDBClientError, match="user not found"):
        admin.drop_user(carl)
    assert carl not in [u["user"] for u in admin.get_list_users()]


def test_admin_grant_and_revoke(setup):
    admin = setup["admin"]
    dave = unique("dave")
    admin.create_user(dave, "d", admin=True)
    assert {"user": dave, "admin": True} in admin.get_list_users()
    admin.revoke_admin_privileges(dave)
    assert {"user": dave, "admin": False} in admin.get_list_users()
    admin.grant_admin_privileges(dave)
    assert {"user": dave, "admin": True} in admin.get_list_users()
    admin.drop_user(dave)


def test_bob_privileges_via_client(setup, auth_server):
    bob = InfluxDBClient(host="127.0.0.1", port=auth_server.port, username=BOB[0],
                         password=BOB[1], database=setup["read"], timeout=30)
    assert sorted(d["name"] for d in bob.get_list_database()) == sorted([setup["read"], setup["write"]])
    points = list(bob.query("SELECT v FROM m").get_points())
    assert points == [{"time": "1970-01-01T00:00:01Z", "v": 1.0}]
    bob.write_points([{"measurement": "w", "fields": {"v": 2}}], database=setup["write"])
    with pytest.raises(InfluxDBClientError) as err:
        bob.write_points([{"measurement": "w", "fields": {"v": 2}}], database=setup["read"])
    assert err.value.code == 403
    with pytest.raises(InfluxDBClientError) as err:
        bob.get_list_users()
    assert err.value.code == 403
    bob.close()


def test_unauthenticated_and_wrong_credentials(setup):
    url = setup["url"]
    for r in (post(url, "SHOW DATABASES"),
              requests.post(f"{url}/write", params={"db": setup["read"]}, data="m v=1", timeout=30)):
        assert r.status_code == 401
        assert r.json() == {"error": "unable to parse authentication credentials"}
    for auth in [(BOB[0], "wrong"), ("nobody", "x")]:
        r = post(url, "SHOW DATABASES", auth=auth)
        assert r.status_code == 401
        assert r.json() == {"error": "authorization failed"}
    r = post(url, "SHOW DATABASES", auth=("", ""))
    assert (r.status_code, r.json()) == (401, {"error": "username required"})
    r = post(url, "SHOW DATABASES", headers={"Authorization": "Basic Ym9iYnB3"})  # no colon
    assert r.json() == {"error": "unable to parse authentication credentials"}
    # /ping and /health stay open.
    assert requests.get(f"{url}/ping", timeout=30).status_code == 204
    assert requests.get(f"{url}/health", timeout=30).status_code == 200


def test_each_credential_style(setup):
    url, db = setup["url"], setup["read"]
    expected = {"results": [{"statement_id": 0, "series": [
        {"name": "m", "columns": ["time", "v"], "values": [["1970-01-01T00:00:01Z", 1]]}]}]}
    styles = [
        {"params": {"u": BOB[0], "p": BOB[1]}},
        {"auth": BOB},
        {"headers": {"Authorization": f"Token {BOB[0]}:{BOB[1]}"}},
        {"headers": {"Authorization": "Bearer " + jwt({"username": BOB[0], "exp": int(time.time()) + 60})}},
    ]
    for style in styles:
        r = post(url, "SELECT v FROM m", db=db, **style)
        assert r.status_code == 200, (style, r.text)
        assert r.json() == expected
    # u/p win over the Authorization header, as in influxd.
    r = post(url, "SHOW USERS", params={"u": BOB[0], "p": BOB[1]}, auth=ADMIN)
    assert r.status_code == 403


@pytest.mark.parametrize("claims,secret,message", [
    ({"username": "bob", "exp": 1}, SECRET, "Token is expired"),
    ({"username": "bob"}, SECRET, "token expiration required"),
    ({"username": "bob", "exp": "soon"}, SECRET, "token expiration required"),
    ({"username": "bob", "exp": 4_000_000_000}, "other-secret", "signature is invalid"),
    ({"exp": 4_000_000_000}, SECRET, "username in token must be a string"),
    ({"username": "", "exp": 4_000_000_000}, SECRET, "token must contain a username"),
    ({"username": "ghost", "exp": 4_000_000_000}, SECRET, "user not found"),
])
def test_jwt_errors(setup, claims, secret, message):
    token = jwt(claims, secret)
    r = post(setup["url"], "SHOW DATABASES", headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (401, {"error": message})


def test_jwt_malformed(setup):
    url = setup["url"]
    for token, message in [
        ("xyz", "token contains an invalid number of segments"),
        ("a.b.c", "illegal base64 data at input byte 1"),
        (b64url(b'{"alg":"none"}') + "." + b64url(b'{"username":"root","exp":4000000000}') + ".",
         "unexpected signing method: none"),
    ]:
        r = post(url, "SHOW DATABASES", headers={"Authorization": f"Bearer {token}"})
        assert (r.status_code, r.json()) == (401, {"error": message})
    # HS512 with the right secret is accepted too.
    token = jwt({"username": BOB[0], "exp": int(time.time()) + 60}, alg="HS512")
    assert post(url, "SHOW DATABASES", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_statement_authorization_messages(setup):
    url, rdb, wdb = setup["url"], setup["read"], setup["write"]
    cases = [
        ("SHOW USERS", rdb, "bob not authorized to execute statement 'SHOW USERS', requires admin privilege"),
        (f"SELECT * FROM {wdb}..m", rdb,
         f"bob not authorized to execute statement 'SELECT * FROM {wdb}..m', requires READ on {wdb}"),
        ("SELECT * FROM m", None, "bob not authorized to execute statement 'SELECT * FROM m', requires READ on "),
        ("SELECT * INTO x FROM m", rdb,
         f"bob not authorized to execute statement 'SELECT * INTO x FROM m', requires WRITE on {rdb}"),
        ("SET PASSWORD FOR bob = 'x'", rdb,
         "bob not authorized to execute statement 'SET PASSWORD FOR bob = [REDACTED]', requires admin privilege"),
        ("DELETE FROM m", rdb, f"bob not authorized to execute statement 'DELETE FROM m', requires WRITE on {rdb}"),
        # One forbidden statement rejects the whole query before any runs.
        ("SELECT * FROM m; CREATE DATABASE x", rdb,
         "bob not authorized to execute statement 'CREATE DATABASE x', requires admin privilege"),
    ]
    for q, db, message in cases:
        r = post(url, q, db=db, auth=BOB)
        assert r.status_code == 403, (q, r.text)
        assert r.json() == {"error": "error authorizing query: " + message}
    # Allowed: reads on the READ database, SELECT INTO the WRITE one.
    r = post(url, f"SELECT * INTO {wdb}..copy FROM m", db=rdb, auth=BOB)
    assert r.status_code == 200 and "error" not in r.json()["results"][0], r.text
    r = post(url, "SHOW MEASUREMENTS", db=rdb, auth=BOB)
    assert r.json()["results"][0]["series"][0]["values"] == [["m"]]


def test_write_authorization(setup):
    url = setup["url"]
    r = requests.post(f"{url}/write", params={"db": setup["read"]}, data="m v=1", auth=BOB, timeout=30)
    assert (r.status_code, r.json()) == (
        403, {"error": f'"bob" user is not authorized to write to database "{setup["read"]}"'})
    r = requests.post(f"{url}/write", params={"db": setup["write"], "u": BOB[0], "p": BOB[1]},
                      data="m v=1", timeout=30)
    assert r.status_code == 204
    r = requests.post(f"{url}/write", params={"db": "nodb"}, data="m v=1", auth=BOB, timeout=30)
    assert (r.status_code, r.json()) == (404, {"error": 'database not found: "nodb"'})
    r = requests.post(f"{url}/write", params={"db": setup["write"]}, data="m v=1",
                      auth=(BOB[0], "bad"), timeout=30)
    assert (r.status_code, r.json()) == (401, {"error": "authorization failed"})
    # The 2.x endpoint takes `Token user:password`.
    r = requests.post(f"{url}/api/v2/write", params={"bucket": setup["write"]}, data="m v=2",
                      headers={"Authorization": f"Token {BOB[0]}:{BOB[1]}"}, timeout=30)
    assert r.status_code == 204, r.text
    r = requests.post(f"{url}/api/v2/write", params={"bucket": setup["read"]}, data="m v=2",
                      headers={"Authorization": f"Token {BOB[0]}:{BOB[1]}"}, timeout=30)
    assert r.status_code == 403


def test_other_endpoints_are_guarded(setup):
    """Prometheus remote write/read need WRITE/READ on `db`; the SQL endpoint
    (whose database may come in a JSON body) needs an admin."""
    url, rdb, wdb = setup["url"], setup["read"], setup["write"]
    r = requests.post(f"{url}/api/v1/prom/write", params={"db": wdb}, data=b"", timeout=30)
    assert (r.status_code, r.json()) == (401, {"error": "unable to parse authentication credentials"})
    r = requests.post(f"{url}/api/v1/prom/write", params={"db": rdb}, data=b"", auth=BOB, timeout=30)
    assert (r.status_code, r.json()) == (
        403, {"error": f'"bob" user is not authorized to write to database "{rdb}"'})
    r = requests.post(f"{url}/api/v1/prom/read", params={"db": wdb}, data=b"", auth=BOB, timeout=30)
    assert (r.status_code, r.json()) == (
        403, {"error": f'user "bob" is not authorized to read from database "{wdb}"'})
    sql = {"db": rdb, "q": "SELECT count(*) AS n FROM m"}
    r = requests.get(f"{url}/api/v3/query_sql", params=sql, timeout=30)
    assert r.status_code == 401
    r = requests.get(f"{url}/api/v3/query_sql", params=sql, auth=BOB, timeout=30)
    assert r.status_code == 403
    r = requests.get(f"{url}/api/v3/query_sql", params=sql, auth=ADMIN, timeout=30)
    assert r.status_code == 200, r.text


def test_no_admin_left_means_no_user_provided(server_factory):
    """Revoking the last admin turns authentication off, and with users
    present every query then fails with 'no user provided' (influxd 1.6.7)."""
    srv = server_factory("--auth-enabled")
    url = srv.url
    r = post(url, "CREATE USER a WITH PASSWORD 'p' WITH ALL PRIVILEGES; CREATE DATABASE d")
    assert r.json() == {"results": [{"statement_id": 0}, {"statement_id": 1}]}
    r = requests.post(f"{url}/write", params={"db": "d"}, data="m v=1", auth=("a", "p"), timeout=30)
    assert r.status_code == 204
    assert post(url, "REVOKE ALL PRIVILEGES FROM a", auth=("a", "p")).status_code == 200
    r = post(url, "SHOW USERS", auth=("a", "p"))
    assert (r.status_code, r.json()) == (403, {"error": "error authorizing query: no user provided"})
    r = requests.post(f"{url}/write", params={"db": "d"}, data="m v=1", timeout=30)
    assert (r.status_code, r.json()) == (403, {"error": 'user is required to write to database "d"'})


def test_users_without_auth(shared_server_noauth):
    """With authentication off the user statements still work (no checks)."""
    c = shared_server_noauth
    name = unique("u")
    c.create_user(name, "pw")
    assert {"user": name, "admin": False} in c.get_list_users()
    assert c.get_list_privileges(name) == []
    c.drop_user(name)


@pytest.fixture
def shared_server_noauth(shared_server):
    c = InfluxDBClient(host="127.0.0.1", port=shared_server.port, timeout=30)
    yield c
    c.close()


# -- differential: the same requests against influxd 1.6.7 with auth-enabled --

@pytest.fixture(scope="module")
def auth_pair(binary, tmp_path_factory):
    """A fresh Almanac and a fresh influxd 1.6.7, both with authentication
    on and the same shared secret; skips when influxd cannot be had."""
    import reference

    influxd = reference.find_binary("influxd")
    if influxd is None:
        pytest.skip("influxd (Debian package influxdb 1.6.7) is not available")
    plain = reference.make_config

    def with_auth(base, root, http_port):
        text = plain(base, root, http_port)
        text = text.replace("auth-enabled = false", "auth-enabled = true")
        return text.replace('shared-secret = ""', f'shared-secret = "{SECRET}"')

    reference.make_config = with_auth
    ref = reference.ReferenceServer(tmp_path_factory.mktemp("influxd-auth"), influxd)
    root = tmp_path_factory.mktemp("almanac-auth")
    alm = Server(binary=binary, data_dir=root / "data", log_path=root / "almanac.log",
                 args=("--auth-enabled", "--shared-secret", SECRET))
    try:
        ref.start()
        alm.start()
        yield ref, alm
    finally:
        reference.make_config = plain
        ref.close()
        alm.close()


def _exchange(base, step):
    kind, body, params, cred = step
    kw = {"params": params, "timeout": 30}
    if kind == "header":
        kw["headers"] = {"Authorization": cred}
    elif cred is not None:
        kw["auth"] = cred
    if kind == "write":
        r = requests.post(base + "/write", data=body, **kw)
    else:
        r = requests.post(base + "/query", data={"q": body}, **kw)
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


def test_same_answers_as_influxd(auth_pair):
    ref, alm = auth_pair
    now = int(time.time())
    adm, bob, carl = ("admin", "pw"), ("bob", "bpw"), ("carl", "cpw")
    bearer = lambda claims, secret=SECRET: "Bearer " + jwt(claims, secret)  # noqa: E731
    steps = [
        ("query", "SHOW DATABASES", {}, None),
        ("query", "CREATE USER bob WITH PASSWORD 'x'", {}, None),
        ("write", "m v=1", {"db": "db1"}, None),
        ("query", "CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES; SHOW USERS", {}, None),
        ("query", "SHOW USERS", {}, None),
        ("query", "SHOW USERS", {}, ("admin", "bad")),
        ("query", "SHOW USERS", {}, ("nobody", "bad")),
        ("query", "CREATE DATABASE db1; CREATE DATABASE db2; CREATE USER bob WITH PASSWORD 'bpw'; "
                  "CREATE USER carl WITH PASSWORD 'cpw'; GRANT READ ON db1 TO bob; "
                  "GRANT WRITE ON db2 TO bob", {}, adm),
        ("query", "GRANT ALL ON db1 TO carl; REVOKE READ ON db1 FROM carl; SHOW GRANTS FOR carl", {}, adm),
        ("query", "REVOKE WRITE ON db1 FROM carl; SHOW GRANTS FOR carl", {}, adm),
    ] + [("query", q, {}, adm) for q in [
        "SHOW GRANTS FOR nobody", "DROP USER nobody", "SET PASSWORD FOR nobody = 'x'",
        "GRANT READ ON db1 TO nobody", "GRANT READ ON nodb TO bob", "REVOKE READ ON nodb FROM bob",
        "REVOKE ALL PRIVILEGES FROM nobody", "GRANT ALL PRIVILEGES TO nobody",
        "CREATE USER bob WITH PASSWORD 'other'", "CREATE USER bob WITH PASSWORD 'bpw'",
        "CREATE USER bob WITH PASSWORD 'bpw' WITH ALL PRIVILEGES", "CREATE USER \"\" WITH PASSWORD 'x'",
        "SHOW GRANTS FOR admin", "SHOW USERS",
    ]] + [
        ("query", "SHOW DATABASES", {}, carl),
        ("query", "SHOW DATABASES", {}, bob),
        ("query", "SHOW QUERIES", {}, carl),
        ("query", "SHOW CONTINUOUS QUERIES", {"db": "db1"}, carl),
    ] + [("query", q, {"db": "db1"}, bob) for q in [
        "SHOW USERS", "SELECT * FROM db2..m", "SELECT * INTO x FROM m", "SHOW MEASUREMENTS ON db2",
        "SHOW RETENTION POLICIES ON db2", "DROP RETENTION POLICY autogen ON db1",
        "DELETE FROM m WHERE time < 0", "DROP SERIES FROM m", "KILL QUERY 1", "SHOW SHARDS",
        "SHOW STATS", "SHOW DIAGNOSTICS", "SHOW SUBSCRIPTIONS", "CREATE DATABASE x",
        "EXPLAIN SELECT * FROM db2..m", "SELECT * FROM (SELECT * FROM db2..m)",
        "CREATE CONTINUOUS QUERY cq ON db2 BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY time(1m) END",
        "DROP CONTINUOUS QUERY cq ON db1", "SHOW MEASUREMENTS ON db1; SHOW TAG KEYS ON db2",
        "DROP MEASUREMENT m", "SET PASSWORD FOR bob = 'bpw'", "SHOW GRANTS FOR bob",
        "SHOW SERIES ON db2", "SHOW TAG VALUES ON db2 WITH KEY = a", "SHOW FIELD KEYS ON db2",
    ]] + [
        ("query", "SELECT * FROM m", {}, bob),
        ("query", "SHOW DATABASES", {}, ("", "")),
        ("query", "SHOW USERS", {"db": "db1", "u": "bob", "p": "bpw"}, adm),
        ("query", "SHOW DATABASES", {"u": "bob"}, None),
    ] + [("header", "SHOW DATABASES", {}, h) for h in [
        bearer({"username": "bob", "exp": now - 10}),
        bearer({"username": "bob"}),
        bearer({"username": "bob", "exp": "soon"}),
        bearer({"username": "bob", "exp": now + 100}, "wrong"),
        bearer({"exp": now + 100}),
        bearer({"username": "", "exp": now + 100}),
        bearer({"username": "zed", "exp": now + 100}),
        bearer({"username": "bob", "exp": now + 100}),
        bearer({"username": "bob", "exp": now + 100, "nbf": now + 50}),
        bearer({"username": "bob", "exp": now + 100, "iat": now + 50}),
        "Bearer a.b.c", "Bearer abc.def", "Bearer !!.e30.xx", "Bearer", "bearer x.y.z",
        "Basic Ym9iOmJwdzp4", "Basic Ym9iOmJwdw==", "Basic Ym9iYnB3", "Basic %%%", "Digest x",
    ]] + [
        ("write", "m v=1", {"db": "db1"}, bob),
        ("write", "m v=1", {"db": "db2"}, bob),
        ("write", "m v=1", {"db": "nodb"}, bob),
        ("write", "m v=1", {"db": "db2", "u": "bob", "p": "bad"}, None),
        ("write", "m v=1", {}, bob),
        ("write", "m v=1", {"db": "db1"}, None),
        # With no admin left authentication is skipped and nothing is allowed.
        ("query", "REVOKE ALL PRIVILEGES FROM admin", {}, adm),
        ("query", "SHOW USERS", {}, adm),
        ("query", "CREATE USER z WITH PASSWORD 'pw' WITH ALL PRIVILEGES", {}, None),
        ("write", "m v=1", {"db": "db1"}, None),
        ("write", "m v=1", {"db": "nodb"}, None),
    ]
    diffs = []
    for step in steps:
        expected, got = _exchange(ref.url, step), _exchange(alm.url, step)
        if expected != got:
            diffs.append(f"{step[:3]}\n  influxd: {expected}\n  almanac: {got}")
    assert not diffs, f"{len(diffs)} of {len(steps)} differ:\n" + "\n".join(diffs)
