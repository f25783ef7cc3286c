//! `trickle`: turns batches into a stream, as Kapacitor's trickle node does:
//! every point of a batch goes on as a point of the batch's measurement and
//! group. Points pass through unchanged.

use super::{args, Node, NodeCtx, NodeError};
use crate::model::Msg;
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `trickle` node.
pub struct TrickleNode;

impl TrickleNode {
    /// Builds from `trickle()` (no arguments or properties).
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "trickle")?;
        Ok(TrickleNode)
    }
}

impl Node for TrickleNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => out.push(Msg::Point(p)),
            Msg::Batch(b) => out.extend(b.points.into_iter().map(|mut p| {
                p.name = b.name.clone();
                p.dims = b.dims.clone();
                Msg::Point(p)
            })),
        }
        Ok(())
    }
}
