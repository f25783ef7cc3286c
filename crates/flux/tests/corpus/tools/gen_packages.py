"""Cases for the packages other than universe (see gen_lib.py)."""

import math

from gen_lib import T, TIME, case, rows_table, scalar, scalars, series, t

S = "strings/"
B = "bool"


def st(name, fn, expr, typ, value, note=None):
    scalar("strings", name, S + fn, expr, typ, value, imports=["strings"], note=note)


st("to_upper", "toUpper", 'strings.toUpper(v: "hello Flux")', "string", "HELLO FLUX")
st("to_lower", "toLower", 'strings.toLower(v: "MiXeD")', "string", "mixed")
st("to_title", "toTitle", 'strings.toTitle(v: "loud")', "string", "LOUD",
   note="every letter mapped to its title case")
st("title", "title", 'strings.title(v: "time series data")', "string", "Time Series Data")
st("trim_space", "trimSpace", 'strings.trimSpace(v: "  a b  ")', "string", "a b")
st("trim", "trim", 'strings.trim(v: "..abc..", cutset: ".")', "string", "abc")
st("trim_left", "trimLeft", 'strings.trimLeft(v: "xxabx", cutset: "x")', "string", "abx")
st("trim_right", "trimRight", 'strings.trimRight(v: "xxabx", cutset: "x")', "string", "xxab")
st("trim_prefix", "trimPrefix", 'strings.trimPrefix(v: "sensor_42", prefix: "sensor_")', "string", "42")
st("trim_prefix_absent", "trimPrefix", 'strings.trimPrefix(v: "node_42", prefix: "sensor_")', "string", "node_42")
st("trim_suffix", "trimSuffix", 'strings.trimSuffix(v: "disk.total", suffix: ".total")', "string", "disk")
st("contains_str", "containsStr", 'strings.containsStr(v: "hello", substr: "ell")', "boolean", True)
st("contains_str_false", "containsStr", 'strings.containsStr(v: "hello", substr: "xyz")', "boolean", False)
st("contains_any", "containsAny", 'strings.containsAny(v: "abc", chars: "xyzc")', "boolean", True)
st("has_prefix", "hasPrefix", 'strings.hasPrefix(v: "influx", prefix: "in")', "boolean", True)
st("has_suffix", "hasSuffix", 'strings.hasSuffix(v: "influx", suffix: "in")', "boolean", False)
st("index", "index", 'strings.index(v: "chicken", substr: "ken")', "long", 4)
st("index_missing", "index", 'strings.index(v: "chicken", substr: "dmr")', "long", -1)
st("index_any", "indexAny", 'strings.indexAny(v: "chicken", chars: "kmn")', "long", 4)
st("last_index", "lastIndex", 'strings.lastIndex(v: "go gopher", substr: "go")', "long", 3)
st("last_index_any", "lastIndexAny", 'strings.lastIndexAny(v: "go gopher", chars: "go")', "long", 4)
st("is_digit", "isDigit", 'strings.isDigit(v: "7")', "boolean", True)
st("is_letter", "isLetter", 'strings.isLetter(v: "7")', "boolean", False)
st("is_lower", "isLower", 'strings.isLower(v: "q")', "boolean", True)
st("is_upper", "isUpper", 'strings.isUpper(v: "q")', "boolean", False)
st("repeat", "repeat", 'strings.repeat(v: "ab", i: 3)', "string", "ababab")
st("replace_n", "replace", 'strings.replace(v: "aaaa", t: "a", u: "b", i: 2)', "string", "bbaa",
   note="i limits the number of replacements")
st("replace_all", "replaceAll", 'strings.replaceAll(v: "a-b-c", t: "-", u: "+")', "string", "a+b+c")
st("split", "split", 'strings.split(v: "a,b,c", t: ",")[1]', "string", "b")
st("split_length", "split", 'length(arr: strings.split(v: "a,b,c", t: ","))', "long", 3)
st("split_after", "splitAfter", 'strings.splitAfter(v: "a,b,c", t: ",")[0]', "string", "a,")
st("split_n", "splitN", 'strings.splitN(v: "a,b,c", t: ",", i: 2)[1]', "string", "b,c")
st("join_str", "joinStr", 'strings.joinStr(arr: ["a", "b", "c"], v: "-")', "string", "a-b-c")
st("strlen", "strlen", 'strings.strlen(v: "héllo")', "long", 5, note="counts characters, not bytes")
st("substring", "substring", 'strings.substring(v: "influxdb", start: 0, end: 6)', "string", "influx")
st("substring_middle", "substring", 'strings.substring(v: "influxdb", start: 2, end: 4)', "string", "fl")
st("count_str", "countStr", 'strings.countStr(v: "cheese", substr: "e")', "long", 3)
st("equal_fold", "equalFold", 'strings.equalFold(v: "Go", t: "GO")', "boolean", True)
st("compare_less", "compare", 'strings.compare(v: "a", t: "b")', "long", -1)
st("compare_equal", "compare", 'strings.compare(v: "abc", t: "abc")', "long", 0)
st("compare_greater", "compare", 'strings.compare(v: "b", t: "a")', "long", 1)
case("strings", "map_tag_upper", S + "toUpper", """data = csv.from(csv: inData)
data |> map(fn: (r) => ({r with _value: strings.toUpper(v: r._value)}))""",
     inputs={"inData": [series("a", ["ok", "warn"], "string", field="state")]}, imports=["csv", "strings"],
     want=[series("a", ["OK", "WARN"], "string", field="state")])
case("strings", "filter_has_prefix", S + "hasPrefix", """data = csv.from(csv: inData)
data |> filter(fn: (r) => strings.hasPrefix(v: r._value, prefix: "w"))""",
     inputs={"inData": [series("a", ["ok", "warn", "wait"], "string", field="state")]},
     imports=["csv", "strings"],
     want=[series("a", ["warn", "wait"], "string", field="state", times=[10, 20])])

# ---- math -------------------------------------------------------------------
M = "math/"


def ma(name, fn, expr, typ, value, note=None):
    scalar("math", name, M + fn, expr, typ, value, imports=["math"], note=note)


ma("abs", "abs", "math.abs(x: -2.5)", "double", 2.5)
ma("ceil", "ceil", "math.ceil(x: 1.2)", "double", 2.0)
ma("floor_negative", "floor", "math.floor(x: -1.5)", "double", -2.0)
ma("round_half_away", "round", "math.round(x: 2.5)", "double", 3.0, note="halves round away from zero")
ma("round_negative", "round", "math.round(x: -2.5)", "double", -3.0)
ma("round_to_even", "roundtoeven", "math.roundtoeven(x: 2.5)", "double", 2.0)
ma("trunc", "trunc", "math.trunc(x: -2.7)", "double", -2.0)
ma("sqrt", "sqrt", "math.sqrt(x: 16.0)", "double", 4.0)
ma("cbrt", "cbrt", "math.cbrt(x: 27.0)", "double", 3.0)
ma("pow", "pow", "math.pow(x: 2.0, y: 10.0)", "double", 1024.0)
ma("mod", "mod", "math.mod(x: 7.0, y: 3.0)", "double", 1.0)
ma("mod_negative", "mod", "math.mod(x: -7.0, y: 3.0)", "double", -1.0, note="the result has the sign of x")
ma("remainder", "remainder", "math.remainder(x: 7.0, y: 4.0)", "double", -1.0,
   note="IEEE 754 remainder: 7 - 2 * 4")
ma("m_max", "mMax", "math.mMax(x: 1.5, y: 3.0)", "double", 3.0)
ma("m_min", "mMin", "math.mMin(x: 1.5, y: 3.0)", "double", 1.5)
ma("exp", "exp", "math.exp(x: 0.0)", "double", 1.0)
ma("log", "log", "math.log(x: 1.0)", "double", 0.0)
ma("log10", "log10", "math.log10(x: 1000.0)", "double", 3.0)
ma("log2", "log2", "math.log2(x: 8.0)", "double", 3.0)
ma("hypot", "hypot", "math.hypot(p: 3.0, q: 4.0)", "double", 5.0)
ma("pi", "pi", "math.pi", "double", math.pi)
ma("e", "e", "math.e", "double", math.e)
ma("max_int", "maxint", "math.maxint", "long", 2 ** 63 - 1)
ma("min_int", "minint", "math.minint", "long", -2 ** 63)
ma("max_uint", "maxuint", "math.maxuint", "unsignedLong", 2 ** 64 - 1)
ma("sin", "sin", "math.sin(x: 0.0)", "double", 0.0)
ma("cos", "cos", "math.cos(x: 0.0)", "double", 1.0)
ma("atan2", "atan2", "math.atan2(y: 1.0, x: 1.0)", "double", math.pi / 4)
ma("copysign", "copysign", "math.copysign(x: 3.0, y: -1.0)", "double", -3.0)
ma("signbit", "signbit", "math.signbit(x: -1.0)", "boolean", True)
ma("is_nan", "isNaN", "math.isNaN(f: math.NaN())", "boolean", True)
ma("is_inf", "isInf", "math.isInf(f: math.mInf(sign: 1), sign: 1)", "boolean", True)
ma("dim", "dim", "math.dim(x: 5.0, y: 3.0)", "double", 2.0)
ma("dim_negative", "dim", "math.dim(x: 3.0, y: 5.0)", "double", 0.0, note="max(x - y, 0)")
ma("float64bits", "float64bits", "math.float64bits(f: 1.0)", "unsignedLong", 4607182418800017408)
ma("ldexp", "ldexp", "math.ldexp(frac: 0.5, exp: 3)", "double", 4.0)
ma("exp2", "exp2", "math.exp2(x: 5.0)", "double", 32.0)
case("math", "map_abs", M + "abs", """data = csv.from(csv: inData)
data |> map(fn: (r) => ({r with _value: math.abs(x: r._value)}))""",
     inputs={"inData": [series("a", [-1.5, 2.0, -0.5])]}, imports=["csv", "math"],
     want=[series("a", [1.5, 2.0, 0.5])])

# ---- regexp -----------------------------------------------------------------
R = "regexp/"


def rx(name, fn, expr, typ, value, note=None):
    scalar("regexp", name, R + fn, expr, typ, value, imports=["regexp"], note=note)


rx("compile_match", "compile", 'regexp.matchRegexpString(r: regexp.compile(v: "^a.c$"), v: "abc")', "boolean", True)
rx("match_false", "matchRegexpString", 'regexp.matchRegexpString(r: /^[0-9]+$/, v: "12a")', "boolean", False)
rx("find_string", "findString", 'regexp.findString(r: /[0-9]+/, v: "abc123def456")', "string", "123")
scalar("regexp", "find_string_none", R + "findString", 'strings.strlen(v: regexp.findString(r: /[0-9]+/, v: "abc"))',
       "long", 0, imports=["regexp", "strings"], note="no match gives an empty string")
rx("find_string_index", "findStringIndex", 'regexp.findStringIndex(r: /[0-9]+/, v: "abc123def")[1]', "long", 6)
rx("replace_all_string", "replaceAllString", 'regexp.replaceAllString(r: /a(x*)b/, v: "-ab-axxb-", t: "T")',
   "string", "-T-T-")
rx("replace_all_group", "replaceAllString", 'regexp.replaceAllString(r: /(\\w+)@(\\w+)/, v: "joe@host", t: "$2:$1")',
   "string", "host:joe", note="$n refers to a capture group")
rx("split_regexp", "splitRegexp", 'length(arr: regexp.splitRegexp(r: /,\\s*/, v: "a, b,c", i: -1))', "long", 3)
rx("split_regexp_limit", "splitRegexp", 'regexp.splitRegexp(r: /,\\s*/, v: "a, b,c", i: 2)[1]', "string", "b,c")
rx("quote_meta", "quoteMeta", 'regexp.quoteMeta(v: "1.5+2")', "string", "1\\.5\\+2")
rx("get_string", "getString", "regexp.getString(r: /a+b/)", "string", "a+b")
case("regexp", "filter_compiled", R + "compile", """re = regexp.compile(v: "^(ok|warn)$")
data = csv.from(csv: inData)
data |> filter(fn: (r) => r._value =~ re)""",
     inputs={"inData": [series("a", ["ok", "fail", "warn"], "string")]}, imports=["csv", "regexp"],
     want=[series("a", ["ok", "warn"], "string", times=[0, 20])])

# ---- date -------------------------------------------------------------------
D = "date/"
TS = "2021-03-15T10:20:30.123456789Z"


def dt(name, fn, expr, typ, value, note=None, imports=()):
    scalar("date", name, D + fn, expr, typ, value, imports=["date"] + list(imports), note=note)


dt("year", "year", "date.year(t: %s)" % TS, "long", 2021)
dt("month", "month", "date.month(t: %s)" % TS, "long", 3)
dt("month_day", "monthDay", "date.monthDay(t: %s)" % TS, "long", 15)
dt("week_day", "weekDay", "date.weekDay(t: %s)" % TS, "long", 1, note="2021-03-15 is a Monday; Sunday is 0")
dt("year_day", "yearDay", "date.yearDay(t: %s)" % TS, "long", 31 + 28 + 15)
dt("hour", "hour", "date.hour(t: %s)" % TS, "long", 10)
dt("minute", "minute", "date.minute(t: %s)" % TS, "long", 20)
dt("second", "second", "date.second(t: %s)" % TS, "long", 30)
dt("nanosecond", "nanosecond", "date.nanosecond(t: %s)" % TS, "long", 123456789)
dt("millisecond", "millisecond", "date.millisecond(t: %s)" % TS, "long", 123)
dt("microsecond", "microsecond", "date.microsecond(t: %s)" % TS, "long", 123456)
dt("quarter", "quarter", "date.quarter(t: %s)" % TS, "long", 1)
dt("quarter_four", "quarter", "date.quarter(t: 2021-11-01T00:00:00Z)", "long", 4)
dt("week", "week", "date.week(t: %s)" % TS, "long", 11, note="ISO week number")
dt("truncate_hour", "truncate", "date.truncate(t: %s, unit: 1h)" % TS, TIME, "2021-03-15T10:00:00Z")
dt("truncate_minute", "truncate", "date.truncate(t: %s, unit: 1m)" % TS, TIME, "2021-03-15T10:20:00Z")
dt("truncate_month", "truncate", "date.truncate(t: %s, unit: 1mo)" % TS, TIME, "2021-03-01T00:00:00Z")
dt("truncate_year", "truncate", "date.truncate(t: %s, unit: 1y)" % TS, TIME, "2021-01-01T00:00:00Z")
dt("truncate_day", "truncate", "date.truncate(t: %s, unit: 1d)" % TS, TIME, "2021-03-15T00:00:00Z")
dt("add", "add", "date.add(d: 1h, to: 2021-03-15T10:00:00Z)", TIME, "2021-03-15T11:00:00Z")
dt("add_month", "add", "date.add(d: 1mo, to: 2021-03-15T10:00:00Z)", TIME, "2021-04-15T10:00:00Z")
dt("sub", "sub", "date.sub(d: 1d, from: 2021-03-15T10:00:00Z)", TIME, "2021-03-14T10:00:00Z")
dt("time_relative", "time", "date.time(t: -1h)", TIME, "2029-12-31T23:00:00Z", note="relative to now()")
dt("hour_relative", "hour", "date.hour(t: -1h)", "long", 23)
dt("weekday_constant", "", "date.Friday", "long", 5)
dt("month_constant", "", "date.December", "long", 12)
dt("hour_location", "hour", "date.hour(t: 2021-03-15T10:00:00Z, location: timezone.fixed(offset: 2h))", "long", 12,
   imports=["timezone"])
case("date", "map_hour", D + "hour", """data = csv.from(csv: inData)
data |> map(fn: (r) => ({r with _value: date.hour(t: r._time)}))""",
     inputs={"inData": [series("a", [0, 0], "long", times=[3600, 7200 + 59])]}, imports=["csv", "date"],
     want=[series("a", [1, 2], "long", times=[3600, 7200 + 59])])

# ---- array ------------------------------------------------------------------
A = "array/"
scalar("array", "concat", A + "concat", "length(arr: array.concat(arr: [1, 2], v: [3, 4, 5]))", "long", 5)
scalar("array", "concat_order", A + "concat", "array.concat(arr: [1, 2], v: [3])[2]", "long", 3)
scalar("array", "map", A + "map", "array.map(arr: [1, 2, 3], fn: (x) => x * 2)[2]", "long", 6)
scalar("array", "map_to_string", A + "map", 'array.map(arr: [1, 2], fn: (x) => "n${string(v: x)}")[1]',
       "string", "n2")
scalar("array", "filter", A + "filter", "length(arr: array.filter(arr: [1, 2, 3, 4], fn: (x) => x % 2 == 0))",
       "long", 2)
case("array", "from_rows", A + "from",
     'array.from(rows: [{host: "a", v: 1.5, ok: true}, {host: "b", v: 2.5, ok: false}])',
     imports=["array"], want=[rows_table([("host", "string"), ("v", "double"), ("ok", "boolean")],
                                         [["a", 1.5, True], ["b", 2.5, False]])])
case("array", "from_times", A + "from",
     "array.from(rows: [{_time: 2021-01-01T00:00:00Z, _value: 1}, {_time: 2021-01-01T00:01:00Z, _value: 2}])",
     imports=["array"], want=[rows_table([("_time", TIME), ("_value", "long")], [[t(0), 1], [t(60), 2]])])
case("array", "from_then_group", A + "from",
     'array.from(rows: [{k: "x", v: 1}, {k: "y", v: 2}, {k: "x", v: 3}]) |> group(columns: ["k"]) |> sum(column: "v")',
     imports=["array"], want=[T([("k", "string"), ("v", "long")], ["k"], [["x", 4]]),
                              T([("k", "string"), ("v", "long")], ["k"], [["y", 2]])])
case("array", "experimental_from", "https://docs.influxdata.com/flux/v0/stdlib/experimental/array/from/",
     'array.from(rows: [{a: 1}, {a: 2}]) |> sum(column: "a")',
     imports=["experimental/array"], want=[rows_table([("a", "long")], [[3]])])

# ---- dict -------------------------------------------------------------------
DI = "dict/"
DP = 'd = dict.fromList(pairs: [{key: "a", value: 1}, {key: "b", value: 2}])\n'
scalar("dict", "from_list_get", DI + "fromList", 'dict.get(dict: d, key: "b", default: 0)', "long", 2,
       imports=["dict"], prelude=DP)
scalar("dict", "get_default", DI + "get", 'dict.get(dict: d, key: "zz", default: -1)', "long", -1,
       imports=["dict"], prelude=DP)
scalar("dict", "insert", DI + "insert", 'dict.get(dict: dict.insert(dict: d, key: "c", value: 3), key: "c", default: 0)',
       "long", 3, imports=["dict"], prelude=DP)
scalar("dict", "insert_overwrites", DI + "insert",
       'dict.get(dict: dict.insert(dict: d, key: "a", value: 10), key: "a", default: 0)', "long", 10,
       imports=["dict"], prelude=DP)
scalar("dict", "remove", DI + "remove", 'dict.get(dict: dict.remove(dict: d, key: "a"), key: "a", default: 0)',
       "long", 0, imports=["dict"], prelude=DP)
scalar("dict", "literal", "https://docs.influxdata.com/flux/v0/data-types/composite/dict/",
       'dict.get(dict: ["x": 1.5, "y": 2.5], key: "y", default: 0.0)', "double", 2.5, imports=["dict"])
case("dict", "map_lookup", DI + "get", """names = ["a": "alpha", "b": "beta"]
data = csv.from(csv: inData)
data |> map(fn: (r) => ({r with name: dict.get(dict: names, key: r.host, default: "?")}))""",
     inputs={"inData": [series("a", [1], "long"), series("c", [2], "long")]}, imports=["csv", "dict"],
     want=[T(series("a", [1], "long").cols + [("name", "string")], ["_measurement", "_field", "host"],
             [[0, "cpu", "usage", h, v, n]]) for h, v, n in [("a", 1, "alpha"), ("c", 2, "?")]])

# ---- json -------------------------------------------------------------------
J = "json/"


def js(name, expr, value, note=None):
    scalar("json", name, J + "encode", "string(v: json.encode(v: %s))" % expr, "string", value,
           imports=["json"], note=note)


js("encode_record", '{a: 1, b: "x"}', '{"a":1,"b":"x"}')
js("encode_array", "[1, 2, 3]", "[1,2,3]")
js("encode_float", "1.5", "1.5")
js("encode_string", '"hi"', '"hi"')
js("encode_bool", "true", "true")
js("encode_time", "2021-01-01T00:00:00Z", '"2021-01-01T00:00:00Z"', note="times encode as RFC 3339 strings")
js("encode_nested", '{a: [{b: 1}]}', '{"a":[{"b":1}]}')

# ---- types ------------------------------------------------------------------
TY = "types/"
scalar("types", "is_type_int", TY + "isType", 'types.isType(v: 1, type: "int")', "boolean", True, imports=["types"])
scalar("types", "is_type_string", TY + "isType", 'types.isType(v: 1, type: "string")', "boolean", False,
       imports=["types"])
scalar("types", "is_type_float", TY + "isType", 'types.isType(v: 1.5, type: "float")', "boolean", True,
       imports=["types"])
scalar("types", "is_type_time", TY + "isType", 'types.isType(v: 2021-01-01T00:00:00Z, type: "time")', "boolean",
       True, imports=["types"])
scalar("types", "is_numeric_float", TY + "isNumeric", "types.isNumeric(v: 1.5)", "boolean", True, imports=["types"])
scalar("types", "is_numeric_uint", TY + "isNumeric", "types.isNumeric(v: uint(v: 2))", "boolean", True,
       imports=["types"])
scalar("types", "is_numeric_string", TY + "isNumeric", 'types.isNumeric(v: "1")', "boolean", False,
       imports=["types"])
case("types", "filter_by_type", TY + "isType", """data = csv.from(csv: inData)
data |> filter(fn: (r) => types.isType(v: r._value, type: "float"))""",
     inputs={"inData": [series("a", [1.0, 2.0]), series("b", [3, 4], "long")]}, imports=["csv", "types"],
     want=[series("a", [1.0, 2.0])])

# ---- timezone ---------------------------------------------------------------
TZ = "timezone/"
scalar("timezone", "fixed_hour", TZ + "fixed",
       "date.hour(t: 2021-03-15T23:00:00Z, location: timezone.fixed(offset: -8h))", "long", 15,
       imports=["date", "timezone"])
scalar("timezone", "location_truncate_day", TZ + "location",
       'date.truncate(t: 2021-03-15T10:20:30Z, unit: 1d, location: timezone.location(name: "Asia/Tokyo"))',
       TIME, "2021-03-14T15:00:00Z", imports=["date", "timezone"], note="local midnight in Tokyo (UTC+9)")
scalar("timezone", "location_dst", TZ + "location",
       'date.hour(t: 2021-07-01T12:00:00Z, location: timezone.location(name: "America/New_York"))', "long", 8,
       imports=["date", "timezone"], note="EDT is UTC-4 in July")
scalar("timezone", "location_standard_time", TZ + "location",
       'date.hour(t: 2021-01-15T12:00:00Z, location: timezone.location(name: "America/New_York"))', "long", 7,
       imports=["date", "timezone"], note="EST is UTC-5 in January")
scalar("timezone", "utc", TZ + "utc", "date.hour(t: 2021-01-15T12:00:00Z, location: timezone.utc)", "long", 12,
       imports=["date", "timezone"])
HOURS = [series("a", [1, 2, 3], "long", times=[3600 * 20, 3600 * 23, 3600 * 26])]
case("timezone", "aggregate_window_location", TZ + "fixed", """data = csv.from(csv: inData)
data
    |> range(start: 2020-12-31T22:00:00Z, stop: 2021-01-02T22:00:00Z)
    |> aggregateWindow(every: 1d, fn: sum, location: timezone.fixed(offset: 2h))""",
     inputs={"inData": HOURS}, imports=["csv", "timezone"],
     want=[T([("_start", TIME), ("_stop", TIME), ("_time", TIME), ("_measurement", "string"), ("_field", "string"),
               ("host", "string"), ("_value", "long")], ["_start", "_stop", "_measurement", "_field", "host"],
              [[t(-7200), t(2 * 86400 - 7200), t(86400 - 7200), "cpu", "usage", "a", 1],
               [t(-7200), t(2 * 86400 - 7200), t(2 * 86400 - 7200), "cpu", "usage", "a", 5]])],
     note="days start at 22:00 UTC in a UTC+2 location")

# ---- join -------------------------------------------------------------------
JN = "join/"
LEFT = 'left = array.from(rows: [{id: 1, a: "x"}, {id: 2, a: "y"}, {id: 3, a: "z"}])\n'
RIGHT = 'right = array.from(rows: [{id: 1, b: 10}, {id: 3, b: 30}, {id: 4, b: 40}])\n'
AS = "as: (l, r) => ({id: l.id, a: l.a, b: r.b})"


def jc(name, fn, script, want, note=None):
    case("join", name, JN + fn, LEFT + RIGHT + script, imports=["array", "join"], want=want, note=note)


JCOLS = [("id", "long"), ("a", "string"), ("b", "long")]
jc("inner", "inner", "join.inner(left: left, right: right, on: (l, r) => l.id == r.id, %s)" % AS,
   [rows_table(JCOLS, [[1, "x", 10], [3, "z", 30]])])
jc("left", "left", "join.left(left: left, right: right, on: (l, r) => l.id == r.id, %s)" % AS,
   [rows_table(JCOLS, [[1, "x", 10], [2, "y", None], [3, "z", 30]])], note="unmatched right fields are null")
jc("right", "right",
   "join.right(left: left, right: right, on: (l, r) => l.id == r.id, as: (l, r) => ({id: r.id, a: l.a, b: r.b}))",
   [rows_table(JCOLS, [[1, "x", 10], [3, "z", 30], [4, None, 40]])])
jc("full", "full",
   "join.full(left: left, right: right, on: (l, r) => l.id == r.id, as: (l, r) => {\n"
   "    id = if exists l.id then l.id else r.id\n    return {id: id, a: l.a, b: r.b}\n})\n"
   '    |> sort(columns: ["id"])',
   [rows_table(JCOLS, [[1, "x", 10], [2, "y", None], [3, "z", 30], [4, None, 40]])])
jc("inner_with", "inner", "join.inner(left: left, right: right, on: (l, r) => l.id == r.id, as: (l, r) => ({l with b: r.b}))",
   [rows_table(JCOLS, [[1, "x", 10], [3, "z", 30]])])
case("join", "time", JN + "time", """l = array.from(rows: [{_time: 2021-01-01T00:00:00Z, x: 1}, {_time: 2021-01-01T00:00:10Z, x: 2}])
r = array.from(rows: [{_time: 2021-01-01T00:00:10Z, y: 20}, {_time: 2021-01-01T00:00:20Z, y: 30}])
join.time(left: l, right: r, as: (l, r) => ({l with y: r.y}))""", imports=["array", "join"],
     want=[rows_table([("_time", TIME), ("x", "long"), ("y", "long")], [[t(10), 2, 20]])],
     note="join.time is an inner join on _time")

# ---- experimental -----------------------------------------------------------
EX = "experimental/"
scalar("experimental", "add_duration", EX + "addDuration",
       "experimental.addDuration(d: 1mo, to: 2021-01-15T00:00:00Z)", TIME, "2021-02-15T00:00:00Z",
       imports=["experimental"])
scalar("experimental", "sub_duration", EX + "subDuration",
       "experimental.subDuration(d: 2h, from: 2021-01-15T00:00:00Z)", TIME, "2021-01-14T22:00:00Z",
       imports=["experimental"])
scalar("experimental", "object_keys", EX + "objectKeys",
       "length(arr: experimental.objectKeys(o: {a: 1, b: 2, c: 3}))", "long", 3, imports=["experimental"])
EXS = [series("a", [1, 2], "long"), series("b", [3], "long")]
case("experimental", "set", EX + "set", """data = csv.from(csv: inData)
data |> experimental.set(o: {env: "prod", tier: 2})""",
     inputs={"inData": EXS}, imports=["csv", "experimental"],
     want=[T(tb.cols + [("env", "string"), ("tier", "long")], tb.key, [r + ["prod", 2] for r in tb.rows]) for tb in EXS])
case("experimental", "group_extend", EX + "group", """data = csv.from(csv: inData)
data |> group(columns: ["host"]) |> experimental.group(columns: ["_field"], mode: "extend")""",
     inputs={"inData": EXS}, imports=["csv", "experimental"],
     want=[T(tb.cols, ["host", "_field"], tb.rows) for tb in EXS], note="adds columns to the existing key")
case("experimental", "count", EX + "count", "data = csv.from(csv: inData)\ndata |> experimental.count()",
     inputs={"inData": EXS}, imports=["csv", "experimental"],
     want=[T([("_measurement", "string"), ("_field", "string"), ("host", "string"), ("_value", "long")],
             ["_measurement", "_field", "host"], [["cpu", "usage", tb.rows[0][3], len(tb.rows)]]) for tb in EXS])
case("experimental", "unpivot", EX + "unpivot", """array.from(rows: [{_time: 2021-01-01T00:00:00Z, _measurement: "m", a: 1.0, b: 2.0}])
    |> group(columns: ["_measurement"])
    |> experimental.unpivot()""", imports=["array", "experimental"],
     want=[T([("_time", TIME), ("_measurement", "string"), ("_field", "string"), ("_value", "double")],
             ["_measurement", "_field"], [[t(0), "m", f, v]]) for f, v in [("a", 1.0), ("b", 2.0)]],
     note="non-key columns other than _time become _field/_value rows")
case("experimental", "align_time", EX + "alignTime", """data = csv.from(csv: inData)
data
    |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T01:00:00Z)
    |> experimental.alignTime(alignTo: 2030-01-01T00:00:00Z)""",
     inputs={"inData": [series("a", [1, 2], "long", times=[0, 60])]}, imports=["csv", "experimental"],
     want=[T([("_start", TIME), ("_stop", TIME)] + series("a", [1], "long").cols,
             ["_start", "_stop", "_measurement", "_field", "host"],
             [[t(0), t(3600), "2030-01-01T00:00:00Z", "cpu", "usage", "a", 1],
              [t(0), t(3600), "2030-01-01T00:01:00Z", "cpu", "usage", "a", 2]])],
     note="times move so that _start falls on alignTo")

# ---- testing ----------------------------------------------------------------
TE = "testing/"
TD = [series("a", [1.0, 2.0])]
case("testing", "diff_equal", TE + "diff", """got = csv.from(csv: inData)
want_ = csv.from(csv: inData)
testing.diff(got: got, want: want_)""", inputs={"inData": TD}, imports=["csv", "testing"], want=[],
     note="no difference: no rows")
case("testing", "assert_equals_passes", TE + "assertEquals", """got = csv.from(csv: inData)
testing.assertEquals(name: "same", got: got, want: csv.from(csv: inData))""",
     inputs={"inData": TD}, imports=["csv", "testing"], want=TD, note="equal streams pass through")
case("testing", "assert_equals_fails", TE + "assertEquals", """got = csv.from(csv: inData)
testing.assertEquals(name: "differs", got: got, want: got |> map(fn: (r) => ({r with _value: r._value + 1.0})))""",
     inputs={"inData": TD}, imports=["csv", "testing"], error="differs")
case("testing", "assert_empty", TE + "assertEmpty", """csv.from(csv: inData)
    |> filter(fn: (r) => r._value > 100.0)
    |> testing.assertEmpty()""", inputs={"inData": TD}, imports=["csv", "testing"], want=[])
case("testing", "assert_empty_fails", TE + "assertEmpty", "csv.from(csv: inData) |> testing.assertEmpty()",
     inputs={"inData": TD}, imports=["csv", "testing"], error="")
case("testing", "assert_equal_values", TE + "assertEqualValues",
     "testing.assertEqualValues(got: 1 + 1, want: 2)", imports=["testing"], want=[], note="equal: no diff rows")
case("testing", "assert_equal_values_differ", TE + "assertEqualValues",
     "testing.assertEqualValues(got: 3, want: 2)", imports=["testing"],
     want=[rows_table([("_diff", "string"), ("v", "long")], [["-", 2], ["+", 3]])],
     note="a diff table: the wanted value marked -, the got value marked +")

# ---- influxdata/influxdb/schema and v1 -----------------------------------------
FC = [series("a", [1.0, 2.0], field="usage"), series("a", [40.0, 41.0], field="temp")]
FC_WANT = [T([("_time", TIME), ("_measurement", "string"), ("host", "string"), ("temp", "double"),
              ("usage", "double")], ["_measurement", "host"], [[0, "cpu", "a", 40.0, 1.0], [10, "cpu", "a", 41.0, 2.0]])]
case("influxdata/influxdb/schema", "fields_as_cols",
     "https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/fieldsascols/",
     "data = csv.from(csv: inData)\ndata |> schema.fieldsAsCols()", inputs={"inData": FC},
     imports=["csv", "influxdata/influxdb/schema"], want=FC_WANT, note="pivots _field into columns by _time")
case("influxdata/influxdb/schema", "fields_as_cols_then_map",
     "https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/fieldsascols/",
     "data = csv.from(csv: inData)\ndata |> schema.fieldsAsCols() |> map(fn: (r) => ({r with ratio: r.usage / r.temp}))",
     inputs={"inData": FC}, imports=["csv", "influxdata/influxdb/schema"],
     want=[T(FC_WANT[0].cols + [("ratio", "double")], FC_WANT[0].key, [r + [r[4] / r[3]] for r in FC_WANT[0].rows])])
case("influxdata/influxdb/v1", "fields_as_cols", "https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/v1/fieldsascols/",
     "data = csv.from(csv: inData)\ndata |> v1.fieldsAsCols()", inputs={"inData": FC},
     imports=["csv", "influxdata/influxdb/v1"], want=FC_WANT)

# ---- date with the location and now options -----------------------------------
MADRID = 'option location = timezone.location(name: "Europe/Madrid")\n'
for name, unit, want_t, note in [
    ("truncate_option_location_day", "1d", "2021-07-09T22:00:00Z", "local midnight in Madrid (UTC+2 in summer)"),
    ("truncate_option_location_month", "1mo", "2021-06-30T22:00:00Z", "the local first of the month"),
    ("truncate_option_location_year", "1y", "2020-12-31T23:00:00Z", "the local new year (UTC+1 in winter)"),
]:
    scalar("date", name, D + "truncate", "date.truncate(t: 2021-07-10T05:00:00Z, unit: %s)" % unit, TIME, want_t,
           imports=["date", "timezone"], prelude=MADRID, note=note)
scalar("date", "truncate_relative_option_now", D + "truncate", "date.truncate(t: -30s, unit: 1s)", TIME,
       "2021-01-01T00:00:00Z", imports=["date"], prelude="option now = () => 2021-01-01T00:00:30.5Z\n",
       note="a duration is relative to now()")
st("to_upper_unicode", "toUpper", 'strings.toUpper(v: "éa")', "string", "ÉA")
st("substring_unicode", "substring", 'strings.substring(v: "héllo", start: 1, end: 3)', "string", "él",
   note="positions count characters")
