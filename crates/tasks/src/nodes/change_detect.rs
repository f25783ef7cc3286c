//! `changeDetect`: passes a point only when one of the fields changed since
//! the group's previous point (the first point always passes).

use super::influxql::GroupMap;
use super::{args, Node, NodeCtx, NodeError};
use crate::model::{FieldValue, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `changeDetect` node.
pub struct ChangeDetectNode {
    fields: Vec<String>,
    prev: GroupMap<Vec<Option<FieldValue>>>,
}

impl ChangeDetectNode {
    /// Builds from `changeDetect('f1', ...)`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        if def.args.is_empty() {
            return Err(TickError::at(
                def.pos,
                "changeDetect expects at least one field",
            ));
        }
        Ok(ChangeDetectNode {
            fields: args::strings(&def.args, "field")?,
            prev: GroupMap::new(),
        })
    }

    fn changed(&mut self, p: &Point) -> bool {
        let now: Vec<Option<FieldValue>> = self
            .fields
            .iter()
            .map(|f| p.fields.get(f).cloned())
            .collect();
        match self.prev.insert(p.group_id(), now.clone()) {
            Some(before) => before != now,
            None => true,
        }
    }
}

impl Node for ChangeDetectNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => {
                if self.changed(&p) {
                    out.push(Msg::Point(p));
                }
            }
            Msg::Batch(mut b) => {
                let points = std::mem::take(&mut b.points);
                b.points = points.into_iter().filter(|p| self.changed(p)).collect();
                out.push(Msg::Batch(b));
            }
        }
        Ok(())
    }
}
