//! Parser tests: AST JSON shape, grammar coverage, error positions, no panics.

use almanac_flux::{parse_file, parse_package};
use proptest::prelude::*;
use serde_json::{json, Value};

fn body(src: &str) -> Value {
    let pkg = parse_package(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let v = serde_json::to_value(&pkg).expect("serialize");
    v["files"][0]["body"].clone()
}

fn strip_locations(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("location");
            m.values_mut().for_each(strip_locations);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_locations),
        _ => {}
    }
}

fn expr(src: &str) -> Value {
    let mut b = body(src);
    strip_locations(&mut b);
    b[0]["expression"].clone()
}

#[test]
fn package_shape() {
    let pkg = parse_package("package foo\nimport a \"array\"\nx = 1").unwrap();
    let v = serde_json::to_value(&pkg).unwrap();
    assert_eq!(v["type"], "Package");
    assert_eq!(v["package"], "foo");
    assert_eq!(v["files"][0]["type"], "File");
    assert_eq!(v["files"][0]["imports"][0]["as"]["name"], "a");
    assert_eq!(v["files"][0]["imports"][0]["path"]["value"], "array");
    assert_eq!(v["files"][0]["body"][0]["type"], "VariableAssignment");
    assert_eq!(v["files"][0]["body"][0]["init"]["type"], "IntegerLiteral");
    assert_eq!(v["files"][0]["body"][0]["init"]["value"], "1");
    assert_eq!(
        v["files"][0]["body"][0]["location"]["start"],
        json!({"line": 3, "column": 1})
    );
}

#[test]
fn pipe_call_shape() {
    let e = expr("from(bucket: \"b\") |> range(start: -1h)");
    assert_eq!(e["type"], "PipeExpression");
    assert_eq!(e["argument"]["type"], "CallExpression");
    assert_eq!(e["argument"]["arguments"][0]["type"], "ObjectExpression");
    assert_eq!(
        e["argument"]["arguments"][0]["properties"][0]["key"]["name"],
        "bucket"
    );
    assert_eq!(e["call"]["callee"]["name"], "range");
    let start = &e["call"]["arguments"][0]["properties"][0]["value"];
    assert_eq!(start["type"], "UnaryExpression");
    assert_eq!(start["operator"], "-");
    assert_eq!(
        start["argument"],
        json!({"type": "DurationLiteral", "values": [{"magnitude": 1, "unit": "h"}]})
    );
}

#[test]
fn durations_mixed_units() {
    let e = expr("1h30m");
    assert_eq!(
        e["values"],
        json!([{"magnitude": 1, "unit": "h"}, {"magnitude": 30, "unit": "m"}])
    );
    assert_eq!(expr("1mo")["values"][0]["unit"], "mo");
    assert_eq!(expr("2y")["values"][0]["unit"], "y");
    assert_eq!(expr("5ms")["values"][0]["unit"], "ms");
    assert_eq!(expr("-1d")["argument"]["values"][0]["unit"], "d");
}

#[test]
fn date_times() {
    for s in [
        "2018-05-22T19:53:26Z",
        "2018-05-22T19:53:26.123456789Z",
        "2018-05-22T19:53:26+02:00",
        "2018-05-22",
    ] {
        let e = expr(s);
        assert_eq!(e["type"], "DateTimeLiteral", "{s}");
        assert_eq!(e["value"], s);
    }
    assert!(parse_file("2018-13-40").is_err());
}

#[test]
fn records_arrays_dicts() {
    let e = expr("{a: 1, b}");
    assert_eq!(e["type"], "ObjectExpression");
    assert_eq!(e["properties"][1]["value"], Value::Null);
    let e = expr("{r with x: 1}");
    assert_eq!(e["with"]["name"], "r");
    let e = expr("[\"a\": 1, \"b\": 2]");
    assert_eq!(e["type"], "DictExpression");
    assert_eq!(e["elements"][1]["key"]["value"], "b");
    assert_eq!(expr("[:]")["type"], "DictExpression");
    assert_eq!(expr("[]")["type"], "ArrayExpression");
    assert_eq!(
        expr("[1, 2,]")["elements"].as_array().map(|a| a.len()),
        Some(2)
    );
    assert_eq!(
        expr("{\"a b\": 1}")["properties"][0]["key"]["type"],
        "StringLiteral"
    );
}

#[test]
fn strings_and_interpolation() {
    assert_eq!(expr(r#""a\"b\n\tc\\""#)["value"], "a\"b\n\tc\\");
    assert_eq!(expr(r#""\x41\$""#)["value"], "A$");
    let e = expr(r#""x ${r.a + "${1}"} y""#);
    assert_eq!(e["type"], "StringExpression");
    assert_eq!(e["parts"][0], json!({"type": "TextPart", "value": "x "}));
    assert_eq!(e["parts"][1]["type"], "InterpolatedPart");
    assert_eq!(
        e["parts"][1]["expression"]["right"]["type"],
        "StringExpression"
    );
    assert_eq!(e["parts"][2]["value"], " y");
}

#[test]
fn regex_versus_division() {
    assert_eq!(expr("r._m =~ /cpu\\/\\d+/")["right"]["value"], "cpu/\\d+");
    assert_eq!(expr("a / b / c")["operator"], "/");
    assert_eq!(expr("(a) / 2")["operator"], "/");
}

#[test]
fn precedence() {
    let e = expr("a or b and not c == 1 + 2 * 3");
    assert_eq!(e["operator"], "or");
    assert_eq!(e["right"]["operator"], "and");
    assert_eq!(e["right"]["right"]["operator"], "not");
    let cmp = &e["right"]["right"]["argument"];
    assert_eq!(cmp["operator"], "==");
    assert_eq!(cmp["right"]["operator"], "+");
    assert_eq!(cmp["right"]["right"]["operator"], "*");
    let e = expr("exists r.x");
    assert_eq!(e["operator"], "exists");
    assert_eq!(e["argument"]["type"], "MemberExpression");
    let e = expr("if a then 1 else if b then 2 else 3");
    assert_eq!(e["type"], "ConditionalExpression");
    assert_eq!(e["alternate"]["type"], "ConditionalExpression");
}

#[test]
fn member_and_index() {
    let e = expr("r[\"x\"]");
    assert_eq!(e["type"], "MemberExpression");
    assert_eq!(e["property"]["type"], "StringLiteral");
    let e = expr("a[0].b");
    assert_eq!(e["type"], "MemberExpression");
    assert_eq!(e["object"]["type"], "IndexExpression");
}

#[test]
fn functions() {
    let e = expr("(tables=<-, fn, n=5) => tables |> fn()");
    assert_eq!(e["type"], "FunctionExpression");
    assert_eq!(e["params"][0]["value"]["type"], "PipeLiteral");
    assert_eq!(e["params"][1]["value"], Value::Null);
    assert_eq!(e["params"][2]["value"]["value"], "5");
    let e = expr("(r) => { x = r._value\n return x * 2 }");
    assert_eq!(e["body"]["type"], "Block");
    assert_eq!(e["body"]["body"][1]["type"], "ReturnStatement");
    let e = expr("() => ({a: 1})");
    assert_eq!(e["body"]["type"], "ParenExpression");
}

#[test]
fn statements() {
    let b = body("option now = () => 2020-01-01T00:00:00Z\noption task = {name: \"t\", every: 1h}\noption a.b = 1");
    assert_eq!(b[0]["type"], "OptionStatement");
    assert_eq!(b[0]["assignment"]["type"], "VariableAssignment");
    assert_eq!(b[2]["assignment"]["type"], "MemberAssignment");
    assert_eq!(b[2]["assignment"]["member"]["property"]["name"], "b");
    let b = body("testcase t extends \"flux/x\" { a = 1\n a }");
    assert_eq!(b[0]["type"], "TestCaseStatement");
    assert_eq!(b[0]["extends"]["value"], "flux/x");
    assert_eq!(b[0]["block"]["body"][1]["type"], "ExpressionStatement");
    let b = body("builtin f : (<-tables: stream[A], ?n: int, fn: (r: A) => bool) => stream[{A with _v: B}] where A: Record, B: Numeric + Comparable");
    assert_eq!(b[0]["type"], "BuiltinStatement");
    let ty = &b[0]["ty"];
    assert_eq!(ty["monotype"]["type"], "FunctionType");
    assert_eq!(ty["monotype"]["parameters"][0]["type"], "Pipe");
    assert_eq!(ty["monotype"]["parameters"][1]["type"], "Optional");
    assert_eq!(ty["constraints"][1]["kinds"][1]["name"], "Comparable");
    assert!(parse_file("builtin d : [string: int]\nbuiltin v : vector[T]\nbuiltin r : {}").is_ok());
}

#[test]
fn comments_ignored() {
    let b = body("// hello\nx = 1 // trailing\n// end");
    assert_eq!(b.as_array().map(|a| a.len()), Some(1));
}

#[test]
fn error_positions() {
    let e = parse_file("x = (1 + 2").unwrap_err().to_string();
    assert!(e.starts_with("error @1:11-1:11: expected RPAREN"), "{e}");
    let e = parse_file("f(a: 1 b: 2)").unwrap_err().to_string();
    assert!(
        e.starts_with("error @1:8-1:9: expected comma in property list, got IDENT"),
        "{e}"
    );
    let e = parse_file("a |> 1").unwrap_err().to_string();
    assert!(
        e.contains("pipe destination must be a function call"),
        "{e}"
    );
    let e = parse_file("\"abc").unwrap_err().to_string();
    assert!(e.contains("string literal not terminated"), "{e}");
    let e = parse_file("x = 99999999999999999999")
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid integer literal"), "{e}");
    let deep = "(".repeat(5000);
    assert!(parse_file(&deep).is_err());
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,200}") {
        let _ = parse_file(&s);
    }

    #[test]
    fn flux_like_input_never_panics(s in "[a-z0-9 (){}\\[\\]\"$|><=:,.+*/%^!~\\-\\n]{0,120}") {
        let _ = parse_file(&s);
    }
}
