"""Cases for the language itself (the Flux specification), see gen_lib.py."""

from gen_lib import TIME, case, scalar, scalars

SPEC = "https://docs.influxdata.com/flux/v0/spec/"
OPS = SPEC + "operators/"
EXPR = SPEC + "expressions/"
LIT = SPEC + "lexical-elements/"
TYPES = SPEC + "types/"
VARS = SPEC + "variables/"


def lang(name, doc, expr, typ, value, note=None, prelude=""):
    scalar("language", name, doc, expr, typ, value, note=note, prelude=prelude)


lang("precedence", OPS, "1 + 2 * 3 - 4 / 2", "long", 5)
lang("parentheses", OPS, "(1 + 2) * 3", "long", 9)
lang("int_division_truncates", OPS, "-7 / 2", "long", -3)
lang("modulo", OPS, "17 % 5", "long", 2)
lang("float_arithmetic", OPS, "1.5 * 4.0 - 0.5", "double", 5.5)
lang("unary_minus", OPS, "-(3 - 5)", "long", 2)
lang("string_concat", OPS, '"time" + "series"', "string", "timeseries")
lang("comparison_strings", OPS, '"abc" < "abd"', "boolean", True)
lang("logical_and_or", OPS, "true and not false or false", "boolean", True)
lang("regex_match", OPS, '"cpu-total" =~ /^cpu/', "boolean", True)
lang("regex_not_match", OPS, '"mem" !~ /^cpu/', "boolean", True)
lang("conditional", EXPR + "#conditional-expressions", 'if 3 > 2 then "yes" else "no"', "string", "yes")
lang("nested_conditional", EXPR + "#conditional-expressions",
     'if 1 > 2 then "a" else if 2 > 1 then "b" else "c"', "string", "b")
lang("interpolation", LIT + "#string-literals", '"n=${string(v: 1 + 2)}"', "string", "n=3")
lang("escapes", LIT + "#string-literals", '"a\\tb"', "string", "a\tb")
scalar("language", "time_plus_duration", OPS + "#arithmetic-operators",
       "date.add(d: 90m, to: 2021-01-01T00:00:00Z)", TIME, "2021-01-01T01:30:00Z", imports=["date"])
lang("mixed_duration", LIT + "#duration-literals", "int(v: 1h30m)", "long", 5400 * 10 ** 9,
     note="a duration literal may combine units")
lang("duration_units", LIT + "#duration-literals", "int(v: 1d) / int(v: 1h)", "long", 24)
lang("time_literal_offset", LIT + "#date-and-time-literals", "int(v: 2021-01-01T02:00:00+02:00)", "long",
     1609459200 * 10 ** 9, note="an offset is applied: this is midnight UTC")
lang("date_only_literal", LIT + "#date-and-time-literals", "2021-06-01", TIME, "2021-06-01T00:00:00Z")
lang("record_member", EXPR + "#member-expressions", "r.b", "long", 2, prelude="r = {a: 1, b: 2}\n")
lang("record_index", EXPR + "#member-expressions", 'r["a b"]', "long", 3, prelude='r = {"a b": 3}\n')
lang("record_with", EXPR + "#record-literals", "s.a + s.b", "long", 11, prelude="r = {a: 1, b: 2}\ns = {r with b: 10}\n")
lang("array_index", EXPR + "#index-expressions", "[10, 20, 30][1]", "long", 20)
lang("function_defaults", SPEC + "#function-literals", "f(a: 2)", "long", 12, prelude="f = (a, b=10) => a + b\n")
lang("function_closure", SPEC + "#function-literals", "add5(x: 1)", "long", 6,
     prelude="adder = (n) => (x) => x + n\nadd5 = adder(n: 5)\n")
lang("function_block", SPEC + "#function-literals", "f(x: 4)", "long", 17,
     prelude="f = (x) => {\n    y = x * x\n    return y + 1\n}\n")
lang("pipe_argument", SPEC + "#pipe-expressions", "5 |> double()", "long", 10, prelude="double = (v=<-) => v * 2\n")
lang("exists_record", EXPR + "#exists", "exists r.a and not exists r.zz", "boolean", True,
     prelude="r = {a: 1}\n")
lang("boolean_conversion_in_if", EXPR, "if exists r.b then r.b else 0", "long", 0, prelude="r = {a: 1}\n")
lang("variable_shadowing_in_function", VARS, "f()", "long", 2, prelude="x = 1\nf = () => {\n    x = 2\n    return x\n}\n")
lang("uint_arithmetic", TYPES, "uint(v: 10) - uint(v: 3)", "unsignedLong", 7)
lang("float_literal_exponent", LIT + "#floating-point-literals", "1.5e3", "double", 1500.0)
lang("bool_equality", OPS, "(1 == 1) == true", "boolean", True)
lang("null_from_missing_member", EXPR, "if exists r.missing then 1 else 2", "long", 2,
     prelude="r = {a: 1}\n")
scalars("language", "record_multiple_types", SPEC + "types/",
        [("i", "1", "long", 1), ("f", "2.5", "double", 2.5), ("s", '"x"', "string", "x"),
         ("b", "false", "boolean", False), ("t", "2021-01-01T00:00:00Z", TIME, "2021-01-01T00:00:00Z")])
case("language", "undefined_identifier", SPEC + "variables/", "x = y + 1\nx", error="undefined identifier y")
case("language", "type_mismatch", OPS, '1 + "a"', error="expected int but found string")
case("language", "missing_argument", SPEC + "#function-literals", "f = (a, b) => a + b\nf(a: 1)",
     error="missing required argument b")
case("language", "unexpected_argument", SPEC + "#function-literals", "f = (a) => a\nf(a: 1, c: 2)",
     error="unexpected argument c")
case("language", "index_out_of_bounds", EXPR + "#index-expressions",
     'import "array"\narr = [1, 2]\narray.from(rows: [{v: arr[5]}])', error="cannot access element 5")
case("language", "division_by_zero", OPS, 'import "array"\narray.from(rows: [{v: 1 / 0}])',
     error="divide by zero")
case("language", "no_implicit_numeric_conversion", OPS, 'import "array"\narray.from(rows: [{v: 1 < 1.5}])',
     error="expected int but found float", note="int and float do not mix without a conversion")
