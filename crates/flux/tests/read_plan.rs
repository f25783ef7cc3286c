//! Operations pushed into a read (`read_plan`) give the same answers as the
//! general path: every script runs once over a source that serves compact
//! series (the pushed path) and once over one that only serves tables.

use almanac_flux::{
    encode_csv, execute, BucketInfo, ExecContext, FluxSource, MemPoint, MemorySource,
    PushdownPredicate, SeriesData, SeriesRead, Table, Value,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

const S: i64 = 1_000_000_000;

/// Serves tables only: pushed operations replay on tables.
struct TablesOnly<'a>(&'a MemorySource);

impl FluxSource for TablesOnly<'_> {
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

/// Serves series (and counts the series reads).
struct Series<'a>(&'a MemorySource, AtomicUsize);

impl FluxSource for Series<'_> {
    fn read(
        &self,
        bucket: &str,
        start: i64,
        stop: i64,
        filter: Option<&PushdownPredicate>,
    ) -> almanac_flux::Result<Vec<Table>> {
        self.0.read(bucket, start, stop, filter)
    }

    fn read_series(&self, req: &SeriesRead<'_>) -> almanac_flux::Result<Option<Vec<SeriesData>>> {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.read_series(req)
    }

    fn buckets(&self) -> almanac_flux::Result<Vec<BucketInfo>> {
        self.0.buckets()
    }
}

/// A small deterministic generator (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn point(m: &str, tags: &[(&str, &str)], field: &str, time: i64, value: Value) -> MemPoint {
    MemPoint {
        measurement: m.into(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        field: field.into(),
        time,
        value,
    }
}

fn data() -> MemorySource {
    let src = MemorySource::new();
    let mut rng = Lcg(7);
    // "db": cpu with two tags on every series, float fields (with ties and
    // one NaN), points every few seconds, some fields missing at times
    for host in ["a", "b", "c"] {
        for region in ["x", "y"] {
            let tags = [("host", host), ("region", region)];
            let mut t = (rng.next() % 7) as i64 * S;
            while t < 600 * S {
                for field in ["usage", "idle"] {
                    if rng.next() % 9 == 0 {
                        continue; // a gap in this field
                    }
                    let v = if rng.next() % 97 == 0 {
                        f64::NAN
                    } else {
                        (rng.next() % 40) as f64 * 2.5
                    };
                    src.insert("db", point("cpu", &tags, field, t, Value::Float(v)));
                }
                t += (1 + rng.next() % 9) as i64 * S;
            }
        }
    }
    // "mixed": an integer field and a series without the region tag
    for (tags, field) in [
        (&[("host", "a"), ("region", "x")][..], "usage"),
        (&[("host", "a"), ("region", "x")][..], "n"),
        (&[("host", "b")][..], "usage"),
    ] {
        for i in 0..50 {
            let v = if field == "n" {
                Value::Int((rng.next() % 10) as i64)
            } else {
                Value::Float((rng.next() % 10) as f64)
            };
            src.insert("mixed", point("cpu", tags, field, i * 7 * S, v));
        }
    }
    // "ints": integer fields of two hosts with gaps (pivoted filters compare
    // integer columns with integer and float constants)
    for host in ["a", "b"] {
        for i in 0..80 {
            for field in ["n", "m"] {
                if rng.next() % 7 == 0 {
                    continue;
                }
                let v = Value::Int((rng.next() % 21) as i64 - 10);
                src.insert("ints", point("cpu", &[("host", host)], field, i * 5 * S, v));
            }
        }
    }
    // "shapes": pivoted groups of three layouts (tag keys, field lists) in
    // turn: a, b (no region), c (one field), d (a zone), then e like a
    for (host, extra, fields) in [
        ("a", Some(("region", "x")), &["idle", "usage"][..]),
        ("b", None, &["idle", "usage"][..]),
        ("c", Some(("region", "y")), &["usage"][..]),
        ("d", Some(("zone", "x")), &["idle", "usage"][..]),
        ("e", Some(("region", "x")), &["idle", "usage"][..]),
    ] {
        let mut tags = vec![("host", host)];
        tags.extend(extra);
        for i in 0..30 {
            for field in fields {
                let v = Value::Float((rng.next() % 100) as f64);
                src.insert("shapes", point("cpu", &tags, field, i * 11 * S, v));
            }
        }
    }
    src
}

fn ctx() -> ExecContext {
    ExecContext {
        now: 1000 * S,
        globals: Vec::new(),
    }
}

/// Both answers as CSV plus each table's key and columns.
fn answer(script: &str, source: &dyn FluxSource) -> String {
    match execute(script, &ctx(), source) {
        Ok(res) => {
            let mut out = encode_csv(&res);
            for (_, tables) in &res {
                for t in tables {
                    out.push_str(&format!("\n{:?} {:?}", t.key, t.cols));
                }
            }
            out
        }
        Err(e) => format!("error: {e}"),
    }
}

/// Asserts both answers are equal; true when the script read series (some
/// operation was pushed into the read).
fn same(script: &str) -> bool {
    same_reads(script) > 0
}

// Absolute bounds: a duration in `range` counts from `now` (1,000 s here).
const READ: &str = r#"from(bucket: "db") |> range(start: 1970-01-01T00:00:07Z, stop: 1970-01-01T00:09:50Z) |> filter(fn: (r) => r._measurement == "cpu")"#;

#[test]
fn aggregate_window_after_group_matches() {
    for group in [
        r#"|> group(columns: ["_field"])"#,
        r#"|> group(columns: ["host", "_field"])"#,
        r#"|> group()"#,
        r#"|> group(columns: ["_start", "_stop", "_field"])"#,
        r#"|> group(columns: ["_start", "_field"])"#,
        r#"|> group(columns: ["_value"])"#,
        r#"|> group(columns: ["nope"])"#,
        "",
    ] {
        for f in [
            "max", "min", "first", "last", "mean", "count", "sum", "spread",
        ] {
            for extra in ["", ", offset: 15s", ", timeSrc: \"_start\""] {
                let pushed = same(&format!(
                    "{READ} {group} |> aggregateWindow(every: 1m, fn: {f}, createEmpty: false{extra})"
                ));
                let selector = ["max", "min", "first", "last"].contains(&f);
                if !(group.contains("mode") || selector && extra.contains("timeSrc")) {
                    assert!(pushed, "not pushed: {group} {f} {extra}");
                }
            }
        }
    }
}

#[test]
fn other_windows_and_follow_ups_match() {
    for tail in [
        "|> aggregateWindow(every: 1m, fn: mean)",
        "|> aggregateWindow(every: 1m, period: 2m, fn: max, createEmpty: false)",
        "|> aggregateWindow(every: 1m, fn: median, createEmpty: false)",
        "|> aggregateWindow(every: 1m, fn: (tables=<-, column) => tables |> max(), createEmpty: false)",
        r#"|> group(columns: ["_field"]) |> aggregateWindow(every: 1m, fn: max, createEmpty: false) |> limit(n: 5)"#,
        r#"|> group(columns: ["_field"]) |> sort()"#,
        r#"|> group(columns: ["_field"], mode: "except")"#,
        "|> last()",
        "|> first()",
        "|> last() |> group() |> count()",
        r#"|> filter(fn: (r) => r._value > 50.0) |> last()"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => r.usage > 50.0)"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => r.usage > 50.0 and 40.0 >= r["idle"])"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => r.usage + r.idle > 80.0) |> filter(fn: (r) => r.host == "a")"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => r.host != "b") |> filter(fn: (r) => r.missing > 1.0)"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => r.usage > "x")"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => r.usage > 50.0, onEmpty: "keep")"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["host"], valueColumn: "_value")"#,
        r#"|> range(start: 100s) |> last()"#,
    ] {
        same(&format!("{READ} {tail}"));
    }
}

#[test]
fn an_edge_then_a_pivot_joins_the_read() {
    // `last()` of fields with gaps: the fields' last points may differ in
    // time, giving a row per distinct time with nulls
    for edge in ["last", "first"] {
        for rest in [
            "",
            r#"|> filter(fn: (r) => r.usage > 20.0)"#,
            r#"|> filter(fn: (r) => r.usage + r.idle > 80.0)"#,
            r#"|> filter(fn: (r) => r.host == "a") |> filter(fn: (r) => r.missing > 1.0)"#,
        ] {
            let script = format!(
                r#"{READ} |> {edge}() |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") {rest}"#
            );
            assert!(same(&script), "not pushed: {script}");
        }
    }
    for tail in [
        r#"|> last() |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#,
        r#"|> first(column: "_time") |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#,
        r#"|> last() |> pivot(rowKey: ["_time"], columnKey: ["host"], valueColumn: "_value")"#,
        r#"|> last() |> last() |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#,
    ] {
        same(&format!(
            r#"from(bucket: "mixed") |> range(start: 0, stop: 1000s) {tail}"#
        ));
        same(&format!("{READ} {tail}"));
    }
}

#[test]
fn pivots_of_several_layouts_match() {
    let pivot = r#"pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#;
    for tail in [
        format!("|> {pivot}"),
        format!("|> last() |> {pivot}"),
        format!("|> first() |> {pivot} |> filter(fn: (r) => r.usage > 30.0)"),
        format!("|> {pivot} |> filter(fn: (r) => r.idle < 50.0)"),
    ] {
        let script = format!(r#"from(bucket: "shapes") |> range(start: 0, stop: 1000s) {tail}"#);
        assert!(same(&script), "not pushed: {script}");
    }
}

#[test]
fn pivoted_comparisons_of_numbers_match() {
    let pivot = r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#;
    for cond in [
        "r.n > 4",
        "r.n >= 4.5",
        "5 >= r.n",
        "-2.5 < r.n and r.m <= 3",
        "r.n == 3",
        "r.n != 3.0",
        "r.n > -0.0",
        "r.n < 0.0 and r.m == 0",
        "r.n > 1 and r.host == \"b\"",
        "r.n > \"x\"",
    ] {
        let script = format!(
            r#"from(bucket: "ints") |> range(start: 0, stop: 1000s) {pivot} |> filter(fn: (r) => {cond})"#
        );
        assert!(same(&script), "not pushed: {script}");
    }
    for cond in [
        "r.usage > 20.0",
        "r.usage >= -0.0 and r.idle < 50.0",
        "50.0 > r.usage",
        "r.usage == 5.0",
        "r.usage != 5.0",
        "r.usage > 20",
        "r.usage > 20.0 and r.idle > 10",
    ] {
        same(&format!("{READ} {pivot} |> filter(fn: (r) => {cond})"));
    }
}

#[test]
fn mixed_shapes_fall_back() {
    for tail in [
        r#"|> group(columns: ["_field"]) |> aggregateWindow(every: 1m, fn: max, createEmpty: false)"#,
        r#"|> aggregateWindow(every: 1m, fn: mean, createEmpty: false)"#,
        r#"|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#,
        "|> last()",
    ] {
        same(&format!(
            r#"from(bucket: "mixed") |> range(start: 0, stop: 1000s) {tail}"#
        ));
    }
}

#[test]
fn sparse_windows_of_several_series_merge_in_order() {
    // 2 s windows: each series has points in other windows than the others,
    // so a group's windows arrive out of order from its second series on
    for group in [r#"|> group(columns: ["_field"])"#, r#"|> group()"#] {
        for f in ["max", "min", "first", "last", "mean", "count", "sum"] {
            let script = format!(
                "{READ} {group} |> aggregateWindow(every: 2s, fn: {f}, createEmpty: false)"
            );
            assert!(same(&script), "not pushed: {script}");
        }
    }
}

/// Like [`same`], returning how many series reads the pushed path made.
fn same_reads(script: &str) -> usize {
    let mem = data();
    let general = answer(script, &TablesOnly(&mem));
    let pushed_source = Series(&mem, AtomicUsize::new(0));
    let pushed = answer(script, &pushed_source);
    assert_eq!(pushed, general, "script:\n{script}");
    pushed_source.1.load(Ordering::Relaxed)
}

#[test]
fn a_limit_after_windows_reads_only_the_leading_windows() {
    for group in [
        r#"|> group(columns: ["_field"])"#,
        r#"|> group(columns: ["host", "_field"])"#,
        "",
    ] {
        for f in ["max", "mean", "count", "last"] {
            for (limit, offset) in [(1, 0), (3, 0), (2, 2)] {
                let script = format!(
                    "{READ} {group} |> aggregateWindow(every: 1m, fn: {f}, createEmpty: false) \
                     |> limit(n: {limit}, offset: {offset})"
                );
                // The series' first points, then the leading minutes only.
                assert_eq!(same_reads(&script), 2, "{script}");
            }
        }
    }
    // 2 s windows over points 1-9 s apart: some table has fewer than 20
    // windows in the leading stretch, so everything is read after all.
    let sparse = format!(
        r#"{READ} |> aggregateWindow(every: 2s, fn: max, createEmpty: false) |> limit(n: 20)"#
    );
    assert_eq!(same_reads(&sparse), 3);
    // Nothing to save (the leading windows reach the range's end), a
    // limit of nothing, and a limit without windows before it.
    for tail in [
        "|> aggregateWindow(every: 5m, fn: max, createEmpty: false) |> limit(n: 2)",
        "|> aggregateWindow(every: 1m, fn: max, createEmpty: false) |> limit(n: 0)",
        "|> aggregateWindow(every: 1m, fn: max, createEmpty: false) |> limit(n: 2) |> limit(n: 1)",
        "|> limit(n: 3)",
        "|> aggregateWindow(every: 1m, fn: max) |> limit(n: 3)",
    ] {
        same(&format!("{READ} {tail}"));
    }
}

#[test]
fn the_shared_read_has_data() {
    // Every table of `READ` (12 series) counted: the comparisons above are
    // of real answers, not of two empty ones.
    let mem = data();
    let csv = answer(&format!("{READ} |> count()"), &TablesOnly(&mem));
    assert_eq!(csv.matches("\r\n,,").count(), 12, "{csv}");
}

#[test]
fn integer_selectors_pick_as_the_general_path() {
    // The integer field `n` (values 0-9, many ties) of one series.
    for f in ["max", "min", "first", "last"] {
        let script = format!(
            r#"from(bucket: "mixed") |> range(start: 0, stop: 1000s) |> filter(fn: (r) => r._field == "n") |> aggregateWindow(every: 1m, fn: {f}, createEmpty: false)"#
        );
        assert!(same(&script), "not pushed: {script}");
    }
}
