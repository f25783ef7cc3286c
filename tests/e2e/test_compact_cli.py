"""`almanac compact`: rewrites a stopped server's partitions as compacted
files (integer fields as restart deltas, ZSTD); every answer stays the same,
also for rows that were only in the WAL, and a running server's directory is
refused."""

from __future__ import annotations

import random
import subprocess

from e2e_util import almanac_bin

BASE_NS = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z


def lines(seed: int, start: int, n: int) -> str:
    """Integer fields in small steps, with gaps, extremes and a second
    integer field present on some rows only; floats and strings beside."""
    rng = random.Random(seed)
    level = {h: rng.randint(0, 100) for h in range(6)}
    out = []
    for i in range(start, start + n):
        h = i % 6
        level[h] += rng.randint(-3, 3)
        fields = [f"usage={level[h]}i", f"load={level[h] / 7}"]
        if i % 5 == 0:
            fields.append(f"spiky={rng.choice([-(2**63), 2**63 - 1, 0, -1, rng.randint(-10**12, 10**12)])}i")
        if i % 11 == 0:
            fields.append(f'note="n{i}"')
        out.append(f"cpu,host=h{h},dc=d{h % 2} {','.join(fields)} {BASE_NS + i * 10**9}")
    return "\n".join(out)


QUERIES = [
    "SELECT * FROM cpu ORDER BY time DESC LIMIT 50",
    "SELECT sum(usage), count(usage), min(usage), max(usage), count(spiky), max(spiky), min(spiky) FROM cpu GROUP BY host",
    "SELECT * FROM cpu WHERE host = 'h3' AND time >= '2024-01-01T01:00:07Z' AND time < '2024-01-01T01:02:00Z'",
    "SELECT spiky FROM cpu WHERE dc = 'd1' AND time > '2024-01-01T00:30:00Z' LIMIT 40",
    "SELECT last(usage), first(usage) FROM cpu GROUP BY host",
    "SELECT mean(usage) FROM cpu WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T03:00:00Z' GROUP BY time(17m), host",
]


def answers(srv, db):
    out = []
    for q in QUERIES:
        r = srv.influxql(q, db=db)
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


def compact(data_dir) -> subprocess.CompletedProcess:
    return subprocess.run([str(almanac_bin()), "compact", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=300)


def test_compact_keeps_every_answer(server):
    db = server.create_db()
    server.write_ok(db, lines(1, 0, 6000))
    assert server.stop() == 0  # the first rows persisted to Parquet
    server.start()
    server.write_ok(db, lines(2, 6000, 4000))
    # Overwrite some persisted points: the later write must still win.
    server.write_ok(db, "\n".join(f"cpu,host=h{i % 6},dc=d{i % 2} usage=-{i}i {BASE_NS + i * 10**9}"
                                  for i in range(0, 600, 7)))
    before = answers(server, db)
    assert before[1]["results"][0]["series"], before[1]

    # While the server runs, its directory is refused.
    busy = compact(server.data_dir)
    assert busy.returncode != 0
    assert "server running" in busy.stderr, busy.stderr

    server.kill9()  # the last rows are only in the WAL
    done = compact(server.data_dir)
    assert done.returncode == 0, done.stderr
    assert "[1/1]" in done.stderr and "compacted 1 partition(s)" in done.stderr, done.stderr
    files = sorted(server.data_dir.rglob("*.parquet"))
    assert len(files) == 1, files

    server.start()
    assert answers(server, db) == before
    # Writes after the compaction land beside it.
    server.write_ok(db, f"cpu,host=h9,dc=d0 usage=5i {BASE_NS}")
    r = server.influxql("SELECT count(usage) FROM cpu WHERE host = 'h9'", db=db).json()
    assert r["results"][0]["series"][0]["values"][0][1] == 1


def test_compact_names_a_directory_that_is_not_almanacs(tmp_path):
    r = compact(tmp_path / "nothing-here")
    assert r.returncode != 0
    assert "nothing-here" in r.stderr and "catalog.redb" in r.stderr, r.stderr
