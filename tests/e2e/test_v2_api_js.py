"""The npm clients (@influxdata/influxdb-client + -apis 1.35.0) against the
v2 management API: js/v2_api.mjs runs setup, OrgsAPI, BucketsAPI,
AuthorizationsAPI and writes, printing one JSON object per step."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"


@pytest.fixture(scope="module")
def node():
    path = shutil.which("node")
    if path is None or not (JS_DIR / "node_modules" / "@influxdata" / "influxdb-client-apis").exists():
        pytest.fail("node and tests/e2e/js/node_modules are required (scripts/test installs them)",
                    pytrace=False)
    return path


def test_npm_client_apis(server, node):
    proc = subprocess.run([node, "v2_api.mjs", server.url], cwd=JS_DIR, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = {}
    for line in proc.stdout.splitlines():
        item = json.loads(line)
        steps[item.pop("step")] = item
    assert steps["setup-allowed"] == {"allowed": True}
    assert steps["setup"] == {"org": "js-org", "bucket": "js-bucket", "user": "jsuser",
                              "tokenLength": steps["setup"]["tokenLength"]}
    assert steps["setup"]["tokenLength"] >= 64
    assert steps["setup-allowed-after"] == {"allowed": False}
    assert steps["orgs"] == {"names": ["js-org"]}
    assert steps["org-created"] == {"name": "js-second", "idLength": 16}
    assert steps["bucket-created"] == {"name": "js-data", "everySeconds": 86400}
    # _monitoring: the system bucket setup creates, as InfluxDB 2 does
    assert steps["buckets"] == {"names": ["_monitoring", "js-bucket", "js-data"]}
    assert steps["bucket-patched"] == {"description": "from js", "everySeconds": 7200}
    assert steps["auth-created"] == {"status": "active", "permissions": 1, "hasToken": True}
    assert steps["auths"] == {"count": 2}
    assert steps["write-operator"] == {"ok": True}
    assert steps["write-read-only"] == {"status": 403}
    assert steps["auth-inactive"] == {"status": "inactive"}
    assert steps["bucket-deleted"] == {"names": ["_monitoring", "js-bucket"]}
    assert steps["bucket-gone"]["status"] == 404
    assert json.loads(steps["bucket-gone"]["body"]) == {"code": "not found",
                                                        "message": "bucket not found"}
    assert steps["bad-token"]["status"] == 401
    assert json.loads(steps["bad-token"]["body"]) == {"code": "unauthorized",
                                                      "message": "unauthorized access"}
    assert "done" in steps
