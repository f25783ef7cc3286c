//! `window`: buffers points per group and emits a batch of the last `period`
//! every `every`, as Kapacitor's time-based window does.
//!
//! The first emission is due at the first point's time + `every` (with
//! `.align()`: rounded up to a multiple of `every`; with `.fillPeriod()`:
//! + `period` instead). A point at or after the due time emits the window
//! `[due - period, due)` (time of the batch = `due`), then the next due time
//! is that point's time + `every` (aligned when asked); the point itself
//! goes to the next window.

use std::collections::HashMap;

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Batch, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `window` node.
pub struct WindowNode {
    period: i64,
    every: i64,
    align: bool,
    fill_period: bool,
    groups: HashMap<String, GroupWindow>,
}

#[derive(Default)]
struct GroupWindow {
    next_emit: Option<i64>,
    buf: Vec<Point>,
}

fn align_up(t: i64, every: i64) -> i64 {
    let down = t - t.rem_euclid(every);
    if down < t {
        down + every
    } else {
        down
    }
}

impl WindowNode {
    /// Builds from `.period()`, `.every()`, `.align()`, `.fillPeriod()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "window")?;
        let mut n = WindowNode {
            period: 0,
            every: 0,
            align: false,
            fill_period: false,
            groups: HashMap::new(),
        };
        for p in &def.props {
            match p.name.as_str() {
                "period" => {
                    n.period = args::duration(args::get(&p.args, 0, p.pos, "period")?, "period")?
                }
                "every" => {
                    n.every = args::duration(args::get(&p.args, 0, p.pos, "every")?, "every")?
                }
                "align" => n.align = args::flag(p)?,
                "fillPeriod" => n.fill_period = args::flag(p)?,
                _ => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: window .{}()", p.name),
                    ));
                }
            }
        }
        if n.period <= 0 && n.every <= 0 {
            return Err(TickError::at(
                def.pos,
                "window: period and every must be set",
            ));
        }
        if n.every <= 0 {
            n.every = n.period;
        }
        if n.period <= 0 {
            n.period = n.every;
        }
        Ok(n)
    }
}

impl Node for WindowNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let Msg::Point(p) = msg else {
            return Err(NodeError("window expects points (a stream edge)".into()));
        };
        let g = self.groups.entry(p.group_id()).or_default();
        let next = *g.next_emit.get_or_insert_with(|| {
            let first = p.time
                + if self.fill_period {
                    self.period.max(self.every)
                } else {
                    self.every
                };
            if self.align {
                align_up(first, self.every)
            } else {
                first
            }
        });
        if p.time >= next {
            let oldest = next - self.period;
            g.buf.retain(|q| q.time >= oldest);
            let points: Vec<Point> = g.buf.iter().filter(|q| q.time < next).cloned().collect();
            if !points.is_empty() {
                out.push(Msg::Batch(Batch {
                    name: points[0].name.clone(),
                    tags: p.group_tags(),
                    tmax: next,
                    dims: p.dims.clone(),
                    points,
                }));
            }
            let due = p.time + self.every;
            g.next_emit = Some(if self.align {
                due - due.rem_euclid(self.every)
            } else {
                due
            });
            // Keep only what later windows can still include.
            let keep_from = g.next_emit.unwrap_or(due) - self.period;
            g.buf.retain(|q| q.time >= keep_from);
        }
        let pos = g.buf.partition_point(|q| q.time <= p.time);
        g.buf.insert(pos, p);
        Ok(())
    }
}
