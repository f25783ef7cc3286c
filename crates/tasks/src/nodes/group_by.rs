//! `groupBy`: regroups points by tags (or `*`), optionally by measurement.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Batch, Dimensions, Msg};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `groupBy` node.
pub struct GroupByNode {
    dims: Arc<Dimensions>,
}

impl GroupByNode {
    /// Builds from `groupBy(tags...)` and `.byMeasurement()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let mut dims = super::from::dimensions(&def.args, false)?;
        for p in &def.props {
            if p.name == "byMeasurement" {
                args::flag(p)?;
                dims.by_name = true;
            }
        }
        Ok(GroupByNode {
            dims: Arc::new(dims),
        })
    }
}

impl Node for GroupByNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(mut p) => {
                p.dims = self.dims.clone();
                out.push(Msg::Point(p));
            }
            Msg::Batch(b) => {
                let mut groups: BTreeMap<String, Batch> = BTreeMap::new();
                for mut p in b.points {
                    p.dims = self.dims.clone();
                    let id = p.group_id();
                    groups
                        .entry(id)
                        .or_insert_with(|| Batch {
                            name: p.name.clone(),
                            tags: p.group_tags_shared(),
                            tmax: b.tmax,
                            dims: self.dims.clone(),
                            points: Vec::new(),
                        })
                        .points
                        .push(p);
                }
                out.extend(groups.into_values().map(Msg::Batch));
            }
        }
        Ok(())
    }
}
