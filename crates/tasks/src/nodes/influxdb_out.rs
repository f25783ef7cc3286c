//! `influxDBOut`: writes results back into a database through the
//! [`PointWriter`](crate::engine::PointWriter) the server provides.

use super::destination::Destination;
use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `influxDBOut` node.
pub struct InfluxDbOutNode {
    to: Destination,
    precision: i64,
    create: bool,
    created: bool,
}

impl InfluxDbOutNode {
    /// Builds from the node's properties (`.database()` is required).
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "influxDBOut")?;
        let mut n = InfluxDbOutNode {
            to: Destination::default(),
            precision: 1,
            create: false,
            created: false,
        };
        for p in &def.props {
            if n.to.apply(p)? {
                continue;
            }
            match p.name.as_str() {
                "precision" => {
                    let v = args::string(args::get(&p.args, 0, p.pos, "precision")?, "precision")?;
                    n.precision = match v.as_str() {
                        "n" | "ns" => 1,
                        "u" | "us" => 1_000,
                        "ms" => 1_000_000,
                        "s" => 1_000_000_000,
                        "m" => 60_000_000_000,
                        "h" => 3_600_000_000_000,
                        _ => return Err(TickError::at(p.pos, format!("invalid precision {v:?}"))),
                    };
                }
                "create" => n.create = args::flag(p)?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        if n.to.database.is_empty() {
            return Err(TickError::at(def.pos, "influxDBOut: database is required"));
        }
        Ok(n)
    }

    fn convert(&self, p: &Point) -> Point {
        let mut q = p.clone();
        self.to.retag(&mut q);
        q.time -= q.time.rem_euclid(self.precision);
        q
    }
}

impl Node for InfluxDbOutNode {
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
            if self.create && !self.created {
                ctx.services
                    .writer
                    .create_database(&self.to.database)
                    .map_err(NodeError)?;
                self.created = true;
            }
            ctx.services
                .writer
                .write_points(&self.to.database, &self.to.retention_policy, &points)
                .map_err(NodeError)?;
        }
        out.push(msg);
        Ok(())
    }
}
