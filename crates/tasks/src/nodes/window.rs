//! `window`: buffers points per group and emits a batch of the last `period`
//! every `every`, as Kapacitor's time-based window does.
//!
//! The first emission is due at the first point's time + `every` (with
//! `.align()`: truncated to a multiple of `every`). With `.fillPeriod()` it
//! is due at the first time + `period` (aligned: truncated, plus `every`
//! unless that is later than first + period). A point at or after the due
//! time emits the window `[due - period, due)` (the batch's time is `due`),
//! then the next due time is that point's time + `every` (truncated when
//! aligned); the point itself goes to the next window. Without `every`, each
//! point emits the window `(time - period, time]` including itself.

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

fn truncate(t: i64, every: i64) -> i64 {
    t - t.rem_euclid(every)
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
        let (period, every, align) = (self.period, self.every, self.align);
        let next = *g.next_emit.get_or_insert_with(|| {
            if self.fill_period {
                let first = p.time + period;
                if align && every > 0 {
                    let t = truncate(first, every);
                    if t > first {
                        t
                    } else {
                        t + every
                    }
                } else {
                    first
                }
            } else if align {
                truncate(p.time + every, every)
            } else {
                p.time + every
            }
        });
        if every == 0 {
            let pos = g.buf.partition_point(|q| q.time <= p.time);
            g.buf.insert(pos, p.clone());
            if p.time >= next {
                let oldest = p.time - period;
                g.buf.retain(|q| q.time > oldest);
                out.push(Msg::Batch(Batch {
                    name: p.name.clone(),
                    tags: p.group_tags(),
                    tmax: p.time,
                    dims: p.dims.clone(),
                    points: g.buf.clone(),
                }));
                g.next_emit = Some(p.time);
            }
            return Ok(());
        }
        if p.time >= next {
            let oldest = next - period;
            g.buf.retain(|q| q.time >= oldest);
            if !g.buf.is_empty() {
                out.push(Msg::Batch(Batch {
                    name: p.name.clone(),
                    tags: p.group_tags(),
                    tmax: next,
                    dims: p.dims.clone(),
                    points: g.buf.clone(),
                }));
            }
            let due = p.time + every;
            g.next_emit = Some(if align { truncate(due, every) } else { due });
        }
        let pos = g.buf.partition_point(|q| q.time <= p.time);
        g.buf.insert(pos, p);
        Ok(())
    }
}
