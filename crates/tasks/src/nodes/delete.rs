//! `delete`: removes fields and tags.

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;
use std::sync::Arc;

/// The `delete` node.
pub struct DeleteNode {
    fields: Vec<String>,
    tags: Vec<String>,
}

impl DeleteNode {
    /// Builds from `.field(name)` and `.tag(name)`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let mut n = DeleteNode {
            fields: Vec::new(),
            tags: Vec::new(),
        };
        for p in &def.props {
            args::count(&p.args, 1, p.pos, &p.name)?;
            let name = args::string(&p.args[0], &p.name)?;
            if p.name == "tag" {
                n.tags.push(name);
            } else {
                n.fields.push(name);
            }
        }
        Ok(n)
    }

    fn apply(&self, p: &mut Point) {
        for f in &self.fields {
            if p.fields.contains_key(f) {
                Arc::make_mut(&mut p.fields).remove(f);
            }
        }
        for t in &self.tags {
            if p.tags.contains_key(t) {
                Arc::make_mut(&mut p.tags).remove(t);
            }
        }
    }
}

impl Node for DeleteNode {
    fn process(
        &mut self,
        _: &NodeCtx<'_>,
        mut msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        match &mut msg {
            Msg::Point(p) => self.apply(p),
            Msg::Batch(b) => {
                for t in &self.tags {
                    if b.tags.contains_key(t) {
                        Arc::make_mut(&mut b.tags).remove(t);
                    }
                }
                b.points.iter_mut().for_each(|p| self.apply(p))
            }
        }
        out.push(msg);
        Ok(())
    }
}
