//! Alert handlers, one module each, behind a small registry: [`validate`]
//! checks a spec's options when it is defined, [`deliver`] sends an event.
//! Every handler sends Kapacitor's alert data JSON
//! ([`AlertEvent::alert_data`]).

pub mod exec;
pub mod log;
pub mod post;
pub mod slack;
pub mod tcp;

use super::{AlertEvent, HandlerSpec};

/// Handler kinds this engine implements.
pub const KINDS: &[&str] = &["log", "post", "tcp", "exec", "slack"];

/// Checks a handler spec (kind known, required options present and typed).
pub fn validate(spec: &HandlerSpec) -> Result<(), String> {
    if !spec.match_expr.is_empty() {
        return Err("not supported yet: handler match expressions".into());
    }
    match spec.kind.as_str() {
        "log" => log::LogOptions::from_spec(spec).map(|_| ()),
        "post" => post::PostOptions::from_spec(spec).map(|_| ()),
        "tcp" => tcp::TcpOptions::from_spec(spec).map(|_| ()),
        "exec" => exec::ExecOptions::from_spec(spec).map(|_| ()),
        "slack" => slack::SlackOptions::from_spec(spec).map(|_| ()),
        other => Err(format!("not supported yet: alert handler kind {other:?}")),
    }
}

/// Whether delivery of this kind must run on the async runtime.
pub fn is_async(kind: &str) -> bool {
    kind != "log"
}

/// Delivers synchronously (only `log`).
pub fn deliver_sync(spec: &HandlerSpec, event: &AlertEvent) -> Result<(), String> {
    match spec.kind.as_str() {
        "log" => log::deliver(&log::LogOptions::from_spec(spec)?, event),
        other => Err(format!("handler {other} is asynchronous")),
    }
}

/// Delivers one event through one handler.
pub async fn deliver(
    client: &reqwest::Client,
    spec: &HandlerSpec,
    event: &AlertEvent,
) -> Result<(), String> {
    match spec.kind.as_str() {
        "log" => log::deliver(&log::LogOptions::from_spec(spec)?, event),
        "post" => post::deliver(client, &post::PostOptions::from_spec(spec)?, event).await,
        "tcp" => tcp::deliver(&tcp::TcpOptions::from_spec(spec)?, event).await,
        "exec" => exec::deliver(&exec::ExecOptions::from_spec(spec)?, event).await,
        "slack" => slack::deliver(client, &slack::SlackOptions::from_spec(spec)?, event).await,
        other => Err(format!("not supported yet: alert handler kind {other:?}")),
    }
}

/// Reads a required string option.
pub(crate) fn opt_str(spec: &HandlerSpec, key: &str) -> Result<String, String> {
    match spec.options.get(key) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(format!(
            "{} handler: option {key:?} must be a non-empty string",
            spec.kind
        )),
        None => Err(format!("{} handler: missing option {key:?}", spec.kind)),
    }
}
