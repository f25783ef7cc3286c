//! `where`: keeps points (or batch points) for which the lambda is true.

use super::{args, Node, NodeCtx, NodeError};
use crate::lambda::Lambda;
use crate::model::Msg;
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `where` node.
pub struct WhereNode {
    expr: Lambda,
}

impl WhereNode {
    /// Builds from `where(lambda)`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 1, def.pos, "where")?;
        Ok(WhereNode {
            expr: args::lambda(&def.args[0], "where")?,
        })
    }
}

impl Node for WhereNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => {
                if self.expr.eval_bool(&p.fields, &p.tags, p.time)? {
                    out.push(Msg::Point(p));
                }
            }
            Msg::Batch(mut b) => {
                let mut kept = Vec::with_capacity(b.points.len());
                for p in b.points {
                    if self.expr.eval_bool(&p.fields, &p.tags, p.time)? {
                        kept.push(p);
                    }
                }
                b.points = kept;
                out.push(Msg::Batch(b));
            }
        }
        Ok(())
    }
}
