"""Cases for the universe package (see gen_lib.py)."""

import math
import statistics

from gen_lib import T, TIME, agg, case, select, series, t, with_range, rows_table

U = "universe/"
PKG = "universe"
IN = "data = csv.from(csv: inData)\n"

FA = [series("a", [1.5, 3.0, 2.0, 6.5, 4.0]), series("b", [10.0, 8.0, 12.0, 7.0, 9.0])]
IA = [series("a", [3, 1, 4, 2, 5], "long"), series("b", [9, 2, 6, 5, 3], "long")]
UA = [series("a", [3, 7, 2], "unsignedLong")]
NA = [series("a", [1.0, None, 3.0, None, 5.0])]
NB = [series("a", [None, 2.0, 3.0, None])]
SA = [series("a", ["x", "y", "x", "z", "y"], "string", field="state")]
BA = [series("a", [True, False, True, True], "boolean", field="up")]


def c(name, fn, script, inp, want, **kw):
    case(PKG, name, U + fn, IN + script, inputs={"inData": inp}, want=want, **kw)


def sample_sd(v):
    return statistics.stdev(v)


# ---- aggregates -----------------------------------------------------------
c("sum_float", "sum", "data |> sum()", FA, agg(FA, sum, "double"))
c("sum_int", "sum", "data |> sum()", IA, agg(IA, sum, "long"))
c("sum_uint", "sum", "data |> sum()", UA, agg(UA, sum, "unsignedLong"))
c("sum_nulls", "sum", "data |> sum()", NA, agg(NA, sum, "double"), note="nulls are skipped")
c("mean_float", "mean", "data |> mean()", FA, agg(FA, lambda v: sum(v) / len(v), "double"))
c("mean_int", "mean", "data |> mean()", IA, agg(IA, lambda v: sum(v) / len(v), "double"),
  note="the mean of integers is a float")
c("mean_nulls", "mean", "data |> mean()", NA, agg(NA, lambda v: sum(v) / len(v), "double"))
c("count_float", "count", "data |> count()", FA, agg(FA, len, "long"))
c("count_nulls", "count", "data |> count()", NA, agg(NA, lambda v: 5, "long"),
  note="count() counts null and non-null records alike")
c("count_string", "count", "data |> count()", SA, agg(SA, len, "long"))
c("count_bool", "count", "data |> count()", BA, agg(BA, len, "long"))
c("spread_float", "spread", "data |> spread()", FA, agg(FA, lambda v: max(v) - min(v), "double"))
c("spread_int", "spread", "data |> spread()", IA, agg(IA, lambda v: max(v) - min(v), "long"))
c("stddev_sample", "stddev", "data |> stddev()", FA, agg(FA, sample_sd, "double"))
c("stddev_population", "stddev", 'data |> stddev(mode: "population")', FA,
  agg(FA, statistics.pstdev, "double"))
c("stddev_int", "stddev", "data |> stddev()", IA, agg(IA, sample_sd, "double"))
c("median_exact_mean_odd", "median", 'data |> median(method: "exact_mean")', FA,
  agg(FA, lambda v: sorted(v)[2], "double"))
FE = [series("a", [4.0, 1.0, 3.0, 2.0])]
c("median_exact_mean_even", "median", 'data |> median(method: "exact_mean")', FE,
  agg(FE, lambda v: 2.5, "double"), note="the mean of the two middle values")
c("quantile_exact_mean", "quantile", 'data |> quantile(q: 0.75, method: "exact_mean")', FA,
  agg(FA, lambda v: sorted(v)[3], "double"), note="q * (n - 1) = 3: the fourth smallest value")
c("quantile_exact_selector", "quantile", 'data |> quantile(q: 0.5, method: "exact_selector")', FA,
  select(FA, lambda tb: [tb.col("_value").index(sorted(tb.col("_value"))[2])]),
  note="the selector method returns the whole row")
c("integral_seconds", "integral", "data |> integral(unit: 10s)", FA,
  agg(FA, lambda v: sum((v[i] + v[i + 1]) / 2 for i in range(len(v) - 1)), "double"),
  note="trapezoids over 10 s steps, unit 10s")
c("integral_default_unit", "integral", "data |> integral()", FA,
  agg(FA, lambda v: 10 * sum((v[i] + v[i + 1]) / 2 for i in range(len(v) - 1)), "double"))
c("sum_column", "sum", 'data |> rename(columns: {_value: "v"}) |> sum(column: "v")', IA,
  agg(IA, sum, "long", column="v"))


# ---- selectors ------------------------------------------------------------
def argmin(tb):
    v = tb.col("_value")
    return [v.index(min(x for x in v if x is not None))]


def argmax(tb):
    v = tb.col("_value")
    return [v.index(max(x for x in v if x is not None))]


c("min_float", "min", "data |> min()", FA, select(FA, argmin))
c("max_float", "max", "data |> max()", FA, select(FA, argmax))
c("min_int", "min", "data |> min()", IA, select(IA, argmin))
c("max_int", "max", "data |> max()", IA, select(IA, argmax))
c("first", "first", "data |> first()", FA, select(FA, lambda tb: [0]))
c("last", "last", "data |> last()", FA, select(FA, lambda tb: [len(tb.rows) - 1]))
c("first_skips_null", "first", "data |> first()", NB, select(NB, lambda tb: [1]),
  note="first() returns the first non-null record")
c("last_skips_null", "last", "data |> last()", NB, select(NB, lambda tb: [2]),
  note="last() returns the last non-null record")
c("max_nulls", "max", "data |> max()", NA, select(NA, lambda tb: [4]))
c("first_string", "first", "data |> first()", SA, select(SA, lambda tb: [0]))
c("limit", "limit", "data |> limit(n: 2)", FA, select(FA, lambda tb: [0, 1]))
c("limit_offset", "limit", "data |> limit(n: 2, offset: 1)", FA, select(FA, lambda tb: [1, 2]))
c("limit_more_than_rows", "limit", "data |> limit(n: 10)", FA, FA)
c("tail", "tail", "data |> tail(n: 2)", FA, select(FA, lambda tb: [3, 4]))
c("tail_offset", "tail", "data |> tail(n: 2, offset: 1)", FA, select(FA, lambda tb: [2, 3]))


def order(tb, desc=False):
    v = tb.col("_value")
    return sorted(range(len(v)), key=lambda i: v[i], reverse=desc)


c("sort_default", "sort", "data |> sort()", FA, select(FA, order),
  note="sorts by _value, ascending, within each table")
c("sort_desc", "sort", "data |> sort(desc: true)", FA, select(FA, lambda tb: order(tb, True)))
c("sort_int", "sort", 'data |> sort(columns: ["_value"])', IA, select(IA, order))
c("sort_string", "sort", "data |> sort()", SA,
  select(SA, lambda tb: sorted(range(5), key=lambda i: (tb.col("_value")[i], i))))
c("top", "top", "data |> top(n: 2)", FA, select(FA, lambda tb: order(tb, True)[:2]))
c("bottom", "bottom", "data |> bottom(n: 2)", FA, select(FA, lambda tb: order(tb)[:2]))
c("top_int", "top", "data |> top(n: 3)", IA, select(IA, lambda tb: order(tb, True)[:3]))
c("unique", "unique", "data |> unique()", SA, select(SA, lambda tb: [0, 1, 3]),
  note="the first row of each distinct value")
c("distinct", "distinct", "data |> distinct()", SA,
  [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "string")],
     ["_measurement", "_field", "host"], [["cpu", "state", "a", v] for v in ["x", "y", "z"]])])
c("distinct_key_column", "distinct", 'data |> distinct(column: "host")', FA,
  [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "string")],
     ["_measurement", "_field", "host"], [["cpu", "usage", h, h]]) for h in "ab"],
  note="distinct on a key column: one row, the value in _value")

# ---- columns and keys -----------------------------------------------------
KEEP_COLS = [("_time", TIME), ("host", "string"), ("_value", "double")]
c("keep", "keep", 'data |> keep(columns: ["_time", "_value", "host"])', FA,
  [T(KEEP_COLS, ["host"], [[r[0], r[3], r[4]] for r in tb.rows]) for tb in FA],
  note="dropped key columns leave the group key")
c("keep_fn", "keep", 'data |> keep(fn: (column) => column == "_value" or column == "host")', FA,
  [T([("host", "string"), ("_value", "double")], ["host"], [[r[3], r[4]] for r in tb.rows]) for tb in FA])
DROP_COLS = [("_time", TIME), ("_field", "string"), ("host", "string"), ("_value", "double")]
c("drop", "drop", 'data |> drop(columns: ["_measurement"])', FA,
  [T(DROP_COLS, ["_field", "host"], [[r[0], r[2], r[3], r[4]] for r in tb.rows]) for tb in FA])
c("drop_fn", "drop", "data |> drop(fn: (column) => column =~ /^_m/)", FA,
  [T(DROP_COLS, ["_field", "host"], [[r[0], r[2], r[3], r[4]] for r in tb.rows]) for tb in FA])
c("drop_missing_column", "drop", 'data |> drop(columns: ["nope"])', FA, FA,
  note="dropping a column that does not exist is not an error")
c("rename_value", "rename", 'data |> rename(columns: {_value: "v"})', FA,
  [T(tb.cols[:4] + [("v", "double")], tb.key, tb.rows) for tb in FA])
c("rename_key_column", "rename", 'data |> rename(columns: {host: "server"})', FA,
  [T(tb.cols[:3] + [("server", "string"), ("_value", "double")], ["_measurement", "_field", "server"],
     tb.rows) for tb in FA], note="a renamed key column stays in the key")
c("rename_fn", "rename", 'data |> rename(fn: (column) => if column == "host" then "h" else column)', FA,
  [T(tb.cols[:3] + [("h", "string"), ("_value", "double")], ["_measurement", "_field", "h"], tb.rows)
   for tb in FA])
c("duplicate", "duplicate", 'data |> duplicate(column: "host", as: "h")', FA,
  [T(tb.cols + [("h", "string")], tb.key, [r + [r[3]] for r in tb.rows]) for tb in FA],
  note="the copy is not part of the group key")
c("duplicate_value", "duplicate", 'data |> duplicate(column: "_value", as: "v2")', IA,
  [T(tb.cols + [("v2", "long")], tb.key, [r + [r[4]] for r in tb.rows]) for tb in IA])
c("set_new", "set", 'data |> set(key: "env", value: "prod")', FA,
  [T(tb.cols + [("env", "string")], tb.key, [r + ["prod"] for r in tb.rows]) for tb in FA])
c("columns", "columns", "data |> columns()", FA,
  [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "string")],
     ["_measurement", "_field", "host"],
     [["cpu", "usage", h, l] for l in ["_time", "_measurement", "_field", "host", "_value"]]) for h in "ab"],
  note="one row per column label, in table order")
c("keys", "keys", "data |> keys() |> sort()", FA,
  [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "string")],
     ["_measurement", "_field", "host"],
     [["cpu", "usage", h, l] for l in ["_field", "_measurement", "host"]]) for h in "ab"])

# ---- filter and map -------------------------------------------------------
def keep_rows(tables, pred):
    out = []
    for tb in tables:
        rows = [r for r in tb.rows if pred(r)]
        if rows:
            out.append(T(tb.cols, tb.key, rows))
    return out


c("filter_value", "filter", "data |> filter(fn: (r) => r._value > 3.0)", FA, keep_rows(FA, lambda r: r[4] > 3.0))
c("filter_tag", "filter", 'data |> filter(fn: (r) => r.host == "b")', FA, keep_rows(FA, lambda r: r[3] == "b"))
c("filter_and_or", "filter", 'data |> filter(fn: (r) => (r.host == "a" and r._value >= 3.0) or r._value == 8.0)',
  FA, keep_rows(FA, lambda r: (r[3] == "a" and r[4] >= 3.0) or r[4] == 8.0))
c("filter_regex", "filter", "data |> filter(fn: (r) => r._value =~ /^[xz]$/)", SA,
  keep_rows(SA, lambda r: r[4] in ("x", "z")))
c("filter_not_regex", "filter", "data |> filter(fn: (r) => r._value !~ /x/)", SA,
  keep_rows(SA, lambda r: r[4] != "x"))
c("filter_time", "filter", "data |> filter(fn: (r) => r._time >= 2021-01-01T00:00:20Z)", IA,
  keep_rows(IA, lambda r: r[0] >= 20))
c("filter_not", "filter", "data |> filter(fn: (r) => not (r._value < 5))", IA, keep_rows(IA, lambda r: not r[4] < 5))
c("filter_exists", "filter", "data |> filter(fn: (r) => exists r._value)", NA, keep_rows(NA, lambda r: r[4] is not None),
  note="exists is false for null values")
c("filter_bool", "filter", "data |> filter(fn: (r) => r._value)", BA, keep_rows(BA, lambda r: r[4]))
c("filter_all_removed", "filter", "data |> filter(fn: (r) => r._value > 100)", IA, [],
  note="tables left without rows are not written")


def mapv(tables, f, typ=None):
    out = []
    for tb in tables:
        cols = tb.cols if typ is None else tb.cols[:4] + [("_value", typ)]
        out.append(T(cols, tb.key, [r[:4] + [f(r[4])] for r in tb.rows]))
    return out


c("map_with", "map", "data |> map(fn: (r) => ({r with _value: r._value * 2.0}))", FA, mapv(FA, lambda v: v * 2))
c("map_int_to_float", "map", "data |> map(fn: (r) => ({r with _value: float(v: r._value) / 2.0}))", IA,
  mapv(IA, lambda v: v / 2, "double"))
c("map_to_string", "map", "data |> map(fn: (r) => ({r with _value: string(v: r._value)}))", IA,
  mapv(IA, str, "string"))
c("map_conditional", "map",
  'data |> map(fn: (r) => ({r with _value: if r._value > 4 then "high" else "low"}))', IA,
  mapv(IA, lambda v: "high" if v > 4 else "low", "string"))
c("map_new_column", "map", "data |> map(fn: (r) => ({r with double: r._value + r._value}))", IA,
  [T(tb.cols + [("double", "long")], tb.key, [r + [2 * r[4]] for r in tb.rows]) for tb in IA])
c("map_new_record", "map", "data |> map(fn: (r) => ({host: r.host, v: r._value * 10}))", IA,
  [T([("host", "string"), ("v", "long")], ["host"], [[r[3], r[4] * 10] for r in tb.rows]) for tb in IA],
  note="columns not in the returned record are dropped; the key keeps the columns that remain")
c("map_int_division", "map", "data |> map(fn: (r) => ({r with _value: r._value / 2}))", IA,
  mapv(IA, lambda v: v // 2), note="integer division truncates")
c("map_modulo", "map", "data |> map(fn: (r) => ({r with _value: r._value % 3}))", IA, mapv(IA, lambda v: v % 3))
c("map_string_interpolation", "map",
  'data |> map(fn: (r) => ({r with _value: "${r.host}=${string(v: r._value)}"}))', IA,
  [T(tb.cols[:4] + [("_value", "string")], tb.key, [r[:4] + ["%s=%d" % (r[3], r[4])] for r in tb.rows]) for tb in IA])
c("map_null_propagates", "map", "data |> map(fn: (r) => ({r with _value: r._value + 1.0}))", NA,
  mapv(NA, lambda v: None if v is None else v + 1), note="arithmetic with null gives null")

# ---- group ----------------------------------------------------------------
def merged(tables, key, cols=None, sortkey=None):
    rows = [r for tb in tables for r in tb.rows]
    if sortkey:
        rows.sort(key=sortkey)
    return T(cols or tables[0].cols, key, rows)


c("group_by_field", "group", 'data |> group(columns: ["_field"]) |> sort(columns: ["host", "_time"])', FA,
  [merged(FA, ["_field"], sortkey=lambda r: (r[3], r[0]))])
c("group_none", "group", 'data |> group() |> sort(columns: ["_value"])', FA,
  [merged(FA, [], sortkey=lambda r: r[4])], note="group() with no columns: one table, empty key")
c("group_then_sum", "group", 'data |> group(columns: ["_measurement"]) |> sum()', IA,
  [T([("_measurement", "string"), ("_value", "long")], ["_measurement"], [["cpu", 15 + 25]])])
c("group_except", "group",
  'data |> drop(columns: ["_time"]) |> group(columns: ["host", "_value"], mode: "except") |> sort(columns: ["host", "_value"])',
  IA, [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "long")],
         ["_measurement", "_field"], sorted([r[1:] for tb in IA for r in tb.rows], key=lambda r: (r[2], r[3])))],
  note='mode "except" groups by every column but the listed ones')
c("group_count", "group", 'data |> group(columns: ["_field"]) |> count()', FA,
  [T([("_field", "string"), ("_value", "long")], ["_field"], [["usage", 10]])])
c("group_by_value_column", "group", 'data |> group(columns: ["_value"]) |> count(column: "host")',
  [series("a", [1, 2], "long"), series("b", [2, 3], "long")],
  [T([("_value", "long"), ("host", "long")], ["_value"], [[v, n]]) for v, n in [(1, 1), (2, 2), (3, 1)]])

# ---- window, range, aggregateWindow ---------------------------------------
R0, R60 = "2021-01-01T00:00:00Z", "2021-01-01T00:01:00Z"
RNG = 'data |> range(start: %s, stop: %s)' % (R0, R60)


def windows(tables, every, period=None, start=0):
    period = period or every
    out = []
    for tb in tables:
        ti = tb.idx("_time")
        times = [r[ti] for r in tb.rows]
        lo = (min(times) // every) * every - (period - every)
        w = lo
        while w <= max(times):
            rows = [r for r in tb.rows if w <= r[ti] < w + period]
            if rows:
                out.append(T([("_start", TIME), ("_stop", TIME)] + tb.cols, ["_start", "_stop"] + tb.key,
                             [[w, w + period] + r for r in rows]))
            w += every
    return out


c("window_every", "window", "data |> window(every: 20s)", FA, windows(FA, 20),
  note="each window is a table with _start and _stop in its key")
c("window_int", "window", "data |> window(every: 30s)", IA, windows(IA, 30))
c("window_period", "window", "data |> window(every: 20s, period: 40s)", [FA[0]], windows([FA[0]], 20, 40),
  note="overlapping windows: a row lands in every window that covers it")
c("window_then_sum", "window", "data |> window(every: 20s) |> sum()", IA,
  [T([("_start", TIME), ("_stop", TIME), ("_measurement", "string"), ("_field", "string"), ("host", "string"),
      ("_value", "long")], ["_start", "_stop"] + IA[0].key,
     [[tb.rows[0][0], tb.rows[0][1], tb.rows[0][3], tb.rows[0][4], tb.rows[0][5], sum(r[6] for r in tb.rows)]])
   for tb in windows(IA, 20)])
c("range", "range", "data |> range(start: 2021-01-01T00:00:10Z, stop: 2021-01-01T00:00:30Z)", FA,
  with_range(FA, 10, 30), note="start inclusive, stop exclusive; _start and _stop join the key")
c("range_start_only", "range", "data |> range(start: 2021-01-01T00:00:25Z)", IA,
  [T(tb.cols, tb.key, [["2021-01-01T00:00:25Z", "2030-01-01T00:00:00Z"] + r[2:] for r in tb.rows])
   for tb in with_range(IA, 25, 10 ** 9)], note="stop defaults to now()")
c("range_relative", "range", "data |> range(start: -1h)", IA, [],
  note="now() is 2030-01-01: no row is in the last hour")
c("range_empty_result", "range", "data |> range(start: 2022-01-01T00:00:00Z, stop: 2022-01-02T00:00:00Z)", FA, [])


def aw(tables, every, f, typ, start=0, stop=60, create_empty=True, time_src="_stop", selector=False):
    out = []
    for tb in tables:
        rows = []
        w = start
        while w < stop:
            ws = [r for r in tb.rows if w <= r[0] < w + every]
            vals = [r[4] for r in ws if r[4] is not None]
            tm = w + every if time_src == "_stop" else w
            if vals or create_empty:
                v = f(vals)
                rows.append([start, stop, tm] + tb.rows[0][1:4] + [v])
            w += every
        out.append(T([("_start", TIME), ("_stop", TIME)] + tb.cols[:4] + [("_value", typ)],
                     ["_start", "_stop"] + tb.key, rows))
    return out


def mean_or_none(v):
    return sum(v) / len(v) if v else None


c("aggregate_window_mean", "aggregateWindow", RNG + " |> aggregateWindow(every: 20s, fn: mean)", FA,
  aw(FA, 20, mean_or_none, "double"), note="_time is the window stop")
c("aggregate_window_sum_int", "aggregateWindow", RNG + " |> aggregateWindow(every: 20s, fn: sum)", IA,
  aw(IA, 20, lambda v: sum(v) if v else None, "long"))
c("aggregate_window_count", "aggregateWindow", RNG + " |> aggregateWindow(every: 30s, fn: count)", IA,
  aw(IA, 30, len, "long"))
c("aggregate_window_create_empty", "aggregateWindow",
  'data |> range(start: %s, stop: 2021-01-01T00:01:20Z) |> aggregateWindow(every: 20s, fn: sum)' % R0, IA,
  aw(IA, 20, lambda v: sum(v) if v else None, "long", stop=80), note="an empty window gives a null sum")
c("aggregate_window_count_empty", "aggregateWindow",
  'data |> range(start: %s, stop: 2021-01-01T00:01:20Z) |> aggregateWindow(every: 20s, fn: count)' % R0, IA,
  aw(IA, 20, len, "long", stop=80), note="count of an empty window is 0")
c("aggregate_window_no_empty", "aggregateWindow",
  'data |> range(start: %s, stop: 2021-01-01T00:01:20Z) |> aggregateWindow(every: 20s, fn: sum, createEmpty: false)' % R0,
  IA, aw(IA, 20, lambda v: sum(v), "long", stop=80, create_empty=False))
c("aggregate_window_time_src", "aggregateWindow",
  RNG + ' |> aggregateWindow(every: 20s, fn: max, timeSrc: "_start")', IA,
  aw(IA, 20, max, "long", time_src="_start"))
c("aggregate_window_max", "aggregateWindow", RNG + " |> aggregateWindow(every: 30s, fn: max)", FA,
  aw(FA, 30, max, "double"), note="selectors take the window stop as _time too")
c("aggregate_window_last", "aggregateWindow", RNG + " |> aggregateWindow(every: 20s, fn: last)", SA,
  aw(SA, 20, lambda v: v[-1], "string"))
c("aggregate_window_custom_fn", "aggregateWindow",
  RNG + " |> aggregateWindow(every: 20s, fn: (column, tables=<-) => tables |> sum(column: column) |> map(fn: (r) => ({r with _value: r._value * 10})))",
  IA, aw(IA, 20, lambda v: sum(v) * 10, "long"))

# ---- time -----------------------------------------------------------------
c("time_shift", "timeShift", "data |> timeShift(duration: 1h)", IA,
  [T(tb.cols, tb.key, [[r[0] + 3600] + r[1:] for r in tb.rows]) for tb in IA])
c("time_shift_negative", "timeShift", "data |> timeShift(duration: -10s)", IA,
  [T(tb.cols, tb.key, [[r[0] - 10] + r[1:] for r in tb.rows]) for tb in IA])
c("time_shift_range", "timeShift", RNG + " |> timeShift(duration: 1m)", IA,
  [T(tb.cols, tb.key, [[60, 120, r[2] + 60] + r[3:] for r in tb.rows]) for tb in with_range(IA, 0, 60)],
  note="_start and _stop shift too")
c("truncate_time_column", "truncateTimeColumn", "data |> truncateTimeColumn(unit: 20s)", IA,
  [T(tb.cols, tb.key, [[r[0] // 20 * 20] + r[1:] for r in tb.rows]) for tb in IA])
HS = [series("a", [1, 2, 3, 4, 5], "long", times=[3600 * h for h in (6, 9, 12, 17, 20)])]
c("hour_selection", "hourSelection", "data |> hourSelection(start: 9, stop: 17)", HS,
  select(HS, lambda tb: [1, 2, 3]), note="hours 9 to 17 inclusive")
c("elapsed", "elapsed", "data |> elapsed()", IA,
  [T(tb.cols + [("elapsed", "long")], tb.key, [r + [10] for r in tb.rows[1:]]) for tb in IA],
  note="seconds since the previous row; the first row is dropped")
c("elapsed_unit", "elapsed", 'data |> elapsed(unit: 5s, columnName: "e")', [IA[0]],
  [T(IA[0].cols + [("e", "long")], IA[0].key, [r + [2] for r in IA[0].rows[1:]])])

# ---- transformations over rows ---------------------------------------------
def rowwise(tables, f, typ=None, drop_first=True):
    out = []
    for tb in tables:
        v = tb.col("_value")
        cols = tb.cols if typ is None else tb.cols[:4] + [("_value", typ)]
        rows = [tb.rows[i][:4] + [f(v, i)] for i in range(1 if drop_first else 0, len(v))]
        out.append(T(cols, tb.key, rows))
    return out


c("difference", "difference", "data |> difference()", FA, rowwise(FA, lambda v, i: v[i] - v[i - 1]))
c("difference_int", "difference", "data |> difference()", IA, rowwise(IA, lambda v, i: v[i] - v[i - 1]))
c("difference_non_negative", "difference", "data |> difference(nonNegative: true)", IA,
  rowwise(IA, lambda v, i: v[i] - v[i - 1] if v[i] >= v[i - 1] else None),
  note="a negative difference becomes null")
c("difference_keep_first", "difference", "data |> difference(keepFirst: true)", IA,
  rowwise(IA, lambda v, i: None if i == 0 else v[i] - v[i - 1], drop_first=False))
c("difference_nulls", "difference", "data |> difference()", NA,
  rowwise(NA, lambda v, i: {1: None, 2: 2.0, 3: None, 4: 2.0}[i]),
  note="v minus null is v minus the last non-null value; null minus v is null")
c("derivative", "derivative", "data |> derivative()", FA, rowwise(FA, lambda v, i: (v[i] - v[i - 1]) / 10))
c("derivative_unit", "derivative", "data |> derivative(unit: 10s)", FA, rowwise(FA, lambda v, i: v[i] - v[i - 1]))
c("derivative_int", "derivative", "data |> derivative(unit: 1m)", IA,
  rowwise(IA, lambda v, i: (v[i] - v[i - 1]) * 6.0, "double"), note="the rate of integers is a float")
c("derivative_non_negative", "derivative", "data |> derivative(unit: 10s, nonNegative: true)", IA,
  rowwise(IA, lambda v, i: float(v[i] - v[i - 1]) if v[i] >= v[i - 1] else None, "double"),
  note="a decrease gives null unless initialZero is set")
c("derivative_initial_zero", "derivative", "data |> derivative(unit: 10s, nonNegative: true, initialZero: true)", IA,
  rowwise(IA, lambda v, i: float(v[i] - v[i - 1]) if v[i] >= v[i - 1] else float(v[i]), "double"),
  note="with initialZero a decrease is measured from zero")
c("cumulative_sum", "cumulativeSum", "data |> cumulativeSum()", FA,
  rowwise(FA, lambda v, i: sum(v[: i + 1]), drop_first=False))
c("cumulative_sum_int", "cumulativeSum", "data |> cumulativeSum()", IA,
  rowwise(IA, lambda v, i: sum(v[: i + 1]), drop_first=False))
CNT = [series("a", [2, 5, 9, 0, 3], "long")]
c("increase", "increase", "data |> increase()", CNT, rowwise(CNT, lambda v, i: [None, 3, 7, 7, 10][i]),
  note="a counter reset to 0 adds nothing; later increases add up")
c("moving_average_2", "movingAverage", "data |> movingAverage(n: 2)", FA,
  rowwise(FA, lambda v, i: (v[i] + v[i - 1]) / 2))
c("moving_average_3", "movingAverage", "data |> movingAverage(n: 3)", IA,
  [T(tb.cols[:4] + [("_value", "double")], tb.key,
     [tb.rows[i][:4] + [sum(tb.col("_value")[i - 2: i + 1]) / 3] for i in range(2, 5)]) for tb in IA],
  note="the average of integers is a float")


def ema(v, n):
    a = 2 / (n + 1)
    out = [None] * len(v)
    e = sum(v[:n]) / n
    out[n - 1] = e
    for i in range(n, len(v)):
        e = a * v[i] + (1 - a) * e
        out[i] = e
    return out


c("exponential_moving_average", "exponentialMovingAverage", "data |> exponentialMovingAverage(n: 2)", FA,
  [T(tb.cols, tb.key, [tb.rows[i][:4] + [ema(tb.col("_value"), 2)[i]] for i in range(1, 5)]) for tb in FA],
  note="the first value is the mean of the first n, then alpha = 2 / (n + 1)")
c("state_count", "stateCount", "data |> stateCount(fn: (r) => r._value > 2.0)", [FA[0]],
  [T(FA[0].cols + [("stateCount", "long")], FA[0].key,
     [r + [s] for r, s in zip(FA[0].rows, [-1, 1, -1, 1, 2])])], note="-1 when the state does not hold")
c("state_duration", "stateDuration", "data |> stateDuration(fn: (r) => r._value > 2.0)", [FA[0]],
  [T(FA[0].cols + [("stateDuration", "long")], FA[0].key,
     [r + [s] for r, s in zip(FA[0].rows, [-1, 0, -1, 0, 10])])])
c("state_duration_unit", "stateDuration",
  'data |> stateDuration(fn: (r) => r._value < 5, column: "d", unit: 1ms)', [IA[0]],
  [T(IA[0].cols + [("d", "long")], IA[0].key,
     [r + [s] for r, s in zip(IA[0].rows, [0, 10000, 20000, 30000, -1])])])
c("fill_value", "fill", "data |> fill(value: 0.0)", NA, mapv(NA, lambda v: 0.0 if v is None else v))
c("fill_previous", "fill", "data |> fill(usePrevious: true)", NA, [T(NA[0].cols, NA[0].key, [r[:4] + [v] for r, v in zip(NA[0].rows, [1.0, 1.0, 3.0, 3.0, 5.0])])])
c("fill_previous_leading_null", "fill", "data |> fill(usePrevious: true)", NB,
  [T(NB[0].cols, NB[0].key, [r[:4] + [v] for r, v in zip(NB[0].rows, [None, 2.0, 3.0, 3.0])])],
  note="a leading null stays null")


def reduce_expected(tables):
    out = []
    for tb in tables:
        v = tb.col("_value")
        out.append(T([(k, "string") for k in tb.key] + [("sum", "double"), ("n", "long")], tb.key,
                     [tb.rows[0][1:4] + [sum(v), len(v)]]))
    return out


c("reduce", "reduce",
  "data |> reduce(fn: (r, accumulator) => ({sum: r._value + accumulator.sum, n: accumulator.n + 1}), identity: {sum: 0.0, n: 0})",
  FA, reduce_expected(FA), note="one row per table: the key columns and the accumulator")
c("reduce_max", "reduce",
  "data |> reduce(fn: (r, accumulator) => ({m: if r._value > accumulator.m then r._value else accumulator.m}), identity: {m: 0})",
  IA, [T([(k, "string") for k in tb.key] + [("m", "long")], tb.key, [tb.rows[0][1:4] + [max(tb.col("_value"))]]) for tb in IA])


def hist(tables, bins, normalize=False):
    out = []
    for tb in tables:
        v = tb.col("_value")
        rows = []
        for b in bins:
            n = float(len([x for x in v if x <= b]))
            rows.append(tb.rows[0][1:4] + [b, n / len(v) if normalize else n])
        out.append(T([(k, "string") for k in tb.key] + [("le", "double"), ("_value", "double")], tb.key, rows))
    return out


c("histogram", "histogram", "data |> histogram(bins: [2.0, 5.0, 10.0, 20.0])", FA, hist(FA, [2.0, 5.0, 10.0, 20.0]),
  note="cumulative counts of values <= each upper bound")
c("histogram_normalize", "histogram", "data |> histogram(bins: [2.0, 5.0, 10.0], normalize: true)", FA,
  hist(FA, [2.0, 5.0, 10.0], True))
HQ = [T([("_measurement", "string"), ("le", "double"), ("_value", "double")], ["_measurement"],
        [["cpu", 2.0, 2.0], ["cpu", 5.0, 4.0], ["cpu", 10.0, 5.0], ["cpu", 20.0, 5.0]])]
c("histogram_quantile", "histogramQuantile", "data |> histogramQuantile(quantile: 0.5)", HQ,
  [T([("_measurement", "string"), ("_value", "double")], ["_measurement"], [["cpu", 2.75]])],
  note="rank 2.5 lies in the (2, 5] bucket holding counts 2..4: 2 + 3 * 0.5 / 2")
c("histogram_quantile_first_bucket", "histogramQuantile", "data |> histogramQuantile(quantile: 0.25)", HQ,
  [T([("_measurement", "string"), ("_value", "double")], ["_measurement"], [["cpu", 1.25]])],
  note="rank 1.25 in the first bucket: interpolated from minValue 0")

# ---- pivot, union, join -----------------------------------------------------
PV = [series("a", [1.0, 2.0, 3.0], field="usage"), series("a", [40.0, 41.0, 42.0], field="temp")]
c("pivot", "pivot", 'data |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")', PV,
  [T([("_time", TIME), ("_measurement", "string"), ("host", "string"), ("temp", "double"), ("usage", "double")],
     ["_measurement", "host"], [[10 * i, "cpu", "a", 40.0 + i, 1.0 + i] for i in range(3)])],
  note="_field leaves the key; one column per field value")
PV2 = [series("a", [1.0, 2.0, 3.0], field="usage"), series("a", [40.0, 42.0], field="temp", times=[0, 20])]
c("pivot_missing", "pivot", 'data |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")', PV2,
  [T([("_time", TIME), ("_measurement", "string"), ("host", "string"), ("temp", "double"), ("usage", "double")],
     ["_measurement", "host"], [[0, "cpu", "a", 40.0, 1.0], [10, "cpu", "a", None, 2.0], [20, "cpu", "a", 42.0, 3.0]])],
  note="a missing cell is null")
c("union", "union",
  'a = data |> filter(fn: (r) => r.host == "a")\nb = data |> filter(fn: (r) => r.host == "b")\nunion(tables: [a, b])',
  FA, FA)
case(PKG, "join_on_key", U + "join", '''a = array.from(rows: [{k: "x", v: 1}, {k: "y", v: 2}, {k: "z", v: 3}])
b = array.from(rows: [{k: "x", w: 10.0}, {k: "z", w: 30.0}])
join(tables: {a: a, b: b}, on: ["k"])''',
     imports=["array"], want=[rows_table([("k", "string"), ("v", "long"), ("w", "double")], [["x", 1, 10.0], ["z", 3, 30.0]])],
     note="inner join on k; no other column collides so none gets a suffix")

# ---- conversions and scalar functions ---------------------------------------


def scalar(name, fn, expr, typ, value, doc=None, imports=(), note=None):
    case(PKG, name, doc or U + fn, 'import "array"\n' if False else
         "array.from(rows: [{v: %s}])" % expr, imports=["array"] + list(imports),
         want=[rows_table([("v", typ)], [[value]])], note=note)


scalar("int_from_float", "int", "int(v: 3.9)", "long", 3, note="truncates toward zero")
scalar("int_from_negative_float", "int", "int(v: -3.9)", "long", -3)
scalar("int_from_string", "int", 'int(v: "42")', "long", 42)
scalar("int_from_bool", "int", "int(v: true)", "long", 1)
scalar("int_from_duration", "int", "int(v: 1m)", "long", 60000000000, note="nanoseconds")
scalar("int_from_time", "int", "int(v: 2021-01-01T00:00:00Z)", "long", 1609459200000000000)
scalar("float_from_string", "float", 'float(v: "1.25")', "double", 1.25)
scalar("float_from_int", "float", "float(v: 7)", "double", 7.0)
scalar("string_from_int", "string", "string(v: -12)", "string", "-12")
scalar("string_from_bool", "string", "string(v: false)", "string", "false")
scalar("string_from_time", "string", "string(v: 2021-01-01T00:00:10Z)", "string", "2021-01-01T00:00:10.000000000Z",
       note="the docs example shows the short form; Flux itself writes all nine fraction digits\n"
            "(its own universe/to_string test expects 2018-05-22T19:53:26.000000000Z)")
scalar("string_from_duration", "string", "string(v: 90m)", "string", "1h30m")
scalar("bool_from_string", "bool", 'bool(v: "true")', "boolean", True)
scalar("bool_from_int", "bool", "bool(v: 0)", "boolean", False)
scalar("uint_from_int", "uint", "uint(v: 5)", "unsignedLong", 5)
scalar("time_from_string", "time", 'time(v: "2021-01-01T00:00:10Z")', TIME, "2021-01-01T00:00:10Z")
scalar("time_from_int", "time", "time(v: 1609459200000000000)", TIME, "2021-01-01T00:00:00Z")
scalar("duration_from_string", "duration", 'int(v: duration(v: "1h2m"))', "long", 3720000000000)
scalar("length", "length", "length(arr: [1, 2, 3, 4])", "long", 4)
scalar("length_empty", "length", "length(arr: [])", "long", 0)
scalar("contains_true", "contains", "contains(value: 2, set: [1, 2, 3])", "boolean", True)
scalar("contains_false", "contains", 'contains(value: "q", set: ["a", "b"])', "boolean", False)
scalar("now", "now", "now()", TIME, "2030-01-01T00:00:00Z", note="the runner sets now to 2030-01-01")
scalar("linear_bins", "linearBins", "linearBins(start: 0.0, width: 5.0, count: 3, infinity: false)[2]", "double", 10.0)
scalar("linear_bins_infinity", "linearBins", "length(arr: linearBins(start: 0.0, width: 5.0, count: 3))", "long", 4,
       note="infinity: true adds a +Inf bound")
scalar("logarithmic_bins", "logarithmicBins",
       "logarithmicBins(start: 1.0, factor: 10.0, count: 4, infinity: false)[3]", "double", 1000.0)

c("to_string", "toString", "data |> toString()", IA, mapv(IA, str, "string"))
c("to_float", "toFloat", "data |> toFloat()", IA, mapv(IA, float, "double"))
c("to_int", "toInt", "data |> toInt()", FA, mapv(FA, int, "long"))
c("to_uint", "toUInt", "data |> toUInt()", IA, mapv(IA, int, "unsignedLong"))
c("to_bool", "toBool", "data |> map(fn: (r) => ({r with _value: r._value % 2})) |> toBool()", IA,
  mapv(IA, lambda v: v % 2 == 1, "boolean"))
c("to_time", "toTime", "data |> toTime()", [series("a", [1609459200000000000, 1609459201000000000], "long")],
  [T(SA[0].cols[:4] + [("_value", TIME)], SA[0].key, [[0, "cpu", "usage", "a", t(0)], [10, "cpu", "usage", "a", t(1)]])],
  note="integers are nanoseconds since the epoch")

# ---- table extraction -------------------------------------------------------
case(PKG, "table_find_get_column", U + "getColumn",
     IN + 'vals = data |> tableFind(fn: (key) => key.host == "b") |> getColumn(column: "_value")\n'
          "array.from(rows: [{n: length(arr: vals), third: vals[2]}])",
     inputs={"inData": FA}, imports=["array"],
     want=[rows_table([("n", "long"), ("third", "double")], [[5, 12.0]])])
case(PKG, "table_find_get_record", U + "getRecord",
     IN + 'r = data |> tableFind(fn: (key) => key.host == "a") |> getRecord(idx: 3)\n'
          "array.from(rows: [{host: r.host, v: r._value}])",
     inputs={"inData": FA}, imports=["array"],
     want=[rows_table([("host", "string"), ("v", "double")], [["a", 6.5]])])
case(PKG, "find_column", U + "findColumn",
     IN + 'vals = data |> findColumn(fn: (key) => key.host == "a", column: "_value")\n'
          "array.from(rows: [{first: vals[0], last: vals[4]}])",
     inputs={"inData": IA}, imports=["array"],
     want=[rows_table([("first", "long"), ("last", "long")], [[3, 5]])])
case(PKG, "find_record", U + "findRecord",
     IN + 'r = data |> findRecord(fn: (key) => key.host == "b", idx: 0)\n'
          "array.from(rows: [{v: r._value, t: r._time}])",
     inputs={"inData": IA}, imports=["array"],
     want=[rows_table([("v", "long"), ("t", TIME)], [[9, t(0)]])])
case(PKG, "table_find_no_match", U + "tableFind",
     IN + 'data |> tableFind(fn: (key) => key.host == "zzz")',
     inputs={"inData": FA}, error="no table found")
case(PKG, "die", U + "die", 'die(msg: "stop here")', error="stop here")
case(PKG, "yield_named", U + "yield", IN + 'data |> sum() |> yield(name: "total")',
     inputs={"inData": IA}, want=agg(IA, sum, "long"), note="the result name is not compared")
case(PKG, "two_yields", U + "yield",
     IN + 'data |> min() |> yield(name: "lo")\ndata |> max() |> yield(name: "hi")',
     inputs={"inData": [IA[0]]}, want=select([IA[0]], argmin) + select([IA[0]], argmax))

# ---- more --------------------------------------------------------------------
c("sample", "sample", "data |> sample(n: 2, pos: 0)", FA, select(FA, lambda tb: [0, 2, 4]),
  note="every n-th row, starting at pos")
c("sample_pos", "sample", "data |> sample(n: 2, pos: 1)", FA, select(FA, lambda tb: [1, 3]))
case(PKG, "covariance", U + "covariance",
     'array.from(rows: [{x: 1.0, y: 2.0}, {x: 2.0, y: 4.0}, {x: 3.0, y: 6.0}, {x: 4.0, y: 9.0}])\n'
     '    |> covariance(columns: ["x", "y"])',
     imports=["array"], want=[rows_table([("_value", "double")], [[11.5 / 3]])],
     note="sample covariance: sum of (x - mean x)(y - mean y) / (n - 1)")
case(PKG, "covariance_pearsonr", U + "covariance",
     'array.from(rows: [{x: 1.0, y: 3.0}, {x: 2.0, y: 5.0}, {x: 3.0, y: 7.0}])\n'
     '    |> covariance(columns: ["x", "y"], pearsonr: true)',
     imports=["array"], want=[rows_table([("_value", "double")], [[1.0]])],
     note="a perfect linear relation has a Pearson r of 1")
c("pivot_two_column_keys", "pivot",
  'data |> pivot(rowKey: ["_time"], columnKey: ["host", "_field"], valueColumn: "_value")', FA,
  [T([("_time", TIME), ("_measurement", "string"), ("a_usage", "double"), ("b_usage", "double")], ["_measurement"],
     [[10 * i, "cpu", FA[0].rows[i][4], FA[1].rows[i][4]] for i in range(5)])],
  note="the new column's label joins the column key values with _")
c("aggregate_window_offset", "aggregateWindow",
  RNG + " |> aggregateWindow(every: 20s, offset: 10s, fn: sum)", [IA[0]],
  [T([("_start", TIME), ("_stop", TIME)] + IA[0].cols, ["_start", "_stop"] + IA[0].key,
     [[0, 60, tm, "cpu", "usage", "a", v] for tm, v in [(10, 3), (30, 5), (50, 7), (60, None)]])],
  note="windows start at 10s past each 20s boundary; the first and last are cut by the range")
MON = [series("a", [1, 2, 3, 4], "long", times=[14 * 86400, 40 * 86400, 50 * 86400, 63 * 86400])]
c("aggregate_window_month", "aggregateWindow",
  "data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-04-01T00:00:00Z) |> aggregateWindow(every: 1mo, fn: sum)",
  MON, [T([("_start", TIME), ("_stop", TIME)] + MON[0].cols, ["_start", "_stop"] + MON[0].key,
          [["2021-01-01T00:00:00Z", "2021-04-01T00:00:00Z", tm, "cpu", "usage", "a", v]
           for tm, v in [("2021-02-01T00:00:00Z", 1), ("2021-03-01T00:00:00Z", 5), ("2021-04-01T00:00:00Z", 4)]])],
  note="calendar months: January, February (28 days), March")


def dema(v, n):
    e1 = ema(v, n)
    first = [x for x in e1 if x is not None]
    e2 = ema(first, n)
    pad = len(v) - len(first)
    return [None if i - pad < 0 or e2[i - pad] is None else 2 * e1[i] - e2[i - pad] for i in range(len(v))]


c("double_ema", "doubleEMA", "data |> doubleEMA(n: 2)", FA,
  [T(tb.cols, tb.key, [tb.rows[i][:4] + [dema(tb.col("_value"), 2)[i]] for i in range(2, 5)]) for tb in FA],
  note="2 * EMA - EMA(EMA); the first value needs 2n - 1 rows")
c("kaufmans_er", "kaufmansER", "data |> kaufmansER(n: 2)", [IA[0]],
  [T(IA[0].cols[:4] + [("_value", "double")], IA[0].key,
     [IA[0].rows[i][:4] + [v] for i, v in [(2, 0.2), (3, 0.2), (4, 0.2)]])],
  note="|change over n rows| / sum of |row-to-row changes| in those rows")
QTR = [series("a", [1, 2, 3, 4], "long", times=[40 * 86400, 130 * 86400, 220 * 86400, 310 * 86400])]
c("aggregate_window_quarter", "aggregateWindow",
  "data |> range(start: 2021-01-01T00:00:00Z, stop: 2022-01-01T00:00:00Z) |> aggregateWindow(every: 3mo, fn: sum)",
  QTR, [T([("_start", TIME), ("_stop", TIME)] + QTR[0].cols, ["_start", "_stop"] + QTR[0].key,
          [["2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z", tm, "cpu", "usage", "a", v]
           for tm, v in [("2021-04-01T00:00:00Z", 1), ("2021-07-01T00:00:00Z", 2), ("2021-10-01T00:00:00Z", 3),
                         ("2022-01-01T00:00:00Z", 4)]])],
  note="three-month windows: calendar quarters")
MADRID_MON = [series("a", [2, 1, 4], "long", times=["2021-01-15T12:00:00Z", "2021-01-31T23:30:00Z", "2021-03-31T21:30:00Z"])]
case(PKG, "aggregate_window_month_location", U + "aggregateWindow",
     'option location = timezone.location(name: "Europe/Madrid")\n' + IN +
     "data |> range(start: 2020-12-31T23:00:00Z, stop: 2021-03-31T22:00:00Z) |> aggregateWindow(every: 1mo, fn: sum)",
     inputs={"inData": MADRID_MON}, imports=["csv", "timezone"],
     want=[T([("_start", TIME), ("_stop", TIME)] + MADRID_MON[0].cols, ["_start", "_stop"] + MADRID_MON[0].key,
             [["2020-12-31T23:00:00Z", "2021-03-31T22:00:00Z", tm, "cpu", "usage", "a", v]
              for tm, v in [("2021-01-31T23:00:00Z", 2), ("2021-02-28T23:00:00Z", 1), ("2021-03-31T22:00:00Z", 4)]])],
     note="months start at local midnight in Madrid (UTC+1, then UTC+2 from 28 March)")


def tema(v, n):
    e1 = ema(v, n)
    f1 = [x for x in e1 if x is not None]
    e2 = ema(f1, n)
    f2 = [x for x in e2 if x is not None]
    e3 = ema(f2, n)
    p1, p2 = len(v) - len(f1), len(v) - len(f2)
    out = [None] * len(v)
    for i in range(len(v)):
        j2, j3 = i - p1, i - p2
        if j3 >= 0 and e3[j3] is not None:
            out[i] = 3 * e1[i] - 3 * e2[j2] + e3[j3]
    return out


c("triple_ema", "tripleEMA", "data |> tripleEMA(n: 2)", FA,
  [T(tb.cols, tb.key, [tb.rows[i][:4] + [tema(tb.col("_value"), 2)[i]] for i in range(3, 5)]) for tb in FA],
  note="3 * EMA - 3 * EMA(EMA) + EMA(EMA(EMA)); the first value needs 3n - 2 rows")
scalar("display_array", "display", 'display(v: [1, 2, 3])', "string", "[1, 2, 3]")
scalar("display_record", "display", 'display(v: {a: 1, b: "x"})', "string", "{a: 1, b: x}",
       note="strings inside are shown without quotes")
scalar("display_dict", "display", 'display(v: ["a": 1, "b": 2])', "string", "[a: 1, b: 2]")
scalar("display_bytes", "display", 'display(v: bytes(v: "abc"))', "string", "0x616263",
       note="bytes as lowercase hex with 0x")
scalar("display_int", "display", "display(v: 42)", "string", "42")
c("key_values", "keyValues", 'data |> keyValues(keyColumns: ["host"])', FA,
  [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_key", "string"), ("_value", "string")],
     ["_measurement", "_field", "host"], [["cpu", "usage", h, "host", h]]) for h in "ab"],
  note="one row per requested key column: its label in _key and its value in _value")
MODE = [series("a", [1, 2, 2, 3, 2, 1], "long")]
c("mode", "mode", "data |> mode()", MODE,
  [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "long")],
     ["_measurement", "_field", "host"], [["cpu", "usage", "a", 2]])], note="the most frequent value")
MODE2 = [series("a", [3, 1, 3, 1, 2], "long"), series("b", [5, 6, 7], "long")]
c("mode_several_and_none", "mode", "data |> mode()", MODE2,
  [T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "long")],
     ["_measurement", "_field", "host"], rows) for rows in
   [[["cpu", "usage", "a", 1], ["cpu", "usage", "a", 3]], [["cpu", "usage", "b", None]]]],
  note="two modes come sorted; no repeated value: null")
c("timed_moving_average", "timedMovingAverage",
  RNG + " |> timedMovingAverage(every: 20s, period: 40s)", [FA[0]],
  [T([("_start", TIME), ("_stop", TIME)] + FA[0].cols, ["_start", "_stop"] + FA[0].key,
     [[0, 60, tm, "cpu", "usage", "a", v] for tm, v in
      [(20, 2.25), (40, 3.25), (60, (2.0 + 6.5 + 4.0) / 3), (60, 4.0)]])],
  note="the mean of each 40 s window, every 20 s, at the window stop (windows cut by the range)")


def cmo(v, n, i):
    path = sum(abs(v[j] - v[j - 1]) for j in range(i - n + 1, i + 1))
    return 100 * (v[i] - v[i - n]) / path


c("chande_momentum_oscillator", "chandeMomentumOscillator", "data |> chandeMomentumOscillator(n: 2)", FA,
  [T(tb.cols, tb.key, [tb.rows[i][:4] + [cmo(tb.col("_value"), 2, i)] for i in range(2, 5)]) for tb in FA],
  note="100 * (ups - downs) / (ups + downs) over the last n changes; x - n rows\n"
       "(kaufmansER is its absolute value over 100)")


def count_rows(tables, n):
    return [T([(k, "string") for k in tb.key] + [("_value", "long")], tb.key, [tb.rows[0][1:4] + [n(tb)]])
            for tb in tables]


c("filter_drop_then_count", "filter", "data |> filter(fn: (r) => r._value > 100) |> count()", IA, [],
  note="filter drops tables left empty (onEmpty: \"drop\"), so count() sees none")
c("filter_keep_empty_then_count", "filter",
  'data |> filter(fn: (r) => r._value > 100, onEmpty: "keep") |> count()', IA, count_rows(IA, lambda tb: 0),
  note="onEmpty: \"keep\" keeps the empty tables; count() of an empty table is 0")
c("window_create_empty_count", "window",
  "data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T00:01:20Z) |> window(every: 20s, createEmpty: true) |> count()",
  [IA[0]],
  [T([("_start", TIME), ("_stop", TIME), ("_measurement", "string"), ("_field", "string"), ("host", "string"),
      ("_value", "long")], ["_start", "_stop", "_measurement", "_field", "host"],
     [[w, w + 20, "cpu", "usage", "a", n]]) for w, n in [(0, 2), (20, 2), (40, 1), (60, 0)]],
  note="createEmpty keeps the window without rows; count() of it is 0")
c("group_sort_limit", "limit",
  'data |> group(columns: ["_field"]) |> sort(columns: ["_value"], desc: true) |> limit(n: 3)', FA,
  [T(FA[0].cols, ["_field"], sorted([r for tb in FA for r in tb.rows], key=lambda r: -r[4])[:3])],
  note="the three largest values over both hosts")
FS = [series("a", ["ok", None, "warn"], "string", field="state")]
c("fill_string", "fill", 'data |> fill(value: "unknown")', FS,
  [T(FS[0].cols, FS[0].key, [r[:4] + [r[4] or "unknown"] for r in FS[0].rows])])
