"""Helpers to write corpus cases: tables, annotated CSV, case files.

Expected outputs are written by the case authors (by hand or with the small
reference computations in the case scripts), following the documented
semantics of each function; they are never produced by running Almanac.
"""

import datetime
import math
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BASE = datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)
DOCS = "https://docs.influxdata.com/flux/v0/stdlib/"

TIME = "dateTime:RFC3339"


def t(sec):
    """RFC 3339 time `sec` seconds after 2021-01-01T00:00:00Z."""
    d = BASE + datetime.timedelta(seconds=sec)
    frac = sec - int(sec)
    s = d.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        s += ("%.9f" % frac)[1:].rstrip("0")
    return s + "Z"


class T:
    """A table: columns [(label, type)], group key labels, rows (lists)."""

    def __init__(self, cols, key, rows):
        self.cols = list(cols)
        self.key = list(key)
        self.rows = [list(r) for r in rows]

    def idx(self, label):
        return [c[0] for c in self.cols].index(label)

    def col(self, label):
        i = self.idx(label)
        return [r[i] for r in self.rows]

    def typ(self, label):
        return self.cols[self.idx(label)][1]

    def keyvals(self):
        return [(c, self.typ(c), self.rows[0][self.idx(c)] if self.rows else None) for c in self.key]


def fmt(v, typ):
    if v is None:
        return ""
    if typ == "boolean":
        return "true" if v else "false"
    if typ == "double":
        if isinstance(v, float) and math.isinf(v):
            return "+Inf" if v > 0 else "-Inf"
        r = repr(float(v))
        return r[:-2] if r.endswith(".0") else r
    if typ == TIME and isinstance(v, (int, float)):
        return t(v)
    s = str(v)
    if any(ch in s for ch in ',"\n') or s != s.strip():
        s = '"' + s.replace('"', '""') + '"'
    return s


def csv(tables):
    """Annotated CSV, one block per table (annotations repeated)."""
    out = []
    for n, tb in enumerate(tables):
        if out:
            out.append("")
        out.append("#datatype,string,long," + ",".join(c[1] for c in tb.cols))
        out.append("#group,false,false," + ",".join("true" if c[0] in tb.key else "false" for c in tb.cols))
        out.append("#default,_result,," + ",".join("" for _ in tb.cols))
        out.append(",result,table," + ",".join(c[0] for c in tb.cols))
        for r in tb.rows:
            out.append(",,%d," % n + ",".join(fmt(v, c[1]) for v, c in zip(r, tb.cols)))
    return "\n".join(out)


SERIES_COLS = [("_time", TIME), ("_measurement", "string"), ("_field", "string"), ("host", "string")]
SERIES_KEY = ["_measurement", "_field", "host"]


def series(host, vals, typ="double", field="usage", meas="cpu", start=0, step=10, times=None):
    """One table of a series: _time, _measurement, _field, host (key) and _value."""
    rows = []
    for i, v in enumerate(vals):
        tm = times[i] if times is not None else start + i * step
        rows.append([tm, meas, field, host, v])
    return T(SERIES_COLS + [("_value", typ)], SERIES_KEY, rows)


def agg(tables, f, typ, column="_value", src="_value"):
    """Aggregate: key columns plus `column`, one row per table."""
    out = []
    for tb in tables:
        cols = [(c, tb.typ(c)) for c in tb.key] + [(column, typ)]
        vals = [v for v in tb.col(src) if v is not None]
        row = [tb.rows[0][tb.idx(c)] for c in tb.key] + [f(vals)]
        out.append(T(cols, tb.key, [row]))
    return out


def select(tables, pick):
    """Selector: `pick(rows_of_table_with_index)` returns the row indexes to keep."""
    return [T(tb.cols, tb.key, [tb.rows[i] for i in pick(tb)]) for tb in tables]


def with_range(tables, start, stop):
    """What range(start, stop) yields: rows in [start, stop) plus _start/_stop key columns."""
    out = []
    for tb in tables:
        ti = tb.idx("_time")
        rows = [[start, stop] + r for r in tb.rows if start <= r[ti] < stop]
        out.append(T([("_start", TIME), ("_stop", TIME)] + tb.cols, ["_start", "_stop"] + tb.key, rows))
    return [o for o in out if o.rows]


def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


COUNT = {}


def case(pkg, name, doc, script, inputs=None, want=None, error=None, imports=(), note=None):
    """Write tests/corpus/<pkg>/<name>.flux."""
    d = os.path.join(ROOT, pkg)
    os.makedirs(d, exist_ok=True)
    lines = []
    if note:
        for l in note.splitlines():
            lines.append("// " + l)
    lines.append("// doc: " + (doc if doc.startswith("http") else DOCS + doc + "/"))
    if error is not None:
        lines.append(("// want-error: " + error).rstrip())
    imps = list(imports)
    if inputs and "csv" not in imps:
        imps.insert(0, "csv")
    for i in imps:
        lines.append('import "%s"' % i)
    lines.append("")
    for var, tables in (inputs or {}).items():
        body = tables if isinstance(tables, str) else csv(tables)
        lines.append('%s = "\n%s\n"' % (var, esc(body)))
    if want is not None:
        lines.append('want = "\n%s\n"' % esc(csv(want)))
    lines.append("")
    lines.append(script.strip())
    lines.append("")
    path = os.path.join(d, name + ".flux")
    assert path not in COUNT, path
    COUNT[path] = 1
    with open(path, "w") as f:
        f.write("\n".join(lines))


def rows_table(cols, rows, key=()):
    """A keyless (or keyed) table from column specs and rows, e.g. for array.from output."""
    return T(cols, list(key), rows)


def scalar(pkg, name, doc, expr, typ, value, imports=(), note=None, prelude=""):
    """A case whose answer is one value: `array.from(rows: [{v: <expr>}])`."""
    case(pkg, name, doc, prelude + "array.from(rows: [{v: %s}])" % expr, imports=["array"] + list(imports),
         want=[rows_table([("v", typ)], [[value]])], note=note)


def scalars(pkg, name, doc, exprs, imports=(), note=None, prelude=""):
    """Several values in one row: exprs is [(column, expr, type, value)]."""
    rec = ", ".join("%s: %s" % (c, e) for c, e, _, _ in exprs)
    case(pkg, name, doc, prelude + "array.from(rows: [{%s}])" % rec, imports=["array"] + list(imports),
         want=[rows_table([(c, ty) for c, _, ty, _ in exprs], [[v for _, _, _, v in exprs]])], note=note)
