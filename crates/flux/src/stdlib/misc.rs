//! Small packages: `dict`, `regexp`, `types`, `planner` (options only) and
//! `testing/expect`.

use super::PackageDef;
use crate::error::{Error, Result};
use crate::value::{Args, Value};
use std::sync::Arc;

fn dict_arg(a: &mut Args) -> Result<Arc<Vec<(Value, Value)>>> {
    match a.req("dict")? {
        Value::Dict(d) => Ok(d),
        v => Err(super::type_error(&a.func, "dict", &v)),
    }
}

/// `dict` package.
pub fn dict() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("fromList", &["pairs"], &[], None, |_, a| {
        let Value::Array(pairs) = a.req("pairs")? else {
            return Err(Error::rt("dict.fromList: pairs must be an array"));
        };
        let mut items: Vec<(Value, Value)> = Vec::new();
        for p in pairs.iter() {
            let Value::Record(r) = p else {
                return Err(Error::rt("dict.fromList: pairs must be records"));
            };
            let k = r.get("key").cloned().unwrap_or(Value::Null);
            let v = r.get("value").cloned().unwrap_or(Value::Null);
            match items.iter_mut().find(|(x, _)| *x == k) {
                Some(slot) => slot.1 = v,
                None => items.push((k, v)),
            }
        }
        items.sort_by(|a, b| a.0.sort_cmp(&b.0));
        Ok(Value::Dict(Arc::new(items)))
    });
    p.f("get", &["dict", "key", "default"], &[], None, |_, a| {
        let d = dict_arg(a)?;
        let k = a.req("key")?;
        let def = a.opt("default").unwrap_or(Value::Null);
        Ok(d.iter()
            .find(|(x, _)| *x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(def))
    });
    p.f("insert", &["dict", "key", "value"], &[], None, |_, a| {
        let mut d = (*dict_arg(a)?).clone();
        let k = a.req("key")?;
        let v = a.opt("value").unwrap_or(Value::Null);
        match d.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = v,
            None => d.push((k, v)),
        }
        d.sort_by(|a, b| a.0.sort_cmp(&b.0));
        Ok(Value::Dict(Arc::new(d)))
    });
    p.f("remove", &["dict", "key"], &[], None, |_, a| {
        let mut d = (*dict_arg(a)?).clone();
        let k = a.req("key")?;
        d.retain(|(x, _)| *x != k);
        Ok(Value::Dict(Arc::new(d)))
    });
    p
}

fn re_arg(a: &mut Args) -> Result<Arc<regex::Regex>> {
    match a.req("r")? {
        Value::Regex(r) => Ok(r),
        v => Err(super::type_error(&a.func, "regexp", &v)),
    }
}

/// `regexp` package.
pub fn regexp() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("compile", &["v"], &[], None, |_, a| {
        let s = a.string("v")?;
        regex::Regex::new(&s)
            .map(|r| Value::Regex(Arc::new(r)))
            .map_err(|e| Error::rt(format!("regexp.compile: {e}")))
    });
    p.f("quoteMeta", &["v"], &[], None, |_, a| {
        Ok(Value::str(regex::escape(&a.string("v")?)))
    });
    p.f("matchRegexpString", &["r", "v"], &[], None, |_, a| {
        let r = re_arg(a)?;
        Ok(Value::Bool(r.is_match(&a.string("v")?)))
    });
    p.f("findString", &["r", "v"], &[], None, |_, a| {
        let r = re_arg(a)?;
        let v = a.string("v")?;
        Ok(Value::str(r.find(&v).map(|m| m.as_str()).unwrap_or("")))
    });
    p.f("findStringIndex", &["r", "v"], &[], None, |_, a| {
        let r = re_arg(a)?;
        let v = a.string("v")?;
        let idx = r
            .find(&v)
            .map(|m| vec![Value::Int(m.start() as i64), Value::Int(m.end() as i64)])
            .unwrap_or_default();
        Ok(Value::Array(Arc::new(idx)))
    });
    p.f("replaceAllString", &["r", "v", "t"], &[], None, |_, a| {
        let r = re_arg(a)?;
        let v = a.string("v")?;
        let t = a.string("t")?;
        Ok(Value::str(r.replace_all(&v, t.as_str())))
    });
    p.f("splitRegexp", &["r", "v", "i"], &[], None, |_, a| {
        let r = re_arg(a)?;
        let v = a.string("v")?;
        let i = a.opt_int("i")?.unwrap_or(-1);
        let parts: Vec<Value> = if i < 0 {
            r.split(&v).map(Value::str).collect()
        } else {
            r.splitn(&v, i as usize).map(Value::str).collect()
        };
        Ok(Value::Array(Arc::new(parts)))
    });
    p.f("getString", &["r"], &[], None, |_, a| {
        Ok(Value::str(re_arg(a)?.as_str()))
    });
    p
}

/// `types` package.
pub fn types() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("isType", &["v", "type"], &[], None, |_, a| {
        let t = a.string("type")?;
        let v = a.opt("v").unwrap_or(Value::Null);
        Ok(Value::Bool(v.type_name() == t))
    });
    p.f("isNumeric", &["v"], &[], None, |_, a| {
        let v = a.opt("v").unwrap_or(Value::Null);
        Ok(Value::Bool(matches!(
            v,
            Value::Int(_) | Value::UInt(_) | Value::Float(_)
        )))
    });
    p
}

/// `planner` package: optimizer options. This interpreter has no rule-based
/// planner, so disabling rules has nothing to act on.
pub fn planner() -> PackageDef {
    let mut p = PackageDef::default();
    p.consts
        .push(("disablePhysicalRules", Value::Array(Arc::new(vec![]))));
    p.consts
        .push(("disableLogicalRules", Value::Array(Arc::new(vec![]))));
    p
}

/// `testing/expect` package: assertions about the planner.
pub fn expect() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("planner", &["rules"], &[], None, |_, _| {
        Err(Error::unsupported(
            "testing/expect.planner (no rule-based planner)",
        ))
    });
    p
}

fn int2(a: &mut Args) -> Result<(i64, i64)> {
    match (a.req("a")?, a.req("b")?) {
        (Value::Int(x), Value::Int(y)) => Ok((x, y)),
        (x, y) => Err(Error::rt(format!(
            "{}: expected int but found {} and {}",
            a.func,
            x.type_name(),
            y.type_name()
        ))),
    }
}

fn uint2(a: &mut Args) -> Result<(u64, u64)> {
    match (a.req("a")?, a.req("b")?) {
        (Value::UInt(x), Value::UInt(y)) => Ok((x, y)),
        (x, y) => Err(Error::rt(format!(
            "{}: expected uint but found {} and {}",
            a.func,
            x.type_name(),
            y.type_name()
        ))),
    }
}

/// `bitwise` package (also served as `experimental/bitwise`).
pub fn bitwise() -> PackageDef {
    let mut p = PackageDef::default();
    macro_rules! s2 {
        ($name:literal, $f:expr) => {
            p.f($name, &["a", "b"], &[], None, |_, a| {
                let (x, y) = int2(a)?;
                let f: fn(i64, i64) -> i64 = $f;
                Ok(Value::Int(f(x, y)))
            });
        };
    }
    macro_rules! u2 {
        ($name:literal, $f:expr) => {
            p.f($name, &["a", "b"], &[], None, |_, a| {
                let (x, y) = uint2(a)?;
                let f: fn(u64, u64) -> u64 = $f;
                Ok(Value::UInt(f(x, y)))
            });
        };
    }
    s2!("sand", |x, y| x & y);
    s2!("sor", |x, y| x | y);
    s2!("sxor", |x, y| x ^ y);
    s2!("sclear", |x, y| x & !y);
    s2!("slshift", |x, y| if (0..64).contains(&y) {
        x.wrapping_shl(y as u32)
    } else {
        0
    });
    s2!("srshift", |x, y| if (0..64).contains(&y) {
        x.wrapping_shr(y as u32)
    } else if x < 0 {
        -1
    } else {
        0
    });
    u2!("uand", |x, y| x & y);
    u2!("uor", |x, y| x | y);
    u2!("uxor", |x, y| x ^ y);
    u2!("uclear", |x, y| x & !y);
    u2!("ulshift", |x, y| if y < 64 { x << y } else { 0 });
    u2!("urshift", |x, y| if y < 64 { x >> y } else { 0 });
    p.f("snot", &["a"], &[], None, |_, a| match a.req("a")? {
        Value::Int(x) => Ok(Value::Int(!x)),
        v => Err(super::type_error("bitwise.snot", "int", &v)),
    });
    p.f("unot", &["a"], &[], None, |_, a| match a.req("a")? {
        Value::UInt(x) => Ok(Value::UInt(!x)),
        v => Err(super::type_error("bitwise.unot", "uint", &v)),
    });
    p
}
