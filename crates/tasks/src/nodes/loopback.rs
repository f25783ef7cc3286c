//! `kapacitorLoopback`: sends points back into the task stream (not into
//! storage) as if written to `.database()`/`.retentionPolicy()`, optionally
//! renamed (`.measurement()`) and tagged (`.tag()`).

use super::destination::Destination;
use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `kapacitorLoopback` node.
pub struct LoopbackNode {
    to: Destination,
}

impl LoopbackNode {
    /// Builds from the node's properties (database and retention policy are required).
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "kapacitorLoopback")?;
        let mut n = LoopbackNode {
            to: Destination::default(),
        };
        for p in &def.props {
            if !n.to.apply(p)? {
                return Err(TickError::at(
                    p.pos,
                    format!("not supported yet: kapacitorLoopback .{}()", p.name),
                ));
            }
        }
        if n.to.database.is_empty() || n.to.retention_policy.is_empty() {
            return Err(TickError::at(
                def.pos,
                "kapacitorLoopback: database and retentionPolicy are required",
            ));
        }
        Ok(n)
    }

    fn convert(&self, p: &Point) -> Point {
        let mut q = p.clone();
        q.database = self.to.database.as_str().into();
        q.retention_policy = self.to.retention_policy.as_str().into();
        q.dims = Default::default();
        self.to.retag(&mut q);
        q
    }
}

impl Node for LoopbackNode {
    fn process(
        &mut self,
        ctx: &NodeCtx<'_>,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let points: Vec<Point> = match &msg {
            Msg::Point(p) => vec![self.convert(p)],
            Msg::Batch(b) => b.points.iter().map(|p| self.convert(p)).collect(),
        };
        if !points.is_empty() {
            ctx.services.loopback.lock().push((
                self.to.database.clone(),
                self.to.retention_policy.clone(),
                points,
            ));
        }
        out.push(msg);
        Ok(())
    }
}
