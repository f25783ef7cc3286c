//! `union`: passes on everything its parents emit (`.rename()` renames it).

use super::{args, Node, NodeCtx, NodeError};
use crate::model::Msg;
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `union` node.
pub struct UnionNode {
    rename: Option<std::sync::Arc<str>>,
}

impl UnionNode {
    /// Builds from `a|union(b, c)` and `.rename('name')`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let mut n = UnionNode { rename: None };
        for p in &def.props {
            n.rename =
                Some(args::string(args::get(&p.args, 0, p.pos, "rename")?, "rename")?.into());
        }
        Ok(n)
    }
}

impl Node for UnionNode {
    fn process(
        &mut self,
        _: &NodeCtx<'_>,
        mut msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        if let Some(name) = &self.rename {
            match &mut msg {
                Msg::Point(p) => p.name = name.clone(),
                Msg::Batch(b) => {
                    b.name = name.clone();
                    b.points.iter_mut().for_each(|p| p.name = name.clone());
                }
            }
        }
        out.push(msg);
        Ok(())
    }
}
