//! The InfluxQL aggregate and selector nodes (`count`, `distinct`, `mean`,
//! `median`, `mode`, `spread`, `sum`, `first`, `last`, `min`, `max`,
//! `percentile`, `stddev`, `top`, `bottom`) over batches.
//!
//! As in Kapacitor: the result field is named after the function unless
//! `.as()` says otherwise; the result's time is the batch's time (its
//! window's end) unless `.usePointTimes()` (selectors only); the result keeps
//! only the group's tags (plus the tags `top`/`bottom` are asked to keep). A
//! single point is treated as a batch of one.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Batch, FieldValue, Fields, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// An InfluxQL function node.
pub struct InfluxQlNode {
    func: String,
    field: String,
    as_name: crate::model::FieldKey,
    use_point_times: bool,
    percentile: f64,
    n: usize,
    keep: Vec<String>,
}

impl InfluxQlNode {
    /// Builds from `func('field', ...)`, `.as()` and `.usePointTimes()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let func = def.kind.clone();
        let mut n = InfluxQlNode {
            as_name: func.as_str().into(),
            func,
            field: String::new(),
            use_point_times: false,
            percentile: 0.0,
            n: 0,
            keep: Vec::new(),
        };
        match n.func.as_str() {
            "percentile" => {
                args::count(&def.args, 2, def.pos, "percentile")?;
                n.field = args::string(&def.args[0], "field")?;
                n.percentile = args::float(&def.args[1], "percentile")?;
            }
            "top" | "bottom" => {
                if def.args.len() < 2 {
                    return Err(TickError::at(
                        def.pos,
                        format!("{} expects a count and a field", n.func),
                    ));
                }
                let count = args::int(&def.args[0], "count")?;
                if count <= 0 {
                    return Err(TickError::at(
                        def.args[0].pos,
                        format!("{}: count must be > 0", n.func),
                    ));
                }
                n.n = count as usize;
                n.field = args::string(&def.args[1], "field")?;
                n.keep = args::strings(&def.args[2..], "tags")?;
            }
            _ => {
                args::count(&def.args, 1, def.pos, &n.func)?;
                n.field = args::string(&def.args[0], "field")?;
            }
        }
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.as_name = args::string(args::get(&p.args, 0, p.pos, "as")?, "as")?.into(),
                "usePointTimes" => n.use_point_times = args::flag(p)?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        Ok(n)
    }

    fn result(&self, batch: &Batch, value: FieldValue, at: Option<&Point>) -> Point {
        let mut fields = Fields::new();
        fields.insert(self.as_name.clone(), value);
        let (db, rp) = batch
            .points
            .first()
            .map(|p| (p.database.clone(), p.retention_policy.clone()))
            .unwrap_or_else(|| ("".into(), "".into()));
        let time = match (self.use_point_times, at) {
            (true, Some(p)) => p.time,
            _ => batch.tmax,
        };
        Point {
            database: db,
            retention_policy: rp,
            name: batch.name.clone(),
            tags: batch.tags.clone(),
            fields: Arc::new(fields),
            time,
            dims: batch.dims.clone(),
        }
    }

    fn apply(&self, batch: &Batch) -> Result<Vec<Point>, NodeError> {
        let with: Vec<(&Point, &FieldValue)> = batch
            .points
            .iter()
            .filter_map(|p| p.fields.get(&self.field).map(|v| (p, v)))
            .collect();
        if with.is_empty() {
            return Ok(if self.func == "count" && !batch.points.is_empty() {
                vec![self.result(batch, FieldValue::Int(0), None)]
            } else {
                Vec::new()
            });
        }
        let nums = || -> Result<Vec<f64>, NodeError> {
            with.iter()
                .map(|(_, v)| {
                    v.as_f64().ok_or_else(|| {
                        NodeError(format!(
                            "unsupported type for {}: field {:?} is not numeric",
                            self.func, self.field
                        ))
                    })
                })
                .collect()
        };
        let all_int = with.iter().all(|(_, v)| matches!(v, FieldValue::Int(_)));
        let cmp = |a: &FieldValue, b: &FieldValue| -> std::cmp::Ordering {
            match (a, b) {
                (FieldValue::Str(x), FieldValue::Str(y)) => x.cmp(y),
                (FieldValue::Bool(x), FieldValue::Bool(y)) => x.cmp(y),
                _ => a
                    .as_f64()
                    .unwrap_or(f64::NAN)
                    .total_cmp(&b.as_f64().unwrap_or(f64::NAN)),
            }
        };
        let one = |v: FieldValue, at: Option<&Point>| Ok(vec![self.result(batch, v, at)]);
        match self.func.as_str() {
            "count" => one(FieldValue::Int(with.len() as i64), None),
            "sum" => {
                if all_int {
                    one(
                        FieldValue::Int(
                            with.iter()
                                .map(|(_, v)| if let FieldValue::Int(i) = v { *i } else { 0 })
                                .fold(0i64, |a, b| a.wrapping_add(b)),
                        ),
                        None,
                    )
                } else {
                    one(FieldValue::Float(nums()?.iter().sum()), None)
                }
            }
            "mean" => {
                let xs = nums()?;
                one(
                    FieldValue::Float(xs.iter().sum::<f64>() / xs.len() as f64),
                    None,
                )
            }
            "median" => {
                let mut xs = nums()?;
                xs.sort_by(f64::total_cmp);
                let m = xs.len() / 2;
                let v = if xs.len() % 2 == 0 {
                    (xs[m - 1] + xs[m]) / 2.0
                } else {
                    xs[m]
                };
                one(FieldValue::Float(v), None)
            }
            "spread" => {
                if all_int {
                    let is: Vec<i64> = with
                        .iter()
                        .map(|(_, v)| if let FieldValue::Int(i) = v { *i } else { 0 })
                        .collect();
                    one(
                        FieldValue::Int(
                            is.iter().max().unwrap_or(&0) - is.iter().min().unwrap_or(&0),
                        ),
                        None,
                    )
                } else {
                    let xs = nums()?;
                    let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
                    one(FieldValue::Float(max - min), None)
                }
            }
            "stddev" => {
                let xs = nums()?;
                if xs.len() < 2 {
                    return Ok(Vec::new());
                }
                let mean = xs.iter().sum::<f64>() / xs.len() as f64;
                let var =
                    xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
                one(FieldValue::Float(var.sqrt()), None)
            }
            "mode" => {
                // Most frequent value; ties go to the value seen first.
                let mut counts: Vec<(&FieldValue, usize)> = Vec::new();
                for (_, v) in &with {
                    match counts.iter_mut().find(|(c, _)| c == v) {
                        Some(e) => e.1 += 1,
                        None => counts.push((v, 1)),
                    }
                }
                let best =
                    counts
                        .iter()
                        .fold(None::<(&FieldValue, usize)>, |acc, (v, c)| match acc {
                            Some((_, bc)) if bc >= *c => acc,
                            _ => Some((v, *c)),
                        });
                one(
                    best.map(|b| b.0.clone()).unwrap_or(FieldValue::Int(0)),
                    None,
                )
            }
            "distinct" => {
                let mut seen: Vec<&FieldValue> = Vec::new();
                for (_, v) in &with {
                    if !seen.contains(v) {
                        seen.push(v);
                    }
                }
                Ok(seen
                    .into_iter()
                    .map(|v| self.result(batch, v.clone(), None))
                    .collect())
            }
            "first" => one(with[0].1.clone(), Some(with[0].0)),
            "last" => one(with[with.len() - 1].1.clone(), Some(with[with.len() - 1].0)),
            "min" | "max" => {
                let mut best = with[0];
                for w in &with[1..] {
                    let o = cmp(w.1, best.1);
                    if (self.func == "min" && o.is_lt()) || (self.func == "max" && o.is_gt()) {
                        best = *w;
                    }
                }
                one(best.1.clone(), Some(best.0))
            }
            "percentile" => {
                let mut sorted = with.clone();
                sorted.sort_by(|a, b| cmp(a.1, b.1));
                let i = ((sorted.len() as f64 * self.percentile / 100.0 + 0.5).floor() as i64 - 1)
                    .clamp(0, sorted.len() as i64 - 1) as usize;
                if self.percentile <= 0.0 || self.percentile > 100.0 {
                    return Ok(Vec::new());
                }
                one(sorted[i].1.clone(), Some(sorted[i].0))
            }
            "top" | "bottom" => {
                let mut sorted = with.clone();
                // Ties keep the earlier point first, as InfluxQL does.
                sorted.sort_by(|a, b| {
                    let o = cmp(a.1, b.1);
                    let o = if self.func == "top" { o.reverse() } else { o };
                    o.then(a.0.time.cmp(&b.0.time))
                });
                sorted.truncate(self.n);
                sorted.sort_by_key(|(p, _)| p.time);
                Ok(sorted
                    .into_iter()
                    .map(|(p, v)| {
                        let mut r = self.result(batch, v.clone(), Some(p));
                        r.time = if self.use_point_times {
                            p.time
                        } else {
                            batch.tmax
                        };
                        for k in &self.keep {
                            if let Some(t) = p.tags.get(k) {
                                Arc::make_mut(&mut r.tags).insert(k.clone(), t.clone());
                            } else if let Some(f) = p.fields.get(k) {
                                Arc::make_mut(&mut r.fields).insert(k.as_str().into(), f.clone());
                            }
                        }
                        r
                    })
                    .collect())
            }
            other => Err(NodeError(format!("not supported yet: {other}"))),
        }
    }
}

impl Node for InfluxQlNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Batch(b) => {
                let points = self.apply(&b)?;
                if !points.is_empty() {
                    out.push(Msg::Batch(Batch { points, ..b }));
                }
            }
            Msg::Point(p) => {
                let b = Batch {
                    name: p.name.clone(),
                    tags: p.group_tags_shared(),
                    tmax: p.time,
                    dims: p.dims.clone(),
                    points: vec![p],
                };
                out.extend(self.apply(&b)?.into_iter().map(Msg::Point));
            }
        }
        Ok(())
    }
}

/// Per-group state helper used by stateful nodes.
pub(crate) type GroupMap<T> = BTreeMap<String, T>;
