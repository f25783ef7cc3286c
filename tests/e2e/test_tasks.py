"""Flux tasks through /api/v2/tasks with the Python client's TasksApi
(PyPI `influxdb-client`): a downsampling task run by the server's scheduler
every second, run history and logs, manual runs and retries, deactivation,
deletion, failures and invalid scripts."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
import requests
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.onboarding_request import OnboardingRequest
from influxdb_client.domain.task_create_request import TaskCreateRequest
from influxdb_client.rest import ApiException
from influxdb_client.service.setup_service import SetupService

from e2e_util import HTTP_TIMEOUT

ORG, USER, PASSWORD, BUCKET = "acme", "ann", "s3cret-pass", "metrics"


@pytest.fixture
def env(server):
    """An onboarded server, a client with the operator token, the org, and
    cpu points (two hosts, every 10 s between 10 and 2 minutes ago)."""
    with InfluxDBClient(url=server.url, token="", timeout=30_000) as c:
        resp = SetupService(c.api_client).post_setup(onboarding_request=OnboardingRequest(
            username=USER, password=PASSWORD, org=ORG, bucket=BUCKET))
        token = resp.auth.token
    client = InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000)
    org = client.organizations_api().find_organizations(org=ORG)[0]
    client.buckets_api().create_bucket(bucket_name="down", org=org)
    now_s = int(time.time())
    start_s = (now_s // 60 - 10) * 60
    points = [
        Point("cpu").tag("host", f"h{h}").field("usage", float(i * 2 + h))
        .time((start_s + i * 10) * 10**9, WritePrecision.NS)
        for h in range(2) for i in range(48)
    ]
    with client.write_api(write_options=SYNCHRONOUS) as w:
        w.write(bucket=BUCKET, record=points)
    yield server, client, org, token, points
    client.close()


def wait_for(pred, timeout=20.0, step=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(step)
    raise AssertionError("condition not met in time")


def expected_means(points):
    """Mean per (host, window stop) of 1-minute windows, as aggregateWindow."""
    sums: dict = {}
    for p in points:
        ns = p._time
        host = p._tags["host"]
        stop = (ns // (60 * 10**9) + 1) * 60
        s = sums.setdefault((host, stop), [0.0, 0])
        s[0] += p._fields["usage"]
        s[1] += 1
    return {k: v[0] / v[1] for k, v in sums.items()}


DOWNSAMPLE = (
    f'from(bucket: "{BUCKET}") |> range(start: -1h)'
    ' |> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage")'
    ' |> aggregateWindow(every: 1m, fn: mean)'
    ' |> to(bucket: "down")'
)


def test_downsampling_task_lifecycle(env):
    server, client, org, token, points = env
    tasks = client.tasks_api()
    task = tasks.create_task_every("downsample", DOWNSAMPLE, "1s", org)
    assert task.name == "downsample" and task.every == "1s" and task.status == "active"
    assert task.org_id == org.id and task.org == ORG and task.owner_id
    assert 'option task = {name: "downsample", every: 1s}' in task.flux

    # the scheduler runs it; a run succeeds
    def succeeded():
        return [r for r in tasks.get_runs(task.id) if r.status == "success"]
    runs = wait_for(succeeded)
    run = runs[0]
    assert run.task_id == task.id and run.started_at and run.finished_at
    # scheduledFor is a whole second (runs are aligned to `every`)
    assert run.scheduled_for.microsecond == 0
    messages = [e.message for e in tasks.get_run_logs(task.id, run.id)]
    assert messages[0].startswith("Started task from script")
    assert messages[-1] == "Completed(success)"
    assert any(e.run_id == run.id for e in tasks.get_logs(task.id))
    got_task = tasks.find_task_by_id(task.id)
    assert got_task.latest_completed is not None and got_task.last_run_status == "success"

    # the downsampled points are in "down"
    tables = client.query_api().query(
        'from(bucket: "down") |> range(start: -2h) |> filter(fn: (r) => r._measurement == "cpu")')
    got = {(r["host"], int(r.get_time().timestamp())): r.get_value()
           for t in tables for r in t.records}
    want = expected_means(points)
    assert len(want) >= 8
    assert got == pytest.approx(want)

    # listing with filters
    assert [t.id for t in tasks.find_tasks(name="downsample")] == [task.id]
    assert tasks.find_tasks(name="nope") == []
    assert [t.id for t in tasks.find_tasks(org_id=org.id)] == [task.id]

    # a manual run: 201 scheduled, then executed
    manual = tasks.run_manually(task.id)
    assert manual.status == "scheduled" and manual.requested_at is not None
    wait_for(lambda: tasks.get_run(task.id, manual.id).status == "success")
    # retry: a new run for the same time
    retried = tasks.retry_run(task.id, run.id)
    assert retried.id != run.id and retried.scheduled_for == run.scheduled_for
    wait_for(lambda: tasks.get_run(task.id, retried.id).status in ("success", "failed"))
    # a finished run cannot be canceled
    with pytest.raises(ApiException) as e:
        tasks.cancel_run(task.id, run.id)
    assert e.value.status == 404

    # inactive: no more runs
    got_task.status = "inactive"
    updated = tasks.update_task(got_task)
    assert updated.status == "inactive" and updated.flux == got_task.flux
    time.sleep(1.5)
    count = len(tasks.get_runs(task.id))
    time.sleep(2.5)
    assert len(tasks.get_runs(task.id)) == count

    # deletion
    tasks.delete_task(task.id)
    with pytest.raises(ApiException) as e:
        tasks.find_task_by_id(task.id)
    assert e.value.status == 404


def test_patch_options_and_cron(env):
    server, client, org, token, _ = env
    tasks = client.tasks_api()
    task = tasks.create_task_cron("hourly", f'from(bucket: "{BUCKET}") |> range(start: -1h)',
                                  "0 * * * *", org.id)
    assert task.cron == "0 * * * *" and task.every is None
    r = requests.patch(f"{server.url}/api/v2/tasks/{task.id}",
                       headers={"Authorization": f"Token {token}"},
                       json={"every": "30m", "offset": "5m", "description": "d"},
                       timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["every"] == "30m" and body["offset"] == "5m" and "cron" not in body
    assert body["description"] == "d"
    assert 'option task = {name: "hourly", every: 30m, offset: 5m}' in body["flux"]
    r = requests.patch(f"{server.url}/api/v2/tasks/{task.id}",
                       headers={"Authorization": f"Token {token}"},
                       json={"status": "paused"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    # labels attach to tasks; owners/members are not supported yet
    label = client.labels_api().create_label("prod", org.id)
    auth = {"Authorization": f"Token {token}"}
    r = requests.post(f"{server.url}/api/v2/tasks/{task.id}/labels", headers=auth,
                      json={"labelID": label.id}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 201, r.text
    assert [lb.name for lb in tasks.find_task_by_id(task.id).labels] == ["prod"]
    r = requests.get(f"{server.url}/api/v2/tasks/{task.id}/members", headers=auth,
                     timeout=HTTP_TIMEOUT)
    assert r.status_code == 501 and r.json()["code"] == "not implemented"


def test_failed_run_is_recorded(env):
    server, client, org, token, _ = env
    tasks = client.tasks_api()
    task = tasks.create_task_every(
        "broken", 'from(bucket: "missing") |> range(start: -1m)', "1s", org)
    run = wait_for(lambda: next(
        (r for r in tasks.get_runs(task.id) if r.status == "failed"), None))
    messages = [e.message for e in tasks.get_run_logs(task.id, run.id)]
    assert any("missing" in m for m in messages), messages
    assert messages[-1] == "Completed(failed)"
    got = tasks.find_task_by_id(task.id)
    assert got.last_run_status == "failed" and "missing" in got.last_run_error
    # finished runs and their logs survive a (clean) restart; the scheduler
    # stops with the server
    server.restart()
    restarted = time.time() - 1
    with InfluxDBClient(url=server.url, token=token, org=ORG, timeout=30_000) as c2:
        tasks2 = c2.tasks_api()
        kept = tasks2.get_run(task.id, run.id)
        assert kept.status == "failed"
        assert [e.message for e in tasks2.get_run_logs(task.id, run.id)] == messages
        # and it keeps running after the restart
        wait_for(lambda: any(r.started_at and r.started_at.timestamp() >= restarted
                             for r in tasks2.get_runs(task.id)))
        tasks2.delete_task(task.id)
        with pytest.raises(ApiException) as e:
            tasks2.get_runs(task.id)
        assert e.value.status == 404


def test_invalid_scripts_and_auth(env):
    server, client, org, token, _ = env
    tasks = client.tasks_api()
    for flux in ['from(bucket: "x") |> range(start: -1h)',
                 'option task = {name: "a", every: 1s, cron: "* * * * *"}',
                 'option task = {name: "a"}',
                 'option task = {name: "a", cron: "not cron"}',
                 'option task = {name: "a", every: 1s} from(']:
        with pytest.raises(ApiException) as e:
            tasks.create_task(task_create_request=TaskCreateRequest(
                flux=flux, org_id=org.id, status="active", description=""))
        assert e.value.status == 400, flux
        assert '"code":"invalid"' in e.value.body.replace(" ", ""), e.value.body
    r = requests.get(f"{server.url}/api/v2/tasks", timeout=HTTP_TIMEOUT)
    assert r.status_code == 401
    r = requests.get(f"{server.url}/api/v2/tasks/0000000000000001",
                     headers={"Authorization": f"Token {token}"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 404
    assert r.json() == {"code": "not found", "message": "task not found"}
