//! InfluxQL transformations as nodes: `difference`, `cumulativeSum`,
//! `movingAverage`, `elapsed`. State is kept per group across points; on a
//! batch they run over its points (state kept across batches too, as a
//! stream of values). The result has only the new field (named after the
//! function unless `.as()`), the point's tags and time.

use super::influxql::GroupMap;
use super::{args, Node, NodeCtx, NodeError};
use crate::model::{FieldValue, Fields, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;
use std::sync::Arc;

/// A transformation node.
pub struct TransformNode {
    func: String,
    field: String,
    as_name: String,
    window: usize,
    unit: i64,
    non_negative: bool,
    state: GroupMap<State>,
}

#[derive(Default)]
struct State {
    prev: Option<(i64, FieldValue)>,
    sum: Option<FieldValue>,
    window: std::collections::VecDeque<f64>,
}

impl TransformNode {
    /// Builds from `func('field'[, n|unit])` and `.as()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let func = def.kind.clone();
        let field = args::string(args::get(&def.args, 0, def.pos, "field")?, "field")?;
        let mut n = TransformNode {
            as_name: func.clone(),
            func,
            field,
            window: 0,
            unit: 1_000_000_000,
            non_negative: false,
            state: GroupMap::new(),
        };
        match n.func.as_str() {
            "movingAverage" => {
                args::count(&def.args, 2, def.pos, "movingAverage")?;
                let w = args::int(&def.args[1], "window")?;
                if w < 1 {
                    return Err(TickError::at(
                        def.args[1].pos,
                        "movingAverage window must be >= 1",
                    ));
                }
                n.window = w as usize;
            }
            "elapsed" => {
                args::count(&def.args, 2, def.pos, "elapsed")?;
                n.unit = args::duration(&def.args[1], "unit")?;
                if n.unit <= 0 {
                    return Err(TickError::at(def.args[1].pos, "elapsed unit must be > 0"));
                }
            }
            _ => args::count(&def.args, 1, def.pos, &n.func)?,
        }
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.as_name = args::string(args::get(&p.args, 0, p.pos, "as")?, "as")?,
                "nonNegative" => n.non_negative = args::flag(p)?,
                "usePointTimes" => {
                    // Transformations always use point times.
                    args::flag(p)?;
                }
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

    fn step(&mut self, p: &Point) -> Result<Option<Point>, NodeError> {
        let Some(v) = p.fields.get(&self.field) else {
            return Ok(None);
        };
        let st = self.state.entry(p.group_id()).or_default();
        let value = match self.func.as_str() {
            "difference" => {
                let prev = st.prev.replace((p.time, v.clone()));
                match (prev, v) {
                    (Some((_, FieldValue::Int(a))), FieldValue::Int(b)) => {
                        Some(FieldValue::Int(b - a))
                    }
                    (Some((_, a)), b) => match (a.as_f64(), b.as_f64()) {
                        (Some(a), Some(b)) => Some(FieldValue::Float(b - a)),
                        _ => {
                            return Err(NodeError(format!(
                                "difference: field {:?} is not numeric",
                                self.field
                            )))
                        }
                    },
                    (None, _) => None,
                }
                .filter(|d| !self.non_negative || d.as_f64().unwrap_or(0.0) >= 0.0)
            }
            "cumulativeSum" => {
                let next = match (st.sum.take(), v) {
                    (None, v) => v.clone(),
                    (Some(FieldValue::Int(a)), FieldValue::Int(b)) => {
                        FieldValue::Int(a.wrapping_add(*b))
                    }
                    (Some(a), b) => FieldValue::Float(
                        a.as_f64().unwrap_or(0.0)
                            + b.as_f64().ok_or_else(|| {
                                NodeError("cumulativeSum: field is not numeric".into())
                            })?,
                    ),
                };
                st.sum = Some(next.clone());
                Some(next)
            }
            "movingAverage" => {
                let x = v
                    .as_f64()
                    .ok_or_else(|| NodeError("movingAverage: field is not numeric".into()))?;
                st.window.push_back(x);
                if st.window.len() > self.window {
                    st.window.pop_front();
                }
                (st.window.len() == self.window)
                    .then(|| FieldValue::Float(st.window.iter().sum::<f64>() / self.window as f64))
            }
            "elapsed" => {
                let prev = st.prev.replace((p.time, v.clone()));
                prev.map(|(t, _)| FieldValue::Int((p.time - t) / self.unit))
            }
            other => return Err(NodeError(format!("not supported yet: {other}"))),
        };
        Ok(value.map(|value| {
            let mut fields = Fields::new();
            fields.insert(self.as_name.as_str().into(), value);
            Point {
                fields: Arc::new(fields),
                ..p.clone()
            }
        }))
    }
}

impl Node for TransformNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => {
                if let Some(r) = self.step(&p)? {
                    out.push(Msg::Point(r));
                }
            }
            Msg::Batch(mut b) => {
                let mut res = Vec::new();
                for p in &b.points {
                    if let Some(r) = self.step(p)? {
                        res.push(r);
                    }
                }
                b.points = res;
                out.push(Msg::Batch(b));
            }
        }
        Ok(())
    }
}
