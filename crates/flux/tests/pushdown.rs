//! What `from |> range |> filter` asks the source for, `to()`/`buckets()` on
//! the in-memory source, CSV dialects and the error table.

use almanac_flux::csv::Dialect;
use almanac_flux::{
    encode_error, encode_with, execute, execute_partial, ExecContext, FluxSource, MemPoint,
    MemorySource, PushdownPredicate, Table, Value, WritePoint,
};
use std::collections::BTreeMap;
use std::sync::Mutex;

const S: i64 = 1_000_000_000;

/// One read a source served: bucket, start, stop, predicate.
type Read = (String, i64, i64, Option<PushdownPredicate>);

/// A memory source that records every read it serves.
struct Recording {
    inner: MemorySource,
    reads: Mutex<Vec<Read>>,
}

impl FluxSource for Recording {
    fn read(
        &self,
        bucket: &str,
        start: i64,
        stop: i64,
        filter: Option<&PushdownPredicate>,
    ) -> almanac_flux::Result<Vec<Table>> {
        self.reads
            .lock()
            .unwrap()
            .push((bucket.into(), start, stop, filter.cloned()));
        self.inner.read(bucket, start, stop, filter)
    }

    fn write(&self, bucket: &str, points: &[WritePoint]) -> almanac_flux::Result<()> {
        self.inner.write(bucket, points)
    }

    fn buckets(&self) -> almanac_flux::Result<Vec<almanac_flux::BucketInfo>> {
        self.inner.buckets()
    }
}

fn source() -> Recording {
    let inner = MemorySource::new();
    for (m, host, field, v) in [
        ("cpu", "a", "usage", 1.0),
        ("cpu", "b", "usage", 2.0),
        ("cpu", "a", "idle", 3.0),
        ("mem", "a", "used", 4.0),
    ] {
        for i in 0..3 {
            let mut tags = BTreeMap::new();
            tags.insert("host".to_string(), host.to_string());
            inner.insert(
                "db",
                MemPoint {
                    measurement: m.into(),
                    tags,
                    field: field.into(),
                    time: i * 10 * S,
                    value: Value::Float(v + i as f64),
                },
            );
        }
    }
    inner.create_bucket("out");
    Recording {
        inner,
        reads: Mutex::new(Vec::new()),
    }
}

fn ctx() -> ExecContext {
    ExecContext {
        now: 100 * S,
        globals: vec![("wanted".into(), Value::str("b"))],
    }
}

fn run(src: &Recording, script: &str) -> Vec<(String, Vec<Table>)> {
    execute(script, &ctx(), src).unwrap_or_else(|e| panic!("{script}\n=> {e}"))
}

fn last_pred(src: &Recording) -> PushdownPredicate {
    src.reads.lock().unwrap().last().unwrap().3.clone().unwrap()
}

const FROM: &str =
    "from(bucket: \"db\") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:01:00Z)";

#[test]
fn equalities_are_pushed_and_the_filter_vanishes() {
    let src = source();
    let r = run(
        &src,
        &format!(
            "{FROM} |> filter(fn: (r) => r._measurement == \"cpu\" and (r[\"host\"] == \"a\" or \"b\" == r.host))
                    |> filter(fn: (r) => r._field == \"usage\")"
        ),
    );
    let reads = src.reads.lock().unwrap().clone();
    assert_eq!(reads.len(), 1, "one read for the whole chain");
    assert_eq!(reads[0].1, 0);
    assert_eq!(reads[0].2, 60 * S);
    let pred = reads[0].3.clone().unwrap();
    assert_eq!(pred.measurements, Some(vec!["cpu".to_string()]));
    assert_eq!(pred.fields, Some(vec!["usage".to_string()]));
    assert_eq!(
        pred.tags,
        vec![("host".to_string(), vec!["a".to_string(), "b".to_string()])]
    );
    assert_eq!(r[0].1.len(), 2);
}

#[test]
fn variables_of_the_closure_and_globals_are_constants() {
    let src = source();
    let r = run(
        &src,
        &format!(
            "m = \"cpu\"\n{FROM} |> filter(fn: (r) => r._measurement == m and r.host == wanted)"
        ),
    );
    let pred = last_pred(&src);
    assert_eq!(pred.measurements, Some(vec!["cpu".to_string()]));
    assert_eq!(pred.tags, vec![("host".to_string(), vec!["b".to_string()])]);
    assert_eq!(r[0].1.len(), 1);
}

#[test]
fn non_equalities_stay_as_residual_filters() {
    let src = source();
    let r = run(
        &src,
        &format!(
            "{FROM} |> filter(fn: (r) => r._measurement == \"cpu\" and r._value > 2.5)
                    |> range(start: 1970-01-01T00:00:10Z)"
        ),
    );
    let reads = src.reads.lock().unwrap().clone();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].1, 10 * S, "the second range narrows the read");
    let pred = reads[0].3.clone().unwrap();
    assert_eq!(pred.measurements, Some(vec!["cpu".to_string()]));
    assert!(pred.fields.is_none() && pred.tags.is_empty());
    let values: Vec<Value> = r[0]
        .1
        .iter()
        .flat_map(|t| t.column_values(t.index("_value").unwrap()))
        .collect();
    // cpu rows > 2.5 from 10s on: a/usage 2,3 fails(2.0), 3.0 ok; b/usage 3.0, 4.0; a/idle 4.0, 5.0
    let mut got: Vec<f64> = values
        .iter()
        .map(|v| match v {
            Value::Float(f) => *f,
            v => panic!("{v:?}"),
        })
        .collect();
    got.sort_by(f64::total_cmp);
    assert_eq!(got, [3.0, 3.0, 4.0, 4.0, 5.0]);
    // comparisons of two columns, regexes and empty strings are not pushed
    for f in [
        "r.host == r._measurement",
        "r.host =~ /a/",
        "r.host == \"\"",
        "r._value == 2.0",
    ] {
        let src = source();
        run(&src, &format!("{FROM} |> filter(fn: (r) => {f})"));
        assert_eq!(last_pred(&src), PushdownPredicate::default(), "{f}");
    }
}

#[test]
fn on_empty_keep_reads_everything() {
    let src = source();
    let r = run(
        &src,
        &format!("{FROM} |> filter(fn: (r) => r.host == \"b\", onEmpty: \"keep\")"),
    );
    assert_eq!(last_pred(&src), PushdownPredicate::default());
    assert_eq!(r[0].1.len(), 4, "empty tables are kept");
}

#[test]
fn to_writes_through_the_source_and_buckets_lists() {
    let src = source();
    run(
        &src,
        &format!(
            "{FROM} |> filter(fn: (r) => r._field == \"usage\") |> sum()
                    |> map(fn: (r) => ({{r with _time: r._stop}})) |> to(bucket: \"out\")"
        ),
    );
    let r = run(
        &src,
        "from(bucket: \"out\") |> range(start: 0) |> keep(columns: [\"host\", \"_value\", \"_time\"])",
    );
    let rows: Vec<(Value, Value, Value)> = r[0]
        .1
        .iter()
        .flat_map(|t| {
            (0..t.len()).map(move |i| {
                (
                    t.value(t.index("host").unwrap(), i),
                    t.value(t.index("_value").unwrap(), i),
                    t.value(t.index("_time").unwrap(), i),
                )
            })
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (Value::str("a"), Value::Float(6.0), Value::Time(60 * S)),
            (Value::str("b"), Value::Float(9.0), Value::Time(60 * S)),
        ]
    );
    let e = execute(&format!("{FROM} |> to(bucket: \"missing\")"), &ctx(), &src).unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
    let b = run(&src, "buckets()");
    assert_eq!(
        b[0].1[0].column_values(0),
        vec![Value::str("db"), Value::str("out")]
    );
}

#[test]
fn dialects_and_error_table() {
    let src = source();
    let r = run(
        &src,
        &format!("{FROM} |> filter(fn: (r) => r._measurement == \"mem\") |> limit(n: 1)"),
    );
    let plain = encode_with(&r, &Dialect::plain());
    assert_eq!(
        plain,
        ",result,table,_start,_stop,_time,_value,_field,_measurement,host\r\n\
         ,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:01:00Z,1970-01-01T00:00:00Z,4,used,mem,a\r\n\r\n"
    );
    let d = Dialect {
        header: false,
        delimiter: '\t',
        datatype: true,
        group: false,
        default: false,
    };
    let tsv = encode_with(&r, &d);
    assert!(
        tsv.starts_with("#datatype\tstring\tlong\tdateTime:RFC3339"),
        "{tsv}"
    );
    assert_eq!(tsv.lines().count(), 3);
    assert_eq!(
        encode_error("bad, \"x\"", &Dialect::default()),
        "#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,\"bad, \"\"x\"\"\",\r\n\r\n"
    );
    // a runtime error keeps what was yielded before it
    let (results, err) = execute_partial(
        &format!("{FROM} |> yield(name: \"first\")\n{FROM} |> map(fn: (r) => ({{r with _value: r._value + \"x\"}}))"),
        &ctx(),
        &src,
    )
    .unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].0, "first");
    assert!(err.is_some());
    assert!(
        execute_partial("from(bucket: \"db\") |> rnge()", &ctx(), &src)
            .unwrap_err()
            .is_compile_error()
    );
}

/// `aggregateWindow` with a builtin selector takes a shortcut; a closure
/// around the same selector takes the general path: both must agree.
#[test]
fn aggregate_window_selector_shortcut_matches_general_path() {
    let src = MemorySource::new();
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    for host in ["a", "b"] {
        for i in 0..200i64 {
            if next() % 5 == 0 {
                continue; // gaps make empty windows
            }
            let mut tags = BTreeMap::new();
            tags.insert("host".to_string(), host.to_string());
            src.insert(
                "db",
                MemPoint {
                    measurement: "m".into(),
                    tags,
                    field: "f".into(),
                    time: i * 7 * S + (next() % 1000) as i64,
                    value: Value::Float((next() % 20) as f64),
                },
            );
        }
    }
    let ctx = ctx();
    for sel in ["first", "last", "min", "max"] {
        for opts in [
            "every: 1m",
            "every: 1m, createEmpty: false",
            "every: 30s, offset: 7s",
            "every: 2m, createEmpty: false, offset: -10s",
        ] {
            let q = |f: &str| {
                format!(
                    "from(bucket: \"db\") |> range(start: 1970-01-01T00:00:05Z, stop: 1970-01-01T00:20:00Z)
                       |> aggregateWindow({opts}, fn: {f})"
                )
            };
            let fast = execute(&q(sel), &ctx, &src).unwrap();
            let general = execute(
                &q(&format!(
                    "(column, tables=<-) => tables |> {sel}(column: column)"
                )),
                &ctx,
                &src,
            )
            .unwrap();
            assert_eq!(
                almanac_flux::encode_csv(&fast),
                almanac_flux::encode_csv(&general),
                "{sel} {opts}"
            );
        }
    }
}
