"""`almanac kapacitor …`: the kapacitor CLI driven as a real process against a
real server — define from a .tick file (errors name the file and line),
list/show output in Kapacitor's formats, enable/disable, record/replay,
define-topic-handler from YAML, delete by pattern."""

from __future__ import annotations

import os
import subprocess
import time

from e2e_util import unique
from test_kapacitor import kap

TICK = """// CPU alert
stream
    |from()
        .measurement('cpu')
    |alert()
        .crit(lambda: "usage" > 90)
        .topic('{topic}')
"""


def cli(server, binary, *args, ok=True, env_url=False):
    env = dict(os.environ)
    env.pop("KAPACITOR_URL", None)
    argv = [str(binary), "kapacitor"]
    if env_url:
        env["KAPACITOR_URL"] = server.url
    else:
        argv += ["-url", server.url]
    p = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=60, env=env)
    if ok:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    else:
        assert p.returncode != 0, (args, p.stdout)
    return p


def test_define_list_show_enable_record_replay(server, binary, tmp_path):
    db = server.create_db()
    task = unique("cli_cpu")
    topic = unique("cli_topic")
    tick = tmp_path / "cpu.tick"
    tick.write_text(TICK.format(topic=topic))

    cli(server, binary, "define", task, "-tick", str(tick), "-type", "stream", "-dbrp", f'"{db}"."autogen"')
    out = cli(server, binary, "list", "tasks", env_url=True).stdout.splitlines()
    w = max(len("ID"), len(task))
    assert out[0] == "ID".ljust(w) + " Type      Status    Executing Databases and Retention Policies"
    assert out[1] == task.ljust(w) + f' stream    disabled  false     ["{db}"."autogen"]'

    show = cli(server, binary, "show", task).stdout
    assert f"ID: {task}\n" in show and "Status: disabled\n" in show
    assert f'Databases Retention Policies: ["{db}"."autogen"]\n' in show
    assert "TICKscript:\n// CPU alert\nstream\n" in show and "DOT:\ndigraph " in show

    # A broken script: the error names the file, the line and the character.
    bad = tmp_path / "bad.tick"
    bad.write_text("stream\n    |from()\n        .bogus(1)\n")
    err = cli(server, binary, "define", unique("bad"), "-tick", str(bad), "-dbrp", f"{db}.autogen", ok=False).stderr
    assert f"{bad}: invalid TICKscript: line 3 char" in err, err

    cli(server, binary, "enable", task)
    assert "Executing: true" in cli(server, binary, "show", task).stdout
    cli(server, binary, "reload", task)
    cli(server, binary, "disable", task)  # recording needs no running task
    assert "Executing: false" in cli(server, binary, "show", task).stdout

    # A topic handler from YAML, listed and shown.
    handler = tmp_path / "handler.yaml"
    log = tmp_path / "alerts.log"
    handler.write_text(f"topic: {topic}\nid: to-log\nkind: log\noptions:\n  path: {log}\n")
    cli(server, binary, "define-topic-handler", str(handler))
    sh = cli(server, binary, "show-topic-handler", topic, "to-log").stdout
    assert f"ID: to-log\nTopic: {topic}\nKind: log\n" in sh and f'"path":"{log}"' in sh

    # Record the stream for a second while writing, then replay it.
    rec = subprocess.Popen([str(binary), "kapacitor", "-url", server.url, "record", "stream",
                            "-task", task, "-duration", "1.5s", "-recording-id", "clirec"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    server.write_ok(db, "cpu,host=a usage=99")
    out, errs = rec.communicate(timeout=30)
    assert rec.returncode == 0, errs
    assert out == "clirec\n" and "recording clirec: finished" in errs
    lines = cli(server, binary, "list", "recordings").stdout.splitlines()
    assert lines[0].split() == ["ID", "Type", "Status", "Size", "Date"]
    assert lines[1].split()[:3] == ["clirec", "stream", "finished"], lines

    assert not log.exists()  # nothing live
    p = cli(server, binary, "replay", "-task", task, "-recording", "clirec", "-replay-id", "clirp", "-rec-time")
    assert p.stdout == "clirp\n"
    assert "CRITICAL" in log.read_text()
    lines = cli(server, binary, "list", "replays").stdout.splitlines()
    assert lines[1].split()[:5] == ["clirp", task, "clirec", "finished", "fast"], lines

    out = cli(server, binary, "list", "topic-handlers").stdout.splitlines()
    assert any(line.split() == [topic, "to-log", "log"] for line in out), out
    topics = cli(server, binary, "list", "topics").stdout
    assert topics.splitlines()[0].split() == ["ID", "Level", "Collected"] and topic in topics
    assert f"ID: {topic}\nLevel: CRITICAL\n" in cli(server, binary, "show-topic", topic).stdout

    gen = cli(server, binary, "stats", "general").stdout
    assert gen.startswith("ClusterID:") and "Tasks:".ljust(30) + "1\n" in gen

    # Delete by pattern.
    cli(server, binary, "delete", "replays", "cli*")
    cli(server, binary, "delete", "recordings", "clirec")
    cli(server, binary, "delete", "topic-handlers", topic, "to-log")
    cli(server, binary, "delete", "tasks", task)
    assert kap(server, "GET", "/recordings").json()["recordings"] == []
    assert kap(server, "GET", "/replays").json()["replays"] == []
    assert kap(server, "GET", f"/tasks/{task}").status_code == 404
    err = cli(server, binary, "list", "things", ok=False).stderr
    assert "cannot list \"things\"" in err
    err = cli(server, binary, "define", "x", "-bogus", ok=False).stderr
    assert "flag provided but not defined: -bogus" in err


def test_templates_and_vars(server, binary, tmp_path):
    db = server.create_db()
    tmpl = unique("tmpl")
    (tmp_path / "t.tick").write_text(
        "var measurement string\nvar limit = 90.0\nstream\n |from().measurement(measurement)\n"
        " |alert().crit(lambda: \"v\" > limit)\n")
    cli(server, binary, "define-template", tmpl, "-tick", str(tmp_path / "t.tick"), "-type", "stream")
    lines = cli(server, binary, "list", "templates").stdout.splitlines()
    assert lines[1].split() == [tmpl, "stream", "limit,measurement"]
    st = cli(server, binary, "show-template", tmpl).stdout
    assert "measurement                   string    <required>" in st

    (tmp_path / "vars.json").write_text('{"measurement": {"type": "string", "value": "cpu"}}')
    task = unique("from_tmpl")
    cli(server, binary, "define", task, "-template", tmpl, "-vars", str(tmp_path / "vars.json"),
        "-dbrp", f"{db}.autogen")
    t = kap(server, "GET", f"/tasks/{task}").json()
    assert t["template-id"] == tmpl and t["vars"]["measurement"]["value"] == "cpu"
    (tmp_path / "bad.json").write_text('{"measurement": \n  {"type": "string" "value": 1}}')
    err = cli(server, binary, "define", task, "-vars", str(tmp_path / "bad.json"), ok=False).stderr
    assert f"{tmp_path / 'bad.json'}: line 2 column" in err, err
