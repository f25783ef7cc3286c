//! Arithmetic and ordering on result values, with InfluxQL's promotion
//! rules: integer op integer stays integer (except `/`, which is float),
//! anything with a float is float, and any null or mismatched type is null.

use std::cmp::Ordering;

use almanac_influxql::BinaryOp;

use crate::result::Value;

/// The value as a float, when it is numeric.
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        Value::Unsigned(u) => Some(*u as f64),
        _ => None,
    }
}

/// Applies a math operator (`+ - * / % & | ^`).
pub fn math(op: BinaryOp, l: &Value, r: &Value) -> Value {
    use Value::*;
    match (l, r) {
        (Integer(a), Integer(b)) => int_math(op, *a, *b),
        (Unsigned(a), Unsigned(b)) => uint_math(op, *a, *b),
        (Unsigned(a), Integer(b)) | (Integer(b), Unsigned(a))
            if *b >= 0 && matches!(l, Unsigned(_)) =>
        {
            uint_math(op, *a, *b as u64)
        }
        (Boolean(a), Boolean(b)) => match op {
            BinaryOp::BitAnd => Boolean(a & b),
            BinaryOp::BitOr => Boolean(a | b),
            BinaryOp::BitXor => Boolean(a ^ b),
            _ => Null,
        },
        _ => match (as_f64(l), as_f64(r)) {
            (Some(a), Some(b)) => match op {
                BinaryOp::Add => Float(a + b),
                BinaryOp::Sub => Float(a - b),
                BinaryOp::Mul => Float(a * b),
                BinaryOp::Div => Float(if b == 0.0 { 0.0 } else { a / b }),
                BinaryOp::Mod => Float(if b == 0.0 { 0.0 } else { a % b }),
                _ => Null,
            },
            _ => Null,
        },
    }
}

fn int_math(op: BinaryOp, a: i64, b: i64) -> Value {
    match op {
        BinaryOp::Add => Value::Integer(a.wrapping_add(b)),
        BinaryOp::Sub => Value::Integer(a.wrapping_sub(b)),
        BinaryOp::Mul => Value::Integer(a.wrapping_mul(b)),
        BinaryOp::Div => Value::Float(if b == 0 { 0.0 } else { a as f64 / b as f64 }),
        BinaryOp::Mod => Value::Integer(if b == 0 { 0 } else { a.wrapping_rem(b) }),
        BinaryOp::BitAnd => Value::Integer(a & b),
        BinaryOp::BitOr => Value::Integer(a | b),
        BinaryOp::BitXor => Value::Integer(a ^ b),
        _ => Value::Null,
    }
}

fn uint_math(op: BinaryOp, a: u64, b: u64) -> Value {
    match op {
        BinaryOp::Add => Value::Unsigned(a.wrapping_add(b)),
        BinaryOp::Sub => Value::Unsigned(a.wrapping_sub(b)),
        BinaryOp::Mul => Value::Unsigned(a.wrapping_mul(b)),
        BinaryOp::Div => Value::Float(if b == 0 { 0.0 } else { a as f64 / b as f64 }),
        BinaryOp::Mod => Value::Unsigned(if b == 0 { 0 } else { a % b }),
        BinaryOp::BitAnd => Value::Unsigned(a & b),
        BinaryOp::BitOr => Value::Unsigned(a | b),
        BinaryOp::BitXor => Value::Unsigned(a ^ b),
        _ => Value::Null,
    }
}

/// Total order used by min/max/top/bottom/median/distinct: numbers by value,
/// then strings, then booleans (false < true).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    use Value::*;
    match (a, b) {
        (Integer(x), Integer(y)) => x.cmp(y),
        (Unsigned(x), Unsigned(y)) => x.cmp(y),
        (String(x), String(y)) => x.cmp(y),
        (Boolean(x), Boolean(y)) => x.cmp(y),
        _ => match (as_f64(a), as_f64(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Float(_) | Value::Integer(_) | Value::Unsigned(_) | Value::Time(_) => 1,
        Value::String(_) | Value::Strings(_) => 2,
        Value::Boolean(_) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion() {
        assert_eq!(
            math(BinaryOp::Add, &Value::Integer(1), &Value::Integer(2)),
            Value::Integer(3)
        );
        assert_eq!(
            math(BinaryOp::Div, &Value::Integer(1), &Value::Integer(2)),
            Value::Float(0.5)
        );
        assert_eq!(
            math(BinaryOp::Mul, &Value::Integer(2), &Value::Float(1.5)),
            Value::Float(3.0)
        );
        assert_eq!(
            math(BinaryOp::Add, &Value::Null, &Value::Float(1.5)),
            Value::Null
        );
        assert_eq!(
            math(
                BinaryOp::Add,
                &Value::String("a".into()),
                &Value::Integer(1)
            ),
            Value::Null
        );
    }
}
