"""Durability: graceful restarts, restarts after persistence to Parquet,
kill -9 while writers are mid-request, and read-your-writes visibility."""

from __future__ import annotations

import gzip
import os
import random
import threading
import time
from pathlib import Path

import pytest
import requests

from e2e_util import assert_alive

BASE_S = 1_704_067_200  # 2024-01-01T00:00:00Z
BASE_NS = BASE_S * 10**9


def parquet_files(data_dir: Path) -> list[Path]:
    return sorted(data_dir.rglob("*.parquet"))


def wait_for_parquet(srv, minimum: int = 1, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = srv.metrics()
        if m.get("almanac_persisted_files_total", 0) >= minimum and parquet_files(srv.data_dir):
            return
        time.sleep(0.1)
    raise AssertionError(
        f"no Parquet file after {timeout}s; metrics: {srv.metrics()}; files: {parquet_files(srv.data_dir)}")


def assert_no_duplicates(srv, db, table, key="host, time"):
    total = srv.count(db, table)
    distinct = srv.scalar(db, f"SELECT count(*) AS n FROM (SELECT DISTINCT {key} FROM {table}) d")
    assert total == distinct, f"{table}: {total} rows but {distinct} distinct ({key})"
    return total


def assert_clean_start(srv):
    assert_alive(srv)
    log = srv.log_since_start()
    assert "panicked" not in log and "panic" not in log.lower(), log[-5000:]
    r = requests.get(srv.url + "/health", timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "pass", r.text


# ------------------------------------------------------------ (a) restart ----

def test_graceful_restart_keeps_everything(server):
    a = server.create_db("alpha")
    b = server.create_db("beta", "WITH DURATION 3650d NAME tenyears")
    lines = "\n".join(f"cpu,host=h{i % 7},dc=d{i % 2} v={i}i,f={i / 4} {BASE_NS + i * 10**6}"
                      for i in range(3000))
    server.write_ok(a, lines)
    now = time.time_ns()
    server.write_ok(b, f"temp,room=kitchen c=21.5 {now}\ntemp,room=attic c=30.25 {now}")
    # Merge + overwrite before the restart.
    server.write_ok(a, f"merge,k=x p=1 {BASE_NS}")
    server.write_ok(a, f"merge,k=x q=2 {BASE_NS}")
    server.write_ok(a, f"merge,k=x p=3 {BASE_NS}")

    code = server.stop()
    assert code == 0, f"exit code {code} after SIGTERM"
    server.start()
    assert_clean_start(server)

    values = server.influxql("SHOW DATABASES").json()["results"][0]["series"][0]["values"]
    assert sorted(values) == [["alpha"], ["beta"]]
    assert assert_no_duplicates(server, a, "cpu") == 3000
    assert server.scalar(a, "SELECT sum(v) AS s FROM cpu") == sum(range(3000))
    assert server.scalar(a, "SELECT sum(f) AS s FROM cpu") == sum(i / 4 for i in range(3000))
    assert server.sql(a, "SELECT host, dc, v FROM cpu WHERE v = 2999") == [{"host": "h3", "dc": "d1", "v": 2999}]
    assert server.sql(a, "SELECT k, p, q FROM merge") == [{"k": "x", "p": 3.0, "q": 2.0}]
    assert server.sql(b, "SELECT room, c FROM temp ORDER BY room") == \
        [{"room": "attic", "c": 30.25}, {"room": "kitchen", "c": 21.5}]
    # Writes still work after the restart, into the same tables.
    server.write_ok(a, f"cpu,host=h0,dc=d0 v=-1i,f=0.5 {BASE_NS - 1}")
    assert server.count(a, "cpu") == 3001
    # And a type conflict with the schema from before the restart is still one.
    r = server.write(a, f"cpu,host=h0,dc=d0 v=1.5 {BASE_NS - 2}")
    assert r.status_code == 400 and "field type conflict" in r.json()["error"], r.text


def test_restart_after_persistence_to_parquet(server_factory):
    srv = server_factory("--persist-rows", "1000", "--compaction-files", "3")
    db = srv.create_db()
    n = 5000
    for start in range(0, n, 500):
        srv.write_ok(db, "\n".join(
            f"pq,host=h{i % 5} v={i}i {BASE_NS + i * 10**9}" for i in range(start, start + 500)))
    wait_for_parquet(srv)
    assert assert_no_duplicates(srv, db, "pq") == n

    # Overwrite points that are already in Parquet files: the later write wins.
    srv.write_ok(db, "\n".join(f"pq,host=h{i % 5} v={-i}i {BASE_NS + i * 10**9}" for i in range(10)))
    expected_sum = sum(range(10, n)) - sum(range(10))
    assert srv.scalar(db, "SELECT sum(v) AS s FROM pq") == expected_sum
    assert assert_no_duplicates(srv, db, "pq") == n

    for how in ("SIGTERM", "SIGKILL", "SIGTERM"):
        if how == "SIGTERM":
            assert srv.stop() == 0
        else:
            srv.kill9()
        srv.start()
        assert_clean_start(srv)
        assert parquet_files(srv.data_dir), "Parquet files vanished"
        assert assert_no_duplicates(srv, db, "pq") == n, how
        assert srv.scalar(db, "SELECT sum(v) AS s FROM pq") == expected_sum, how
        assert srv.sql(db, "SELECT v FROM pq WHERE host = 'h3' AND time = to_timestamp_seconds(%d)"
                       % (BASE_S + 3)) == [{"v": -3}], how
        assert srv.sql(db, "SELECT v FROM pq WHERE host = 'h3' AND time = to_timestamp_seconds(%d)"
                       % (BASE_S + 4998)) == [{"v": 4998}], how


def test_acknowledged_write_survives_kill9(server):
    db = server.create_db()
    for i in range(20):
        server.write_ok(db, f"k9,host=a v={i}i {BASE_NS + i}")
    server.kill9()
    server.start()
    assert_clean_start(server)
    assert server.sql(db, "SELECT v FROM k9 ORDER BY time") == [{"v": i} for i in range(20)]


def test_restart_with_different_persistence_settings(server_factory):
    srv = server_factory()
    db = srv.create_db()
    srv.write_ok(db, "\n".join(f"mix,host=a v={i}i {BASE_NS + i * 10**9}" for i in range(1500)))
    assert srv.stop() == 0
    srv.start(args=["--persist-rows", "200", "--compaction-files", "2"])
    srv.write_ok(db, "\n".join(f"mix,host=b v={i}i {BASE_NS + i * 10**9}" for i in range(1500)))
    wait_for_parquet(srv)
    assert assert_no_duplicates(srv, db, "mix") == 3000
    srv.kill9()
    srv.start(args=[])
    assert_clean_start(srv)
    assert assert_no_duplicates(srv, db, "mix") == 3000
    assert srv.scalar(db, "SELECT sum(v) AS s FROM mix") == 2 * sum(range(1500))


# ------------------------------------------------------- (b) crash cycles ----

CRASH_CYCLES = int(os.environ.get("ALMANAC_CRASH_CYCLES", "20"))
WRITERS = 4
BATCH = 50


def point_value(writer: int, seq: int) -> int:
    return (writer * 1_000_003 + seq * 7919) % 1_000_000_007


class Ledger:
    """What the writers know: acknowledged points, and points whose request
    got no answer (may or may not be stored)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked: dict[tuple[str, int], int] = {}
        self.pending: dict[tuple[str, int], int] = {}   # no answer; not yet resolved
        self.present: dict[tuple[str, int], int] = {}   # no answer, found after restart: must stay
        self.absent: set[tuple[str, int]] = set()       # no answer, not found: must never appear
        self.bad_answers: list[str] = []
        self.requests = {"ok": 0, "no answer": 0, "bad answer": 0}
        self.pending_batches: list[list[tuple[str, int]]] = []


def writer_loop(url: str, db: str, writer: int, seqs: list[int], ledger: Ledger,
                stop: threading.Event) -> None:
    host = f"w{writer}"
    session = requests.Session()
    try:
        while not stop.is_set():
            start = seqs[writer]
            seqs[writer] += BATCH
            points = {(host, BASE_NS + s * 10**9): point_value(writer, s)
                      for s in range(start, start + BATCH)}
            body = "\n".join(f"crash,host={h} v={v}i {t}" for (h, t), v in points.items())
            # Odd writers gzip their bodies (the WAL then keeps them as sent).
            headers = {}
            if writer % 2:
                body = gzip.compress(body.encode(), compresslevel=1)
                headers["Content-Encoding"] = "gzip"
            try:
                r = session.post(url + "/write", params={"db": db}, data=body, headers=headers,
                                 timeout=20)
            except requests.RequestException:
                with ledger.lock:
                    ledger.pending.update(points)
                    ledger.pending_batches.append(list(points))
                    ledger.requests["no answer"] += 1
                return  # the server is gone
            with ledger.lock:
                if r.status_code == 204:
                    ledger.acked.update(points)
                    ledger.requests["ok"] += 1
                else:
                    ledger.pending.update(points)
                    ledger.bad_answers.append(f"{r.status_code} {r.text[:300]}")
                    ledger.requests["bad answer"] += 1
    finally:
        session.close()


def verify(srv, db: str, ledger: Ledger, label: str) -> dict:
    rows = srv.sql(db, "SELECT host, CAST(time AS BIGINT) AS t, v FROM crash")
    stored: dict[tuple[str, int], int] = {}
    dups = 0
    for row in rows:
        key = (row["host"], row["t"])
        if key in stored:
            dups += 1
        stored[key] = row["v"]
    assert dups == 0, f"{label}: {dups} duplicated (host, time) rows"
    total = srv.count(db, "crash")
    distinct = srv.scalar(db, "SELECT count(*) AS n FROM (SELECT DISTINCT host, time FROM crash) d")
    assert total == len(rows) == distinct, f"{label}: count {total}, rows {len(rows)}, distinct {distinct}"

    lost = [k for k in ledger.acked if k not in stored]
    assert not lost, f"{label}: {len(lost)} acknowledged points lost, e.g. {sorted(lost)[:5]}"
    wrong = [(k, stored[k], v) for k, v in ledger.acked.items() if stored[k] != v]
    assert not wrong, f"{label}: wrong values (key, stored, expected): {wrong[:5]}"

    gone = [k for k in ledger.present if k not in stored]
    assert not gone, f"{label}: {len(gone)} points seen after an earlier restart are gone: {gone[:5]}"
    back = [k for k in ledger.absent if k in stored]
    assert not back, f"{label}: {len(back)} points absent after an earlier restart reappeared: {back[:5]}"

    # Every stored point was written by someone, with the value written.
    known = {**ledger.present, **ledger.pending, **ledger.acked}
    ghosts = [k for k in stored if k not in known]
    assert not ghosts, f"{label}: {len(ghosts)} stored points nobody wrote: {ghosts[:5]}"
    wrong = [(k, stored[k], known[k]) for k in stored if stored[k] != known[k]]
    assert not wrong, f"{label}: wrong values (key, stored, expected): {wrong[:5]}"

    # Resolve the requests that got no answer.
    partial_batches = 0
    for batch in ledger.pending_batches:
        found = sum(1 for k in batch if k in stored)
        if 0 < found < len(batch):
            partial_batches += 1
    for k, v in ledger.pending.items():
        if k in stored:
            ledger.present[k] = v
        else:
            ledger.absent.add(k)
    resolved = len(ledger.pending)
    ledger.pending.clear()
    ledger.pending_batches.clear()
    return {"rows": total, "resolved": resolved, "partial_batches": partial_batches}


def run_crash_cycles(server_factory, cycles: int, mixed: bool) -> None:
    """`cycles` times on one data directory: start, 4 writers, stop the
    server at a random moment while they are mid-request, verify after the
    next start. Odd cycles persist to Parquet (and compact) continuously, so
    the kills also land in persistence and compaction.

    mixed=False: every stop is kill -9.
    mixed=True: cycles rotate between kill -9, a graceful SIGTERM (waited
    for), and SIGTERM followed by kill -9 0-200 ms later."""
    rng = random.Random(int(os.environ.get("ALMANAC_CRASH_SEED", str(int(time.time())))))
    srv = server_factory(start=False)
    ledger = Ledger()
    seqs = [0] * WRITERS
    db = "crashdb"
    t_start = time.monotonic()
    stats = []

    srv.start()
    srv.create_db(db)
    # A seed point so the table exists from the first verification on.
    srv.write_ok(db, f"crash,host=seed v=0i {BASE_NS}")
    ledger.acked[("seed", BASE_NS)] = 0

    for cycle in range(cycles):
        if cycle % 2 == 1:
            args = ["--persist-rows", "500", "--compaction-files", "2"]
            if cycle % 4 == 3:
                args += ["--persist-age-secs", "1"]
        else:
            args = []
        if not srv.alive():
            srv.start(args=args)
        elif cycle > 0:
            raise AssertionError("server still running at the start of a cycle")
        assert_clean_start(srv)
        info = verify(srv, db, ledger, f"cycle {cycle} after restart")

        stop = threading.Event()
        threads = [threading.Thread(target=writer_loop, args=(srv.url, db, w, seqs, ledger, stop),
                                    daemon=True) for w in range(WRITERS)]
        for t in threads:
            t.start()
        delay = rng.uniform(0.3, 1.5)
        time.sleep(delay)
        how = ("kill", "term", "term+kill")[cycle % 3] if mixed else "kill"
        if how == "term":
            code = srv.stop()
            assert code == 0, f"cycle {cycle}: exit code {code} after SIGTERM"
        elif how == "term+kill":
            srv.proc.send_signal(15)
            time.sleep(rng.uniform(0.0, 0.2))
            srv.kill9()
        else:
            srv.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=60)
            assert not t.is_alive(), "a writer thread hung"
        if how == "kill":
            assert not ledger.bad_answers, f"cycle {cycle}: non-204 answers: {ledger.bad_answers[:5]}"
        else:
            # While shutting down the server may refuse a write (503); those are
            # in the ledger as not acknowledged. Anything else is an error.
            odd = [a for a in ledger.bad_answers if not a.startswith("503")]
            assert not odd, f"cycle {cycle}: unexpected answers: {odd[:5]}"
            ledger.bad_answers.clear()
        stats.append((cycle, how, round(delay, 2), info["rows"], info["resolved"], info["partial_batches"]))

    srv.start(args=[])
    assert_clean_start(srv)
    info = verify(srv, db, ledger, "final restart")
    stats.append(("final", "", 0, info["rows"], info["resolved"], info["partial_batches"]))

    # Graceful stop and start once more: still exactly the same.
    assert srv.stop() == 0
    srv.start()
    verify(srv, db, ledger, "after graceful restart")

    elapsed = time.monotonic() - t_start
    print(f"\ncrash cycles: {cycles} in {elapsed:.1f}s; requests {ledger.requests}; "
          f"acked points {len(ledger.acked)}, unanswered found {len(ledger.present)}, "
          f"unanswered absent {len(ledger.absent)}")
    print("cycle, stop, after s, rows at start, unanswered resolved, partially stored batches")
    for s in stats:
        print("  ", s)
    assert ledger.requests["ok"] > cycles, "writers hardly got any write through"


def test_kill9_crash_cycles(server_factory):
    """kill -9 at a random moment while 4 writers are mid-request,
    ALMANAC_CRASH_CYCLES times (default 20) on one data directory."""
    run_crash_cycles(server_factory, CRASH_CYCLES, mixed=False)



def test_crash_cycles_mixed_with_graceful_restarts(server_factory):
    """Like the kill -9 cycles, with graceful SIGTERM stops and SIGTERM+SIGKILL in between."""
    run_crash_cycles(server_factory, max(6, CRASH_CYCLES // 2), mixed=True)


def test_writes_after_graceful_restart_survive_a_crash(server):
    db = server.create_db()
    for j in range(10):
        server.write_ok(db, "\n".join(f"gr,host=a v={i}i {BASE_NS + i}" for i in range(j * 100, j * 100 + 100)))
    assert server.stop() == 0
    server.start()
    assert server.count(db, "gr") == 1000
    for j in range(5):
        server.write_ok(db, "\n".join(f"gr,host=b v={i}i {BASE_NS + i}" for i in range(j * 100, j * 100 + 100)))
    assert server.count(db, "gr") == 1500
    server.kill9()
    server.start()
    assert server.count(db, "gr") == 1500, "acknowledged writes lost after graceful restart + crash"


# ---------------------------------------------------------- (c) visibility ----

def test_write_then_read_immediately(server):
    db = server.create_db()
    for i in range(100):
        t = BASE_NS + i
        if i % 2:
            server.write_ok(db, f"vis,host=a v={i}i {t}")
        else:
            r = requests.post(server.url + "/api/v2/write", params={"bucket": db, "org": "o"},
                              data=f"vis,host=a v={i}i {t}", timeout=30)
            assert r.status_code == 204, r.text
        got = server.sql(db, f"SELECT v FROM vis WHERE CAST(time AS BIGINT) = {t}")
        assert got == [{"v": i}], (i, got)
        assert server.count(db, "vis") == i + 1


def test_visibility_while_persisting(server_factory):
    """Rows stay visible exactly once while the buffer is persisted and compacted."""
    srv = server_factory("--persist-rows", "300", "--compaction-files", "2")
    db = srv.create_db()
    total = 0
    for batch in range(40):
        srv.write_ok(db, "\n".join(
            f"vp,host=h{i % 3} v={i}i {BASE_NS + i * 10**9}" for i in range(total, total + 100)))
        total += 100
        assert srv.count(db, "vp") == total, f"after batch {batch}"
    wait_for_parquet(srv)
    for _ in range(20):
        assert srv.count(db, "vp") == total
        assert srv.scalar(db, "SELECT sum(v) AS s FROM vp") == sum(range(total))
        time.sleep(0.05)
    assert assert_no_duplicates(srv, db, "vp") == total


def test_concurrent_reader_sees_consistent_counts(server_factory):
    """While one thread writes (and the server persists and compacts), a
    reader never sees a row twice, never sees more than was sent, and never
    sees the count go down."""
    srv = server_factory("--persist-rows", "400", "--compaction-files", "2")
    db = srv.create_db()
    sent = [0]   # rows whose request was sent (acknowledged or in flight)
    acked = [0]
    stop = threading.Event()
    errors: list[str] = []

    def writer():
        session = requests.Session()
        seq = 0
        while not stop.is_set() and seq < 20_000:
            body = "\n".join(f"cr,host=h{i % 4} v={i}i {BASE_NS + i * 10**8}" for i in range(seq, seq + 100))
            sent[0] = seq + 100
            r = session.post(srv.url + "/write", params={"db": db}, data=body, timeout=30)
            if r.status_code != 204:
                errors.append(f"write {r.status_code} {r.text[:200]}")
                return
            seq += 100
            acked[0] = seq

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    last = 0
    observations = 0
    deadline = time.monotonic() + 20
    try:
        while t.is_alive() and time.monotonic() < deadline:
            lo = acked[0]
            rows = srv.sql(db, "SELECT count(time) AS n, count(DISTINCT CAST(time AS BIGINT)) AS d FROM cr") \
                if lo else [{"n": 0, "d": 0}]
            hi = sent[0]
            n, d = rows[0]["n"], rows[0]["d"]
            assert n == d, f"duplicates visible: {n} rows, {d} distinct times"
            assert lo <= n <= hi, f"count {n} outside [{lo}, {hi}]"
            assert n >= last, f"count went down from {last} to {n}"
            last = n
            observations += 1
    finally:
        stop.set()
        t.join(timeout=60)
    assert not errors, errors
    assert observations > 10
    wait_for_parquet(srv)
    assert assert_no_duplicates(srv, db, "cr") == acked[0]


def test_field_merge_across_persistence(server_factory):
    srv = server_factory("--persist-rows", "100")
    db = srv.create_db()
    srv.write_ok(db, "\n".join(f"fm,host=a x={i} {BASE_NS + i}" for i in range(500)))
    wait_for_parquet(srv)
    # Merge new fields into points that are in Parquet already, and overwrite one.
    srv.write_ok(db, "\n".join(f"fm,host=a y={i * 2} {BASE_NS + i}" for i in range(0, 500, 50)))
    srv.write_ok(db, f"fm,host=a x=-1 {BASE_NS + 100}")
    for phase in ("live", "after SIGTERM", "after SIGKILL"):
        if phase == "after SIGTERM":
            assert srv.stop() == 0
            srv.start()
        elif phase == "after SIGKILL":
            srv.kill9()
            srv.start()
        assert assert_no_duplicates(srv, db, "fm") == 500, phase
        rows = srv.sql(db, "SELECT x, y FROM fm WHERE y IS NOT NULL ORDER BY time")
        assert rows == [{"x": float(i) if i != 100 else -1.0, "y": float(i * 2)}
                        for i in range(0, 500, 50)], phase


def test_dropped_database_stays_dropped_after_persistence_and_restart(server_factory):
    srv = server_factory("--persist-rows", "100")
    db = srv.create_db("phoenix")
    srv.write_ok(db, "\n".join(f"old,host=a v={i}i {BASE_NS + i}" for i in range(1000)))
    wait_for_parquet(srv)
    r = srv.influxql(f"DROP DATABASE {db}")
    assert r.json() == {"results": [{"statement_id": 0}]}, r.text
    srv.create_db(db)
    srv.write_ok(db, f"new,host=b v=1i {BASE_NS}")
    r = srv.sql_response(db, "SELECT count(time) AS n FROM old")
    assert r.status_code != 200 or r.json() == [{"n": 0}], r.text
    for how in ("SIGTERM", "SIGKILL"):
        if how == "SIGTERM":
            assert srv.stop() == 0
        else:
            srv.kill9()
        srv.start()
        r = srv.sql_response(db, "SELECT count(time) AS n FROM old")
        assert r.status_code != 200 or r.json() == [{"n": 0}], (how, r.text)
        assert srv.count(db, "new") == 1, how


def test_persist_age_triggers_persistence(server_factory):
    srv = server_factory("--persist-age-secs", "1")
    db = srv.create_db()
    srv.write_ok(db, "\n".join(f"age,host=a v={i}i {BASE_NS + i}" for i in range(10)))
    wait_for_parquet(srv, timeout=30)
    assert assert_no_duplicates(srv, db, "age") == 10
    srv.kill9()
    srv.start(args=[])
    assert assert_no_duplicates(srv, db, "age") == 10


def test_small_buffer_limit_does_not_deadlock(server_factory):
    """With a tiny write buffer, writers are slowed down by persistence, not stuck."""
    srv = server_factory("--buffer-limit", "200000", "--compaction-files", "2")
    db = srv.create_db()
    n = 0
    t0 = time.monotonic()
    for _ in range(40):
        srv.write(db, "\n".join(f"bl,host=h{i % 8} v={i}i,pad=\"{'x' * 64}\" {BASE_NS + i * 10**6}"
                                for i in range(n, n + 1000)), timeout=60).raise_for_status()
        n += 1000
    elapsed = time.monotonic() - t0
    assert elapsed < 120, f"40k rows took {elapsed:.0f}s with a small buffer"
    wait_for_parquet(srv)
    assert srv.metrics()["almanac_buffer_bytes"] < 4 * 200000
    assert assert_no_duplicates(srv, db, "bl") == n
    assert srv.stop() == 0
    srv.start()
    assert assert_no_duplicates(srv, db, "bl") == n


def test_wal_segments_roll_and_are_removed_after_persistence(server_factory):
    srv = server_factory("--persist-rows", "500")
    srv.env["ALMANAC_WAL_SEGMENT_BYTES"] = "20000"
    srv.restart()
    db = srv.create_db()
    for start in range(0, 5000, 250):
        srv.write_ok(db, "\n".join(f"wal,host=a v={i}i {BASE_NS + i * 10**6}" for i in range(start, start + 250)))
    wait_for_parquet(srv)
    deadline = time.monotonic() + 30
    while srv.metrics()["almanac_wal_segments"] > 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    segments = srv.metrics()["almanac_wal_segments"]
    assert segments <= 5, f"{segments} WAL segments left after everything was persisted"
    srv.kill9()
    srv.start()
    assert assert_no_duplicates(srv, db, "wal") == 5000
    assert srv.scalar(db, "SELECT sum(v) AS s FROM wal") == sum(range(5000))


def _latest_wal(data_dir: Path) -> Path:
    wals = sorted(data_dir.rglob("*.wal"))
    assert wals, f"no WAL segment under {data_dir}"
    return wals[-1]


def test_garbage_after_wal_tail_is_tolerated(server):
    """A torn write at the end of the WAL (junk after the last complete
    record) must not stop the server from starting or lose earlier records."""
    db = server.create_db()
    for i in range(50):
        server.write_ok(db, f"torn,host=a v={i}i {BASE_NS + i}")
    server.kill9()
    wal = _latest_wal(server.data_dir)
    with open(wal, "ab") as f:
        f.write(bytes(random.Random(7).getrandbits(8) for _ in range(777)))
    server.start()
    assert_clean_start(server)
    assert server.sql(db, "SELECT v FROM torn ORDER BY time") == [{"v": i} for i in range(50)]
    # And the WAL keeps working after the repair.
    server.write_ok(db, f"torn,host=a v=50i {BASE_NS + 50}")
    server.kill9()
    server.start()
    assert server.count(db, "torn") == 51


def test_truncated_wal_tail_is_tolerated(server):
    db = server.create_db()
    for i in range(50):
        server.write_ok(db, f"trunc,host=a v={i}i {BASE_NS + i}")
    server.kill9()
    wal = _latest_wal(server.data_dir)
    size = wal.stat().st_size
    with open(wal, "r+b") as f:
        f.truncate(size - 5)  # cut into the last record
    server.start()
    assert_clean_start(server)
    rows = server.sql(db, "SELECT v FROM trunc ORDER BY time")
    # The cut record (the last write) may be gone; everything before it is intact.
    assert rows in ([{"v": i} for i in range(49)], [{"v": i} for i in range(50)]), rows[-3:]
    server.write_ok(db, f"trunc,host=a v=99i {BASE_NS + 99}")
    server.kill9()
    server.start()
    assert server.sql(db, "SELECT v FROM trunc WHERE v = 99") == [{"v": 99}]


def test_sigterm_then_sigkill_during_shutdown(server_factory):
    """Killed while persisting the buffer on shutdown: nothing acknowledged is
    lost and nothing is doubled."""
    srv = server_factory()
    db = srv.create_db()
    total = 0
    for rnd, delay in enumerate((0.0, 0.01, 0.05, 0.1, 0.2)):
        srv.write_ok(db, "\n".join(f"sk,host=h{i % 3} v={i}i {BASE_NS + i * 10**6}"
                                   for i in range(total, total + 20000)))
        total += 20000
        srv.proc.send_signal(15)
        time.sleep(delay)
        srv.kill9()
        srv.start()
        assert_clean_start(srv)
        assert assert_no_duplicates(srv, db, "sk") == total, f"round {rnd}, kill {delay}s after SIGTERM"
        assert srv.scalar(db, "SELECT sum(v) AS s FROM sk") == sum(range(total))


def test_time_and_tag_filters_over_parquet_and_buffer(server_factory):
    """Filters give the same answers whether rows are in Parquet files (with
    min/max time pruning), in the buffer, or both, and after a restart."""
    srv = server_factory("--persist-rows", "700", "--compaction-files", "3")
    db = srv.create_db()
    n = 6000
    step = 60 * 10**9  # one point a minute: spans 4+ days, so several partitions
    hosts = ["a", "b", "c", "d", "e"]
    for start in range(0, n, 1000):
        srv.write_ok(db, "\n".join(f"flt,host={hosts[i % 5]} v={i}i {BASE_NS + i * step}"
                                   for i in range(start, start + 1000)))
    wait_for_parquet(srv)
    # The newest rows stay in the buffer.
    srv.write_ok(db, "\n".join(f"flt,host={hosts[i % 5]} v={i}i {BASE_NS + i * step}"
                               for i in range(n, n + 300)))
    total = n + 300
    rng = random.Random(99)
    ranges = [(0, total), (0, 1), (total - 1, total), (n - 10, n + 10)]
    ranges += [tuple(sorted(rng.sample(range(total + 1), 2))) for _ in range(12)]

    def check(label):
        assert assert_no_duplicates(srv, db, "flt") == total, label
        for lo, hi in ranges:
            t_lo, t_hi = BASE_NS + lo * step, BASE_NS + hi * step
            got = srv.scalar(db, f"SELECT count(time) AS c FROM flt WHERE time >= to_timestamp_nanos({t_lo}) "
                                 f"AND time < to_timestamp_nanos({t_hi})")
            assert got == hi - lo, (label, lo, hi, got)
            got = srv.scalar(db, f"SELECT count(time) AS c FROM flt WHERE host = 'c' AND "
                                 f"CAST(time AS BIGINT) >= {t_lo} AND CAST(time AS BIGINT) < {t_hi}")
            assert got == sum(1 for i in range(lo, hi) if i % 5 == 2), (label, "host=c", lo, hi, got)
        rows = srv.sql(db, "SELECT v FROM flt WHERE host = 'e' ORDER BY time DESC LIMIT 3")
        assert rows == [{"v": total - 1}, {"v": total - 6}, {"v": total - 11}], label

    check("live")
    assert srv.stop() == 0
    srv.start()
    check("after restart")
