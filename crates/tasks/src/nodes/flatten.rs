//! `flatten`: merges the points of a group that share a time (rounded to
//! `.tolerance()`) into one point, prefixing each field with the values of
//! the `.on()` tags joined by `.delimiter()` (default `.`), e.g.
//! `A.B.value`; `.dropOriginalFieldName()` keeps only the tag values. The
//! result has the group's tags. On a stream a set is emitted when a point
//! with a later time arrives; a batch is flattened per time.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Fields, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `flatten` node.
pub struct FlattenNode {
    on: Vec<String>,
    delimiter: String,
    tolerance: i64,
    drop_original: bool,
    pending: HashMap<String, (i64, Vec<Point>)>,
}

impl FlattenNode {
    /// Builds from `flatten()` and its properties.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "flatten")?;
        let mut n = FlattenNode {
            on: Vec::new(),
            delimiter: ".".into(),
            tolerance: 0,
            drop_original: false,
            pending: HashMap::new(),
        };
        for p in &def.props {
            match p.name.as_str() {
                "on" => n.on = args::strings(&p.args, "on")?,
                "delimiter" => {
                    n.delimiter =
                        args::string(args::get(&p.args, 0, p.pos, "delimiter")?, "delimiter")?
                }
                "tolerance" => {
                    n.tolerance =
                        args::duration(args::get(&p.args, 0, p.pos, "tolerance")?, "tolerance")?
                }
                "dropOriginalFieldName" => n.drop_original = args::flag(p)?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        if n.tolerance < 0 {
            return Err(TickError::at(def.pos, "flatten tolerance must be >= 0"));
        }
        Ok(n)
    }

    fn round(&self, t: i64) -> i64 {
        super::round_time(t, self.tolerance)
    }

    fn flatten(&self, time: i64, points: &[Point]) -> Option<Point> {
        let first = points.first()?;
        let mut fields = Fields::new();
        for p in points {
            let prefix: Vec<&str> = self
                .on
                .iter()
                .map(|k| p.tags.get(k).map(String::as_str).unwrap_or(""))
                .collect();
            let prefix = prefix.join(&self.delimiter);
            for (k, v) in p.fields.iter() {
                let name: crate::model::FieldKey = if self.drop_original {
                    prefix.as_str().into()
                } else if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}{}{k}", self.delimiter).into()
                };
                fields.insert(name, v.clone());
            }
        }
        Some(Point {
            tags: first.group_tags_shared(),
            fields: Arc::new(fields),
            time,
            ..first.clone()
        })
    }
}

impl Node for FlattenNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => {
                let t = self.round(p.time);
                let key = p.group_id();
                let done = match self.pending.get_mut(&key) {
                    Some((pt, points)) if *pt == t => {
                        points.push(p);
                        None
                    }
                    _ => self.pending.insert(key, (t, vec![p])),
                };
                if let Some((pt, points)) = done {
                    out.extend(self.flatten(pt, &points).map(Msg::Point));
                }
            }
            Msg::Batch(mut b) => {
                let mut by_time: BTreeMap<i64, Vec<Point>> = BTreeMap::new();
                for p in std::mem::take(&mut b.points) {
                    by_time.entry(self.round(p.time)).or_default().push(p);
                }
                b.points = by_time
                    .iter()
                    .filter_map(|(t, ps)| self.flatten(*t, ps))
                    .collect();
                out.push(Msg::Batch(b));
            }
        }
        Ok(())
    }
}
