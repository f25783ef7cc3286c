//! InfluxQL aggregates and selectors over the points of one window.

use std::collections::HashMap;

use crate::gosort::go_sort;
use crate::result::Value;
use crate::value_ops::{as_f64, compare};
use crate::ExecError;

/// One point handed to an aggregate: time, value and row in the window's table.
#[derive(Debug, Clone, Copy)]
pub struct Point<'a> {
    /// Time in ns.
    pub time: i64,
    /// The (non-null) value.
    pub value: &'a Value,
    /// Row index in the series rows (for selectors' companion columns).
    pub row: usize,
}

/// What an aggregate produced for one window.
#[derive(Debug, Clone, PartialEq)]
pub enum AggOut {
    /// Nothing to report (no input).
    Empty,
    /// One value; selectors also give the time and row of the chosen point.
    One {
        /// The result.
        value: Value,
        /// The chosen point (selectors only).
        point: Option<(i64, usize)>,
    },
    /// Several points (`top`, `bottom`, `sample`, `distinct`): (time, value, row).
    Many(Vec<(i64, Value, usize)>),
}

/// Aggregates that return many rows per window.
pub fn is_multi_row(name: &str) -> bool {
    matches!(name, "top" | "bottom" | "sample" | "distinct")
}

/// Whether an aggregate is a selector (its result is one of the points).
pub fn is_selector(name: &str) -> bool {
    matches!(
        name,
        "first" | "last" | "min" | "max" | "percentile" | "sample" | "top" | "bottom"
    )
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "*query.stringInterruptIterator",
        Value::Boolean(_) => "*query.booleanInterruptIterator",
        Value::Integer(_) => "*query.integerInterruptIterator",
        Value::Unsigned(_) => "*query.unsignedInterruptIterator",
        _ => "*query.floatInterruptIterator",
    }
}

fn require_numeric(name: &str, points: &[Point]) -> Result<(), ExecError> {
    if let Some(p) = points.iter().find(|p| as_f64(p.value).is_none()) {
        return Err(ExecError::Query(format!(
            "unsupported {name} iterator type: {}",
            type_name(p.value)
        )));
    }
    Ok(())
}

fn one(value: Value) -> AggOut {
    AggOut::One { value, point: None }
}

fn selected(p: &Point) -> AggOut {
    AggOut::One {
        value: p.value.clone(),
        point: Some((p.time, p.row)),
    }
}

/// Parameters of an aggregate call beyond its field.
#[derive(Debug, Clone, Default)]
pub struct AggArgs {
    /// `N` of percentile/top/bottom/sample.
    pub n: Option<f64>,
    /// Unit of `integral` in ns.
    pub unit: Option<i64>,
    /// Row keys for `top`/`bottom` with tag arguments: the tag values of each row.
    pub tag_keys: Option<Vec<String>>,
    /// `ORDER BY time DESC`: influxd's reducers then see the points newest
    /// first (`distinct` lists values by their last appearance).
    pub descending: bool,
}

/// Computes aggregate `name` over `points` (sorted by time, nulls removed).
pub fn aggregate(name: &str, points: &[Point], args: &AggArgs) -> Result<AggOut, ExecError> {
    if points.is_empty() {
        return Ok(AggOut::Empty);
    }
    Ok(match name {
        "count" => one(Value::Integer(points.len() as i64)),
        "sum" => {
            require_numeric(name, points)?;
            sum(points)
        }
        "mean" => {
            require_numeric(name, points)?;
            let total: f64 = points.iter().filter_map(|p| as_f64(p.value)).sum();
            one(Value::Float(total / points.len() as f64))
        }
        "median" => {
            require_numeric(name, points)?;
            let mut v: Vec<f64> = points.iter().filter_map(|p| as_f64(p.value)).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            let n = v.len();
            let m = if n % 2 == 1 {
                v[n / 2]
            } else {
                v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2.0
            };
            one(Value::Float(m))
        }
        "mode" => one(mode(points)),
        "spread" => {
            require_numeric(name, points)?;
            let min = points
                .iter()
                .min_by(|a, b| compare(a.value, b.value))
                .map(|p| p.value);
            let max = points
                .iter()
                .max_by(|a, b| compare(a.value, b.value))
                .map(|p| p.value);
            match (min, max) {
                (Some(Value::Integer(a)), Some(Value::Integer(b))) => one(Value::Integer(b - a)),
                (Some(Value::Unsigned(a)), Some(Value::Unsigned(b))) => one(Value::Unsigned(b - a)),
                (Some(a), Some(b)) => one(Value::Float(
                    as_f64(b).unwrap_or(0.0) - as_f64(a).unwrap_or(0.0),
                )),
                _ => AggOut::Empty,
            }
        }
        "stddev" => {
            require_numeric(name, points)?;
            if points.len() < 2 {
                return Ok(one(Value::Null));
            }
            let v: Vec<f64> = points.iter().filter_map(|p| as_f64(p.value)).collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (v.len() - 1) as f64;
            one(Value::Float(var.sqrt()))
        }
        "integral" => {
            require_numeric(name, points)?;
            let unit = args.unit.unwrap_or(1_000_000_000) as f64;
            let mut area = 0.0;
            for w in points.windows(2) {
                let (a, b) = (
                    as_f64(w[0].value).unwrap_or(0.0),
                    as_f64(w[1].value).unwrap_or(0.0),
                );
                area += (a + b) / 2.0 * (w[1].time - w[0].time) as f64 / unit;
            }
            one(Value::Float(area))
        }
        "first" => selected(&points[0]),
        "last" => selected(&points[points.len() - 1]),
        "min" | "max" => {
            // Booleans too: min is the first false, max the first true.
            if !matches!(points[0].value, Value::Boolean(_)) {
                require_numeric(name, points)?;
            }
            let mut best = &points[0];
            for p in &points[1..] {
                let ord = compare(p.value, best.value);
                if (name == "min" && ord.is_lt()) || (name == "max" && ord.is_gt()) {
                    best = p;
                }
            }
            selected(best)
        }
        "percentile" => {
            require_numeric(name, points)?;
            let pct = args.n.unwrap_or(50.0);
            let i = ((points.len() as f64) * pct / 100.0 + 0.5).floor() as i64 - 1;
            if i < 0 || i as usize >= points.len() {
                return Ok(AggOut::Empty);
            }
            // Of equal values, the one influxd's unstable sort puts there.
            let mut sorted = influxd_input_order(points);
            go_sort(&mut sorted, |a, b| compare(a.value, b.value).is_lt());
            selected(sorted[i as usize])
        }
        "distinct" => {
            let mut seen: Vec<&Value> = Vec::new();
            let ordered: Box<dyn Iterator<Item = &Point>> = if args.descending {
                Box::new(points.iter().rev())
            } else {
                Box::new(points.iter())
            };
            for p in ordered {
                if !seen
                    .iter()
                    .any(|v| compare(v, p.value).is_eq() && same_type(v, p.value))
                {
                    seen.push(p.value);
                }
            }
            // In order of first appearance, as influxd emits them (of last
            // appearance when it reads newest first).
            if args.descending {
                seen.reverse();
            }
            AggOut::Many(
                seen.into_iter()
                    .map(|v| (points[0].time, v.clone(), points[0].row))
                    .collect(),
            )
        }
        "top" | "bottom" => {
            require_numeric(name, points)?;
            let n = args.n.unwrap_or(1.0).max(0.0) as usize;
            top_bottom(name == "top", points, n, args.tag_keys.as_deref())
        }
        "sample" => {
            let n = args.n.unwrap_or(1.0).max(0.0) as usize;
            AggOut::Many(sample(points, n))
        }
        other => return Err(ExecError::Query(format!("undefined function {other}()"))),
    })
}

/// The points in the order influxd's reducers receive them: by time, and
/// points of several series at the same time by descending series key
/// (`points` has them ascending).
fn influxd_input_order<'p, 'v>(points: &'p [Point<'v>]) -> Vec<&'p Point<'v>> {
    let mut out: Vec<&Point> = points.iter().collect();
    let mut start = 0;
    while start < out.len() {
        let mut end = start + 1;
        while end < out.len() && out[end].time == out[start].time {
            end += 1;
        }
        out[start..end].reverse();
        start = end;
    }
    out
}

/// influxd's `mode()`: booleans by count (ties go to `true`); other values
/// sorted by Go's unstable sort, then the most frequent, ties going to the
/// value whose first point in that order is earliest.
fn mode(points: &[Point]) -> Value {
    if let Value::Boolean(_) = points[0].value {
        let trues = points
            .iter()
            .filter(|p| matches!(p.value, Value::Boolean(true)))
            .count();
        return Value::Boolean(2 * trues >= points.len());
    }
    let mut sorted = influxd_input_order(points);
    go_sort(&mut sorted, |a, b| compare(a.value, b.value).is_lt());
    let (mut most_freq, mut curr_freq) = (0usize, 0usize);
    let mut curr_mode = sorted[0].value;
    let mut most_mode = sorted[0].value;
    let (mut most_time, mut curr_time) = (sorted[0].time, sorted[0].time);
    for p in &sorted {
        if !compare(p.value, curr_mode).is_eq() {
            curr_freq = 1;
            curr_mode = p.value;
            curr_time = p.time;
            continue;
        }
        curr_freq += 1;
        if most_freq > curr_freq || (most_freq == curr_freq && curr_time > most_time) {
            continue;
        }
        most_freq = curr_freq;
        most_mode = p.value;
        most_time = p.time;
    }
    most_mode.clone()
}

/// `integral()` with `GROUP BY time()` as influxd computes it: one pass over
/// the series' points (time, value), where a window that the next point
/// leaves ends with the area up to its end, the value there interpolated
/// linearly, and the next window starts from that interpolated point.
/// Returns (window start, area) per window that had points.
pub fn integral_windows(
    points: &[(i64, f64)],
    interval: i64,
    offset: i64,
    unit: i64,
) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    let Some(&first) = points.first() else {
        return out;
    };
    let unit = unit as f64;
    let mut prev = first;
    let mut start = crate::time::window_start(first.0, interval, offset);
    let mut end = start.saturating_add(interval);
    let mut sum = 0.0;
    for &(t, v) in &points[1..] {
        if t == prev.0 {
            prev = (t, v);
            continue;
        }
        if t >= end {
            if prev.0 != end {
                let slope = (v - prev.1) / (t - prev.0) as f64;
                let value = slope * (end - prev.0) as f64 + prev.1;
                let elapsed = (end - prev.0) as f64 / unit;
                sum += 0.5 * (value + prev.1) * elapsed;
                prev = (end, value);
            }
            out.push((start, sum));
            start = crate::time::window_start(t, interval, offset);
            end = start.saturating_add(interval);
            sum = 0.0;
        }
        let elapsed = (t - prev.0) as f64 / unit;
        sum += 0.5 * (v + prev.1) * elapsed;
        prev = (t, v);
    }
    out.push((start, sum));
    out
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn sum(points: &[Point]) -> AggOut {
    match points[0].value {
        Value::Integer(_) => one(Value::Integer(
            points
                .iter()
                .map(|p| {
                    if let Value::Integer(i) = p.value {
                        *i
                    } else {
                        0
                    }
                })
                .fold(0i64, i64::wrapping_add),
        )),
        Value::Unsigned(_) => one(Value::Unsigned(
            points
                .iter()
                .map(|p| {
                    if let Value::Unsigned(u) = p.value {
                        *u
                    } else {
                        0
                    }
                })
                .fold(0u64, u64::wrapping_add),
        )),
        _ => one(Value::Float(
            points.iter().filter_map(|p| as_f64(p.value)).sum(),
        )),
    }
}

/// Top or bottom `n` points; with tag keys, at most one point per distinct
/// key (the best of that key). Results are ordered by time.
fn top_bottom(top: bool, points: &[Point], n: usize, keys: Option<&[String]>) -> AggOut {
    let better = |a: &Point, b: &Point| {
        let ord = compare(a.value, b.value);
        let ord = if top { ord } else { ord.reverse() };
        ord.is_gt() || (ord.is_eq() && a.time < b.time)
    };
    let mut candidates: Vec<&Point> = match keys {
        Some(keys) => {
            let mut best: HashMap<&str, &Point> = HashMap::new();
            for p in points {
                let key = keys[p.row].as_str();
                match best.get(key) {
                    Some(b) if !better(p, b) => {}
                    _ => {
                        best.insert(key, p);
                    }
                }
            }
            best.into_values().collect()
        }
        None => points.iter().collect(),
    };
    candidates.sort_by(|a, b| {
        if better(a, b) {
            std::cmp::Ordering::Less
        } else if better(b, a) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    candidates.truncate(n);
    candidates.sort_by_key(|p| p.time);
    AggOut::Many(
        candidates
            .into_iter()
            .map(|p| (p.time, p.value.clone(), p.row))
            .collect(),
    )
}

/// A deterministic reservoir sample of `n` points, ordered by time.
fn sample(points: &[Point], n: usize) -> Vec<(i64, Value, usize)> {
    let mut chosen: Vec<&Point> = Vec::with_capacity(n);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for (i, p) in points.iter().enumerate() {
        if chosen.len() < n {
            chosen.push(p);
        } else {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = (state % (i as u64 + 1)) as usize;
            if j < n {
                chosen[j] = p;
            }
        }
    }
    chosen.sort_by_key(|p| p.time);
    chosen
        .into_iter()
        .map(|p| (p.time, p.value.clone(), p.row))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[Value]) -> Vec<Point<'_>> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                time: (i as i64 + 1) * 10,
                value: v,
                row: i,
            })
            .collect()
    }

    fn val(out: AggOut) -> Value {
        match out {
            AggOut::One { value, .. } => value,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mode_and_percentile_break_ties_as_influxd() {
        // Windows of load on server03 in the e2e data set, points in time
        // order; influxd 1.6.7 answered mode 15 and 13 (neither the smallest
        // nor the largest of the tied values).
        let ints = |v: &[i64]| v.iter().map(|i| Value::Integer(*i)).collect::<Vec<_>>();
        let a = ints(&[
            3, 22, 12, 6, 5, -1, 15, 24, 33, 15, 0, 13, 29, 29, 8, 33, 0, 5,
        ]);
        let none = AggArgs::default();
        assert_eq!(
            val(aggregate("mode", &pts(&a), &none).unwrap()),
            Value::Integer(15)
        );
        let b = ints(&[
            -3, 9, 22, 11, 27, 7, 23, 14, 12, 18, 1, 22, 40, 13, 36, 28, 8, 13, 12, 33, 14, 23, 36,
            12, 13, 0, 30, 16, 35, 36, 2, 10, 25, 7, 16,
        ]);
        assert_eq!(
            val(aggregate("mode", &pts(&b), &none).unwrap()),
            Value::Integer(13)
        );
        // percentile(load, 95) there: the 36 of the 23rd point.
        let p95 = AggArgs {
            n: Some(95.0),
            ..Default::default()
        };
        let out = aggregate("percentile", &pts(&b), &p95).unwrap();
        assert_eq!(
            out,
            AggOut::One {
                value: Value::Integer(36),
                point: Some((230, 22))
            }
        );
        // min/max of booleans: the first false, the first true.
        let flags = [true, false, true, false].map(Value::Boolean);
        assert_eq!(
            aggregate("min", &pts(&flags), &none).unwrap(),
            AggOut::One {
                value: Value::Boolean(false),
                point: Some((20, 1))
            }
        );
        assert_eq!(
            aggregate("max", &pts(&flags), &none).unwrap(),
            AggOut::One {
                value: Value::Boolean(true),
                point: Some((10, 0))
            }
        );
        // Booleans: ties go to true.
        let bools = [Value::Boolean(false), Value::Boolean(true)];
        assert_eq!(
            val(aggregate("mode", &pts(&bools), &none).unwrap()),
            Value::Boolean(true)
        );
    }

    #[test]
    fn integral_interpolates_at_window_edges() {
        // Points at 30 s, 50 s and 70 s with windows of 60 s: the first window
        // ends with the value interpolated at 60 s (3.5), the second starts there.
        let pts = [(30, 1.0), (50, 3.0), (70, 4.0)].map(|(t, v)| (t * 1_000_000_000, v));
        let w = integral_windows(&pts, 60_000_000_000, 0, 1_000_000_000);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].0, 0);
        assert!((w[0].1 - (40.0 + 32.5)).abs() < 1e-9, "{w:?}");
        assert_eq!(w[1].0, 60_000_000_000);
        assert!((w[1].1 - 37.5).abs() < 1e-9, "{w:?}");
    }

    #[test]
    fn distinct_keeps_first_appearance_order() {
        let v = [201, 503, 201, 200, 503, 404].map(Value::Integer);
        let AggOut::Many(rows) = aggregate("distinct", &pts(&v), &AggArgs::default()).unwrap()
        else {
            panic!()
        };
        let values: Vec<Value> = rows.into_iter().map(|r| r.1).collect();
        assert_eq!(values, [201, 503, 200, 404].map(Value::Integer));
        // ORDER BY time DESC: by last appearance.
        let desc = AggArgs {
            descending: true,
            ..Default::default()
        };
        let AggOut::Many(rows) = aggregate("distinct", &pts(&v), &desc).unwrap() else {
            panic!()
        };
        let values: Vec<Value> = rows.into_iter().map(|r| r.1).collect();
        assert_eq!(values, [201, 200, 503, 404].map(Value::Integer));
    }

    #[test]
    fn basic_aggregates_match_influxdb() {
        let v = [
            Value::Float(1.0),
            Value::Float(2.0),
            Value::Float(3.0),
            Value::Float(4.0),
        ];
        let p = pts(&v);
        let a = AggArgs::default();
        assert_eq!(val(aggregate("mean", &p, &a).unwrap()), Value::Float(2.5));
        assert_eq!(val(aggregate("median", &p, &a).unwrap()), Value::Float(2.5));
        assert_eq!(val(aggregate("mode", &p, &a).unwrap()), Value::Float(1.0));
        assert_eq!(val(aggregate("spread", &p, &a).unwrap()), Value::Float(3.0));
        let sd = val(aggregate("stddev", &p, &a).unwrap());
        assert_eq!(sd, Value::Float(1.2909944487358056));
        let pct = AggArgs {
            n: Some(50.0),
            ..Default::default()
        };
        assert_eq!(
            val(aggregate("percentile", &p, &pct).unwrap()),
            Value::Float(2.0)
        );
        let ints = [Value::Integer(10), Value::Integer(20)];
        assert_eq!(
            val(aggregate("sum", &pts(&ints), &a).unwrap()),
            Value::Integer(30)
        );
        assert_eq!(aggregate("count", &[], &a).unwrap(), AggOut::Empty);
    }

    #[test]
    fn top_orders_by_time() {
        let v = [
            Value::Float(1.0),
            Value::Float(2.0),
            Value::Float(3.0),
            Value::Float(4.0),
        ];
        let p = pts(&v);
        let out = aggregate(
            "top",
            &p,
            &AggArgs {
                n: Some(2.0),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            out,
            AggOut::Many(vec![(30, Value::Float(3.0), 2), (40, Value::Float(4.0), 3)])
        );
        let keys = vec!["a".to_string(), "b".into(), "a".into(), "a".into()];
        let out = aggregate(
            "top",
            &p,
            &AggArgs {
                n: Some(2.0),
                tag_keys: Some(keys),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            out,
            AggOut::Many(vec![(20, Value::Float(2.0), 1), (40, Value::Float(4.0), 3)])
        );
    }

    #[test]
    fn strings_are_rejected_by_numeric_aggregates() {
        let v = [Value::String("x".into())];
        let err = aggregate("mean", &pts(&v), &AggArgs::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported mean iterator type: *query.stringInterruptIterator"
        );
    }
}
