//! `influxDBOut`: writes results back into a database through the
//! [`PointWriter`](crate::engine::PointWriter) the server provides.
//!
//! Points are written as they arrive unless `.buffer(n)` or
//! `.flushInterval(d)` is set: then they are written once `n` are pending
//! (default 1000) or `d` after the first pending one (default 10s, on the
//! task's wall-clock ticks), as Kapacitor buffers. `.writeConsistency()`
//! takes InfluxDB's levels (`any`, `one`, `quorum`, `all`); Almanac's single
//! node acknowledges every write once stored, as InfluxDB OSS does.

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
    /// Points to collect before writing; 0 writes each message at once.
    buffer: usize,
    /// Longest time points stay pending, ns.
    flush_interval: i64,
    pending: Vec<Point>,
    /// Tick time at which the oldest pending point was first seen.
    pending_since: Option<i64>,
}

/// Kapacitor's default `.buffer()`.
const DEFAULT_BUFFER: usize = 1000;
/// Kapacitor's default `.flushInterval()`.
const DEFAULT_FLUSH_INTERVAL: i64 = 10_000_000_000;

impl InfluxDbOutNode {
    /// Builds from the node's properties (`.database()` is required).
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "influxDBOut")?;
        let mut n = InfluxDbOutNode {
            to: Destination::default(),
            precision: 1,
            create: false,
            created: false,
            buffer: 0,
            flush_interval: 0,
            pending: Vec::new(),
            pending_since: None,
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
                "buffer" => {
                    let b = args::int(args::get(&p.args, 0, p.pos, "buffer")?, "buffer")?;
                    if b <= 0 {
                        return Err(TickError::at(p.pos, "influxDBOut: buffer must be > 0"));
                    }
                    n.buffer = b as usize;
                }
                "flushInterval" => {
                    let d = args::duration(
                        args::get(&p.args, 0, p.pos, "flushInterval")?,
                        "flushInterval",
                    )?;
                    if d <= 0 {
                        return Err(TickError::at(
                            p.pos,
                            "influxDBOut: flushInterval must be > 0",
                        ));
                    }
                    n.flush_interval = d;
                }
                "writeConsistency" => {
                    let c = args::string(
                        args::get(&p.args, 0, p.pos, "writeConsistency")?,
                        "writeConsistency",
                    )?;
                    if !matches!(c.as_str(), "any" | "one" | "quorum" | "all") {
                        return Err(TickError::at(
                            p.pos,
                            format!(
                                "invalid write consistency {c:?}: expected any, one, quorum or all"
                            ),
                        ));
                    }
                }
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
        if n.buffer > 0 || n.flush_interval > 0 {
            if n.buffer == 0 {
                n.buffer = DEFAULT_BUFFER;
            }
            if n.flush_interval == 0 {
                n.flush_interval = DEFAULT_FLUSH_INTERVAL;
            }
        }
        Ok(n)
    }

    /// Writes `points` (creating the database first with `.create()`).
    fn write(&mut self, ctx: &NodeCtx<'_>, points: &[Point]) -> Result<(), NodeError> {
        if points.is_empty() {
            return Ok(());
        }
        if self.create && !self.created {
            ctx.services
                .writer
                .create_database(&self.to.database)
                .map_err(NodeError)?;
            self.created = true;
        }
        ctx.services
            .writer
            .write_points(&self.to.database, &self.to.retention_policy, points)
            .map_err(NodeError)
    }

    fn flush(&mut self, ctx: &NodeCtx<'_>) -> Result<(), NodeError> {
        let points = std::mem::take(&mut self.pending);
        self.pending_since = None;
        self.write(ctx, &points)
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
        out.push(msg);
        if self.buffer == 0 {
            return self.write(ctx, &points);
        }
        self.pending.extend(points);
        if self.pending.len() >= self.buffer {
            return self.flush(ctx);
        }
        Ok(())
    }

    fn tick(&mut self, ctx: &NodeCtx<'_>, now: i64, _: &mut Vec<Msg>) -> Result<(), NodeError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let since = *self.pending_since.get_or_insert(now);
        if now - since >= self.flush_interval {
            return self.flush(ctx);
        }
        Ok(())
    }
}
