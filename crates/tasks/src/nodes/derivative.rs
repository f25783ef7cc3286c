//! `derivative`: rate of change of a field per `unit` between consecutive
//! points of a group. The current point is emitted with the result stored
//! in the field named by `.as()`, by default the source field itself (as
//! Kapacitor does); a negative result with `.nonNegative()` is dropped.

use super::influxql::GroupMap;
use super::{args, Node, NodeCtx, NodeError};
use crate::model::{FieldValue, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;
use std::sync::Arc;

/// The `derivative` node.
pub struct DerivativeNode {
    field: String,
    as_name: String,
    unit: i64,
    non_negative: bool,
    prev: GroupMap<(i64, f64)>,
}

impl DerivativeNode {
    /// Builds from `derivative('field')`, `.unit()`, `.nonNegative()`, `.as()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 1, def.pos, "derivative")?;
        let field = args::string(&def.args[0], "field")?;
        let mut n = DerivativeNode {
            as_name: field.clone(),
            field,
            unit: 1_000_000_000,
            non_negative: false,
            prev: GroupMap::new(),
        };
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.as_name = args::string(args::get(&p.args, 0, p.pos, "as")?, "as")?,
                "unit" => n.unit = args::duration(args::get(&p.args, 0, p.pos, "unit")?, "unit")?,
                "nonNegative" => n.non_negative = args::flag(p)?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        if n.unit <= 0 {
            return Err(TickError::at(def.pos, "derivative unit must be > 0"));
        }
        Ok(n)
    }

    fn step(&mut self, mut p: Point) -> Result<Option<Point>, NodeError> {
        let Some(v) = p.fields.get(&self.field) else {
            return Ok(None);
        };
        let x = v.as_f64().ok_or_else(|| {
            NodeError(format!("derivative: field {:?} is not numeric", self.field))
        })?;
        let prev = self.prev.insert(p.group_id(), (p.time, x));
        let Some((t0, x0)) = prev else {
            return Ok(None);
        };
        if p.time == t0 {
            return Ok(None);
        }
        let d = (x - x0) / ((p.time - t0) as f64 / self.unit as f64);
        if self.non_negative && d < 0.0 {
            return Ok(None);
        }
        Arc::make_mut(&mut p.fields).insert(self.as_name.as_str().into(), FieldValue::Float(d));
        Ok(Some(p))
    }
}

impl Node for DerivativeNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => {
                if let Some(r) = self.step(p)? {
                    out.push(Msg::Point(r));
                }
            }
            Msg::Batch(mut b) => {
                let mut res = Vec::new();
                for p in std::mem::take(&mut b.points) {
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
