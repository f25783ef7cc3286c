//! The `math` package (basics).

use super::PackageDef;
use crate::error::{Error, Result};
use crate::value::{Args, Value};

fn x(a: &mut Args) -> Result<f64> {
    a.opt_float("x")?
        .ok_or_else(|| Error::rt(format!("{}: missing required argument x", a.func)))
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.consts.push(("pi", Value::Float(std::f64::consts::PI)));
    p.consts.push(("e", Value::Float(std::f64::consts::E)));
    p.consts.push(("maxfloat", Value::Float(f64::MAX)));
    p.consts
        .push(("smallestNonzeroFloat", Value::Float(f64::from_bits(1))));
    p.consts.push(("maxint", Value::Int(i64::MAX)));
    p.consts.push(("minint", Value::Int(i64::MIN)));
    p.consts.push(("maxuint", Value::UInt(u64::MAX)));
    macro_rules! unary {
        ($name:literal, $f:expr) => {
            p.f($name, &["x"], &[], None, |_, a| {
                let f: fn(f64) -> f64 = $f;
                Ok(Value::Float(f(x(a)?)))
            });
        };
    }
    unary!("sqrt", f64::sqrt);
    unary!("abs", f64::abs);
    unary!("floor", f64::floor);
    unary!("ceil", f64::ceil);
    unary!("round", f64::round);
    unary!("trunc", f64::trunc);
    unary!("exp", f64::exp);
    unary!("log", f64::ln);
    unary!("log10", f64::log10);
    unary!("log2", f64::log2);
    unary!("sin", f64::sin);
    unary!("cos", f64::cos);
    unary!("tan", f64::tan);
    unary!("cbrt", f64::cbrt);
    p.f("pow", &["x", "y"], &[], None, |_, a| {
        let y = a.opt_float("y")?.unwrap_or(0.0);
        Ok(Value::Float(x(a)?.powf(y)))
    });
    p.f("mod", &["x", "y"], &[], None, |_, a| {
        let y = a.opt_float("y")?.unwrap_or(0.0);
        Ok(Value::Float(x(a)? % y))
    });
    p.f("atan2", &["x", "y"], &[], None, |_, a| {
        let y = a.opt_float("y")?.unwrap_or(0.0);
        Ok(Value::Float(y.atan2(x(a)?)))
    });
    p.f("dim", &["x", "y"], &[], None, |_, a| {
        let y = a.opt_float("y")?.unwrap_or(0.0);
        let x = x(a)?;
        Ok(Value::Float(if x.is_nan() || y.is_nan() {
            f64::NAN
        } else {
            (x - y).max(0.0)
        }))
    });
    p.f("isNaN", &["f"], &[], None, |_, a| {
        Ok(Value::Bool(a.opt_float("f")?.is_some_and(f64::is_nan)))
    });
    p.f("isInf", &["f", "sign"], &[], None, |_, a| {
        let f = a.opt_float("f")?.unwrap_or(0.0);
        let s = a.opt_int("sign")?.unwrap_or(0);
        Ok(Value::Bool(
            (s >= 0 && f == f64::INFINITY) || (s <= 0 && f == f64::NEG_INFINITY),
        ))
    });
    p.f("NaN", &[], &[], None, |_, _| Ok(Value::Float(f64::NAN)));
    p.f("mInf", &["sign"], &[], None, |_, a| {
        let s = a.opt_int("sign")?.unwrap_or(0);
        Ok(Value::Float(if s >= 0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        }))
    });
    p.f("mMax", &["x", "y"], &[], None, |_, a| {
        let y = a.opt_float("y")?.unwrap_or(0.0);
        Ok(Value::Float(x(a)?.max(y)))
    });
    p.f("mMin", &["x", "y"], &[], None, |_, a| {
        let y = a.opt_float("y")?.unwrap_or(0.0);
        Ok(Value::Float(x(a)?.min(y)))
    });
    p
}
