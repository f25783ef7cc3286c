"""Differential InfluxQL tests: every query of `influxql_corpus/*.txt` runs
against Almanac and against Debian's `influxd` 1.6.7 (fixture `reference.py`)
loaded with the same data (`fixtures/influxql_dataset.lp`), and the answers
(HTTP status and JSON body) must be equal; floats are compared with a
relative tolerance of 1e-9 (and an absolute one of 1e-12 around zero).

Corpus files, one category each (`select_raw.txt`, `aggregates.txt`, ...):
one query per line, `#` comments and blank lines ignored. A line may start
with request parameters as `@key=value` tokens: `@db=`, `@rp=`, `@epoch=`,
`@chunked=true`, `@chunk_size=N`, `@params=` (JSON, no spaces),
`@method=GET`, `@accept=csv`, and `@rows=unordered` (not sent: the rows of
each series are compared as a multiset, for answers whose order 1.6.7 takes
from a Go map, such as SHOW GRANTS). Without `@db` the database is `diff`.
The test id of a query is `<category>:<line number>`.

Special files:
- `pending.txt`: queries where Almanac currently differs from 1.6.7; run
  only when `ALMANAC_DIFF_PENDING=1` (move a line back to its category when
  it passes).
- `expected_18.txt`: queries whose 1.6.7 answer is a 1.6.7 bug or gap that
  1.8 fixed; each line is `<query> ==> <expected JSON>` with the source of
  the 1.8 behaviour in the comment above it; run against Almanac only.

Besides the main comparison, a subset of the corpus (one read-only query in
four of the SELECT and SHOW categories, chosen by a hash of its text) is
compared again with `epoch=ms` and as CSV (`Accept: application/csv`), and
one in ten of a few categories with `chunked=true` (`chunk_size=50`). A
format variant that differs is listed in `pending.txt` with its `@` prefix.
Management queries (`management.txt`) are self-contained: each creates and
drops its own `mgmt_*` databases and users, and the test drops them again
afterwards on both servers.

Run: `.venv/bin/python -m pytest tests/e2e/test_influxql_diff.py`
(`ALMANAC_DIFF_PENDING=1` to run the pending queries too). The whole module
takes about 20 s.

Every GROUP BY time() query must have both time bounds: 1.6.7 otherwise
fills buckets up to now() (and effectively hangs).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from reference import load_dataset, load_into, reference_server  # noqa: F401  (fixture)

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "influxql_corpus"
DEFAULT_DB = "diff"
REL_TOL = 1e-9
ABS_TOL = 1e-12
SPECIAL_FILES = {"pending", "expected_18"}
# Categories whose queries are also compared with epoch=ms and as CSV.
FORMAT_CATEGORIES = {"select_raw", "where", "group_by", "aggregates", "selectors",
                     "transforms", "math", "sources", "limits", "tz", "schema"}


# ----------------------------------------------------------------- corpus ---


@dataclass
class Case:
    category: str
    lineno: int
    query: str
    params: dict = field(default_factory=dict)
    expected: object = None  # expected_18 only

    @property
    def id(self) -> str:
        return f"{self.category}:{self.lineno}"


_PARAM_RE = re.compile(r"^@([a-z_]+)=(\S*)\s+")


def parse_line(category: str, lineno: int, raw: str) -> Case | None:
    text = raw.strip()
    if not text or text.startswith("#"):
        return None
    params: dict = {}
    while True:
        m = _PARAM_RE.match(text)
        if not m:
            break
        params[m.group(1)] = m.group(2)
        text = text[m.end():]
    expected = None
    if category == "expected_18":
        text, sep, exp = text.partition(" ==> ")
        assert sep, f"expected_18.txt:{lineno}: missing ' ==> <expected JSON>'"
        expected = json.loads(exp)
    return Case(category, lineno, text.strip(), params, expected)


def load_corpus(name: str | None = None) -> list[Case]:
    cases = []
    for path in sorted(CORPUS_DIR.glob("*.txt")):
        category = path.stem
        if name is None and category in SPECIAL_FILES:
            continue
        if name is not None and category != name:
            continue
        for i, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            case = parse_line(category, i, raw)
            if case is not None:
                cases.append(case)
    return cases


MAIN_CASES = load_corpus()
PENDING_CASES = load_corpus("pending") if os.environ.get("ALMANAC_DIFF_PENDING") == "1" else []
EXPECTED_18_CASES = load_corpus("expected_18")


def _is_read_only(case: Case) -> bool:
    q = case.query.upper()
    return not any(w in q for w in ("CREATE ", "DROP ", "DELETE ", "ALTER ", " INTO ", "KILL "))


def _in_format_subset(case: Case) -> bool:
    """About one query in four of the format categories, chosen by a hash of
    the query text so that moving other lines does not change the choice."""
    return (case.category in FORMAT_CATEGORIES and not case.params and _is_read_only(case)
            and zlib.crc32(case.query.encode()) % 4 == 0)


# (params, query) of every pending line: a format variant listed there is
# left out of the format tests below (it runs as a pending case instead).
_PENDING_KEYS = {(tuple(sorted(c.params.items())), c.query) for c in load_corpus("pending")}
EPOCH_MS = {"epoch": "ms"}
CSV = {"accept": "csv"}
CHUNKED = {"chunked": "true", "chunk_size": "50"}


def _not_pending(cases: list[Case], extra: dict) -> list[Case]:
    key = tuple(sorted(extra.items()))
    return [c for c in cases if (key, c.query) not in _PENDING_KEYS]


FORMAT_CASES = [c for c in MAIN_CASES if _in_format_subset(c)]
EPOCH_CASES = _not_pending(FORMAT_CASES, EPOCH_MS)
CSV_CASES = _not_pending(FORMAT_CASES, CSV)
CHUNKED_CASES = _not_pending(
    [c for c in MAIN_CASES
     if c.category in ("select_raw", "group_by", "limits", "schema")
     and not c.params and _is_read_only(c)
     and zlib.crc32(c.query.encode()) % 10 == 0],
    CHUNKED)


# ---------------------------------------------------------------- servers ---


@pytest.fixture(scope="module")
def servers(shared_server, reference_server):  # noqa: F811
    ddl, batches = load_dataset()
    load_into(reference_server, ddl, batches)
    load_into(shared_server, ddl, batches)
    return shared_server, reference_server


@pytest.fixture(scope="module")
def persisted_servers(tmp_path_factory, servers):
    """A second Almanac with the same data, restarted gracefully so that
    everything is read back from Parquet files (page-index pruning, file
    skipping) rather than from the write buffer."""
    from e2e_util import Server, almanac_bin
    root = tmp_path_factory.mktemp("persisted")
    srv = Server(binary=almanac_bin(), data_dir=root / "data", log_path=root / "server.log")
    try:
        srv.start()
        ddl, batches = load_dataset()
        load_into(srv, ddl, batches)
        srv.restart(graceful=True)
        assert list((root / "data").rglob("*.parquet")), "nothing was persisted"
        yield srv, servers[1]
    finally:
        srv.close()


# Read-only queries of the categories that read data, asked of the
# persisted copy: answers must not depend on where the data lives.
PERSISTED_CASES = [c for c in MAIN_CASES
                   if _is_read_only(c) and c.category in (
                       "select_raw", "where", "limits", "group_by", "aggregates",
                       "selectors", "sources")]


# ------------------------------------------------------------- comparison ---


def run(server, case: Case, extra: dict | None = None) -> requests.Response:
    params = {"db": DEFAULT_DB, **case.params, **(extra or {})}
    method = params.pop("method", "POST")
    accept = params.pop("accept", None)
    params.pop("rows", None)
    headers = {"Accept": "application/csv"} if accept == "csv" else {}
    url = server.url + "/query"
    data = {"q": case.query, **params}
    if method == "GET":
        return requests.get(url, params=data, headers=headers, timeout=30)
    return requests.post(url, data=data, headers=headers, timeout=30)


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def diff(a, b, path="$") -> str | None:
    """First difference between two decoded JSON values, or None."""
    if isinstance(a, tuple):
        a = list(a)
    if isinstance(b, tuple):
        b = list(b)
    if _num(a) and _num(b):
        if isinstance(a, int) and isinstance(b, int):
            return None if a == b else f"{path}: {a!r} != {b!r}"
        # Go prints an integral float without a fraction: 5.0 as `5`, so an
        # int on one side and an integral float on the other is a real
        # difference in the text (e.g. `5` vs `5.0`).
        if isinstance(a, int) != isinstance(b, int):
            f = a if isinstance(a, float) else b
            if f.is_integer():
                return f"{path}: {a!r} != {b!r} (int vs float)"
        if math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return None
        return f"{path}: {a!r} != {b!r}"
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        if set(a) != set(b):
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            d = diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def decode(resp: requests.Response, csv_body: bool = False, chunked: bool = False):
    text = resp.text
    if csv_body and resp.headers.get("Content-Type", "").startswith("text/csv"):
        rows = list(csv.reader(io.StringIO(text)))
        return [[_csv_cell(c) for c in row] for row in rows]
    if chunked:
        return [json.loads(part) for part in text.splitlines() if part.strip()]
    try:
        return json.loads(text)
    except ValueError:
        return {"<not json>": text}


def sort_series_rows(body):
    """Sorts the `values` of every series in a JSON answer (by their JSON text)."""
    if isinstance(body, dict):
        for result in body.get("results", []):
            for series in result.get("series", []):
                series["values"] = sorted(series.get("values", []), key=json.dumps)
    return body


def _csv_cell(c: str):
    try:
        return int(c)
    except ValueError:
        pass
    try:
        if c and c[0] in "-0123456789.":
            return float(c)
    except ValueError:
        pass
    return c


def short(x, n: int = 600) -> str:
    s = x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + f"... ({len(s)} chars)"


_MGMT_NAME = re.compile(r'"?([\w-]*mgmt[-_][\w.-]*)"?')


def cleanup(servers, case: Case) -> None:
    """Drops the databases and users a management query created (both
    servers), so that a query failing half-way leaves nothing behind."""
    if _is_read_only(case):
        return
    for name in sorted(set(_MGMT_NAME.findall(case.query))):
        for srv in servers:
            for stmt in (f'DROP DATABASE "{name}"', f'DROP USER "{name}"'):
                try:
                    srv.influxql(stmt)
                except requests.RequestException:
                    pass


def compare(servers, case: Case, extra: dict | None = None):
    almanac, ref = servers
    params = {**case.params, **(extra or {})}
    csv_body = params.get("accept") == "csv"
    chunked = params.get("chunked") == "true"
    try:
        r_ref = run(ref, case, extra)
        r_alm = run(almanac, case, extra)
    finally:
        cleanup(servers, case)
    want = (r_ref.status_code, decode(r_ref, csv_body, chunked))
    got = (r_alm.status_code, decode(r_alm, csv_body, chunked))
    if params.get("rows") == "unordered":
        want = (want[0], sort_series_rows(want[1]))
        got = (got[0], sort_series_rows(got[1]))
    d = diff(got, want)
    if d:
        pytest.fail(
            f"{case.id}: {case.query}\n  params: {params}\n"
            f"  first difference (almanac vs influxd): {d}\n"
            f"  almanac {r_alm.status_code}: {short(r_alm.text)}\n"
            f"  influxd {r_ref.status_code}: {short(r_ref.text)}",
            pytrace=False,
        )


# ------------------------------------------------------------------ tests ---


def test_corpus_is_well_formed():
    """Every GROUP BY time() query has an upper time bound (1.6.7 hangs
    otherwise), and the corpus is big enough to mean something."""
    assert len(MAIN_CASES) >= 300, len(MAIN_CASES)
    for c in MAIN_CASES + load_corpus("pending") + EXPECTED_18_CASES:
        q = c.query.lower()
        # A continuous query's SELECT has no time bounds by design; it is
        # only stored, never run over the data set's past.
        if re.search(r"group by[^;]*time\(", q) and "continuous query" not in q:
            assert "time <" in q or "time<" in q, f"{c.id}: GROUP BY time() needs `time <`: {c.query}"
            assert "time >" in q or "time>" in q, f"{c.id}: GROUP BY time() needs `time >`: {c.query}"


@pytest.mark.parametrize("case", MAIN_CASES, ids=lambda c: c.id)
def test_query(servers, case):
    compare(servers, case)


@pytest.mark.parametrize("case", EPOCH_CASES, ids=lambda c: c.id)
def test_query_epoch_ms(servers, case):
    compare(servers, case, EPOCH_MS)


@pytest.mark.parametrize("case", CSV_CASES, ids=lambda c: c.id)
def test_query_csv(servers, case):
    compare(servers, case, CSV)


@pytest.mark.parametrize("case", CHUNKED_CASES, ids=lambda c: c.id)
def test_query_chunked(servers, case):
    compare(servers, case, CHUNKED)


@pytest.mark.parametrize("case", PERSISTED_CASES, ids=lambda c: c.id)
def test_query_from_parquet(persisted_servers, case):
    compare(persisted_servers, case)


@pytest.mark.parametrize("case", PENDING_CASES, ids=lambda c: c.id)
def test_pending(servers, case):
    compare(servers, case)


@pytest.mark.parametrize("case", EXPECTED_18_CASES, ids=lambda c: c.id)
def test_expected_18(servers, case):
    almanac, _ref = servers
    r = run(almanac, case)
    got = decode(r)
    d = diff(got, case.expected)
    if d:
        pytest.fail(
            f"{case.id}: {case.query}\n  first difference (almanac vs InfluxDB 1.8): {d}\n"
            f"  almanac {r.status_code}: {short(r.text)}\n"
            f"  expected (1.8): {short(case.expected)}",
            pytrace=False,
        )


# ---------------------------------------------------------------- msgpack ---

MSGPACK_QUERIES = [
    "SELECT usage_user, host FROM cpu LIMIT 5",
    "SELECT mean(usage_user) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T02:00:00Z' GROUP BY time(30m), host",
    "SELECT * FROM events LIMIT 3",
    "SELECT count(usage_user) FROM cpu; SELECT nothing FROM nowhere",
    "SHOW TAG KEYS FROM cpu",
]


@pytest.mark.parametrize("query", MSGPACK_QUERIES)
@pytest.mark.parametrize("epoch", [None, "ms"])
def test_msgpack_bytes_equal(servers, query, epoch):
    """`Accept: application/x-msgpack` answers byte-for-byte as influxd does."""
    almanac, reference = servers
    data = {"q": query, "db": DEFAULT_DB}
    if epoch:
        data["epoch"] = epoch
    headers = {"Accept": "application/x-msgpack"}
    a = requests.post(almanac.url + "/query", data=data, headers=headers, timeout=30)
    b = requests.post(reference.url + "/query", data=data, headers=headers, timeout=30)
    assert a.status_code == b.status_code
    assert a.headers["Content-Type"] == b.headers["Content-Type"] == "application/x-msgpack"
    assert a.content == b.content
