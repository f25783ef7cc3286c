//! `barrier`: emits a barrier per group on the wall clock, so that nodes
//! below (such as `window`) can close their windows when data stops, as
//! Kapacitor's barrier node does.
//!
//! - `.idle(d)`: a barrier once a group has received nothing for `d`.
//! - `.period(d)`: a barrier every `d` per group (from the group's first
//!   message on).
//! - `.delete(TRUE)`: the barrier also deletes the group (in this node and
//!   the nodes below that keep per-group state); a new message recreates it.
//!
//! The barrier carries the current time; messages older than the last
//! barrier of their group are dropped. Idle time is measured on the task's
//! wall-clock ticks (four per second in the server).

use std::collections::HashMap;
use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Dimensions, Msg, Tags};
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;

/// A barrier: for group `group`, time has reached `time` (Kapacitor's
/// BarrierMessage; with `delete`, also its DeleteGroupMessage).
#[derive(Debug, Clone, PartialEq)]
pub struct Barrier {
    /// Group id (as [`crate::model::Point::group_id`]).
    pub group: String,
    /// Measurement of the group.
    pub name: String,
    /// The group's tags.
    pub tags: Tags,
    /// Grouping.
    pub dims: Arc<Dimensions>,
    /// Wall-clock time of the barrier, ns.
    pub time: i64,
    /// Nodes below forget the group after handling the barrier.
    pub delete: bool,
}

struct GroupState {
    name: Arc<str>,
    tags: Arc<Tags>,
    dims: Arc<Dimensions>,
    /// A message arrived since the last tick.
    active: bool,
    /// Wall-clock time of the last activity (or barrier), once ticked.
    last: Option<i64>,
    /// Time of the last barrier emitted.
    last_barrier: Option<i64>,
}

/// The `barrier` node.
pub struct BarrierNode {
    idle: i64,
    period: i64,
    delete: bool,
    groups: HashMap<String, GroupState>,
    pending: Vec<Barrier>,
    emitted: u64,
}

impl BarrierNode {
    /// Builds from `barrier()` with `.idle()` or `.period()`, and `.delete()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "barrier")?;
        let mut n = BarrierNode {
            idle: 0,
            period: 0,
            delete: false,
            groups: HashMap::new(),
            pending: Vec::new(),
            emitted: 0,
        };
        for p in &def.props {
            match p.name.as_str() {
                "idle" => n.idle = args::duration(args::get(&p.args, 0, p.pos, "idle")?, "idle")?,
                "period" => {
                    n.period = args::duration(args::get(&p.args, 0, p.pos, "period")?, "period")?
                }
                "delete" => {
                    n.delete = match p.args.first() {
                        None => true,
                        Some(a) => match a.value {
                            Value::Bool(b) => b,
                            ref v => {
                                return Err(TickError::at(
                                    a.pos,
                                    format!("delete: expected bool, got {}", v.type_name()),
                                ))
                            }
                        },
                    }
                }
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("no method or property \"{other}\" on BarrierNode"),
                    ))
                }
            }
        }
        if n.idle != 0 && n.period != 0 {
            return Err(TickError::at(
                def.pos,
                "barrier: cannot specify both idle and period",
            ));
        }
        if n.period == 0 && n.idle <= 0 {
            return Err(TickError::at(
                def.pos,
                "barrier: idle must be greater than zero",
            ));
        }
        if n.idle == 0 && n.period <= 0 {
            return Err(TickError::at(
                def.pos,
                "barrier: period must be greater than zero",
            ));
        }
        Ok(n)
    }
}

impl Node for BarrierNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let key = msg.group_id();
        let g = self.groups.entry(key).or_insert_with(|| {
            let (name, tags, dims) = match &msg {
                Msg::Point(p) => (p.name.clone(), p.group_tags_shared(), p.dims.clone()),
                Msg::Batch(b) => (b.name.clone(), b.tags.clone(), b.dims.clone()),
            };
            GroupState {
                name,
                tags,
                dims,
                active: true,
                last: None,
                last_barrier: None,
            }
        });
        if g.last_barrier.is_some_and(|t| msg.time() < t) {
            return Ok(());
        }
        g.active = true;
        out.push(msg);
        Ok(())
    }

    fn tick(&mut self, _: &NodeCtx<'_>, now: i64, _: &mut Vec<Msg>) -> Result<(), NodeError> {
        let mut fired = Vec::new();
        for (key, g) in self.groups.iter_mut() {
            let last = *g.last.get_or_insert(now);
            let due = if self.idle > 0 {
                if g.active {
                    g.last = Some(now);
                    false
                } else {
                    now - last >= self.idle
                }
            } else {
                now - last >= self.period
            };
            g.active = false;
            if due {
                g.last = Some(now);
                g.last_barrier = Some(now);
                fired.push(Barrier {
                    group: key.clone(),
                    name: g.name.to_string(),
                    tags: (*g.tags).clone(),
                    dims: g.dims.clone(),
                    time: now,
                    delete: self.delete,
                });
            }
        }
        fired.sort_by(|a, b| a.group.cmp(&b.group));
        if self.delete {
            for b in &fired {
                self.groups.remove(&b.group);
            }
        }
        self.emitted += fired.len() as u64;
        self.pending.extend(fired);
        Ok(())
    }

    fn take_barriers(&mut self) -> Vec<Barrier> {
        std::mem::take(&mut self.pending)
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![("barriers_emitted", self.emitted)]
    }
}
