"""The InfluxDB 2.x management API: setup, orgs, users, buckets, DBRPs,
authorizations, deletes, labels, variables, dashboards, sign-in, and token
authentication — driven by PyPI `influxdb-client` unchanged, plus raw
`requests` for status codes and error bodies.

Every test gets its own server: setup is once per server and switches
authentication on for the v2 API."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from influxdb_client import (BucketRetentionRules, InfluxDBClient, Permission,
                             PermissionResource, Point, WritePrecision)
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.onboarding_request import OnboardingRequest
from influxdb_client.rest import ApiException
from influxdb_client.service.setup_service import SetupService

from e2e_util import HTTP_TIMEOUT

ORG, USER, PASSWORD, BUCKET = "acme", "ann", "s3cret-pass", "metrics"
UNAUTHORIZED = {"code": "unauthorized", "message": "unauthorized access"}


def onboard(url: str, **extra) -> dict:
    """Runs setup through the Python client's SetupService; returns the
    response as a dict (user, org, bucket, auth with token)."""
    with InfluxDBClient(url=url, token="", timeout=30_000) as c:
        resp = SetupService(c.api_client).post_setup(onboarding_request=OnboardingRequest(
            username=USER, password=PASSWORD, org=ORG, bucket=BUCKET, **extra))
        return c.api_client.sanitize_for_serialization(resp)


@pytest.fixture
def setup_server(server):
    data = onboard(server.url, retention_period_seconds=0)
    token = data["auth"]["token"]
    return server, data, token


def get(url, path, token=None, **kw):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return requests.get(url + path, headers=headers, timeout=HTTP_TIMEOUT, **kw)


def send(method, url, path, token=None, **kw):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return requests.request(method, url + path, headers=headers, timeout=HTTP_TIMEOUT, **kw)


def v1_query(url, q, db=None, **auth):
    params = {"q": q, **({"db": db} if db else {}), **auth.get("params", {})}
    r = requests.post(url + "/query", params=params, headers=auth.get("headers", {}),
                      timeout=HTTP_TIMEOUT)
    return r


def v1_count(url, db, measurement, **auth):
    r = v1_query(url, f'SELECT count(*) FROM "{measurement}"', db, **auth)
    assert r.status_code == 200, r.text
    series = r.json()["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0


# ----------------------------------------------------------------- setup ----

def test_setup_once_then_tokens_required(server):
    url = server.url
    assert get(url, "/api/v2/setup").json() == {"allowed": True}
    # Before setup the v2 API is open, as the 1.x API with auth off.
    assert get(url, "/api/v2/buckets").status_code == 200
    r = send("POST", url, "/api/v2/setup", json={"org": ORG, "bucket": BUCKET})
    assert r.status_code == 400 and r.json() == {"code": "invalid", "message": "username is empty"}
    r = send("POST", url, "/api/v2/setup", json={"username": "u", "password": "short",
                                                 "org": ORG, "bucket": BUCKET})
    assert r.status_code == 400
    assert r.json()["message"] == "passwords must be at least 8 characters long"

    data = onboard(url, retention_period_seconds=7 * 86400)
    assert set(data) >= {"user", "org", "bucket", "auth"}
    assert data["user"]["name"] == USER and data["user"]["status"] == "active"
    assert data["org"]["name"] == ORG and len(data["org"]["id"]) == 16
    bucket = data["bucket"]
    assert bucket["name"] == BUCKET and bucket["orgID"] == data["org"]["id"]
    assert bucket["retentionRules"][0]["everySeconds"] == 7 * 86400
    token = data["auth"]["token"]
    assert len(token) >= 64 and data["auth"]["status"] == "active"
    assert data["auth"]["userID"] == data["user"]["id"]
    assert {"action": "write", "resource": {"type": "buckets"}} in data["auth"]["permissions"]

    assert get(url, "/api/v2/setup").json() == {"allowed": False}
    r = send("POST", url, "/api/v2/setup", json={"username": "x", "password": "password9",
                                                 "org": "o2", "bucket": "b2"})
    assert (r.status_code, r.json()) == (
        422, {"code": "conflict", "message": "onboarding has already been completed"})

    # Now every route but the public ones needs a token.
    for path in ["/api/v2/buckets", "/api/v2/orgs", "/api/v2/users", "/api/v2/me",
                 "/api/v2/authorizations", "/api/v2/config", f"/api/v2/dbrps?org={ORG}"]:
        r = get(url, path)
        assert (r.status_code, r.json()) == (401, UNAUTHORIZED), path
        assert get(url, path, token="not-a-token").status_code == 401, path
        assert get(url, path, token=token).status_code == 200, (path, get(url, path, token=token).text)
    r = requests.get(url + "/api/v2/buckets", headers={"Authorization": f"Bearer {token}"},
                     timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    for path in ["/api/v2/health", "/api/v2/ready", "/health", "/api/v2"]:
        assert get(url, path).status_code == 200, path
    ready = get(url, "/api/v2/ready").json()
    assert ready["status"] == "ready" and ready["up"].endswith("s") and "started" in ready
    assert get(url, "/api/v2/health").json()["status"] == "pass"
    config = get(url, "/api/v2/config", token=token).json()["config"]
    assert config["http-bind-address"].endswith(str(server.port))
    # Writes need the token too; with it they land in the bucket.
    r = send("POST", url, f"/api/v2/write?org={ORG}&bucket={BUCKET}", data="m v=1 1")
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    r = send("POST", url, f"/api/v2/write?org={ORG}&bucket={BUCKET}", token=token, data="m v=1")
    assert r.status_code == 204, r.text
    r = send("POST", url, f"/api/v2/write?org=nope&bucket={BUCKET}", token=token, data="m v=1")
    assert (r.status_code, r.json()) == (
        404, {"code": "not found", "message": 'organization name "nope" not found'})
    # Everything survives a restart.
    server.restart()
    assert get(url, "/api/v2/setup").json() == {"allowed": False}
    assert get(server.url, "/api/v2/me", token=token).json()["name"] == USER


# --------------------------------------------------------------- buckets ----

def test_buckets_api(setup_server):
    server, data, token = setup_server
    org_id = data["org"]["id"]
    with InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000) as c:
        api = c.buckets_api()
        rules = BucketRetentionRules(type="expire", every_seconds=2 * 86400,
                                     shard_group_duration_seconds=3600)
        created = api.create_bucket(bucket_name="weather", retention_rules=rules, org=ORG,
                                    description="rain")
        assert created.name == "weather" and created.org_id == org_id and len(created.id) == 16
        assert created.retention_rules[0].every_seconds == 2 * 86400
        assert created.retention_rules[0].shard_group_duration_seconds == 3600
        assert created.description == "rain"
        found = api.find_bucket_by_name("weather")
        assert found.id == created.id
        assert api.find_bucket_by_id(created.id).name == "weather"
        names = {b.name for b in api.find_buckets().buckets}
        assert {"weather", BUCKET} <= names
        # The bucket is database "weather" with RP autogen of 48h.
        r = v1_query(server.url, "SHOW RETENTION POLICIES ON weather")
        assert r.json()["results"][0]["series"][0]["values"][0][:2] == ["autogen", "48h0m0s"]
        # Update: infinite retention and a new description.
        found.retention_rules = []
        found.description = "sun"
        updated = api.update_bucket(found)
        assert updated.retention_rules[0].every_seconds == 0 and updated.description == "sun"
        with pytest.raises(ApiException) as e:
            api.create_bucket(bucket_name="weather", org=ORG)
        assert e.value.status == 422
        assert '"bucket with name weather already exists"' in e.value.body
        with pytest.raises(ApiException) as e:
            api.create_bucket(bucket_name="tooshort", org=ORG,
                              retention_rules=BucketRetentionRules(type="expire", every_seconds=60))
        assert e.value.status == 400
        api.delete_bucket(created)
        assert api.find_bucket_by_name("weather") is None
        r = v1_query(server.url, "SHOW DATABASES")
        assert ["weather"] not in r.json()["results"][0]["series"][0]["values"]
        with pytest.raises(ApiException) as e:
            api.find_bucket_by_id(created.id)
        assert e.value.status == 404

    # 1.x databases and RPs are buckets too: "db" (default RP) and "db/rp".
    v1_query(server.url, "CREATE DATABASE legacy")
    v1_query(server.url, "CREATE RETENTION POLICY short ON legacy DURATION 2h REPLICATION 1")
    buckets = get(server.url, f"/api/v2/buckets?orgID={org_id}", token=token).json()["buckets"]
    by_name = {b["name"]: b for b in buckets}
    assert by_name["legacy"]["rp"] == "autogen"
    assert by_name["legacy/short"]["retentionRules"][0]["everySeconds"] == 7200
    assert by_name["legacy/short"]["orgID"] == org_id
    legacy_id = by_name["legacy"]["id"]
    r = get(server.url, "/api/v2/buckets?name=legacy/autogen", token=token).json()["buckets"]
    assert [b["id"] for b in r] == [legacy_id]
    # The id is stable across restarts, and writes by id work.
    server.restart()
    assert get(server.url, f"/api/v2/buckets/{legacy_id}", token=token).json()["name"] == "legacy"
    r = send("POST", server.url, f"/api/v2/write?orgID={org_id}&bucket={legacy_id}",
             token=token, data="m v=1 1")
    assert r.status_code == 204, r.text
    assert v1_count(server.url, "legacy", "m") == 1


def test_bucket_paging_and_errors(setup_server):
    server, data, token = setup_server
    org_id = data["org"]["id"]
    for i in range(5):
        r = send("POST", server.url, "/api/v2/buckets", token=token,
                 json={"orgID": org_id, "name": f"p{i}", "retentionRules": []})
        assert r.status_code == 201, r.text
    page = get(server.url, f"/api/v2/buckets?orgID={org_id}&limit=2", token=token).json()
    assert len(page["buckets"]) == 2 and "next" in page["links"]
    seen = [b["id"] for b in page["buckets"]]
    nxt = get(server.url, page["links"]["next"], token=token).json()
    seen += [b["id"] for b in nxt["buckets"]]
    after = get(server.url, f"/api/v2/buckets?orgID={org_id}&limit=2&after={seen[1]}",
                token=token).json()
    assert [b["id"] for b in after["buckets"]] == seen[2:4]
    everything = get(server.url, f"/api/v2/buckets?orgID={org_id}&limit=100", token=token).json()
    # setup's bucket, the system bucket _monitoring (as InfluxDB 2 creates it) and p0..p4
    assert len(everything["buckets"]) == 7 and "next" not in everything["links"]
    assert [b["type"] for b in everything["buckets"] if b["name"] == "_monitoring"] == ["system"]
    assert get(server.url, "/api/v2/buckets?limit=0", token=token).status_code == 400
    r = get(server.url, "/api/v2/buckets/0123456789abcdef", token=token)
    assert (r.status_code, r.json()) == (404, {"code": "not found", "message": "bucket not found"})
    r = send("POST", server.url, "/api/v2/buckets", token=token, data="{not json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    r = send("POST", server.url, "/api/v2/buckets", token=token,
             json={"orgID": "0123456789abcdef", "name": "x"})
    assert r.status_code == 404
    # Membership is per organization: a bucket's owners are its org's.
    owners = get(server.url, f"/api/v2/buckets/{seen[0]}/owners", token=token).json()["users"]
    assert [(o["name"], o["role"]) for o in owners] == [(USER, "owner")]
    r = send("POST", server.url, f"/api/v2/buckets/{seen[0]}/members", token=token,
             json={"id": data["user"]["id"]})
    assert r.status_code == 501 and r.json()["code"] == "not implemented"
    assert r.json()["message"].startswith("not supported yet: per-bucket members")
    r = send("DELETE", server.url, f"/api/v2/buckets/{seen[0]}", token=token)
    assert r.status_code == 204


# ------------------------------------------------------ orgs and users -----

def test_orgs_and_users_api(setup_server):
    server, data, token = setup_server
    with InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000) as c:
        orgs = c.organizations_api()
        users = c.users_api()
        assert [o.name for o in orgs.find_organizations()] == [ORG]
        second = orgs.create_organization(name="second")
        assert second.name == "second" and len(second.id) == 16
        assert {o.name for o in orgs.find_organizations()} == {ORG, "second"}
        assert orgs.find_organization(second.id).name == "second"
        assert users.me().name == USER
        bob = users.create_user(name="bob")
        assert bob.name == "bob" and bob.status == "active"
        assert {u.name for u in users.find_users().users} == {USER, "bob"}
        member = orgs.add_member(member_id=bob.id, org_id=second.id) if hasattr(orgs, "add_member") \
            else None
        # The creator owns the new org.
        owners = get(server.url, f"/api/v2/orgs/{second.id}/owners", token=token).json()["users"]
        assert [(o["name"], o["role"]) for o in owners] == [(USER, "owner")]
        r = send("POST", server.url, f"/api/v2/orgs/{second.id}/members", token=token,
                 json={"id": bob.id})
        assert r.status_code == 201 and r.json()["role"] == "member", r.text
        members = get(server.url, f"/api/v2/orgs/{second.id}/members", token=token).json()["users"]
        assert [m["name"] for m in members] == ["bob"]
        assert member is None or member.id == bob.id
        r = send("PATCH", server.url, f"/api/v2/orgs/{second.id}", token=token,
                 json={"description": "two"})
        assert r.json()["description"] == "two" and r.json()["name"] == "second"
        r = send("POST", server.url, "/api/v2/orgs", token=token, json={"name": "second"})
        assert r.status_code == 422 and r.json()["code"] == "conflict"
        r = get(server.url, "/api/v2/orgs?org=missing", token=token)
        assert (r.status_code, r.json()) == (
            404, {"code": "not found", "message": 'organization name "missing" not found'})
        # Bob gets a password, signs in with it, and is also a 1.x user.
        r = send("POST", server.url, f"/api/v2/users/{bob.id}/password", token=token,
                 json={"password": "bobs-password"})
        assert r.status_code == 204, r.text
        r = v1_query(server.url, "SHOW USERS")
        assert ["bob", False] in r.json()["results"][0]["series"][0]["values"]
        s = requests.Session()
        r = s.post(server.url + "/api/v2/signin", auth=("bob", "bobs-password"), timeout=30)
        assert r.status_code == 204 and "influxdb-oss-session" in s.cookies
        assert s.get(server.url + "/api/v2/me", timeout=30).json()["name"] == "bob"
        # A member may read its org but not delete it.
        assert s.get(server.url + f"/api/v2/orgs/{second.id}", timeout=30).status_code == 200
        r = s.delete(server.url + f"/api/v2/orgs/{second.id}", timeout=30)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        assert s.post(server.url + "/api/v2/signout", timeout=30).status_code == 204
        assert s.get(server.url + "/api/v2/me", timeout=30).status_code == 401
        r = requests.post(server.url + "/api/v2/signin", auth=("bob", "wrong"), timeout=30)
        assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
        # Rename and deactivate.
        r = send("PATCH", server.url, f"/api/v2/users/{bob.id}", token=token,
                 json={"name": "robert", "status": "inactive"})
        assert (r.json()["name"], r.json()["status"]) == ("robert", "inactive")
        r = requests.post(server.url + "/api/v2/signin", auth=("robert", "bobs-password"),
                          timeout=30)
        assert r.status_code == 401
        users.delete_user(bob.id)
        assert {u.name for u in users.find_users().users} == {USER}
        orgs.delete_organization(second.id)
        assert [o.name for o in orgs.find_organizations()] == [ORG]
        with pytest.raises(ApiException) as e:
            orgs.find_organization(second.id)
        assert e.value.status == 404


# ------------------------------------------------------- authorizations ----

def test_read_only_token(setup_server):
    server, data, token = setup_server
    org_id, bucket_id = data["org"]["id"], data["bucket"]["id"]
    with InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000) as c:
        auths = c.authorizations_api()
        read = Permission(action="read", resource=PermissionResource(
            type="buckets", id=bucket_id, org_id=org_id))
        ro = auths.create_authorization(org_id=org_id, permissions=[read])
        assert ro.token and ro.status == "active" and ro.user_id == data["user"]["id"]
        assert ro.permissions[0].resource.name == BUCKET
        listed = auths.find_authorizations()
        assert {a.id for a in listed} == {data["auth"]["id"], ro.id}
        assert all(a.token is None for a in listed)
        assert [a.id for a in auths.find_authorizations_by_org_id(org_id)] == [data["auth"]["id"], ro.id]
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=BUCKET, record=Point("cpu").tag("host", "a").field("v", 1.0)
            .time(1_000_000_000, WritePrecision.NS))

    with InfluxDBClient(url=server.url, token=ro.token, org=ORG, timeout=30_000) as c:
        with pytest.raises(ApiException) as e:
            c.write_api(write_options=SYNCHRONOUS).write(bucket=BUCKET, record="cpu v=2 2")
        assert e.value.status == 403
        assert '"insufficient permissions for write"' in e.value.body
        # It can read its bucket, but nothing else.
        assert [b.name for b in c.buckets_api().find_buckets().buckets] == [BUCKET]
        assert get(server.url, f"/api/v2/buckets/{bucket_id}", token=ro.token).status_code == 200
        assert get(server.url, "/api/v2/orgs", token=ro.token).json()["orgs"] == []
        user_id = data["user"]["id"]
        r = get(server.url, f"/api/v2/users/{user_id}", token=ro.token)
        assert (r.status_code, r.json()) == (401, {
            "code": "unauthorized", "message": f"read:users/{user_id} is unauthorized"})
        r = send("POST", server.url, "/api/v2/authorizations", token=ro.token, json={
            "orgID": org_id, "permissions": [{"action": "write", "resource": {"type": "buckets"}}]})
        assert r.status_code == 401
    # Write token through the python client; deactivate and delete through the API.
    write = Permission(action="write", resource=PermissionResource(
        type="buckets", id=bucket_id, org_id=org_id))
    with InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000) as c:
        rw = c.authorizations_api().create_authorization(
            org_id=org_id, permissions=[read, write])
    with InfluxDBClient(url=server.url, token=rw.token, org=ORG, timeout=30_000) as c:
        c.write_api(write_options=SYNCHRONOUS).write(bucket=BUCKET, record="cpu,host=b v=3 3")
    assert v1_count(server.url, BUCKET, "cpu") == 2
    r = send("PATCH", server.url, f"/api/v2/authorizations/{rw.id}", token=token,
             json={"status": "inactive", "description": "off"})
    assert (r.json()["status"], r.json()["description"]) == ("inactive", "off")
    r = send("POST", server.url, f"/api/v2/write?org={ORG}&bucket={BUCKET}", token=rw.token,
             data="cpu v=4 4")
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    assert send("DELETE", server.url, f"/api/v2/authorizations/{rw.id}", token=token).status_code == 204
    assert get(server.url, f"/api/v2/authorizations/{rw.id}", token=token).status_code == 404
    r = send("POST", server.url, "/api/v2/authorizations", token=token, json={
        "orgID": org_id, "permissions": [{"action": "read", "resource": {"type": "nothing"}}]})
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_v1_endpoints_accept_tokens(server_factory):
    """With --auth-enabled, /write and /query take a v2 token as `Token x`,
    as basic-auth password or as `p`, with the token's bucket permissions."""
    srv = server_factory("--auth-enabled")
    data = onboard(srv.url)
    token, org_id, bucket_id = data["auth"]["token"], data["org"]["id"], data["bucket"]["id"]
    r = requests.post(srv.url + "/write", params={"db": BUCKET}, data="m v=1 1", timeout=30)
    assert r.status_code == 401
    r = requests.post(srv.url + "/write", params={"db": BUCKET}, data="m v=1 1", timeout=30,
                      headers={"Authorization": f"Token {token}"})
    assert r.status_code == 204, r.text
    # The setup user is a 1.x admin with its password too.
    assert v1_count(srv.url, BUCKET, "m", params={"u": USER, "p": PASSWORD}) == 1
    r = send("POST", srv.url, "/api/v2/authorizations", token=token, json={
        "orgID": org_id, "permissions": [
            {"action": "read", "resource": {"type": "buckets", "id": bucket_id, "orgID": org_id}}]})
    ro = r.json()["token"]
    assert v1_count(srv.url, BUCKET, "m", headers={"Authorization": f"Token {ro}"}) == 1
    assert v1_count(srv.url, BUCKET, "m", params={"u": "anything", "p": ro}) == 1
    r = requests.post(srv.url + "/query", params={"db": BUCKET, "q": "SELECT * FROM m"},
                      auth=("anything", ro), timeout=30)
    assert r.status_code == 200 and "series" in r.json()["results"][0]
    r = requests.post(srv.url + "/write", params={"db": BUCKET}, data="m v=2 2", timeout=30,
                      headers={"Authorization": f"Token {ro}"})
    assert r.status_code == 403, r.text
    r = v1_query(srv.url, "CREATE DATABASE other", headers={"Authorization": f"Token {ro}"})
    assert r.status_code == 403
    r = v1_query(srv.url, "SHOW DATABASES", headers={"Authorization": "Token wrong"})
    assert r.status_code == 401


# ---------------------------------------------------------------- delete ----

def test_delete_api(setup_server):
    server, data, token = setup_server
    lines = "\n".join(f"cpu,host={h} v={i} {i}000000000" for i in range(1, 11) for h in "ab")
    lines += "\nmem,host=a v=1 5000000000"
    r = send("POST", server.url, f"/api/v2/write?org={ORG}&bucket={BUCKET}&precision=ns",
             token=token, data=lines)
    assert r.status_code == 204, r.text
    with InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000) as c:
        start = datetime.fromtimestamp(3, tz=timezone.utc)
        stop = datetime.fromtimestamp(6, tz=timezone.utc)
        c.delete_api().delete(start, stop, '_measurement="cpu" AND host="a"', bucket=BUCKET,
                              org=ORG)
    auth = {"headers": {"Authorization": f"Token {token}"}}
    assert v1_count(server.url, BUCKET, "cpu", **auth) == 16
    r = v1_query(server.url, "SELECT count(v) FROM cpu WHERE host='a'", BUCKET, **auth)
    assert r.json()["results"][0]["series"][0]["values"][0][1] == 6
    assert v1_count(server.url, BUCKET, "mem", **auth) == 1
    # An empty predicate deletes everything in the range.
    r = send("POST", server.url, f"/api/v2/delete?org={ORG}&bucket={BUCKET}", token=token,
             json={"start": "1970-01-01T00:00:00Z", "stop": "1970-01-01T00:00:05Z"})
    assert r.status_code == 204, r.text
    assert v1_count(server.url, BUCKET, "mem", **auth) == 0
    # Left: host a at 7..10 s, host b at 6..10 s.
    assert v1_count(server.url, BUCKET, "cpu", **auth) == 9
    body = {"start": "1970-01-01T00:00:00Z", "stop": "2030-01-01T00:00:00Z"}
    cases = [
        ({**body, "predicate": 'host="a" OR host="b"'}, 400,
         "the logical operator OR is not supported yet at position 9"),
        ({**body, "predicate": "host=a"}, 400, None),
        ({**body, "start": "yesterday"}, 400, None),
        ({**body, "predicate": '_field="v"'}, 501, None),
    ]
    for req, status, message in cases:
        r = send("POST", server.url, f"/api/v2/delete?org={ORG}&bucket={BUCKET}", token=token,
                 json=req)
        assert r.status_code == status, (req, r.text)
        if message:
            assert r.json() == {"code": "invalid", "message": message}
    r = send("POST", server.url, f"/api/v2/delete?org={ORG}&bucket=nope", token=token, json=body)
    assert (r.status_code, r.json()) == (404, {"code": "not found", "message": 'bucket "nope" not found'})
    r = send("POST", server.url, f"/api/v2/delete?org={ORG}", token=token, json=body)
    assert r.status_code == 400
    assert v1_count(server.url, BUCKET, "cpu", **auth) == 9


# ----------------------------------------------------------------- dbrps ----

def test_dbrps(setup_server):
    server, data, token = setup_server
    org_id, bucket_id = data["org"]["id"], data["bucket"]["id"]
    r = send("POST", server.url, "/api/v2/dbrps", token=token, json={
        "orgID": org_id, "bucketID": bucket_id, "database": "old", "retention_policy": "keep",
        "default": True})
    assert r.status_code == 201, r.text
    dbrp = r.json()
    assert dbrp["database"] == "old" and dbrp["default"] is True and dbrp["virtual"] is False
    r = get(server.url, f"/api/v2/dbrps?orgID={org_id}&db=old", token=token)
    assert r.json() == {"content": [dbrp]}
    virtual = get(server.url, f"/api/v2/dbrps?orgID={org_id}&bucketID={bucket_id}&db={BUCKET}",
                  token=token).json()["content"]
    assert [(v["retention_policy"], v["virtual"], v["default"]) for v in virtual] == [
        ("autogen", True, True)]
    assert get(server.url, "/api/v2/dbrps", token=token).status_code == 400
    assert get(server.url, f"/api/v2/dbrps/{dbrp['id']}", token=token).json() == {"content": dbrp}
    # A 1.x write to the mapped name lands in the bucket.
    r = requests.post(server.url + "/write", params={"db": "old", "rp": "keep"}, data="m v=1 1",
                      timeout=30)
    assert r.status_code == 204, r.text
    assert v1_count(server.url, BUCKET, "m") == 1
    # ... and a 1.x query of the mapped name (default mapping: no rp) reads it.
    assert v1_count(server.url, "old", "m") == 1
    r = send("PATCH", server.url, f"/api/v2/dbrps/{dbrp['id']}", token=token,
             json={"retention_policy": "kept"})
    assert r.json()["content"]["retention_policy"] == "kept"
    r = send("POST", server.url, "/api/v2/dbrps", token=token, json={
        "orgID": org_id, "bucketID": bucket_id, "database": "old", "retention_policy": "kept"})
    assert r.status_code == 422
    assert send("DELETE", server.url, f"/api/v2/dbrps/{dbrp['id']}", token=token).status_code == 204
    assert get(server.url, f"/api/v2/dbrps/{dbrp['id']}", token=token).status_code == 404


# ------------------------------------------- labels, variables, dashboards --

def test_labels_variables_dashboards(setup_server):
    server, data, token = setup_server
    org_id, bucket_id = data["org"]["id"], data["bucket"]["id"]
    url = server.url
    r = send("POST", url, "/api/v2/labels", token=token,
             json={"orgID": org_id, "name": "prod", "properties": {"color": "red"}})
    assert r.status_code == 201, r.text
    label = r.json()["label"]
    assert label["name"] == "prod" and label["properties"] == {"color": "red"}
    assert send("POST", url, "/api/v2/labels", token=token,
                json={"orgID": org_id, "name": "prod"}).status_code == 422
    r = send("PATCH", url, f"/api/v2/labels/{label['id']}", token=token,
             json={"properties": {"color": "", "team": "ops"}})
    assert r.json()["label"]["properties"] == {"team": "ops"}
    r = send("POST", url, f"/api/v2/buckets/{bucket_id}/labels", token=token,
             json={"labelID": label["id"]})
    assert r.status_code == 201, r.text
    bucket = get(url, f"/api/v2/buckets/{bucket_id}", token=token).json()
    assert [lb["name"] for lb in bucket["labels"]] == ["prod"]

    r = send("POST", url, "/api/v2/variables", token=token, json={
        "orgID": org_id, "name": "host", "description": "hosts",
        "arguments": {"type": "constant", "values": ["a", "b"]}})
    assert r.status_code == 201, r.text
    var = r.json()
    assert var["arguments"] == {"type": "constant", "values": ["a", "b"]} and "createdAt" in var
    r = send("POST", url, "/api/v2/variables", token=token,
             json={"orgID": org_id, "name": "bad", "arguments": {"type": "nope"}})
    assert r.status_code == 400
    r = send("PATCH", url, f"/api/v2/variables/{var['id']}", token=token,
             json={"selected": ["b"]})
    assert r.json()["selected"] == ["b"] and r.json()["name"] == "host"
    assert [v["name"] for v in get(url, "/api/v2/variables", token=token).json()["variables"]] == ["host"]

    r = send("POST", url, "/api/v2/dashboards", token=token,
             json={"orgID": org_id, "name": "Overview", "description": "main"})
    assert r.status_code == 201, r.text
    dash = r.json()
    r = send("POST", url, f"/api/v2/dashboards/{dash['id']}/cells", token=token,
             json={"x": 0, "y": 0, "w": 4, "h": 3, "name": "cpu"})
    assert r.status_code == 201, r.text
    cell = r.json()
    assert (cell["w"], cell["h"]) == (4, 3) and cell["links"]["view"].endswith("/view")
    view = {"name": "cpu", "properties": {"type": "xy", "queries": [{"text": "from(bucket: \"metrics\")"}]}}
    r = send("PATCH", url, f"/api/v2/dashboards/{dash['id']}/cells/{cell['id']}/view",
             token=token, json=view)
    assert r.status_code == 200 and r.json()["properties"]["type"] == "xy", r.text
    r = send("PATCH", url, f"/api/v2/dashboards/{dash['id']}/cells/{cell['id']}", token=token,
             json={"x": 2})
    assert r.json()["x"] == 2
    # Labels on a dashboard: attach, list, detach, attach again.
    labels_url = f"/api/v2/dashboards/{dash['id']}/labels"
    r = send("POST", url, labels_url, token=token, json={"labelID": label["id"]})
    assert r.status_code == 201, r.text
    assert [lb["name"] for lb in get(url, labels_url, token=token).json()["labels"]] == ["prod"]
    assert send("DELETE", url, f"{labels_url}/{label['id']}", token=token).status_code == 204
    assert get(url, labels_url, token=token).json()["labels"] == []
    assert get(url, "/api/v2/dashboards/0000000000000000/labels", token=token).status_code == 404
    # Everything is durable.
    server.restart()
    url = server.url
    got = get(url, f"/api/v2/dashboards/{dash['id']}", token=token).json()
    assert got["name"] == "Overview" and [c["x"] for c in got["cells"]] == [2]
    v = get(url, f"/api/v2/dashboards/{dash['id']}/cells/{cell['id']}/view", token=token).json()
    assert v["properties"] == view["properties"]
    assert get(url, f"/api/v2/labels/{label['id']}", token=token).json()["label"]["name"] == "prod"
    assert get(url, f"/api/v2/variables/{var['id']}", token=token).json()["selected"] == ["b"]
    assert send("DELETE", url, f"/api/v2/dashboards/{dash['id']}/cells/{cell['id']}",
                token=token).status_code == 204
    assert send("DELETE", url, f"/api/v2/dashboards/{dash['id']}", token=token).status_code == 204
    assert get(url, f"/api/v2/dashboards/{dash['id']}", token=token).status_code == 404
    assert send("DELETE", url, f"/api/v2/labels/{label['id']}", token=token).status_code == 204
    assert get(url, f"/api/v2/buckets/{bucket_id}", token=token).json()["labels"] == []
    assert send("DELETE", url, f"/api/v2/variables/{var['id']}", token=token).status_code == 204


# ----------------------------------------------------------- flux + auth ----

def test_flux_queries_need_a_token_with_read_on_the_bucket(setup_server):
    """After setup /api/v2/query takes tokens like every v2 route: buckets
    resolve by name within the org, and a token reads only what it may."""
    server, data, token = setup_server
    org_id, bucket_id = data["org"]["id"], data["bucket"]["id"]
    with InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000) as c:
        other = c.buckets_api().create_bucket(bucket_name="other", org_id=org_id)
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=BUCKET, record="cpu,host=a v=1 1000000000")
        w.write(bucket="other", record="cpu,host=b v=2 1000000000")
        read = Permission(action="read", resource=PermissionResource(
            type="buckets", id=bucket_id, org_id=org_id))
        ro = c.authorizations_api().create_authorization(org_id=org_id, permissions=[read])
    script = 'from(bucket: "{}") |> range(start: 0) |> keep(columns: ["_value", "host"])'
    # No token: 401 before anything runs.
    r = requests.post(server.url + f"/api/v2/query?org={ORG}", timeout=HTTP_TIMEOUT,
                      json={"query": script.format(BUCKET)})
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    with InfluxDBClient(url=server.url, token=ro.token, org=ORG, timeout=30_000) as c:
        q = c.query_api()
        rows = [(rec["host"], rec["_value"]) for t in q.query(script.format(BUCKET)) for rec in t]
        assert rows == [("a", 1.0)]
        with pytest.raises(ApiException) as e:
            q.query(script.format("other"))
        assert e.value.status == 403, e.value.body
        # buckets() lists only what the token may read.
        names = [rec["name"] for t in q.query("buckets()") for rec in t]
        assert names == [BUCKET]
        # InfluxQL through the v2 endpoint follows the same permissions.
        r = requests.post(server.url + f"/api/v2/query?org={ORG}", timeout=HTTP_TIMEOUT,
                          headers={"Authorization": f"Token {ro.token}"},
                          json={"query": "SELECT v FROM cpu", "type": "influxql",
                                "bucket": "other"})
        assert r.status_code == 403, r.text
    assert other.id
