//! Semantic checks, interpreter semantics, table functions and the annotated
//! CSV encoder, all through the public `execute` entry point.

use almanac_flux::{
    encode_csv, execute, EmptySource, ExecContext, MemPoint, MemorySource, Table, Value,
};
use std::collections::BTreeMap;

fn ctx() -> ExecContext {
    // 2030-01-01T00:00:00Z
    ExecContext {
        globals: Vec::new(),
        now: 1_893_456_000_000_000_000,
    }
}

fn run(src: &str) -> Vec<(String, Vec<Table>)> {
    execute(src, &ctx(), &EmptySource).unwrap_or_else(|e| panic!("{src}\n=> {e}"))
}

fn err(src: &str) -> String {
    match execute(src, &ctx(), &EmptySource) {
        Ok(_) => panic!("expected an error for {src}"),
        Err(e) => e.to_string(),
    }
}

/// Evaluate a scalar expression by putting it in a one-row table.
fn scalar(expr: &str) -> Value {
    let src = format!("import \"array\"\nimport \"date\"\nimport \"experimental\"\narray.from(rows: [{{v: {expr}}}])");
    let res = run(&src);
    res[0].1[0].value(0, 0)
}

fn csv(src: &str) -> String {
    encode_csv(&run(src))
}

#[test]
fn semantic_errors() {
    assert_eq!(err("x + 1"), "error @1:1-1:2: undefined identifier x");
    assert!(err("f = (a, b) => a\nf(a: 1)").ends_with("missing required argument b"));
    assert!(err("f = (a) => a\nf(a: 1, c: 2)").ends_with("found unexpected argument c"));
    assert!(err("import \"strings\"\nstrings.toUpper(x: \"a\")")
        .contains("found unexpected argument x"));
    assert!(err("import \"strings\"\nstrings.toUpper()").contains("missing required argument v"));
    assert_eq!(
        err("1 + \"a\""),
        "error @1:1-1:8: expected int but found string"
    );
    assert!(err("x = 1.0\ny = x * 2").ends_with("expected float but found int"));
    assert!(err("import \"nope\"").contains("unknown import path \"nope\""));
    assert!(err("a = 1\nb = {a with x: 1}\nc = {zz with x: 1}").contains("undefined identifier zz"));
    // names bound later in a function body, parameters, and the universe resolve
    run("f = (r) => { y = r.a\n return y }\nx = f(r: {a: 1})");
}

#[test]
fn arithmetic_and_overflow() {
    assert_eq!(scalar("1 + 2 * 3"), Value::Int(7));
    assert_eq!(scalar("9223372036854775807 + 1"), Value::Int(i64::MIN));
    assert_eq!(scalar("7 / 2"), Value::Int(3));
    assert_eq!(scalar("7 % 3"), Value::Int(1));
    assert_eq!(scalar("7.0 / 2.0"), Value::Float(3.5));
    assert_eq!(scalar("\"a\" + \"b\""), Value::str("ab"));
    assert_eq!(scalar("-(3)"), Value::Int(-3));
    assert!(err("x = 1\nimport \"array\"").contains("import must come first"));
    assert!(err("f = (x, y) => x / y\nf(x: 1, y: 0)").contains("cannot divide by zero"));
}

#[test]
fn time_and_durations() {
    assert_eq!(
        scalar("2020-01-31T00:00:00Z + 1mo"),
        Value::Time(1_582_934_400_000_000_000)
    ); // 2020-02-29
    assert_eq!(
        scalar("2020-01-01T00:00:00Z + 1h30m"),
        Value::Time(1_577_842_200_000_000_000)
    );
    assert_eq!(
        scalar("2020-01-01T00:00:00Z - 1d"),
        Value::Time(1_577_750_400_000_000_000)
    );
    assert_eq!(scalar("string(v: 1h30m)"), Value::str("1h30m"));
    assert_eq!(
        scalar("string(v: 2020-01-01T00:00:00.5Z)"),
        Value::str("2020-01-01T00:00:00.500000000Z")
    );
    assert_eq!(scalar("now()"), Value::Time(ctx().now));
}

#[test]
fn option_now_overrides() {
    let r = run(
        "import \"array\"\noption now = () => 2021-01-01T00:00:00Z\narray.from(rows: [{v: now()}])",
    );
    assert_eq!(
        r[0].1[0].value(0, 0),
        Value::Time(1_609_459_200_000_000_000)
    );
}

#[test]
fn option_now_reaches_universe_closures_and_stays_in_its_query() {
    // `today` is a prelude closure: it must see this script's `now`.
    let r = run(
        "import \"array\"\noption now = () => 2021-03-04T05:06:07Z\narray.from(rows: [{v: today()}])",
    );
    assert_eq!(
        r[0].1[0].value(0, 0),
        Value::Time(1_614_816_000_000_000_000)
    );
    // The next query has the clock of its own context again.
    assert_eq!(scalar("now()"), Value::Time(ctx().now));
}

#[test]
fn logic_nulls_and_comparisons() {
    assert_eq!(scalar("1 < 2 and not (2 < 1)"), Value::Bool(true));
    assert_eq!(scalar("\"abc\" =~ /b/"), Value::Bool(true));
    assert_eq!(scalar("\"abc\" !~ /^b/"), Value::Bool(true));
    assert_eq!(scalar("if 1 > 2 then \"a\" else \"b\""), Value::str("b"));
    let r = run("import \"array\"\narray.from(rows: [{a: 1}]) |> map(fn: (r) => ({x: exists r.b, y: r.b == 1, z: false or r.b == 1, w: true or r.b == 1}))");
    let t = &r[0].1[0];
    assert_eq!(t.value(t.index("x").unwrap(), 0), Value::Bool(false));
    assert_eq!(t.value(t.index("y").unwrap(), 0), Value::Null);
    assert_eq!(t.value(t.index("z").unwrap(), 0), Value::Null);
    assert_eq!(t.value(t.index("w").unwrap(), 0), Value::Bool(true));
}

#[test]
fn closures_defaults_pipes_interpolation() {
    assert_eq!(scalar("((x, y=10) => x + y)(x: 1)"), Value::Int(11));
    let r = run("import \"array\"\nadd = (a) => (b) => a + b\nadd5 = add(a: 5)\narray.from(rows: [{v: add5(b: 2)}])");
    assert_eq!(r[0].1[0].value(0, 0), Value::Int(7));
    assert_eq!(scalar("\"n=${1 + 1} s=${\"x\"}\""), Value::str("n=2 s=x"));
    assert_eq!(scalar("[1, 2, 3][1]"), Value::Int(2));
    assert!(err("import \"array\"\narray.from(rows: [{v: [1][3]}])")
        .contains("cannot access element 3 of array of length 1"));
    assert_eq!(scalar("{a: 1, b: {c: \"x\"}}.b.c"), Value::str("x"));
    assert_eq!(scalar("{a: 1}[\"a\"]"), Value::Int(1));
    assert_eq!(scalar("display(v: [\"a\": 1])"), Value::str("[a: 1]"));
}

fn mem() -> MemorySource {
    let src = MemorySource::new();
    let s = 1_000_000_000i64;
    for (host, vals) in [("a", [1.0, 2.0, 3.0, 4.0]), ("b", [10.0, 20.0, 30.0, 40.0])] {
        for (i, v) in vals.iter().enumerate() {
            let mut tags = BTreeMap::new();
            tags.insert("host".to_string(), host.to_string());
            src.insert(
                "db",
                MemPoint {
                    measurement: "cpu".into(),
                    tags,
                    field: "usage".into(),
                    time: (i as i64) * 10 * s,
                    value: Value::Float(*v),
                },
            );
        }
    }
    src
}

fn run_mem(src: &str) -> Vec<(String, Vec<Table>)> {
    execute(src, &ctx(), &mem()).unwrap_or_else(|e| panic!("{src}\n=> {e}"))
}

#[test]
fn from_requires_range() {
    let e = execute(
        "from(bucket: \"db\") |> filter(fn: (r) => true)",
        &ctx(),
        &mem(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cannot submit unbounded read to \"db\""), "{e}");
}

#[test]
fn from_range_filter_aggregate() {
    let r = run_mem(
        "from(bucket: \"db\") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:00:30Z)
           |> filter(fn: (r) => r._measurement == \"cpu\" and r.host == \"b\") |> sum()",
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "_result");
    let t = &r[0].1;
    assert_eq!(t.len(), 1);
    assert_eq!(
        t[0].value(t[0].index("_value").unwrap(), 0),
        Value::Float(60.0)
    );
    assert_eq!(t[0].key.get("host"), Some(&Value::str("b")));
}

#[test]
fn group_sort_limit_count_mean() {
    let r = run_mem(
        "data = from(bucket: \"db\") |> range(start: 0)
         data |> group() |> sort(columns: [\"_value\"], desc: true) |> limit(n: 2) |> yield(name: \"top\")
         data |> count() |> yield(name: \"count\")
         data |> mean() |> yield(name: \"mean\")",
    );
    let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["top", "count", "mean"]);
    let top = &r[0].1[0];
    assert_eq!(
        top.column_values(top.index("_value").unwrap()),
        vec![Value::Float(40.0), Value::Float(30.0)]
    );
    assert_eq!(
        r[1].1[0].value(r[1].1[0].index("_value").unwrap(), 0),
        Value::Int(4)
    );
    assert_eq!(
        r[2].1[1].value(r[2].1[1].index("_value").unwrap(), 0),
        Value::Float(25.0)
    );
}

#[test]
fn aggregate_window_and_pivot() {
    let r = run_mem(
        "from(bucket: \"db\") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:00:40Z)
           |> filter(fn: (r) => r.host == \"a\") |> aggregateWindow(every: 20s, fn: sum)",
    );
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("_value").unwrap()),
        vec![Value::Float(3.0), Value::Float(7.0)]
    );
    assert_eq!(
        t.column_values(t.index("_time").unwrap()),
        vec![Value::Time(20_000_000_000), Value::Time(40_000_000_000)]
    );
    let r = run_mem(
        "from(bucket: \"db\") |> range(start: 0) |> pivot(rowKey: [\"_time\"], columnKey: [\"host\"], valueColumn: \"_value\")",
    );
    let t = &r[0].1[0];
    assert_eq!(t.len(), 4);
    assert_eq!(t.value(t.index("b").unwrap(), 3), Value::Float(40.0));
}

#[test]
fn duplicate_yield_is_an_error() {
    let e = err("import \"array\"\na = array.from(rows: [{v: 1}])\na |> yield(name: \"x\")\na |> yield(name: \"x\")");
    assert!(e.contains("duplicate yield name \"x\""), "{e}");
}

#[test]
fn csv_roundtrip_and_diff() {
    let data = "#datatype,string,long,dateTime:RFC3339,string,double
#group,false,false,false,true,false
#default,_result,,,,
,result,table,_time,host,_value
,,0,2020-01-01T00:00:00Z,a,1.5
,,0,2020-01-01T00:00:10Z,a,
,,1,2020-01-01T00:00:00Z,b,3
";
    let src = format!("import \"csv\"\ncsv.from(csv: \"{data}\")");
    let out = csv(&src);
    let expected = "#datatype,string,long,dateTime:RFC3339,string,double\r\n\
#group,false,false,false,true,false\r\n\
#default,_result,,,,\r\n\
,result,table,_time,host,_value\r\n\
,,0,2020-01-01T00:00:00Z,a,1.5\r\n\
,,0,2020-01-01T00:00:10Z,a,\r\n\
,,1,2020-01-01T00:00:00Z,b,3\r\n\r\n";
    assert_eq!(out, expected);
    // equal streams: empty diff; different: rows marked - and +
    let same = format!("import \"csv\"\nimport \"testing\"\nd = \"{data}\"\ntesting.diff(want: csv.from(csv: d), got: csv.from(csv: d))");
    let r = run(&same);
    assert_eq!(r[0].1.iter().map(|t| t.len()).sum::<usize>(), 0);
    let changed = format!(
        "import \"csv\"\nimport \"testing\"\nd = \"{data}\"\ntesting.diff(want: csv.from(csv: d), got: csv.from(csv: d) |> map(fn: (r) => ({{r with _value: 2.0}})))"
    );
    let r = run(&changed);
    assert!(r[0].1.iter().map(|t| t.len()).sum::<usize>() > 0);
    assert!(err(&format!("import \"csv\"\nimport \"testing\"\nd = \"{data}\"\ntesting.assertEquals(name: \"t\", want: csv.from(csv: d), got: csv.from(csv: d) |> limit(n: 1))")).contains("unequal"));
}

#[test]
fn csv_raw_mode_and_empty_table_defaults() {
    let r = run("import \"csv\"\ncsv.from(csv: \"a,b\\n1,2\\n3,4\", mode: \"raw\")");
    let t = &r[0].1[0];
    assert_eq!(t.value(1, 1), Value::str("4"));
    let out = csv("import \"array\"\narray.from(rows: [{k: \"x\", v: 1}]) |> group(columns: [\"k\"]) |> filter(fn: (r) => false, onEmpty: \"keep\")");
    assert!(out.contains("#default,_result,0,x,\r\n"), "{out}");
}

#[test]
fn table_functions_shape() {
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r.host == \"a\") |> difference() |> keep(columns: [\"_value\", \"host\"])");
    let t = &r[0].1[0];
    assert_eq!(t.cols.len(), 2);
    assert_eq!(
        t.column_values(t.index("_value").unwrap()),
        vec![Value::Float(1.0); 3]
    );
    assert_eq!(t.key.labels(), vec!["host"]);
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r.host == \"a\") |> derivative(unit: 10s) |> cumulativeSum()");
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("_value").unwrap()),
        vec![Value::Float(1.0), Value::Float(2.0), Value::Float(3.0)]
    );
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> rename(columns: {host: \"h\"}) |> drop(columns: [\"_start\", \"_stop\"]) |> keys()");
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("_value").unwrap()),
        vec![
            Value::str("_field"),
            Value::str("_measurement"),
            Value::str("h")
        ]
    );
}

#[test]
fn date_and_timezones() {
    assert_eq!(scalar("date.hour(t: 2020-06-01T10:30:00Z)"), Value::Int(10));
    let r = run("import \"array\"\nimport \"date\"\nimport \"timezone\"\noption location = timezone.location(name: \"America/Los_Angeles\")\narray.from(rows: [{h: date.hour(t: 2020-06-01T10:30:00Z), d: date.truncate(t: 2020-06-01T03:00:00Z, unit: 1d)}])");
    let t = &r[0].1[0];
    assert_eq!(t.value(t.index("h").unwrap(), 0), Value::Int(3)); // PDT = UTC-7
    assert_eq!(
        t.value(t.index("d").unwrap(), 0),
        Value::Time(1_590_969_600_000_000_000 + 7 * 3_600_000_000_000 - 86_400_000_000_000)
    );
    let r = run("import \"array\"\nimport \"experimental/date/boundaries\"\noption now = () => 2022-06-08T14:20:11Z\nw = boundaries.week()\narray.from(rows: [{a: w.start, b: w.stop}])");
    let t = &r[0].1[0];
    assert_eq!(t.value(0, 0), Value::Time(1_654_473_600_000_000_000)); // 2022-06-06
    assert_eq!(t.value(1, 0), Value::Time(1_655_078_400_000_000_000)); // 2022-06-13
    assert!(
        err("import \"timezone\"\nx = timezone.location(name: \"Nowhere/City\")")
            .contains("unknown time zone")
    );
}

#[test]
fn reduce_and_moving_average() {
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r.host == \"a\") |> reduce(identity: {s: 0.0, n: 0}, fn: (r, accumulator) => ({s: accumulator.s + r._value, n: accumulator.n + 1}))");
    let t = &r[0].1[0];
    assert_eq!(t.value(t.index("s").unwrap(), 0), Value::Float(10.0));
    assert_eq!(t.value(t.index("n").unwrap(), 0), Value::Int(4));
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r.host == \"a\") |> movingAverage(n: 2)");
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("_value").unwrap()),
        vec![Value::Float(1.5), Value::Float(2.5), Value::Float(3.5)]
    );
}

#[test]
fn bitwise_ops() {
    let r = run("import \"array\"\nimport \"bitwise\"\narray.from(rows: [{a: bitwise.sand(a: 6, b: 3), b: bitwise.uor(a: uint(v: 4), b: uint(v: 1)), c: bitwise.slshift(a: 1, b: 3), d: bitwise.snot(a: 0)}])");
    let t = &r[0].1[0];
    assert_eq!(t.value(0, 0), Value::Int(2));
    assert_eq!(t.value(1, 0), Value::UInt(5));
    assert_eq!(t.value(2, 0), Value::Int(8));
    assert_eq!(t.value(3, 0), Value::Int(-1));
    assert!(err("import \"bitwise\"\nx = bitwise.sand(a: 1.0, b: 2)").contains("expected int"));
}

#[test]
fn join_package_inner_and_left() {
    let base = "import \"array\"\nimport \"join\"\nl = array.from(rows: [{id: 1, a: \"x\"}, {id: 2, a: \"y\"}])\nr = array.from(rows: [{id: 1, b: 10}])\n";
    let r = run(&format!("{base}join.inner(left: l, right: r, on: (l, r) => l.id == r.id, as: (l, r) => ({{id: l.id, a: l.a, b: r.b}}))"));
    let t = &r[0].1[0];
    assert_eq!(t.len(), 1);
    assert_eq!(t.value(t.index("b").unwrap(), 0), Value::Int(10));
    let r = run(&format!("{base}l |> join.left(right: r, on: (l, r) => l.id == r.id, as: (l, r) => ({{id: l.id, b: r.b}}))"));
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("b").unwrap()),
        vec![Value::Int(10), Value::Null]
    );
    assert!(err(&format!("{base}join.tables(left: l, right: r, on: (l, r) => true, as: (l, r) => l, method: \"cross\")")).contains("invalid method"));
}

#[test]
fn state_count_hour_selection_truncate() {
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r.host == \"a\") |> stateCount(fn: (r) => r._value > 1.5)");
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("stateCount").unwrap()),
        vec![Value::Int(-1), Value::Int(1), Value::Int(2), Value::Int(3)]
    );
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r.host == \"a\") |> stateDuration(fn: (r) => r._value > 1.5)");
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("stateDuration").unwrap()),
        vec![
            Value::Int(-1),
            Value::Int(0),
            Value::Int(10),
            Value::Int(20)
        ]
    );
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> hourSelection(start: 1, stop: 2)");
    assert!(r[0].1.iter().all(|t| t.is_empty()));
    let r = run_mem("from(bucket: \"db\") |> range(start: 0) |> hourSelection(start: 0, stop: 0) |> truncateTimeColumn(unit: 1m)");
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("_time").unwrap()),
        vec![Value::Time(0); 4]
    );
}

#[test]
fn experimental_package() {
    let r = run("import \"array\"\nimport \"experimental\"\narray.from(rows: [{_time: 2020-01-01T00:00:00Z, a: 1.0, b: 2.0}]) |> experimental.unpivot() |> experimental.set(o: {s: \"x\"})");
    assert_eq!(r[0].1.len(), 2);
    let t = &r[0].1[1];
    assert_eq!(t.key.get("_field"), Some(&Value::str("b")));
    assert_eq!(t.value(t.index("_value").unwrap(), 0), Value::Float(2.0));
    assert_eq!(t.value(t.index("s").unwrap(), 0), Value::str("x"));
    assert_eq!(
        scalar("experimental.addDuration(d: 1mo, to: 2020-01-31T00:00:00Z)"),
        Value::Time(1_582_934_400_000_000_000)
    );
    assert!(
        err("import \"experimental\"\nx = experimental.nothingHere(a: 1)")
            .contains("not supported yet: experimental.nothingHere")
    );
    let r = run("import \"array\"\nimport \"experimental\"\narray.from(rows: [{_value: 1}, {_value: 2}]) |> experimental.sum()");
    assert_eq!(r[0].1[0].value(0, 0), Value::Int(3));
}

#[test]
fn schema_exploration_over_the_source() {
    let r = run_mem("import \"influxdata/influxdb/schema\"\nschema.tagValues(bucket: \"db\", tag: \"host\", start: 0)");
    let t = &r[0].1[0];
    assert_eq!(
        t.column_values(t.index("_value").unwrap()),
        vec![Value::str("a"), Value::str("b")]
    );
    let r = run_mem(
        "import \"influxdata/influxdb/schema\"\nschema.measurements(bucket: \"db\", start: 0)",
    );
    assert_eq!(
        r[0].1[0].column_values(r[0].1[0].index("_value").unwrap()),
        vec![Value::str("cpu")]
    );
    let r = run_mem("import \"influxdata/influxdb/schema\"\nfrom(bucket: \"db\") |> range(start: 0) |> schema.fieldsAsCols()");
    let t = &r[0].1[0];
    assert_eq!(t.value(t.index("usage").unwrap(), 0), Value::Float(1.0));
}

#[test]
fn math_and_strings_basics() {
    let r = run("import \"array\"\nimport \"math\"\nimport \"strings\"\narray.from(rows: [{a: math.dim(x: 5.0, y: 3.0), b: math.sqrt(x: 16.0), c: strings.title(v: \"hello world\"), d: strings.substring(v: \"abcdef\", start: 1, end: 3)}])");
    let t = &r[0].1[0];
    assert_eq!(t.value(0, 0), Value::Float(2.0));
    assert_eq!(t.value(1, 0), Value::Float(4.0));
    assert_eq!(t.value(2, 0), Value::str("Hello World"));
    assert_eq!(t.value(3, 0), Value::str("bc"));
}

/// The fast paths of `aggregateWindow` (native selectors and aggregates, with
/// or without window bounds in the key) give what the general path gives
/// when the same function is wrapped in a user function.
#[test]
fn aggregate_window_fast_paths_match_the_general_path() {
    let data = r#"import "array"
data = array.from(rows: [
    {_time: 2021-01-01T00:00:05Z, host: "a", _value: 1.5},
    {_time: 2021-01-01T00:00:15Z, host: "a", _value: 4.0},
    {_time: 2021-01-01T00:00:16Z, host: "a", _value: -2.0},
    {_time: 2021-01-01T00:00:47Z, host: "a", _value: 3.0},
    {_time: 2021-01-01T00:00:07Z, host: "b", _value: 10.0},
    {_time: 2021-01-01T00:01:02Z, host: "b", _value: 11.0},
]) |> group(columns: ["host"])
"#;
    for f in [
        "max", "min", "first", "last", "sum", "mean", "count", "spread",
    ] {
        for shape in [
            "data",
            "data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T00:01:30Z)",
            // the bounds as plain columns (group() took them out of the key)
            "data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T00:01:30Z) |> group(columns: [\"host\"])",
        ] {
            for extra in ["", ", createEmpty: false", ", timeSrc: \"_start\""] {
                if extra.contains("timeSrc") && ["max", "min", "first", "last"].contains(&f) {
                    continue;
                }
                let fast = csv(&format!(
                    "{data}{shape} |> aggregateWindow(every: 20s, fn: {f}{extra})"
                ));
                let slow = csv(&format!(
                    "{data}{shape} |> aggregateWindow(every: 20s, fn: (column, tables=<-) => tables |> {f}(column: column){extra})"
                ));
                assert_eq!(fast, slow, "fn {f}, {shape}{extra}");
            }
        }
    }
}
