//! The `array` package: tables from arrays of records, and array helpers.

use super::{stream, PackageDef};
use crate::error::{Error, Result};
use crate::table::{GroupKey, TableBuilder};
use crate::value::Value;
use std::sync::Arc;

fn arr(v: Value, func: &str) -> Result<Arc<Vec<Value>>> {
    match v {
        Value::Array(a) => Ok(a),
        v => Err(super::type_error(func, "array", &v)),
    }
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("from", &["rows"], &[], None, |_, a| {
        let rows = arr(a.req("rows")?, "array.from")?;
        let mut b = TableBuilder::new(GroupKey::default());
        for r in rows.iter() {
            match r {
                Value::Record(rec) => b.push_record(rec)?,
                v => return Err(super::type_error("array.from", "record", v)),
            }
        }
        stream(vec![b.build()?])
    });
    p.f("concat", &["v"], &[], Some("arr"), |_, a| {
        let mut x = (*arr(a.req("arr")?, "array.concat")?).clone();
        x.extend(arr(a.req("v")?, "array.concat")?.iter().cloned());
        Ok(Value::Array(Arc::new(x)))
    });
    p.f("map", &["fn"], &[], Some("arr"), |it, a| {
        let x = arr(a.req("arr")?, "array.map")?;
        let f = a.function("fn")?;
        let out = x
            .iter()
            .map(|v| it.call(&f, vec![("x".into(), v.clone())]))
            .collect::<Result<Vec<_>>>()?;
        Ok(Value::Array(Arc::new(out)))
    });
    p.f("filter", &["fn"], &[], Some("arr"), |it, a| {
        let x = arr(a.req("arr")?, "array.filter")?;
        let f = a.function("fn")?;
        let mut out = Vec::new();
        for v in x.iter() {
            match it.call(&f, vec![("x".into(), v.clone())])? {
                Value::Bool(true) => out.push(v.clone()),
                Value::Bool(false) | Value::Null => {}
                v => {
                    return Err(Error::rt(format!(
                        "array.filter: expected bool but found {}",
                        v.type_name()
                    )))
                }
            }
        }
        Ok(Value::Array(Arc::new(out)))
    });
    p
}
