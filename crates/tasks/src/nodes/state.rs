//! `stateDuration` and `stateCount`: how long / how many consecutive points
//! a lambda has been true, per group (-1 while false). The point keeps its
//! fields and gains `state_duration` (float, in `.unit()`, default 1s) or
//! `state_count` (int), unless `.as()`.

use super::influxql::GroupMap;
use super::{args, Node, NodeCtx, NodeError};
use crate::lambda::Lambda;
use crate::model::{FieldValue, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;
use std::sync::Arc;

/// The `stateDuration` / `stateCount` node.
pub struct StateNode {
    duration: bool,
    expr: Lambda,
    as_name: String,
    unit: i64,
    state: GroupMap<(i64, i64)>,
}

impl StateNode {
    /// Builds from `stateDuration(lambda)` / `stateCount(lambda)`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 1, def.pos, &def.kind)?;
        let duration = def.kind == "stateDuration";
        let mut n = StateNode {
            duration,
            expr: args::lambda(&def.args[0], &def.kind)?,
            as_name: if duration {
                "state_duration"
            } else {
                "state_count"
            }
            .into(),
            unit: 1_000_000_000,
            state: GroupMap::new(),
        };
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.as_name = args::string(args::get(&p.args, 0, p.pos, "as")?, "as")?,
                "unit" => n.unit = args::duration(args::get(&p.args, 0, p.pos, "unit")?, "unit")?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        if n.unit <= 0 {
            return Err(TickError::at(def.pos, "unit must be > 0"));
        }
        Ok(n)
    }

    fn step(&mut self, p: &mut Point) -> Result<(), NodeError> {
        let on = self.expr.eval_bool(&p.fields, &p.tags, p.time)?;
        let key = p.group_id();
        let value = if on {
            let st = self.state.entry(key).or_insert((p.time, 0));
            st.1 += 1;
            if self.duration {
                FieldValue::Float((p.time - st.0) as f64 / self.unit as f64)
            } else {
                FieldValue::Int(st.1)
            }
        } else {
            self.state.remove(&key);
            if self.duration {
                FieldValue::Float(-1.0)
            } else {
                FieldValue::Int(-1)
            }
        };
        Arc::make_mut(&mut p.fields).insert(self.as_name.as_str().into(), value);
        Ok(())
    }
}

impl Node for StateNode {
    fn process(
        &mut self,
        _: &NodeCtx<'_>,
        mut msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        match &mut msg {
            Msg::Point(p) => self.step(p)?,
            Msg::Batch(b) => {
                for p in &mut b.points {
                    self.step(p)?;
                }
            }
        }
        out.push(msg);
        Ok(())
    }
}
