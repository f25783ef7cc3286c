//! `window`: buffers points per group and emits them as batches, by time
//! (`.period()`, `.every()`) or by count (`.periodCount()`, `.everyCount()`),
//! as Kapacitor's window node does.
//!
//! By time: the first emission is due at the first point's time + `every`
//! (with `.align()`: truncated to a multiple of `every`). With
//! `.fillPeriod()` it is due at the first time + `period` (aligned:
//! truncated, plus `every` unless that is later than first + period). A point
//! at or after the due time emits the window `[due - period, due)` (the
//! batch's time is `due`), then the next due time is that point's time +
//! `every` (truncated when aligned); the point itself goes to the next
//! window. Without `every`, each point emits the window `(time - period,
//! time]` including itself. A barrier (from a `barrier` node) at or after the
//! due time emits the window as a point would.
//!
//! By count: the window holds the last `periodCount` points of the group and
//! is emitted every `everyCount` points (the first time after `everyCount`
//! points, or `periodCount` with `.fillPeriod()`); the batch's time is its
//! newest point's.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::Arc;

use super::barrier::Barrier;
use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Batch, Dimensions, Msg, Point, Tags};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `window` node.
pub struct WindowNode {
    period: i64,
    every: i64,
    align: bool,
    fill_period: bool,
    /// `.periodCount()`; windows by count when positive.
    period_count: usize,
    /// `.everyCount()`.
    every_count: usize,
    groups: HashMap<String, GroupWindow, ahash::RandomState>,
    /// The current point's group id (reused: no allocation per point).
    key: String,
}

struct GroupWindow {
    name: Arc<str>,
    tags: Arc<Tags>,
    dims: Arc<Dimensions>,
    next_emit: Option<i64>,
    buf: VecDeque<Point>,
    /// Points seen (count windows).
    count: usize,
}

fn truncate(t: i64, every: i64) -> i64 {
    t - t.rem_euclid(every)
}

impl WindowNode {
    /// Builds from `.period()`, `.every()`, `.align()`, `.fillPeriod()`,
    /// `.periodCount()` and `.everyCount()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "window")?;
        let mut n = WindowNode {
            period: 0,
            every: 0,
            align: false,
            fill_period: false,
            period_count: 0,
            every_count: 0,
            groups: HashMap::default(),
            key: String::new(),
        };
        let mut counts = (None, None);
        let mut every_set = false;
        for p in &def.props {
            match p.name.as_str() {
                "period" => {
                    n.period = args::duration(args::get(&p.args, 0, p.pos, "period")?, "period")?
                }
                "every" => {
                    n.every = args::duration(args::get(&p.args, 0, p.pos, "every")?, "every")?;
                    every_set = true;
                }
                "align" => n.align = args::flag(p)?,
                "fillPeriod" => n.fill_period = args::flag(p)?,
                "periodCount" => {
                    counts.0 = Some(args::int(
                        args::get(&p.args, 0, p.pos, "periodCount")?,
                        "periodCount",
                    )?)
                }
                "everyCount" => {
                    counts.1 = Some(args::int(
                        args::get(&p.args, 0, p.pos, "everyCount")?,
                        "everyCount",
                    )?)
                }
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("no method or property \"{other}\" on WindowNode"),
                    ));
                }
            }
        }
        match counts {
            (None, None) => {}
            (Some(_), _) if n.period != 0 => {
                return Err(TickError::at(
                    def.pos,
                    "window: cannot specify both period and periodCount",
                ))
            }
            (Some(_), _) if n.align => {
                return Err(TickError::at(
                    def.pos,
                    "window: can only align windows based off time, not count",
                ))
            }
            (Some(pc), Some(ec)) if pc > 0 && ec > 0 => {
                n.period_count = pc as usize;
                n.every_count = ec as usize;
                return Ok(n);
            }
            (Some(pc), _) if pc <= 0 => {
                return Err(TickError::at(
                    def.pos,
                    "window: periodCount must be greater than zero",
                ))
            }
            (Some(_), _) => {
                return Err(TickError::at(
                    def.pos,
                    "window: everyCount must be greater than zero",
                ))
            }
            (None, Some(_)) => {
                return Err(TickError::at(
                    def.pos,
                    "window: everyCount needs periodCount",
                ))
            }
        }
        if n.period <= 0 && n.every <= 0 {
            return Err(TickError::at(
                def.pos,
                "window: period and every must be set",
            ));
        }
        if n.every < 0 {
            return Err(TickError::at(def.pos, "window: every must not be negative"));
        }
        // `.every(0s)` emits on every point; no `.every()` means every period.
        if n.every == 0 && !every_set {
            n.every = n.period;
        }
        if n.period <= 0 {
            n.period = n.every;
        }
        Ok(n)
    }

    fn first_emit(&self, t: i64) -> i64 {
        let (period, every, align) = (self.period, self.every, self.align);
        if self.fill_period {
            let first = t + period;
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
        } else if align && every > 0 {
            truncate(t + every, every)
        } else {
            t + every
        }
    }

    /// Emits the time window of `g` due at `g.next_emit` and schedules the
    /// next one after `now`.
    fn emit_due(&self, g: &mut GroupWindow, now: i64, out: &mut Vec<Msg>) {
        emit_due(self.period, self.every, self.align, g, now, out)
    }

    fn insert_sorted(buf: &mut VecDeque<Point>, p: Point) {
        let pos = buf.partition_point(|q| q.time <= p.time);
        buf.insert(pos, p);
    }
}

impl Node for WindowNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let Msg::Point(p) = msg else {
            return Err(NodeError("window expects points (a stream edge)".into()));
        };
        let first = self.first_emit(p.time);
        self.key.clear();
        p.write_group_id(&mut self.key);
        if !self.groups.contains_key(self.key.as_str()) {
            let g = GroupWindow {
                name: p.name.clone(),
                tags: p.group_tags_shared(),
                dims: p.dims.clone(),
                next_emit: None,
                buf: VecDeque::new(),
                count: 0,
            };
            self.groups.insert(self.key.clone(), g);
        }
        let g = self
            .groups
            .get_mut(self.key.as_str())
            .expect("inserted above");
        if self.period_count > 0 {
            g.buf.push_back(p);
            if g.buf.len() > self.period_count {
                g.buf.pop_front();
            }
            g.count += 1;
            let first_count = if self.fill_period {
                self.period_count
            } else {
                self.every_count
            };
            if g.count >= first_count && (g.count - first_count).is_multiple_of(self.every_count) {
                out.push(Msg::Batch(Batch {
                    name: g.name.clone(),
                    tags: g.tags.clone(),
                    tmax: g.buf.back().map_or(0, |q| q.time),
                    dims: g.dims.clone(),
                    points: g.buf.iter().cloned().collect(),
                }));
            }
            return Ok(());
        }
        let (period, every, align) = (self.period, self.every, self.align);
        let next = *g.next_emit.get_or_insert(first);
        if every == 0 {
            // Right-aligned window (time - period, time] including the point.
            Self::insert_sorted(&mut g.buf, p.clone());
            if p.time >= next {
                let oldest = p.time - period;
                while g.buf.front().is_some_and(|q| q.time <= oldest) {
                    g.buf.pop_front();
                }
                out.push(Msg::Batch(Batch {
                    name: g.name.clone(),
                    tags: g.tags.clone(),
                    tmax: p.time,
                    dims: g.dims.clone(),
                    points: g.buf.iter().cloned().collect(),
                }));
                g.next_emit = Some(p.time);
            }
            return Ok(());
        }
        if p.time >= next {
            emit_due(period, every, align, g, p.time, out);
        }
        Self::insert_sorted(&mut g.buf, p);
        Ok(())
    }

    fn barrier(
        &mut self,
        _: &NodeCtx<'_>,
        _: usize,
        b: &Barrier,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        if self.period_count > 0 {
            if b.delete {
                self.groups.remove(&b.group);
            }
            return Ok(());
        }
        let Some(mut g) = self.groups.remove(&b.group) else {
            return Ok(());
        };
        if g.next_emit.is_some_and(|next| b.time >= next) {
            self.emit_due(&mut g, b.time, out);
        }
        if !b.delete {
            self.groups.insert(b.group.clone(), g);
        }
        Ok(())
    }
}

/// Emits the window `[next - period, next)` of `g` (if it holds points) and
/// schedules the next emission `every` after `now`.
fn emit_due(
    period: i64,
    every: i64,
    align: bool,
    g: &mut GroupWindow,
    now: i64,
    out: &mut Vec<Msg>,
) {
    let Some(next) = g.next_emit else { return };
    let oldest = next - period;
    while g.buf.front().is_some_and(|q| q.time < oldest) {
        g.buf.pop_front();
    }
    if !g.buf.is_empty() {
        // Windows that do not overlap (every ≥ period) never need these
        // points again: they move into the batch instead of being copied.
        let points = if every >= period {
            g.buf.drain(..).collect()
        } else {
            g.buf.iter().cloned().collect()
        };
        out.push(Msg::Batch(Batch {
            name: g.name.clone(),
            tags: g.tags.clone(),
            tmax: next,
            dims: g.dims.clone(),
            points,
        }));
    }
    let due = now + every;
    g.next_emit = Some(if align && every > 0 {
        truncate(due, every)
    } else {
        due
    });
}
