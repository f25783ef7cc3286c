//! Extracting the time range a query's filters allow, for pruning.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};

/// The inclusive `[min, max]` time range (ns) that every row passing all of
/// `filters` must fall in; `(i64::MIN, i64::MAX)` when unconstrained.
pub fn time_bounds(filters: &[Expr], time_column: &str) -> (i64, i64) {
    let mut bounds = (i64::MIN, i64::MAX);
    for filter in filters {
        narrow(filter, time_column, &mut bounds);
    }
    bounds
}

/// Whether `expr` is a comparison of the time column with a constant
/// (something [`time_bounds`] can use).
pub fn is_time_filter(expr: &Expr, time_column: &str) -> bool {
    let mut bounds = (i64::MIN, i64::MAX);
    narrow(expr, time_column, &mut bounds);
    bounds != (i64::MIN, i64::MAX)
}

fn narrow(expr: &Expr, time_column: &str, bounds: &mut (i64, i64)) {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            if *op == Operator::And {
                narrow(left, time_column, bounds);
                narrow(right, time_column, bounds);
                return;
            }
            let (op, value) = match (is_time(left, time_column), is_time(right, time_column)) {
                (true, false) => match literal_ns(right) {
                    Some(v) => (*op, v),
                    None => return,
                },
                (false, true) => match (literal_ns(left), op.swap()) {
                    (Some(v), Some(op)) => (op, v),
                    _ => return,
                },
                _ => return,
            };
            match op {
                Operator::Gt => bounds.0 = bounds.0.max(value.saturating_add(1)),
                Operator::GtEq => bounds.0 = bounds.0.max(value),
                Operator::Lt => bounds.1 = bounds.1.min(value.saturating_sub(1)),
                Operator::LtEq => bounds.1 = bounds.1.min(value),
                Operator::Eq => {
                    bounds.0 = bounds.0.max(value);
                    bounds.1 = bounds.1.min(value);
                }
                _ => {}
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) if is_time(expr, time_column) => {
            if let Some(lo) = literal_ns(low) {
                bounds.0 = bounds.0.max(lo);
            }
            if let Some(hi) = literal_ns(high) {
                bounds.1 = bounds.1.min(hi);
            }
        }
        _ => {}
    }
}

fn is_time(expr: &Expr, time_column: &str) -> bool {
    match expr {
        Expr::Column(c) => c.name == time_column,
        Expr::Cast(c) => is_time(&c.expr, time_column),
        _ => false,
    }
}

fn literal_ns(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(value, _) => match value {
            ScalarValue::TimestampNanosecond(Some(v), _) => Some(*v),
            ScalarValue::TimestampMicrosecond(Some(v), _) => v.checked_mul(1_000),
            ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1_000_000),
            ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000_000),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    fn ts(v: i64) -> Expr {
        lit(ScalarValue::TimestampNanosecond(Some(v), None))
    }

    #[test]
    fn conjunctions_and_flipped_comparisons_narrow_the_range() {
        let f = col("time").gt_eq(ts(10)).and(ts(20).gt(col("time")));
        assert_eq!(time_bounds(&[f], "time"), (10, 19));
        let g = col("time").between(ts(5), ts(7));
        assert_eq!(time_bounds(&[g], "time"), (5, 7));
        let other = col("host").eq(lit("a"));
        assert_eq!(time_bounds(&[other.clone()], "time"), (i64::MIN, i64::MAX));
        assert!(!is_time_filter(&other, "time"));
        let or = col("time").gt(ts(1)).or(col("time").lt(ts(0)));
        assert_eq!(time_bounds(&[or], "time"), (i64::MIN, i64::MAX));
    }
}
