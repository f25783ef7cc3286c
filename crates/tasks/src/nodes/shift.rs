//! `shift`: moves times by a duration.

use super::{args, Node, NodeCtx, NodeError};
use crate::model::Msg;
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `shift` node.
pub struct ShiftNode {
    by: i64,
}

impl ShiftNode {
    /// Builds from `shift(duration)`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 1, def.pos, "shift")?;
        Ok(ShiftNode {
            by: args::duration(&def.args[0], "shift")?,
        })
    }
}

impl Node for ShiftNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        out.push(match msg {
            Msg::Point(mut p) => {
                p.time = p.time.saturating_add(self.by);
                Msg::Point(p)
            }
            Msg::Batch(mut b) => {
                b.tmax = b.tmax.saturating_add(self.by);
                for p in &mut b.points {
                    p.time = p.time.saturating_add(self.by);
                }
                Msg::Batch(b)
            }
        });
        Ok(())
    }
}
