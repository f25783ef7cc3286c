//! Transformations applied along a series (raw points or window results):
//! derivatives, differences, running sums, moving averages, elapsed, and the
//! element-wise math functions. Outputs stay aligned with the input rows;
//! rows a transformation cannot produce are null.

use crate::result::Value;
use crate::value_ops::as_f64;
use crate::ExecError;

/// Whether `name` is a transformation that looks at previous rows.
pub fn is_sequence_transform(name: &str) -> bool {
    matches!(
        name,
        "derivative"
            | "non_negative_derivative"
            | "difference"
            | "non_negative_difference"
            | "cumulative_sum"
            | "moving_average"
            | "elapsed"
    )
}

/// Whether `name` is an element-wise math function.
pub fn is_math_function(name: &str) -> bool {
    matches!(
        name,
        "abs"
            | "acos"
            | "asin"
            | "atan"
            | "atan2"
            | "ceil"
            | "cos"
            | "exp"
            | "floor"
            | "ln"
            | "log"
            | "log2"
            | "log10"
            | "pow"
            | "round"
            | "sin"
            | "sqrt"
            | "tan"
    )
}

/// Applies a sequence transformation. `unit` is the derivative/elapsed unit
/// in ns and `n` the moving-average window.
pub fn sequence(
    name: &str,
    times: &[i64],
    values: &[Value],
    unit: i64,
    n: usize,
) -> Result<Vec<Value>, ExecError> {
    let mut out = vec![Value::Null; values.len()];
    let mut prev: Option<(i64, &Value)> = None;
    match name {
        "derivative" | "non_negative_derivative" => {
            for (i, v) in values.iter().enumerate() {
                let Some(x) = as_f64(v) else { continue };
                if let Some((pt, pv)) = prev {
                    // influxd divides by the elapsed time made positive, so
                    // under ORDER BY time DESC (newest first) the sign is
                    // the change towards the older point's value.
                    let dt = (times[i] - pt).abs();
                    if dt != 0 {
                        let d = (x - as_f64(pv).unwrap_or(0.0)) / dt as f64 * unit as f64;
                        if name == "derivative" || d >= 0.0 {
                            out[i] = Value::Float(d);
                        }
                    }
                }
                prev = Some((times[i], v));
            }
        }
        "difference" | "non_negative_difference" => {
            for (i, v) in values.iter().enumerate() {
                if as_f64(v).is_none() {
                    continue;
                }
                if let Some((_, pv)) = prev {
                    let d = match (v, pv) {
                        (Value::Integer(a), Value::Integer(b)) => {
                            Value::Integer(a.wrapping_sub(*b))
                        }
                        (Value::Unsigned(a), Value::Unsigned(b)) => {
                            Value::Unsigned(a.wrapping_sub(*b))
                        }
                        _ => Value::Float(as_f64(v).unwrap_or(0.0) - as_f64(pv).unwrap_or(0.0)),
                    };
                    let negative = as_f64(&d).is_some_and(|x| x < 0.0)
                        || matches!((v, pv), (Value::Unsigned(a), Value::Unsigned(b)) if a < b);
                    if name == "difference" || !negative {
                        out[i] = d;
                    }
                }
                prev = Some((times[i], v));
            }
        }
        "cumulative_sum" => {
            let mut acc: Option<Value> = None;
            for (i, v) in values.iter().enumerate() {
                if as_f64(v).is_none() {
                    continue;
                }
                let next = match (&acc, v) {
                    (None, v) => v.clone(),
                    (Some(Value::Integer(a)), Value::Integer(b)) => {
                        Value::Integer(a.wrapping_add(*b))
                    }
                    (Some(Value::Unsigned(a)), Value::Unsigned(b)) => {
                        Value::Unsigned(a.wrapping_add(*b))
                    }
                    (Some(a), v) => {
                        Value::Float(as_f64(a).unwrap_or(0.0) + as_f64(v).unwrap_or(0.0))
                    }
                };
                out[i] = next.clone();
                acc = Some(next);
            }
        }
        "moving_average" => {
            let n = n.max(1);
            let mut window: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
            for (i, v) in values.iter().enumerate() {
                let Some(x) = as_f64(v) else { continue };
                window.push_back(x);
                if window.len() > n {
                    window.pop_front();
                }
                if window.len() == n {
                    out[i] = Value::Float(window.iter().sum::<f64>() / n as f64);
                }
            }
        }
        "elapsed" => {
            for (i, v) in values.iter().enumerate() {
                if v.is_null() {
                    continue;
                }
                if let Some((pt, _)) = prev {
                    out[i] = Value::Integer((times[i] - pt) / unit.max(1));
                }
                prev = Some((times[i], v));
            }
        }
        other => return Err(ExecError::Query(format!("undefined function {other}()"))),
    }
    Ok(out)
}

/// Applies an element-wise math function to `args` (one or two columns).
pub fn math_function(name: &str, args: &[Vec<Value>]) -> Result<Vec<Value>, ExecError> {
    let want = if matches!(name, "atan2" | "pow" | "log") {
        2
    } else {
        1
    };
    if args.len() != want {
        return Err(ExecError::Query(format!(
            "invalid number of arguments for {name}, expected {want}, got {}",
            args.len()
        )));
    }
    let len = args[0].len();
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let v = &args[0][i];
        let r = match name {
            "abs" => match v {
                Value::Integer(x) => Value::Integer(x.wrapping_abs()),
                Value::Unsigned(x) => Value::Unsigned(*x),
                _ => float_op(v, f64::abs),
            },
            "ceil" | "floor" | "round" => match v {
                Value::Integer(_) | Value::Unsigned(_) => v.clone(),
                _ => float_op(
                    v,
                    match name {
                        "ceil" => f64::ceil,
                        "floor" => f64::floor,
                        _ => f64::round,
                    },
                ),
            },
            "acos" => float_op(v, f64::acos),
            "asin" => float_op(v, f64::asin),
            "atan" => float_op(v, f64::atan),
            "cos" => float_op(v, f64::cos),
            "sin" => float_op(v, f64::sin),
            "tan" => float_op(v, f64::tan),
            "exp" => float_op(v, f64::exp),
            "ln" => float_op(v, f64::ln),
            "log2" => float_op(v, f64::log2),
            "log10" => float_op(v, f64::log10),
            "sqrt" => float_op(v, f64::sqrt),
            "atan2" | "pow" | "log" => match (as_f64(v), as_f64(&args[1][i])) {
                (Some(a), Some(b)) => Value::Float(match name {
                    "atan2" => a.atan2(b),
                    "pow" => a.powf(b),
                    _ => a.ln() / b.ln(),
                }),
                _ => Value::Null,
            },
            other => return Err(ExecError::Query(format!("undefined function {other}()"))),
        };
        out.push(r);
    }
    Ok(out)
}

fn float_op(v: &Value, f: fn(f64) -> f64) -> Value {
    match as_f64(v) {
        Some(x) => {
            let r = f(x);
            if r.is_nan() {
                Value::Null
            } else {
                Value::Float(r)
            }
        }
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_influxdb_example() {
        let times = [10, 20, 30, 70].map(|s| s * 1_000_000_000);
        let values = [1.0, 2.0, 3.0, 4.0].map(Value::Float).to_vec();
        let d = sequence("derivative", &times, &values, 1_000_000_000, 0).unwrap();
        assert_eq!(
            d,
            vec![
                Value::Null,
                Value::Float(0.1),
                Value::Float(0.1),
                Value::Float(0.025)
            ]
        );
        // Newest first (ORDER BY time DESC), as influxd 1.6.7 answered:
        // 73.6 at 02:41:59 then 74.5 at 02:41:34 gives +0.036.
        let desc_times = [59, 34].map(|s| s * 1_000_000_000);
        let desc = [73.6, 74.5].map(Value::Float).to_vec();
        let d = sequence("derivative", &desc_times, &desc, 1_000_000_000, 0).unwrap();
        let Value::Float(v) = d[1] else { panic!() };
        assert!((v - 0.036).abs() < 1e-12, "{v}");
        let e = sequence("elapsed", &times, &values, 1, 0).unwrap();
        assert_eq!(e[3], Value::Integer(40_000_000_000));
        let c = sequence("cumulative_sum", &times, &values, 1, 0).unwrap();
        assert_eq!(c[3], Value::Float(10.0));
        let m = sequence("moving_average", &times, &values, 1, 2).unwrap();
        assert_eq!(
            m,
            vec![
                Value::Null,
                Value::Float(1.5),
                Value::Float(2.5),
                Value::Float(3.5)
            ]
        );
    }
}
