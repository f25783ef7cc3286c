//! The alert system: levels, events, topics ([`service`]), the alert node
//! ([`node`]), message templates ([`template`]) and handlers ([`handlers`]).

pub mod handlers;
pub mod node;
pub mod service;
pub mod template;

use serde::{Deserialize, Serialize};

/// Alert levels, lowest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// No alert.
    #[default]
    Ok,
    /// Informational.
    Info,
    /// Warning.
    Warning,
    /// Critical.
    Critical,
}

impl Level {
    /// Kapacitor's name (`OK`, `INFO`, `WARNING`, `CRITICAL`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }

    /// Parses a level name (case-insensitive).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_uppercase().as_str() {
            "OK" => Level::Ok,
            "INFO" => Level::Info,
            "WARNING" => Level::Warning,
            "CRITICAL" => Level::Critical,
            _ => return None,
        })
    }
}

/// The current state of one alert id in a topic (Kapacitor's event state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventState {
    /// Rendered message.
    pub message: String,
    /// Rendered details.
    pub details: String,
    /// Time of the event, ns since the epoch.
    pub time: i64,
    /// How long the alert has been in a non-OK state, ns.
    pub duration: i64,
    /// Level.
    pub level: Level,
}

/// One alert event, as handlers receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// Topic it was published to.
    pub topic: String,
    /// Alert id.
    pub id: String,
    /// The new state.
    pub state: EventState,
    /// Level before this event.
    pub previous_level: Level,
    /// Whether the alert can recover (false for `noRecoveries`).
    pub recoverable: bool,
    /// The data that triggered it: `{"series": [...]}`.
    pub data: serde_json::Value,
    /// Task that raised it.
    pub task: String,
    /// Category (for inhibition).
    pub category: String,
    /// Tags of the triggering group (for inhibition).
    pub tags: crate::model::Tags,
}

impl AlertEvent {
    /// Kapacitor's alert data JSON (what the log and post handlers write).
    pub fn alert_data(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "message": self.state.message,
            "details": self.state.details,
            "time": crate::model::format_time(self.state.time),
            "duration": self.state.duration,
            "level": self.state.level.as_str(),
            "data": self.data,
            "previousLevel": self.previous_level.as_str(),
            "recoverable": self.recoverable,
        })
    }
}

/// A handler bound to a topic (or defined in a TICKscript): Kapacitor's
/// `{"id", "kind", "options", "match"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandlerSpec {
    /// Handler id (unique in its topic).
    pub id: String,
    /// Handler kind (`log`, `post`, `tcp`, `exec`).
    pub kind: String,
    /// Kind-specific options.
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// Optional match expression (a lambda body over `level()`, `changed()`, tags).
    #[serde(default, rename = "match", skip_serializing_if = "String::is_empty")]
    pub match_expr: String,
}
