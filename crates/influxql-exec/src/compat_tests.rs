//! Statement-level checks of behaviours that differ from the obvious reading
//! of the docs: each expected answer is what influxd 1.6.7 gave for the same
//! statement over the same points.

use almanac_catalog::Catalog;
use almanac_lineproto::Precision;
use almanac_storage::{Storage, StorageConfig};

use crate::{ExecContext, Executor, StatementResult, Value};

const S: i64 = 1_000_000_000;
/// 2020-01-01T00:00:00Z in ns.
const T0: i64 = 1_577_836_800 * S;

pub(crate) struct Db {
    pub(crate) ex: Executor,
    _dir: tempfile::TempDir,
}

impl Db {
    /// A database `db` holding `lines` (second precision).
    pub(crate) async fn with(lines: &str) -> Db {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.redb")).unwrap();
        let storage = Storage::open(StorageConfig::new(dir.path()), catalog).unwrap();
        let ex = Executor::new(storage);
        let db = Db { ex, _dir: dir };
        assert_eq!(db.run("CREATE DATABASE db").await.error, None);
        let out = db
            .ex
            .storage()
            .write("db", None, lines.as_bytes(), Precision::Second)
            .await
            .unwrap();
        assert_eq!(out.dropped(), 0);
        db
    }

    pub(crate) async fn run(&self, q: &str) -> StatementResult {
        let stmt = almanac_influxql::parse_statement(q).unwrap();
        let ctx = ExecContext {
            database: Some("db".into()),
            ..Default::default()
        };
        self.ex.execute(&stmt, &ctx).await
    }

    /// The rows of every series of a statement that must succeed.
    pub(crate) async fn rows(&self, q: &str) -> Vec<Vec<Value>> {
        let r = self.run(q).await;
        assert_eq!(r.error, None, "{q}");
        r.series.into_iter().flat_map(|s| s.values).collect()
    }

    async fn error(&self, q: &str) -> String {
        self.run(q).await.error.unwrap_or_default()
    }
}

/// Points of `m` every 10 s from `T0 + 30 s`: v = 1.5, 2.5, ...; n = 1, 2, ...
fn series(count: i64) -> String {
    (0..count)
        .map(|i| {
            format!(
                "m,host=a v={},n={}i {}\n",
                i as f64 + 1.5,
                i + 1,
                T0 / S + 30 + 10 * i
            )
        })
        .collect()
}

fn t(seconds: i64) -> Value {
    Value::Time(T0 + seconds * S)
}

const RANGE: &str = "time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:02:00Z'";

#[tokio::test]
async fn zero_and_negative_group_by_intervals_group_nothing() {
    let db = Db::with(&series(6)).await;
    // time(0s): no interval at all, so raw fields are allowed.
    let q = format!("SELECT n FROM m WHERE {RANGE} GROUP BY time(0s) LIMIT 1");
    assert_eq!(db.rows(&q).await, vec![vec![t(30), Value::Integer(1)]]);
    // Aggregates: one window starting at the lower time bound.
    for interval in ["0s", "-1m"] {
        let q = format!("SELECT sum(n) FROM m WHERE {RANGE} GROUP BY time({interval})");
        assert_eq!(
            db.rows(&q).await,
            vec![vec![t(0), Value::Integer(21)]],
            "{q}"
        );
    }
    // A negative interval still counts as one for the checks...
    let q = format!("SELECT n FROM m WHERE {RANGE} GROUP BY time(-1m)");
    assert_eq!(
        db.error(&q).await,
        "GROUP BY requires at least one aggregate function"
    );
    // ... so a transformation of an aggregate is accepted (and has one window).
    let q = format!("SELECT derivative(mean(v)) FROM m WHERE {RANGE} GROUP BY time(-1m)");
    assert!(db.rows(&q).await.is_empty());
}

#[tokio::test]
async fn time_literal_offsets_fail_as_in_influxd() {
    let db = Db::with(&series(3)).await;
    let q =
        format!("SELECT mean(v) FROM m WHERE {RANGE} GROUP BY time(1h, '2020-01-01T00:20:00Z')");
    assert_eq!(
        db.error(&q).await,
        "invalid time dimension offset: '2020-01-01T00:20:00Z'"
    );
    // The offset is only read for a positive interval.
    let q = format!("SELECT mean(v) FROM m WHERE {RANGE} GROUP BY time(-1h, '2020-01-01')");
    assert_eq!(db.rows(&q).await, vec![vec![t(0), Value::Float(2.5)]]);
}

#[tokio::test]
async fn numeric_fill_is_cast_to_the_aggregates_type() {
    let db = Db::with(&series(2)).await;
    let q = format!("SELECT sum(n) FROM m WHERE {RANGE} GROUP BY time(30s) fill(2.5)");
    assert_eq!(
        db.rows(&q).await,
        vec![
            vec![t(0), Value::Integer(2)],
            vec![t(30), Value::Integer(3)],
            vec![t(60), Value::Integer(2)],
            vec![t(90), Value::Integer(2)],
        ]
    );
}

#[tokio::test]
async fn offset_without_limit_gives_one_raw_row() {
    let db = Db::with(&series(6)).await;
    for q in [
        "SELECT n FROM m OFFSET 2",
        "SELECT n FROM m LIMIT 0 OFFSET 2",
        "SELECT n * 2 FROM m OFFSET 2",
    ] {
        let want = if q.contains('*') { 6 } else { 3 };
        assert_eq!(
            db.rows(q).await,
            vec![vec![t(50), Value::Integer(want)]],
            "{q}"
        );
    }
    assert_eq!(db.rows("SELECT n FROM m LIMIT 0").await.len(), 6);
    // Transformations, aggregates and subqueries keep every row after the offset.
    assert_eq!(
        db.rows("SELECT difference(n) FROM m OFFSET 2").await.len(),
        3
    );
    let q = format!("SELECT sum(n) FROM m WHERE {RANGE} GROUP BY time(30s) OFFSET 1");
    assert_eq!(db.rows(&q).await.len(), 3);
    assert_eq!(
        db.rows("SELECT n FROM (SELECT n FROM m) OFFSET 2")
            .await
            .len(),
        4
    );
}

#[tokio::test]
async fn raw_rows_over_one_window_aggregates_come_series_by_series() {
    let lines = format!(
        "m,host=a v=9 {}\nm,host=a v=1 {}\nm,host=b v=5 {}\nm,host=b v=7 {}\n",
        T0 / S + 50,
        T0 / S + 10,
        T0 / S + 20,
        T0 / S + 30
    );
    let db = Db::with(&lines).await;
    // influxd 1.6.7 lists host a's maximum (later) before host b's.
    let q = "SELECT m FROM (SELECT max(v) AS m FROM m GROUP BY host)";
    assert_eq!(
        db.rows(q).await,
        vec![
            vec![t(50), Value::Float(9.0)],
            vec![t(30), Value::Float(7.0)]
        ]
    );
    // Rows of windowed or raw subqueries stay in time order.
    let q =
        format!("SELECT m FROM (SELECT max(v) AS m FROM m WHERE {RANGE} GROUP BY time(1m), host)");
    assert_eq!(
        db.rows(&q).await,
        vec![vec![t(0), Value::Float(9.0)], vec![t(0), Value::Float(7.0)]]
    );
    let q = "SELECT v FROM (SELECT v FROM m)";
    assert_eq!(
        db.rows(q).await.first(),
        Some(&vec![t(10), Value::Float(1.0)])
    );
}

#[tokio::test]
async fn transformations_of_aggregates_read_one_window_more() {
    let db = Db::with(&series(6)).await;
    let range = "time >= '2020-01-01T00:01:00Z' AND time < '2020-01-01T00:02:00Z'";
    let q = format!("SELECT difference(count(n)) FROM m WHERE {range} GROUP BY time(30s)");
    assert_eq!(
        db.rows(&q).await,
        vec![
            vec![t(60), Value::Integer(0)],
            vec![t(90), Value::Integer(-3)]
        ]
    );
    // Under ORDER BY time DESC the extra window is the one after the range.
    let q = format!(
        "SELECT difference(count(n)) FROM m WHERE {range} GROUP BY time(30s) ORDER BY time DESC"
    );
    assert_eq!(
        db.rows(&q).await,
        vec![
            vec![t(90), Value::Integer(0)],
            vec![t(60), Value::Integer(3)]
        ]
    );
    // cumulative_sum does not look back.
    let q = format!("SELECT cumulative_sum(count(n)) FROM m WHERE {range} GROUP BY time(30s)");
    assert_eq!(
        db.rows(&q).await,
        vec![
            vec![t(60), Value::Integer(3)],
            vec![t(90), Value::Integer(3)]
        ]
    );
}

#[tokio::test]
async fn one_measurement_from_two_databases_is_one_series() {
    let db = Db::with(&series(3)).await;
    assert_eq!(db.run("CREATE DATABASE db2").await.error, None);
    let out = db
        .ex
        .storage()
        .write("db2", None, series(2).as_bytes(), Precision::Second)
        .await
        .unwrap();
    assert_eq!(out.dropped(), 0);
    let r = db
        .run("SELECT count(n) FROM db.autogen.m, db2.autogen.m")
        .await;
    assert_eq!(r.series.len(), 1, "{r:?}");
    assert_eq!(
        r.series[0].values,
        vec![vec![Value::Time(0), Value::Integer(5)]]
    );
}

#[tokio::test]
async fn delete_without_where_forgets_the_measurement() {
    let db = Db::with(&(series(2) + &format!("other v=1 {}\n", T0 / S))).await;
    assert_eq!(db.run("DELETE FROM m").await.error, None);
    // influxd 1.6.7: the measurement is gone from SHOW MEASUREMENTS.
    let names = db.rows("SHOW MEASUREMENTS").await;
    assert_eq!(names, vec![vec![Value::from("other")]]);
    assert!(db.rows("SELECT * FROM m").await.is_empty());
    // A DELETE with a condition keeps it.
    assert_eq!(db.run("DELETE FROM other WHERE time < 0").await.error, None);
    assert_eq!(db.rows("SHOW MEASUREMENTS").await.len(), 1);
}

#[tokio::test]
async fn integral_over_windows_carries_the_edge_and_ignores_fill() {
    // Points at 30..80 s (n = 1..6), 60 s windows over two minutes and more:
    // the first window ends with n interpolated at 60 s (4), the second
    // starts there; the empty windows after are not filled.
    let db = Db::with(&series(6)).await;
    let q = "SELECT integral(n) FROM m WHERE time >= '2020-01-01T00:00:00Z' \
             AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(0)";
    assert_eq!(
        db.rows(q).await,
        vec![
            vec![t(0), Value::Float(1.5 * 10.0 + 2.5 * 10.0 + 3.5 * 10.0)],
            vec![t(60), Value::Float(4.5 * 10.0 + 5.5 * 10.0)],
        ]
    );
}
