//! `sample`: keeps one point (or batch) in `n` per group, or the first of
//! each period of time per group (`sample(10s)`).

use std::collections::HashMap;

use super::{Node, NodeCtx, NodeError};
use crate::model::Msg;
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;

/// The `sample` node.
pub struct SampleNode {
    count: i64,
    every: i64,
    counts: HashMap<String, i64>,
    buckets: HashMap<String, i64>,
}

impl SampleNode {
    /// Builds from `sample(n)` or `sample(duration)`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        super::args::count(&def.args, 1, def.pos, "sample")?;
        let a = &def.args[0];
        let (count, every) = match a.value {
            Value::Int(n) if n > 0 => (n, 0),
            Value::Duration(d) if d > 0 => (0, d),
            ref v => {
                return Err(TickError::at(
                    a.pos,
                    format!(
                        "sample expects a positive count or duration, got {}",
                        v.type_name()
                    ),
                ))
            }
        };
        Ok(SampleNode {
            count,
            every,
            counts: HashMap::new(),
            buckets: HashMap::new(),
        })
    }
}

impl Node for SampleNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let key = msg.group_id();
        let keep = if self.count > 0 {
            let c = self.counts.entry(key).or_insert(0);
            let keep = *c % self.count == 0;
            *c += 1;
            keep
        } else {
            let bucket = msg.time() - msg.time().rem_euclid(self.every);
            self.buckets.insert(key, bucket) != Some(bucket)
        };
        if keep {
            out.push(msg);
        }
        Ok(())
    }
}
