//! Time in InfluxQL: literals, `now()` arithmetic, and the time range a
//! `WHERE` clause selects.

use almanac_influxql::{BinaryOp, Expr};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};

use crate::ExecError;

/// Smallest time InfluxDB stores (`influxql.MinTime`).
pub const MIN_TIME: i64 = i64::MIN + 2;
/// Largest time InfluxDB stores (`influxql.MaxTime`).
pub const MAX_TIME: i64 = i64::MAX - 1;

/// An inclusive range of nanosecond timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// Lower bound (inclusive); [`MIN_TIME`] when unbounded.
    pub min: i64,
    /// Upper bound (inclusive); [`MAX_TIME`] when unbounded.
    pub max: i64,
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange {
            min: MIN_TIME,
            max: MAX_TIME,
        }
    }
}

impl TimeRange {
    /// Whether a lower bound was given.
    pub fn has_min(&self) -> bool {
        self.min != MIN_TIME
    }

    /// Whether an upper bound was given.
    pub fn has_max(&self) -> bool {
        self.max != MAX_TIME
    }

    /// Whether no timestamp can satisfy the range.
    pub fn is_empty(&self) -> bool {
        self.min > self.max
    }

    fn intersect(self, other: TimeRange) -> TimeRange {
        TimeRange {
            min: self.min.max(other.min),
            max: self.max.min(other.max),
        }
    }
}

/// Parses a time string literal as InfluxQL accepts it: RFC3339 (with or
/// without fractional seconds), `YYYY-MM-DD HH:MM:SS[.fff]` and `YYYY-MM-DD`;
/// strings without a zone are read in `tz` (UTC by default).
pub fn parse_time_literal(s: &str, tz: Option<chrono_tz::Tz>) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t.timestamp_nanos_opt();
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    match tz {
        Some(tz) => tz
            .from_local_datetime(&naive)
            .earliest()
            .and_then(|t| t.timestamp_nanos_opt()),
        None => naive.and_utc().timestamp_nanos_opt(),
    }
}

/// `'a' + 'b'` reduced as influxd does: one string literal, `'ab'`.
fn concatenated_string(expr: &Expr) -> Option<String> {
    match expr.unparen() {
        Expr::String(s) => Some(s.clone()),
        Expr::Binary {
            op: BinaryOp::Add,
            lhs,
            rhs,
        } => Some(concatenated_string(lhs)? + &concatenated_string(rhs)?),
        _ => None,
    }
}

/// Evaluates an expression compared with `time` to nanoseconds.
pub fn eval_time(expr: &Expr, now: i64, tz: Option<chrono_tz::Tz>) -> Result<i64, ExecError> {
    if let (Expr::Binary { .. }, Some(s)) = (expr.unparen(), concatenated_string(expr)) {
        return eval_time(&Expr::String(s), now, tz);
    }
    match expr.unparen() {
        Expr::String(s) => parse_time_literal(s, tz).ok_or_else(|| {
            ExecError::Query(
                "invalid operation: time and *influxql.StringLiteral are not compatible".into(),
            )
        }),
        Expr::Integer(i) => Ok(*i),
        Expr::Unsigned(u) => {
            i64::try_from(*u).map_err(|_| ExecError::Query(format!("time {u} overflows int64")))
        }
        Expr::Number(f) => Ok(*f as i64),
        Expr::Duration(d) => Ok(*d),
        e if e.is_now_call() => Ok(now),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
            let incompatible = |_| {
                ExecError::Query(
                    "invalid operation: time and *influxql.BinaryExpr are not compatible".into(),
                )
            };
            let l = eval_time(lhs, now, tz).map_err(incompatible)?;
            let r = eval_time(rhs, now, tz).map_err(incompatible)?;
            let v = if *op == BinaryOp::Add {
                l.checked_add(r)
            } else {
                l.checked_sub(r)
            };
            v.ok_or_else(|| ExecError::Query("time overflows int64".into()))
        }
        Expr::Binary { .. } => Err(ExecError::Query(
            "invalid operation: time and *influxql.BinaryExpr are not compatible".into(),
        )),
        other => Err(ExecError::Query(format!(
            "invalid time comparison: {other}"
        ))),
    }
}

fn refers_to_time(expr: &Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| found |= e.is_time_ref());
    found
}

/// Splits a `WHERE` clause into the time range of its top-level `AND`ed time
/// comparisons and the rest of the condition.
pub fn split_time_condition(
    cond: Option<&Expr>,
    now: i64,
    tz: Option<chrono_tz::Tz>,
) -> Result<(TimeRange, Option<Expr>), ExecError> {
    let Some(cond) = cond else {
        return Ok((TimeRange::default(), None));
    };
    split(cond, now, tz)
}

fn split(
    cond: &Expr,
    now: i64,
    tz: Option<chrono_tz::Tz>,
) -> Result<(TimeRange, Option<Expr>), ExecError> {
    match cond.unparen() {
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            let (lr, lc) = split(lhs, now, tz)?;
            let (rr, rc) = split(rhs, now, tz)?;
            let rest = match (lc, rc) {
                (Some(l), Some(r)) => Some(Expr::binary(BinaryOp::And, l, r)),
                (l, r) => l.or(r),
            };
            Ok((lr.intersect(rr), rest))
        }
        Expr::Binary { op, lhs, rhs }
            if op.is_comparison() && (lhs.is_time_ref() || rhs.is_time_ref()) =>
        {
            let (op, value) = if lhs.unparen().is_time_ref() {
                (*op, rhs.as_ref())
            } else {
                (flip(*op), lhs.as_ref())
            };
            let t = eval_time(value, now, tz)?;
            let mut range = TimeRange::default();
            match op {
                BinaryOp::Gt => range.min = t.saturating_add(1),
                BinaryOp::GtEq => range.min = t,
                BinaryOp::Lt => range.max = t.saturating_sub(1),
                BinaryOp::LtEq => range.max = t,
                BinaryOp::Eq => {
                    range.min = t;
                    range.max = t;
                }
                _ => {
                    return Err(ExecError::Query(format!(
                        "invalid time comparison operator: {}",
                        op.as_str()
                    )))
                }
            }
            Ok((range, None))
        }
        other if refers_to_time(other) => Err(ExecError::Query(
            "invalid time condition: time may only be compared in top-level AND conditions".into(),
        )),
        other => Ok((TimeRange::default(), Some(other.clone()))),
    }
}

/// The operator with its operands swapped (`a < b` ⇔ `b > a`).
pub fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

/// Start of the `GROUP BY time(interval, offset)` window holding `t`.
pub fn window_start(t: i64, interval: i64, offset: i64) -> i64 {
    let shifted = t.saturating_sub(offset);
    shifted
        .div_euclid(interval)
        .saturating_mul(interval)
        .saturating_add(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_added_together_are_one_string() {
        // influxd 1.6.7: time < '2020-01-01T00:00:00Z' + '10m' (also with the
        // '10m' bound from params) reduces to one string that is no time.
        let e = almanac_influxql::parse_expr("'2020-01-01T00:00:00Z' + '10m'").unwrap();
        assert_eq!(
            eval_time(&e, 0, None).unwrap_err().to_string(),
            "invalid operation: time and *influxql.StringLiteral are not compatible"
        );
        let e = almanac_influxql::parse_expr("'2020-01-01' + '' + '' ").unwrap();
        assert_eq!(eval_time(&e, 0, None).unwrap(), 1_577_836_800_000_000_000);
        let e = almanac_influxql::parse_expr("now() - '10m'").unwrap();
        assert_eq!(
            eval_time(&e, 0, None).unwrap_err().to_string(),
            "invalid operation: time and *influxql.BinaryExpr are not compatible"
        );
    }

    #[test]
    fn literals() {
        assert_eq!(
            parse_time_literal("1970-01-01T00:00:01Z", None),
            Some(1_000_000_000)
        );
        assert_eq!(
            parse_time_literal("1970-01-01 00:00:01.5", None),
            Some(1_500_000_000)
        );
        assert_eq!(
            parse_time_literal("1970-01-02", None),
            Some(86_400_000_000_000)
        );
        assert_eq!(parse_time_literal("yesterday", None), None);
    }

    #[test]
    fn windows_floor_towards_minus_infinity() {
        assert_eq!(window_start(25, 10, 0), 20);
        assert_eq!(window_start(-5, 10, 0), -10);
        assert_eq!(window_start(25, 10, 3), 23);
        assert_eq!(window_start(22, 10, 3), 13);
    }
}
