//! `to()` and `buckets()` (universe members that are also in the
//! `influxdata/influxdb` package): writing tables back into a bucket and listing
//! buckets, both through the [`crate::FluxSource`].

use super::{stream, PackageDef};
use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::source::WritePoint;
use crate::table::{ColMeta, ColType, GroupKey, Table};
use crate::value::{Args, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Register `to` and `buckets` in a package.
pub fn register(p: &mut PackageDef) {
    p.t(
        "to",
        &[],
        &[
            "bucket",
            "bucketID",
            "org",
            "orgID",
            "host",
            "token",
            "timeColumn",
            "measurementColumn",
            "tagColumns",
            "fieldFn",
        ],
        to,
    );
    p.f(
        "buckets",
        &[],
        &["org", "orgID", "host", "token"],
        None,
        buckets,
    );
}

/// The `influxdata/influxdb` package: `from`, `to`, `buckets`.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.f(
        "from",
        &["bucket"],
        &["bucketID", "host", "org", "orgID", "token"],
        None,
        super::universe::from,
    );
    register(&mut p);
    p
}

fn bucket_name(it: &mut Interp, a: &mut Args) -> Result<String> {
    if a.opt("host").is_some() {
        return Err(Error::unsupported(
            "to(host:): writing to a remote InfluxDB",
        ));
    }
    let _ = (a.opt("org"), a.opt("orgID"), a.opt("token"));
    match (a.opt_string("bucket")?, a.opt_string("bucketID")?) {
        (Some(b), None) => Ok(b),
        (None, Some(id)) => it
            .source
            .buckets()?
            .into_iter()
            .find(|b| b.id == id)
            .map(|b| b.name)
            .ok_or_else(|| Error::Source(format!("bucket with id {id:?} not found"))),
        (Some(_), Some(_)) => Err(Error::rt(
            "to: cannot provide both `bucket` and `bucketID` parameters",
        )),
        (None, None) => Err(Error::rt(
            "to: you must specify either `bucket` or `bucketID`",
        )),
    }
}

fn field_value(v: &Value, label: &str) -> Result<Option<Value>> {
    Ok(match v {
        Value::Null => None,
        Value::Float(_) | Value::Int(_) | Value::UInt(_) | Value::String(_) | Value::Bool(_) => {
            Some(v.clone())
        }
        v => {
            return Err(Error::rt(format!(
                "to: unsupported field type {} for field {label:?}",
                v.type_name()
            )))
        }
    })
}

fn to(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let bucket = bucket_name(it, a)?;
    let time_col = a
        .opt_string("timeColumn")?
        .unwrap_or_else(|| "_time".into());
    let m_col = a
        .opt_string("measurementColumn")?
        .unwrap_or_else(|| "_measurement".into());
    let tag_cols = a.opt_strings("tagColumns")?;
    let field_fn = match a.opt("fieldFn") {
        Some(f @ Value::Function(_)) => Some(f),
        Some(v) => return Err(super::type_error("to: fieldFn", "function", &v)),
        None => None,
    };
    let mut points = Vec::new();
    for t in &tables {
        let Some(tc) = t.index(&time_col) else {
            return Err(Error::rt(format!(
                "to: no column with label {time_col} exists"
            )));
        };
        let Some(mc) = t.index(&m_col) else {
            return Err(Error::rt(format!(
                "to: no column with label {m_col} exists"
            )));
        };
        let (fc, vc) = (t.index("_field"), t.index("_value"));
        if field_fn.is_none() && (fc.is_none() || vc.is_none()) {
            return Err(Error::rt(
                "to: input table is missing the _field or _value column (use fieldFn)",
            ));
        }
        for r in 0..t.len() {
            let Value::Time(time) = t.value(tc, r) else {
                continue; // rows without a time are not written
            };
            let measurement = match t.value(mc, r) {
                Value::String(s) => s.to_string(),
                v => {
                    return Err(Error::rt(format!(
                        "to: measurement column {m_col:?} must be a non-null string, found {}",
                        v.type_name()
                    )))
                }
            };
            let mut fields = Vec::new();
            match &field_fn {
                Some(f) => {
                    let rec = it.call(f, vec![("r".into(), Value::Record(Arc::new(t.row(r))))])?;
                    let Value::Record(rec) = rec else {
                        return Err(Error::rt("to: fieldFn must return a record"));
                    };
                    for (k, v) in &rec.fields {
                        if let Some(v) = field_value(v, k)? {
                            fields.push((k.clone(), v));
                        }
                    }
                }
                None => {
                    if let (Some(fc), Some(vc)) = (fc, vc) {
                        if let Value::String(name) = t.value(fc, r) {
                            if let Some(v) = field_value(&t.value(vc, r), &name)? {
                                fields.push((name.to_string(), v));
                            }
                        }
                    }
                }
            }
            if fields.is_empty() {
                continue;
            }
            let mut tags = BTreeMap::new();
            for (i, c) in t.cols.iter().enumerate() {
                let is_tag = match &tag_cols {
                    Some(list) => list.contains(&c.label),
                    None => {
                        c.typ == ColType::String
                            && c.label != m_col
                            && c.label != time_col
                            && (field_fn.is_some() || (c.label != "_field" && c.label != "_value"))
                            && !fields.iter().any(|(k, _)| *k == c.label)
                    }
                };
                if !is_tag {
                    continue;
                }
                match t.value(i, r) {
                    Value::String(s) if !s.is_empty() => {
                        tags.insert(c.label.clone(), s.to_string());
                    }
                    Value::Null | Value::String(_) => {}
                    v => {
                        return Err(Error::rt(format!(
                            "to: tag column {:?} must be a string, found {}",
                            c.label,
                            v.type_name()
                        )))
                    }
                }
            }
            points.push(WritePoint {
                measurement,
                tags,
                fields,
                time,
            });
        }
    }
    if !points.is_empty() {
        it.source.write(&bucket, &points)?;
    }
    stream(tables)
}

fn buckets(it: &mut Interp, a: &mut Args) -> Result<Value> {
    if a.opt("host").is_some() {
        return Err(Error::unsupported("buckets(host:): a remote InfluxDB"));
    }
    let list = it.source.buckets()?;
    let meta = |l: &str, typ| ColMeta {
        label: l.to_string(),
        typ,
    };
    let s = |f: &dyn Fn(&crate::source::BucketInfo) -> &str| -> Vec<Value> {
        list.iter().map(|b| Value::str(f(b))).collect()
    };
    let cols = vec![
        (meta("name", ColType::String), s(&|b| &b.name)),
        (meta("id", ColType::String), s(&|b| &b.id)),
        (meta("organizationID", ColType::String), s(&|b| &b.org_id)),
        (
            meta("retentionPolicy", ColType::String),
            s(&|b| &b.retention_policy),
        ),
        (
            meta("retentionPeriod", ColType::Int),
            list.iter()
                .map(|b| Value::Int(b.retention_period))
                .collect(),
        ),
    ];
    stream(vec![Table::from_columns(GroupKey::default(), cols)?])
}
