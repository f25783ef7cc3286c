//! `stats`: every `interval` of wall-clock time, emits how many messages
//! the parent node has emitted so far (field `emitted`). Used by `deadman`.

use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Dimensions, FieldValue, Fields, Msg, Point, Tags};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `stats` node.
pub struct StatsNode {
    interval: i64,
    align: bool,
    next: Option<i64>,
}

impl StatsNode {
    /// Builds from `stats(interval)` and `.align()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 1, def.pos, "stats")?;
        let interval = args::duration(&def.args[0], "interval")?;
        if interval <= 0 {
            return Err(TickError::at(def.args[0].pos, "stats interval must be > 0"));
        }
        let mut n = StatsNode {
            interval,
            align: false,
            next: None,
        };
        for p in &def.props {
            if p.name == "align" {
                n.align = args::flag(p)?;
            }
        }
        Ok(n)
    }
}

impl Node for StatsNode {
    fn process(
        &mut self,
        _: &NodeCtx<'_>,
        _msg: Msg,
        _out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        // Data from the watched node is not forwarded; only its counters are.
        Ok(())
    }

    fn tick(&mut self, ctx: &NodeCtx<'_>, now: i64, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let next = *self.next.get_or_insert_with(|| {
            let t = now + self.interval;
            if self.align {
                t - t.rem_euclid(self.interval)
            } else {
                t
            }
        });
        if now < next {
            return Ok(());
        }
        let at = if self.align {
            now - now.rem_euclid(self.interval)
        } else {
            now
        };
        self.next = Some(next + self.interval * ((now - next) / self.interval + 1));
        let mut fields = Fields::new();
        fields.insert("emitted".into(), FieldValue::Int(ctx.parent_emitted as i64));
        let mut tags = Tags::new();
        tags.insert("task".into(), ctx.task.to_string());
        tags.insert("node".into(), ctx.node.to_string());
        out.push(Msg::Point(Point {
            database: "".into(),
            retention_policy: "".into(),
            name: "stats".into(),
            tags: Arc::new(tags),
            fields: Arc::new(fields),
            time: at,
            dims: Arc::new(Dimensions::default()),
        }));
        Ok(())
    }
}
