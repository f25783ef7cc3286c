//! `kapacitorLoopback`: sends points back into the task stream (not into
//! storage) as if written to `.database()`/`.retentionPolicy()`, optionally
//! renamed (`.measurement()`) and tagged (`.tag()`).

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `kapacitorLoopback` node.
pub struct LoopbackNode {
    database: String,
    retention_policy: String,
    measurement: Option<String>,
    tags: Vec<(String, String)>,
}

impl LoopbackNode {
    /// Builds from the node's properties (database and retention policy are required).
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "kapacitorLoopback")?;
        let mut n = LoopbackNode {
            database: String::new(),
            retention_policy: String::new(),
            measurement: None,
            tags: Vec::new(),
        };
        for p in &def.props {
            match p.name.as_str() {
                "database" => {
                    n.database =
                        args::string(args::get(&p.args, 0, p.pos, "database")?, "database")?
                }
                "retentionPolicy" => {
                    n.retention_policy = args::string(
                        args::get(&p.args, 0, p.pos, "retentionPolicy")?,
                        "retentionPolicy",
                    )?
                }
                "measurement" => {
                    n.measurement = Some(args::string(
                        args::get(&p.args, 0, p.pos, "measurement")?,
                        "measurement",
                    )?)
                }
                "tag" => {
                    args::count(&p.args, 2, p.pos, "tag")?;
                    n.tags.push((
                        args::string(&p.args[0], "tag")?,
                        args::string(&p.args[1], "tag")?,
                    ));
                }
                _ => unreachable!("property checked by the pipeline"),
            }
        }
        if n.database.is_empty() || n.retention_policy.is_empty() {
            return Err(TickError::at(
                def.pos,
                "kapacitorLoopback: database and retentionPolicy are required",
            ));
        }
        Ok(n)
    }

    fn convert(&self, p: &Point) -> Point {
        let mut q = p.clone();
        q.database = self.database.as_str().into();
        q.retention_policy = self.retention_policy.as_str().into();
        q.dims = Default::default();
        if let Some(m) = &self.measurement {
            q.name = m.clone();
        }
        for (k, v) in &self.tags {
            q.tags.insert(k.clone(), v.clone());
        }
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
                self.database.clone(),
                self.retention_policy.clone(),
                points,
            ));
        }
        out.push(msg);
        Ok(())
    }
}
