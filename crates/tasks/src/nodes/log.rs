//! `log`: logs every message (through `tracing`) and passes it on.

use super::{args, Node, NodeCtx, NodeError};
use crate::model::Msg;
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `log` node.
pub struct LogNode {
    level: String,
    prefix: String,
}

impl LogNode {
    /// Builds from `.level('INFO')` and `.prefix('x')`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let mut n = LogNode {
            level: "INFO".into(),
            prefix: String::new(),
        };
        for p in &def.props {
            let v = args::string(args::get(&p.args, 0, p.pos, &p.name)?, &p.name)?;
            if p.name == "level" {
                let up = v.to_uppercase();
                if !["DEBUG", "INFO", "WARN", "ERROR"].contains(&up.as_str()) {
                    return Err(TickError::at(p.pos, format!("invalid log level {v}")));
                }
                n.level = up;
            } else {
                n.prefix = v;
            }
        }
        Ok(n)
    }
}

impl Node for LogNode {
    fn process(
        &mut self,
        ctx: &NodeCtx<'_>,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let text = crate::nodes::http_out::msg_json(&msg).to_string();
        let (task, node, prefix) = (ctx.task, ctx.node, &self.prefix);
        match self.level.as_str() {
            "DEBUG" => tracing::debug!(task, node, prefix, data = %text, "kapacitor log"),
            "WARN" => tracing::warn!(task, node, prefix, data = %text, "kapacitor log"),
            "ERROR" => tracing::error!(task, node, prefix, data = %text, "kapacitor log"),
            _ => tracing::info!(task, node, prefix, data = %text, "kapacitor log"),
        }
        out.push(msg);
        Ok(())
    }
}
