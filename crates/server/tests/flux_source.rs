//! Flux over the storage engine: reads with pushdown, `to()` and `buckets()`.

use std::sync::Arc;

use almanac_catalog::Catalog;
use almanac_flux::{execute, ExecContext, FluxSource, PushdownPredicate, Table, Value, WritePoint};
use almanac_lineproto::Precision;
use almanac_server::flux_source::{resolve_bucket, StorageFluxSource};
use almanac_storage::{Storage, StorageConfig};

const S: i64 = 1_000_000_000;

struct Fixture {
    storage: Arc<Storage>,
    _dir: tempfile::TempDir,
}

/// Two measurements, three hosts, a float, an int, a string and a bool field;
/// half of the data persisted to Parquet, the rest buffered.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.redb")).unwrap();
    let storage = Storage::open(StorageConfig::new(dir.path()), catalog).unwrap();
    storage.catalog().create_database("db", None).unwrap();
    let mut first = String::new();
    let mut second = String::new();
    for i in 0..10i64 {
        for host in ["a", "b", "c"] {
            let line = format!(
                "cpu,host={host},region=eu usage={}.5,count={i}i,state=\"s{i}\",up={} {}\n",
                i,
                i % 2 == 0,
                i * 10 * S
            );
            if i < 5 {
                first.push_str(&line);
            } else {
                second.push_str(&line);
            }
        }
        second.push_str(&format!("mem,host=a used={} {}\n", i * 100, i * 10 * S));
    }
    storage
        .write("db", None, first.as_bytes(), Precision::Nanosecond)
        .await
        .unwrap();
    storage.persist_all().unwrap();
    storage
        .write("db", None, second.as_bytes(), Precision::Nanosecond)
        .await
        .unwrap();
    Fixture { storage, _dir: dir }
}

fn source(f: &Fixture) -> StorageFluxSource {
    StorageFluxSource::new(f.storage.clone(), tokio::runtime::Handle::current())
}

fn key(t: &Table, label: &str) -> String {
    match t.key.get(label) {
        Some(Value::String(s)) => s.to_string(),
        other => panic!("{label}: {other:?}"),
    }
}

fn times(t: &Table) -> Vec<i64> {
    let c = t.index("_time").unwrap();
    t.column_values(c)
        .into_iter()
        .map(|v| match v {
            Value::Time(t) => t,
            v => panic!("{v:?}"),
        })
        .collect()
}

/// Runs a script on a blocking thread, as the HTTP handler does.
async fn run(f: &Fixture, script: &str) -> Vec<(String, Vec<Table>)> {
    let src = source(f);
    let script = script.to_string();
    tokio::task::spawn_blocking(move || {
        let ctx = ExecContext {
            now: 1_000 * S,
            globals: Vec::new(),
        };
        execute(&script, &ctx, &src).unwrap_or_else(|e| panic!("{script}\n=> {e}"))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_one_table_per_series_and_field_sorted_by_time() {
    let f = fixture().await;
    let src = source(&f);
    let tables = tokio::task::spawn_blocking(move || src.read("db", 0, 1_000 * S, None))
        .await
        .unwrap()
        .unwrap();
    // cpu: 3 hosts × 4 fields, mem: 1 × 1
    assert_eq!(tables.len(), 13);
    let t = tables
        .iter()
        .find(|t| key(t, "_field") == "usage" && key(t, "host") == "b")
        .unwrap();
    let labels: Vec<&str> = t.cols.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "_start",
            "_stop",
            "_time",
            "_value",
            "_field",
            "_measurement",
            "host",
            "region"
        ]
    );
    assert_eq!(
        times(t),
        (0..10).map(|i| i * 10 * S).collect::<Vec<_>>(),
        "buffered and persisted rows merge in time order"
    );
    assert_eq!(t.value(3, 7), Value::Float(7.5));
    assert_eq!(t.key.get("_start"), Some(&Value::Time(0)));
    assert_eq!(t.key.get("_stop"), Some(&Value::Time(1_000 * S)));
    let types: Vec<(String, almanac_flux::ColType)> = tables
        .iter()
        .filter(|t| key(t, "host") == "a" && key(t, "_measurement") == "cpu")
        .map(|t| (key(t, "_field"), t.cols[3].typ))
        .collect();
    use almanac_flux::ColType;
    assert_eq!(
        types,
        [
            ("count".to_string(), ColType::Int),
            ("state".to_string(), ColType::String),
            ("up".to_string(), ColType::Bool),
            ("usage".to_string(), ColType::Float)
        ]
    );
    // mem has no region tag: its table has no region column
    let mem = tables
        .iter()
        .find(|t| key(t, "_measurement") == "mem")
        .unwrap();
    assert!(mem.index("region").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushdown_selects_measurements_fields_tags_and_range() {
    let f = fixture().await;
    let src = source(&f);
    let tables = tokio::task::spawn_blocking(move || {
        let pred = PushdownPredicate {
            measurements: Some(vec!["cpu".into()]),
            fields: Some(vec!["usage".into(), "count".into()]),
            tags: vec![("host".into(), vec!["a".into(), "c".into()])],
        };
        let a = src.read("db", 20 * S, 60 * S, Some(&pred)).unwrap();
        // a tag no series has selects nothing
        let none = PushdownPredicate {
            tags: vec![("nope".into(), vec!["x".into()])],
            ..Default::default()
        };
        let b = src.read("db", 0, 1_000 * S, Some(&none)).unwrap();
        (a, b)
    })
    .await
    .unwrap();
    let (tables, none) = tables;
    assert!(none.is_empty());
    let mut seen: Vec<(String, String)> = tables
        .iter()
        .map(|t| (key(t, "host"), key(t, "_field")))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("a".into(), "count".into()),
            ("a".into(), "usage".into()),
            ("c".into(), "count".into()),
            ("c".into(), "usage".into())
        ]
    );
    for t in &tables {
        assert_eq!(
            times(t),
            vec![20 * S, 30 * S, 40 * S, 50 * S],
            "stop is exclusive"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_filter_is_pushed_and_results_match_unpushed_filter() {
    let f = fixture().await;
    let pushed = run(
        &f,
        r#"from(bucket: "db/autogen") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:01:40Z)
             |> filter(fn: (r) => r._measurement == "cpu" and (r.host == "b" or r.host == "c") and r._field == "usage")
             |> aggregateWindow(every: 30s, fn: max)"#,
    )
    .await;
    // the same predicate hidden from the analysis (a function call)
    let unpushed = run(
        &f,
        r#"keepIt = (r) => r._measurement == "cpu" and (r.host == "b" or r.host == "c") and r._field == "usage"
           from(bucket: "db") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:01:40Z)
             |> filter(fn: (r) => keepIt(r: r))
             |> aggregateWindow(every: 30s, fn: max)"#,
    )
    .await;
    let render = |r: &Vec<(String, Vec<Table>)>| almanac_flux::encode_csv(r);
    assert_eq!(render(&pushed), render(&unpushed));
    let tables = &pushed[0].1;
    assert_eq!(tables.len(), 2);
    let vals: Vec<Value> = tables[0].column_values(tables[0].index("_value").unwrap());
    assert_eq!(
        vals,
        [2.5, 5.5, 8.5, 9.5].map(Value::Float).to_vec(),
        "max per 30s window"
    );
    // residual predicates still apply after the pushed part
    let r = run(
        &f,
        r#"from(bucket: "db") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:01:40Z)
             |> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage" and r._value > 8.0)
             |> count()"#,
    )
    .await;
    assert_eq!(r[0].1.len(), 3);
    for t in &r[0].1 {
        assert_eq!(t.value(t.index("_value").unwrap(), 0), Value::Int(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn to_writes_back_and_buckets_lists() {
    let f = fixture().await;
    f.storage.catalog().create_database("down", None).unwrap();
    run(
        &f,
        r#"from(bucket: "db") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:01:40Z)
             |> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage")
             |> aggregateWindow(every: 50s, fn: mean)
             |> set(key: "_measurement", value: "cpu_5m")
             |> to(bucket: "down/autogen")"#,
    )
    .await;
    let r = run(
        &f,
        r#"from(bucket: "down") |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:03:20Z) |> group(columns: ["host"]) |> sort(columns: ["_time"])"#,
    )
    .await;
    let tables = &r[0].1;
    assert_eq!(tables.len(), 3);
    let t = &tables[0];
    assert_eq!(key(t, "host"), "a");
    assert_eq!(times(t), vec![50 * S, 100 * S]);
    let v = t.index("_value").unwrap();
    assert_eq!(t.value(v, 0), Value::Float(2.5)); // mean of 0.5..4.5
    assert_eq!(t.value(v, 1), Value::Float(7.5));
    let m = t.index("_measurement").unwrap();
    assert_eq!(t.value(m, 0), Value::str("cpu_5m"));
    assert_eq!(t.value(t.index("region").unwrap(), 0), Value::str("eu"));

    // fieldFn writes several fields per row
    run(
        &f,
        r#"import "array"
           array.from(rows: [{_time: 2000-01-01T00:00:00Z, _measurement: "m", tag: "t1", x: 1, y: "s"}])
             |> to(bucket: "down", fieldFn: (r) => ({x: r.x, y: r.y}))"#,
    )
    .await;
    let r = run(
        &f,
        r#"from(bucket: "down") |> range(start: 2000-01-01T00:00:00Z, stop: 2000-01-02T00:00:00Z)
             |> filter(fn: (r) => r._measurement == "m" and r.tag == "t1")"#,
    )
    .await;
    let fields: Vec<String> = r[0].1.iter().map(|t| key(t, "_field")).collect();
    assert_eq!(fields, ["x", "y"]);

    let b = run(&f, "buckets() |> keep(columns: [\"name\"])").await;
    let names = b[0].1[0].column_values(0);
    assert!(names.contains(&Value::str("db/autogen")));
    assert!(names.contains(&Value::str("down/autogen")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_buckets_and_writes_fail_clearly() {
    let f = fixture().await;
    assert!(resolve_bucket(&f.storage, "db").is_some());
    assert!(resolve_bucket(&f.storage, "db/nope").is_none());
    let src = source(&f);
    let (read, write) = tokio::task::spawn_blocking(move || {
        let read = src.read("nope", 0, 1, None).unwrap_err();
        let write = src
            .write(
                "db",
                &[WritePoint {
                    measurement: "cpu".into(),
                    tags: Default::default(),
                    fields: vec![("usage".into(), Value::str("not a float"))],
                    time: 0,
                }],
            )
            .unwrap_err();
        (read, write)
    })
    .await
    .unwrap();
    assert!(matches!(read, almanac_flux::Error::NotFound(_)), "{read}");
    assert!(read.to_string().contains("could not find bucket \"nope\""));
    assert!(write.to_string().contains("field type conflict"), "{write}");
}

/// Serves tables only, so operations pushed into a read replay on tables.
struct TablesOnly(StorageFluxSource);

impl FluxSource for TablesOnly {
    fn read(
        &self,
        bucket: &str,
        start: i64,
        stop: i64,
        filter: Option<&PushdownPredicate>,
    ) -> almanac_flux::Result<Vec<Table>> {
        self.0.read(bucket, start, stop, filter)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_pushed_into_the_read_answer_as_the_general_path() {
    let f = fixture().await;
    let read =
        r#"from(bucket: "db") |> range(start: 1970-01-01T00:00:05Z, stop: 1970-01-01T00:01:40Z)"#;
    let scripts = [
        r#"|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage") |> group(columns: ["_field"]) |> aggregateWindow(every: 30s, fn: max, createEmpty: false)"#,
        r#"|> filter(fn: (r) => r._measurement == "cpu" and r._field != "state" and r._field != "up") |> group(columns: ["host", "_field"]) |> aggregateWindow(every: 20s, fn: mean, createEmpty: false)"#,
        r#"|> filter(fn: (r) => r._measurement == "cpu") |> group(columns: ["_field"]) |> aggregateWindow(every: 30s, fn: last, createEmpty: false)"#,
        r#"|> filter(fn: (r) => r._measurement == "cpu" and r._field == "count") |> aggregateWindow(every: 30s, fn: sum, createEmpty: false)"#,
        "|> last()",
        "|> first()",
        r#"|> filter(fn: (r) => r._measurement == "cpu" and (r._field == "usage" or r._field == "count")) |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#,
        r#"|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage") |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => r.usage > 4.0 and r.host != "b")"#,
        r#"|> filter(fn: (r) => r._measurement == "mem") |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#,
    ];
    for tail in scripts {
        let script = format!("{read} {tail}");
        let (pushed, general) = {
            let script = script.clone();
            let src = source(&f);
            let general_src = TablesOnly(source(&f));
            tokio::task::spawn_blocking(move || {
                let ctx = ExecContext {
                    now: 1_000 * S,
                    globals: Vec::new(),
                };
                let render = |r: almanac_flux::Result<Vec<(String, Vec<Table>)>>| match r {
                    Ok(r) => {
                        let mut out = almanac_flux::encode_csv(&r);
                        for t in r.iter().flat_map(|(_, t)| t) {
                            out.push_str(&format!("\n{:?} {:?}", t.key, t.cols));
                        }
                        out
                    }
                    Err(e) => format!("error: {e}"),
                };
                (
                    render(execute(&script, &ctx, &src)),
                    render(execute(&script, &ctx, &general_src)),
                )
            })
            .await
            .unwrap()
        };
        assert_eq!(pushed, general, "{script}");
        assert!(!pushed.starts_with("error"), "{script}\n=> {pushed}");
    }
}
