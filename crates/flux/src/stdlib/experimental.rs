//! The `experimental` package essentials.

use super::{stream, PackageDef};
use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::table::{ColMeta, ColType, GroupKey, Table, TableBuilder};
use crate::value::{Args, Record, Value};

const PRELUDE: &str = r#"
count = (tables=<-) => tables |> _universe.count()
sum = (tables=<-) => tables |> _universe.sum()
mean = (tables=<-) => tables |> _universe.mean()
min = (tables=<-) => tables |> _universe.min()
max = (tables=<-) => tables |> _universe.max()
spread = (tables=<-) => tables |> _universe.spread()
stddev = (tables=<-, mode="sample") => tables |> _universe.stddev(mode: mode)
unique = (tables=<-) => tables |> _universe.unique()
distinct = (tables=<-) => tables |> _universe.distinct()
quantile = (tables=<-, q, method="estimate_tdigest", compression=1000.0) =>
    tables |> _universe.quantile(q: q, method: method, compression: compression)
alignTime = (tables=<-, alignTo=1970-01-01T00:00:00Z) =>
    tables |> map(fn: (r) => ({r with _time: time(v: int(v: r._time) - int(v: r._start) + int(v: alignTo))}))
"#;

fn when(it: &mut Interp, a: &mut Args, name: &str) -> Result<i64> {
    match a.req(name)? {
        Value::Time(t) => Ok(t),
        Value::Duration(d) => d.add_to(it.now()?),
        v => Err(super::type_error(&a.func, "time", &v)),
    }
}

fn set(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let Value::Record(o) = a.req("o")? else {
        return Err(Error::rt("experimental.set: o must be a record"));
    };
    let mut out = Vec::new();
    for t in &tables {
        let mut cols = t.to_columns();
        let mut key = t.key.clone();
        for (k, v) in &o.fields {
            let Some(typ) = ColType::of(v) else {
                return Err(Error::rt(format!(
                    "experimental.set: unsupported value type {}",
                    v.type_name()
                )));
            };
            let m = ColMeta {
                label: k.clone(),
                typ,
            };
            match cols.iter().position(|(c, _)| c.label == *k) {
                Some(i) => cols[i] = (m.clone(), vec![v.clone(); t.len()]),
                None => cols.push((m.clone(), vec![v.clone(); t.len()])),
            }
            if let Some(slot) = key.cols.iter_mut().find(|(c, _)| c.label == *k) {
                *slot = (m, v.clone());
            }
        }
        out.push(Table::from_columns(key, cols)?);
    }
    stream(out)
}

fn unpivot(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let other = a
        .opt_strings("otherColumns")?
        .unwrap_or_else(|| vec!["_time".into()]);
    let mut groups: Vec<(GroupKey, TableBuilder)> = Vec::new();
    for t in &tables {
        if t.cols
            .iter()
            .any(|c| (c.label == "_field" || c.label == "_value") && !other.contains(&c.label))
        {
            return Err(Error::rt(
                "unpivot can't have \"_field\" or \"_value\" as an input column",
            ));
        }
        for o in &other {
            if t.index(o).is_none() {
                return Err(Error::rt(format!(
                    "unpivot could not find column named {o:?}"
                )));
            }
        }
        for r in 0..t.len() {
            for (i, c) in t.cols.iter().enumerate() {
                if t.key.has(&c.label) || other.contains(&c.label) {
                    continue;
                }
                let v = t.value(i, r);
                if v.is_null() {
                    continue;
                }
                let mut key_cols = t.key.cols.clone();
                key_cols.push((
                    ColMeta {
                        label: "_field".into(),
                        typ: ColType::String,
                    },
                    Value::str(&c.label),
                ));
                let key = GroupKey::new(key_cols);
                let mut rec = Record::default();
                for (kc, kv) in &t.key.cols {
                    rec.set(&kc.label, kv.clone());
                }
                for o in &other {
                    if let Some(oi) = t.index(o) {
                        rec.set(o, t.value(oi, r));
                    }
                }
                rec.set("_field", Value::str(&c.label));
                rec.set("_value", v);
                let gi = match groups.iter().position(|(k, _)| *k == key) {
                    Some(g) => g,
                    None => {
                        groups.push((key.clone(), TableBuilder::new(key)));
                        groups.len() - 1
                    }
                };
                groups[gi].1.push_record(&rec)?;
            }
        }
    }
    stream(
        groups
            .into_iter()
            .map(|(_, b)| b.build())
            .collect::<Result<Vec<_>>>()?,
    )
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef {
        flux: Some(PRELUDE),
        ..Default::default()
    };
    p.f("addDuration", &["d", "to"], &["location"], None, |it, a| {
        let d = a
            .opt_duration("d")?
            .ok_or_else(|| Error::rt("addDuration: missing d"))?;
        let t = when(it, a, "to")?;
        Ok(Value::Time(d.add_to(t)?))
    });
    p.f(
        "subDuration",
        &["d", "from"],
        &["location"],
        None,
        |it, a| {
            let d = a
                .opt_duration("d")?
                .ok_or_else(|| Error::rt("subDuration: missing d"))?;
            let t = when(it, a, "from")?;
            Ok(Value::Time(d.negated().add_to(t)?))
        },
    );
    p.t("set", &["o"], &[], set);
    p.t("unpivot", &[], &["otherColumns"], unpivot);
    p.t("group", &["columns", "mode"], &[], group_extend);
    p.f("objectKeys", &["o"], &[], None, |_, a| {
        match a.req("o")? {
            Value::Record(r) => Ok(Value::Array(std::sync::Arc::new(
                r.fields.iter().map(|(k, _)| Value::str(k)).collect(),
            ))),
            v => Err(super::type_error(&a.func, "record", &v)),
        }
    });
    p
}

/// `experimental.group(mode: "extend")`: add columns to each table's key.
fn group_extend(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let columns = a.strings("columns")?;
    let mode = a.string("mode")?;
    if mode != "extend" {
        return Err(Error::rt(format!(
            "experimental.group: mode must be \"extend\", got {mode:?}"
        )));
    }
    // (key, columns) of each output table, merged when keys are equal
    type Columns = Vec<(ColMeta, Vec<Value>)>;
    let mut out: Vec<(GroupKey, Columns)> = Vec::new();
    for t in &tables {
        let idx: Vec<usize> = columns
            .iter()
            .map(|c| {
                t.index(c).ok_or_else(|| {
                    Error::rt(format!("experimental.group: column \"{c}\" does not exist"))
                })
            })
            .collect::<Result<_>>()?;
        let mut parts: Vec<(Vec<Value>, Vec<usize>)> = Vec::new();
        for r in 0..t.len() {
            let vals: Vec<Value> = idx.iter().map(|&c| t.value(c, r)).collect();
            match parts.iter_mut().find(|p| p.0 == vals) {
                Some(p) => p.1.push(r),
                None => parts.push((vals, vec![r])),
            }
        }
        for (vals, rows) in parts {
            let mut key = t.key.cols.clone();
            for (&c, v) in idx.iter().zip(vals) {
                key.push((t.cols[c].clone(), v));
            }
            let key = GroupKey::new(key);
            let part = t.take_rows(&rows)?.to_columns();
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, cols)) => {
                    let same =
                        cols.len() == part.len() && cols.iter().zip(&part).all(|(a, b)| a.0 == b.0);
                    if !same {
                        return Err(Error::rt(
                            "experimental.group: tables with the same key have different columns",
                        ));
                    }
                    for (dst, (_, src)) in cols.iter_mut().zip(part) {
                        dst.1.extend(src);
                    }
                }
                None => out.push((key, part)),
            }
        }
    }
    let tables = out
        .into_iter()
        .map(|(k, cols)| Table::from_columns(k, cols))
        .collect::<Result<Vec<_>>>()?;
    stream(tables)
}
