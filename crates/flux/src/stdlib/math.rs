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
    unary!("roundtoeven", f64::round_ties_even);
    unary!("exp2", f64::exp2);
    unary!("expm1", f64::exp_m1);
    unary!("log1p", f64::ln_1p);
    unary!("asin", f64::asin);
    unary!("acos", f64::acos);
    unary!("atan", f64::atan);
    unary!("sinh", f64::sinh);
    unary!("cosh", f64::cosh);
    unary!("tanh", f64::tanh);
    unary!("asinh", f64::asinh);
    unary!("acosh", f64::acosh);
    unary!("atanh", f64::atanh);
    p.f("signbit", &["x"], &[], None, |_, a| {
        Ok(Value::Bool(x(a)?.is_sign_negative()))
    });
    p.f("copysign", &["x", "y"], &[], None, |_, a| {
        let y = a.opt_float("y")?.unwrap_or(0.0);
        Ok(Value::Float(x(a)?.copysign(y)))
    });
    p.f("remainder", &["x", "y"], &[], None, |_, a| {
        // IEEE 754 remainder: x - n*y with n = x/y rounded half to even
        let y = a.opt_float("y")?.unwrap_or(0.0);
        let x = x(a)?;
        Ok(Value::Float(x - y * (x / y).round_ties_even()))
    });
    p.f("hypot", &["p", "q"], &[], None, |_, a| {
        let p = a.opt_float("p")?.unwrap_or(0.0);
        let q = a.opt_float("q")?.unwrap_or(0.0);
        Ok(Value::Float(p.hypot(q)))
    });
    p.f("float64bits", &["f"], &[], None, |_, a| {
        Ok(Value::UInt(a.opt_float("f")?.unwrap_or(0.0).to_bits()))
    });
    p.f("float64frombits", &["b"], &[], None, |_, a| {
        match a.req("b")? {
            Value::UInt(b) => Ok(Value::Float(f64::from_bits(b))),
            v => Err(super::type_error(&a.func, "uint", &v)),
        }
    });
    p.f("ldexp", &["frac", "exp"], &[], None, |_, a| {
        let frac = a.opt_float("frac")?.unwrap_or(0.0);
        let e = a.opt_int("exp")?.unwrap_or(0);
        let e = e.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        Ok(Value::Float(frac * 2f64.powi(e)))
    });
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
