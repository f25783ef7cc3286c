//! `httpPost`: POSTs each point or batch as Kapacitor's result JSON
//! (`{"series": [...]}`) to a URL, through the delivery worker.

use std::collections::BTreeMap;

use super::{args, Node, NodeCtx, NodeError};
use crate::alert::service::HttpPostJob;
use crate::model::Msg;
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// The `httpPost` node.
pub struct HttpPostNode {
    url: String,
    headers: BTreeMap<String, String>,
    timeout: i64,
    capture_response: bool,
}

impl HttpPostNode {
    /// Builds from `httpPost('url')` and `.header()`, `.timeout()`, `.captureResponse()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        // Endpoints from the configuration and status-code fields need a
        // synchronous delivery path this node does not have.
        if let Some(p) = def
            .props
            .iter()
            .find(|p| p.name == "endpoint" || p.name == "codeField")
        {
            return Err(TickError::at(
                p.pos,
                format!("not supported yet: httpPost .{}()", p.name),
            ));
        }
        args::count(&def.args, 1, def.pos, "httpPost")?;
        let url = args::string(&def.args[0], "url")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(TickError::at(
                def.args[0].pos,
                format!("httpPost: invalid url {url:?}"),
            ));
        }
        let mut n = HttpPostNode {
            url,
            headers: BTreeMap::new(),
            timeout: 10_000_000_000,
            capture_response: false,
        };
        for p in &def.props {
            match p.name.as_str() {
                "header" => {
                    args::count(&p.args, 2, p.pos, "header")?;
                    n.headers.insert(
                        args::string(&p.args[0], "header")?,
                        args::string(&p.args[1], "header")?,
                    );
                }
                "timeout" => {
                    n.timeout = args::duration(args::get(&p.args, 0, p.pos, "timeout")?, "timeout")?
                }
                "captureResponse" => n.capture_response = args::flag(p)?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        Ok(n)
    }
}

impl Node for HttpPostNode {
    fn process(
        &mut self,
        ctx: &NodeCtx<'_>,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let body =
            serde_json::json!({ "series": [crate::nodes::http_out::msg_json(&msg)] }).to_string();
        let job = HttpPostJob {
            url: self.url.clone(),
            headers: self.headers.clone(),
            timeout: self.timeout,
            body,
            capture_response: self.capture_response,
        };
        let queued = ctx.services.alerts.post(job);
        out.push(msg);
        if !queued {
            return Err(NodeError(
                "httpPost: the delivery worker is not running".into(),
            ));
        }
        Ok(())
    }
}
