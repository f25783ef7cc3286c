//! The `testing` package: `diff`, `assertEquals`, `assertEqualValues`,
//! `shouldError`, `load`.

use super::{stream, PackageDef};
use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::table::{ColType, GroupKey, Table, TableBuilder};
use crate::value::{Args, Record, Value};
use arrow::array::Array;
use std::sync::Arc;

fn stream_arg(a: &mut Args, name: &str) -> Result<Vec<Table>> {
    match a.req(name)? {
        Value::Stream(s) => s.tables(),
        v => Err(super::type_error(&a.func, "stream", &v)),
    }
}

fn values_equal(a: &Value, b: &Value, epsilon: f64, nans_equal: bool) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            if x.is_nan() || y.is_nan() {
                return nans_equal && x.is_nan() && y.is_nan();
            }
            x == y || (x - y).abs() <= epsilon || (x - y).abs() <= epsilon * x.abs().max(y.abs())
        }
        _ => a == b,
    }
}

/// Differences between two streams; empty when they are equal.
pub fn diff_tables(
    want: &[Table],
    got: &[Table],
    epsilon: f64,
    nans_equal: bool,
) -> Result<Vec<Table>> {
    let mut keys: Vec<GroupKey> = Vec::new();
    for t in want.iter().chain(got.iter()) {
        if !keys.contains(&t.key) {
            keys.push(t.key.clone());
        }
    }
    let mut out = Vec::new();
    for key in keys {
        let w: Vec<&Table> = want.iter().filter(|t| t.key == key).collect();
        let g: Vec<&Table> = got.iter().filter(|t| t.key == key).collect();
        let rows = |ts: &[&Table]| -> Vec<Record> {
            ts.iter()
                .flat_map(|t| (0..t.len()).map(|r| t.row(r)))
                .collect()
        };
        let schema = |ts: &[&Table]| -> Vec<(String, ColType)> {
            // a column holding only nulls is the same as a missing column
            let mut s: Vec<(String, ColType)> = ts
                .iter()
                .flat_map(|t| {
                    t.cols
                        .iter()
                        .enumerate()
                        .filter(move |(i, _)| {
                            t.is_empty() || t.batch.column(*i).null_count() < t.len()
                        })
                        .map(|(_, c)| (c.label.clone(), c.typ))
                })
                .collect();
            s.sort_by(|a, b| a.0.cmp(&b.0));
            s.dedup();
            s
        };
        let (wr, gr) = (rows(&w), rows(&g));
        let (ws, gs) = (schema(&w), schema(&g));
        let mut diff: Vec<(bool, Record)> = Vec::new();
        let schema_ok = ws == gs || wr.is_empty() && gr.is_empty();
        if !schema_ok {
            diff.extend(wr.iter().map(|r| (false, r.clone())));
            diff.extend(gr.iter().map(|r| (true, r.clone())));
            if wr.is_empty() && gr.is_empty() {
                continue;
            }
        } else {
            let n = wr.len().max(gr.len());
            for i in 0..n {
                match (wr.get(i), gr.get(i)) {
                    (Some(a), Some(b)) => {
                        let same = ws.iter().all(|(l, _)| {
                            values_equal(
                                a.get(l).unwrap_or(&Value::Null),
                                b.get(l).unwrap_or(&Value::Null),
                                epsilon,
                                nans_equal,
                            )
                        });
                        if !same {
                            diff.push((false, a.clone()));
                            diff.push((true, b.clone()));
                        }
                    }
                    (Some(a), None) => diff.push((false, a.clone())),
                    (None, Some(b)) => diff.push((true, b.clone())),
                    (None, None) => {}
                }
            }
        }
        if diff.is_empty() {
            continue;
        }
        let mut b = TableBuilder::new(key.clone());
        b.add_column("_diff", Some(ColType::String));
        for (l, t) in ws.iter().chain(gs.iter()) {
            b.add_column(l, Some(*t));
        }
        for (plus, r) in diff {
            let mut rec = Record {
                fields: vec![("_diff".into(), Value::str(if plus { "+" } else { "-" }))],
            };
            for (l, v) in r.fields {
                // schemas may differ: a mismatching type is shown as a string
                let keep = ws
                    .iter()
                    .chain(gs.iter())
                    .any(|(x, t)| *x == l && ColType::of(&v).is_none_or(|vt| vt == *t));
                rec.fields.push((l, if keep { v } else { Value::Null }));
            }
            b.push_record(&rec)?;
        }
        out.push(b.build()?);
    }
    Ok(out)
}

fn diff(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let got = stream_arg(a, "got")?;
    let want = stream_arg(a, "want")?;
    let epsilon = a.opt_float("epsilon")?.unwrap_or(1e-6);
    let nans = a.opt_bool("nansEqual")?.unwrap_or(false);
    let _ = a.opt_bool("verbose")?;
    stream(diff_tables(&want, &got, epsilon, nans)?)
}

fn single(v: Value) -> Result<Vec<Table>> {
    let mut b = TableBuilder::new(GroupKey::default());
    if ColType::of(&v).is_none() && !v.is_null() {
        return Err(Error::rt(format!(
            "assertEqualValues: cannot compare values of type {}",
            v.type_name()
        )));
    }
    b.push_record(&Record {
        fields: vec![("v".into(), v)],
    })?;
    Ok(vec![b.build()?])
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.f(
        "diff",
        &["want"],
        &["got", "epsilon", "nansEqual", "verbose"],
        Some("got"),
        diff,
    );
    p.f(
        "assertEquals",
        &["name", "want"],
        &["got"],
        Some("got"),
        |_, a| {
            let name = a.string("name")?;
            let got = stream_arg(a, "got")?;
            let want = stream_arg(a, "want")?;
            if !diff_tables(&want, &got, 1e-6, false)?.is_empty() {
                return Err(Error::rt(format!("test {name}: unequal streams")));
            }
            stream(got)
        },
    );
    p.f("assertEmpty", &[], &[], Some("tables"), |_, a| {
        let t = a.tables()?;
        if t.iter().any(|t| !t.is_empty()) {
            return Err(Error::rt("found 1 or more nonempty tables"));
        }
        stream(t)
    });
    p.f("assertEqualValues", &["want", "got"], &[], None, |_, a| {
        let want = a.opt("want").unwrap_or(Value::Null);
        let got = a.opt("got").unwrap_or(Value::Null);
        if matches!(want, Value::Array(_) | Value::Record(_) | Value::Dict(_)) {
            return if want == got {
                stream(vec![])
            } else {
                Err(Error::rt(format!(
                    "values are not equal: want {want}, got {got}"
                )))
            };
        }
        stream(diff_tables(&single(want)?, &single(got)?, 1e-6, false)?)
    });
    p.f("shouldError", &["fn", "want"], &[], None, |it, a| {
        let f = a.function("fn")?;
        let want = a.req("want")?;
        match it.call(&f, vec![]) {
            Ok(_) => Err(Error::rt("shouldError: expected an error, got none")),
            Err(e) => {
                let msg = e.to_string();
                let ok = match &want {
                    Value::Regex(r) => r.is_match(&msg),
                    Value::String(s) => msg == **s,
                    v => return Err(super::type_error("shouldError", "regexp", v)),
                };
                if ok {
                    stream(vec![])
                } else {
                    Err(Error::rt(format!(
                        "shouldError: wrong error message {msg:?}"
                    )))
                }
            }
        }
    });
    p.t("load", &[], &[], |_, a| {
        Ok(Value::Stream(Arc::new(crate::value::Stream::Tables(
            a.tables()?,
        ))))
    });
    p
}
