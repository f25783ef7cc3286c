//! The `join` package: `join.tables` and its `inner`/`left`/`right`/`full`/`time`
//! shorthands. Tables are paired by group key, rows by the `on` predicate, and
//! output rows are built by the `as` function (the missing side of an outer
//! join is an empty record).

use super::{stream, PackageDef};
use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::table::{ColMeta, ColType, GroupKey, Table, TableBuilder};
use crate::value::{Args, Record, Value};
use std::sync::Arc;

fn side(a: &mut Args, name: &str) -> Result<Vec<Table>> {
    match a.req(name)? {
        Value::Stream(s) => s.tables(),
        v => Err(super::type_error(&a.func, "stream", &v)),
    }
}

fn rec(t: &Table, r: usize) -> Value {
    Value::Record(Arc::new(t.row(r)))
}

fn run(it: &mut Interp, a: &mut Args, method: Option<&str>, time_only: bool) -> Result<Value> {
    let left = side(a, "left")?;
    let right = side(a, "right")?;
    let as_fn = a.function("as")?;
    let on = if time_only {
        None
    } else {
        Some(a.function("on")?)
    };
    let method = match method {
        Some(m) => m.to_string(),
        None => a.opt_string("method")?.unwrap_or_else(|| "inner".into()),
    };
    if !["inner", "left", "right", "full"].contains(&method.as_str()) {
        return Err(Error::rt(format!("join: invalid method {method:?}")));
    }
    let keep_left = method == "left" || method == "full";
    let keep_right = method == "right" || method == "full";
    let empty = Value::record(vec![]);
    let mut rows: Vec<(GroupKey, Record)> = Vec::new();
    let mut emit = |it: &mut Interp, key: &GroupKey, l: Value, r: Value| -> Result<()> {
        match it.call(&as_fn, vec![("l".into(), l), ("r".into(), r)])? {
            Value::Record(out) => {
                let k = GroupKey::new(
                    key.cols
                        .iter()
                        .filter_map(|(c, _)| {
                            let v = out.get(&c.label)?.clone();
                            let typ = ColType::of(&v).unwrap_or(c.typ);
                            Some((
                                ColMeta {
                                    label: c.label.clone(),
                                    typ,
                                },
                                v,
                            ))
                        })
                        .collect(),
                );
                rows.push((k, (*out).clone()));
                Ok(())
            }
            v => Err(super::type_error("join", "record", &v)),
        }
    };
    let mut right_used = vec![false; right.len()];
    for lt in &left {
        let ri = right.iter().position(|rt| rt.key == lt.key);
        let Some(ri) = ri else {
            if keep_left {
                for i in 0..lt.len() {
                    emit(it, &lt.key, rec(lt, i), empty.clone())?;
                }
            }
            continue;
        };
        right_used[ri] = true;
        let rt = &right[ri];
        let mut matched_r = vec![false; rt.len()];
        let (lti, rti) = (lt.index("_time"), rt.index("_time"));
        for i in 0..lt.len() {
            let l = rec(lt, i);
            let mut any = false;
            for (j, m) in matched_r.iter_mut().enumerate() {
                let ok = match &on {
                    Some(f) => {
                        let r = rec(rt, j);
                        matches!(
                            it.call(f, vec![("l".into(), l.clone()), ("r".into(), r)])?,
                            Value::Bool(true)
                        )
                    }
                    None => match (lti, rti) {
                        (Some(a), Some(b)) => {
                            let x = lt.value(a, i);
                            !x.is_null() && x == rt.value(b, j)
                        }
                        _ => return Err(Error::rt("join.time: both sides need a _time column")),
                    },
                };
                if ok {
                    any = true;
                    *m = true;
                    emit(it, &lt.key, l.clone(), rec(rt, j))?;
                }
            }
            if !any && keep_left {
                emit(it, &lt.key, l, empty.clone())?;
            }
        }
        if keep_right {
            for (j, m) in matched_r.iter().enumerate() {
                if !m {
                    emit(it, &lt.key, empty.clone(), rec(rt, j))?;
                }
            }
        }
    }
    if keep_right {
        for (ri, rt) in right.iter().enumerate() {
            if !right_used[ri] {
                for j in 0..rt.len() {
                    emit(it, &rt.key, empty.clone(), rec(rt, j))?;
                }
            }
        }
    }
    // regroup by output key, first-seen order
    let mut groups: Vec<(GroupKey, TableBuilder)> = Vec::new();
    for (k, r) in rows {
        let i = match groups.iter().position(|(g, _)| *g == k) {
            Some(i) => i,
            None => {
                groups.push((k.clone(), TableBuilder::new(k)));
                groups.len() - 1
            }
        };
        groups[i].1.push_record(&r)?;
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
    let mut p = PackageDef::default();
    p.f(
        "tables",
        &["right", "on", "as"],
        &["method", "left"],
        Some("left"),
        |it, a| run(it, a, None, false),
    );
    p.f(
        "inner",
        &["right", "on", "as"],
        &["left"],
        Some("left"),
        |it, a| run(it, a, Some("inner"), false),
    );
    p.f(
        "left",
        &["right", "on", "as"],
        &["left"],
        Some("left"),
        |it, a| run(it, a, Some("left"), false),
    );
    p.f(
        "right",
        &["right", "on", "as"],
        &["left"],
        Some("left"),
        |it, a| run(it, a, Some("right"), false),
    );
    p.f(
        "full",
        &["right", "on", "as"],
        &["left"],
        Some("left"),
        |it, a| run(it, a, Some("full"), false),
    );
    p.f(
        "time",
        &["right", "as"],
        &["method", "left"],
        Some("left"),
        |it, a| run(it, a, None, true),
    );
    p
}
