//! A `GROUP BY time()` statement with a `LIMIT` reads only the windows the
//! limit can reach (`select::leading_windows`): its answer must be the
//! first rows of the same statement read whole.

use crate::compat_tests::Db;
use crate::Value;

const S: i64 = 1_000_000_000;
/// 2020-01-01T00:00:00Z in seconds.
const T0: i64 = 1_577_836_800;

/// Host `a` every 7 s from `T0 + 5 s`, host `b` every 11 s from `T0 + 130 s`,
/// for an hour; `v` varies irregularly, `n` counts.
fn points() -> String {
    let mut out = String::new();
    for i in 0..515 {
        let v = ((i * 37) % 101) as f64 / 4.0;
        out.push_str(&format!("m,host=a v={v},n={i}i {}\n", T0 + 5 + 7 * i));
    }
    for i in 0..316 {
        let v = ((i * 53) % 97) as f64 / 3.0;
        out.push_str(&format!("m,host=b v={v},n={i}i {}\n", T0 + 130 + 11 * i));
    }
    out
}

/// `stmt` with `LIMIT`/`OFFSET` appended agrees with the first rows of each
/// series of `stmt` read without them.
async fn agrees(db: &Db, stmt: &str, limit: usize, offset: usize) {
    let whole = db.run(stmt).await;
    assert_eq!(whole.error, None, "{stmt}");
    let limited_q = format!("{stmt} LIMIT {limit} OFFSET {offset}");
    let limited = db.run(&limited_q).await;
    assert_eq!(limited.error, None, "{limited_q}");
    let expected: Vec<(Vec<(String, String)>, Vec<Vec<Value>>)> = whole
        .series
        .into_iter()
        .map(|s| {
            let values: Vec<Vec<Value>> = s.values.into_iter().skip(offset).take(limit).collect();
            (s.tags.into_iter().collect(), values)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let got: Vec<(Vec<(String, String)>, Vec<Vec<Value>>)> = limited
        .series
        .into_iter()
        .map(|s| (s.tags.into_iter().collect(), s.values))
        .collect();
    assert!(!expected.is_empty(), "{stmt}: nothing to compare");
    assert_eq!(got, expected, "{limited_q}");
}

const UPPER: &str = "time < '2020-01-01T01:30:00Z'";
const BOUNDED: &str = "time >= '2020-01-01T00:03:20Z' AND time < '2020-01-01T00:40:00Z'";

async fn check_all(db: &Db) {
    for (stmt, limit, offset) in [
        (format!("SELECT max(v) FROM m WHERE {UPPER} GROUP BY time(1m)"), 5, 0),
        (format!("SELECT max(v), count(n) FROM m WHERE {UPPER} GROUP BY time(1m)"), 3, 4),
        (format!("SELECT mean(v) FROM m WHERE {UPPER} GROUP BY time(1m), host"), 4, 1),
        (format!("SELECT last(v) FROM m WHERE {UPPER} GROUP BY time(90s, 20s) fill(previous)"), 6, 0),
        (format!("SELECT sum(n) FROM m WHERE {UPPER} AND host = 'b' GROUP BY time(1m) fill(0)"), 5, 0),
        (format!("SELECT max(v) FROM m WHERE {UPPER} AND v > 20 GROUP BY time(1m)"), 5, 0),
        (format!("SELECT max(v) FROM m WHERE {BOUNDED} GROUP BY time(1m)"), 5, 2),
        (format!("SELECT min(v) FROM m WHERE {BOUNDED} GROUP BY time(1m) ORDER BY time DESC"), 5, 1),
        (format!("SELECT count(v) FROM m WHERE {BOUNDED} GROUP BY time(1m), host ORDER BY time DESC"), 3, 0),
        // The windows read hold no points, the rest of the range does.
        (format!("SELECT mean(v) FROM m WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T03:00:00Z' GROUP BY time(30m) ORDER BY time DESC"), 2, 0),
        (format!("SELECT mean(v) FROM m WHERE time >= '2019-12-31T23:00:00Z' AND {UPPER} GROUP BY time(5m)"), 3, 0),
        (format!("SELECT count(v) FROM m WHERE {BOUNDED} GROUP BY time(1m), host ORDER BY time DESC"), 3, 0),
        // Not narrowed (fill(none) skips windows): still the same answer.
        (format!("SELECT max(v) FROM m WHERE {UPPER} AND v > 24 GROUP BY time(1m) fill(none)"), 5, 0),
    ] {
        agrees(db, &stmt, limit, offset).await;
    }
}

#[tokio::test]
async fn limited_windows_agree_with_the_whole_answer_in_the_buffer_and_in_files() {
    let db = Db::with(&points()).await;
    check_all(&db).await;
    db.ex.storage().persist_all().unwrap();
    check_all(&db).await;
}

#[tokio::test]
async fn limited_windows_start_at_the_first_point_left_after_a_delete() {
    let db = Db::with(&points()).await;
    db.ex.storage().persist_all().unwrap();
    // The file still records the deleted points' times: the first guess of
    // where the windows start is too early and is read again.
    let r = db
        .run("DELETE FROM m WHERE time < '2020-01-01T00:04:00Z'")
        .await;
    assert_eq!(r.error, None);
    check_all(&db).await;
    let first = db
        .rows(&format!(
            "SELECT max(v) FROM m WHERE {UPPER} GROUP BY time(1m) LIMIT 1"
        ))
        .await;
    assert_eq!(first[0][0], Value::Time((T0 + 240) * S));
}

/// The rows each scan of `stmt` read, from `EXPLAIN ANALYZE`.
async fn scanned_rows(db: &Db, stmt: &str) -> Vec<usize> {
    let r = db.run(&format!("EXPLAIN ANALYZE {stmt}")).await;
    assert_eq!(r.error, None, "{stmt}");
    r.series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .filter_map(|v| match v {
            Value::String(line) => line.trim().strip_prefix("scan: ").map(str::to_string),
            _ => None,
        })
        .map(|line| {
            let rows = line.split(", ").nth(1).and_then(|p| p.split(' ').next());
            rows.and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{line}"))
        })
        .collect()
}

#[tokio::test]
async fn a_limit_reads_only_the_windows_it_reaches() {
    let db = Db::with(&points()).await;
    db.ex.storage().persist_all().unwrap();
    let stmt = format!("SELECT max(v) FROM m WHERE {UPPER} GROUP BY time(1m)");
    let whole: usize = scanned_rows(&db, &stmt).await.iter().sum();
    assert_eq!(whole, 515 + 316);
    // Five minutes from 00:00: host a's points up to 00:04:59, b's from 00:02:10.
    let five = scanned_rows(&db, &format!("{stmt} LIMIT 5")).await;
    assert_eq!(five, vec![(299 - 5) / 7 + 1 + (299 - 130) / 11 + 1]);
    let r = db
        .run("DELETE FROM m WHERE time < '2020-01-01T00:04:00Z'")
        .await;
    assert_eq!(r.error, None);
    // The stale guess (00:00) reads one window's worth, then the right five.
    let again = scanned_rows(&db, &format!("{stmt} LIMIT 5")).await;
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(again[1] < 120, "{again:?}");
}
