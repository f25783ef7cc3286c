//! The 1.x result model: statements produce series of rows.

use std::collections::BTreeMap;

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (JSON `null`).
    Null,
    /// A float field or computed value.
    Float(f64),
    /// An integer field or count.
    Integer(i64),
    /// An unsigned field.
    Unsigned(u64),
    /// A string field, tag value or name.
    String(String),
    /// A boolean field.
    Boolean(bool),
    /// A timestamp in nanoseconds since the epoch, rendered per the `epoch` parameter.
    Time(i64),
    /// A list of strings (JSON array), e.g. SHOW SUBSCRIPTIONS' destinations.
    Strings(Vec<String>),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

/// One series of a result: a name, the tags of its group and rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Measurement (or pseudo-measurement such as `databases`) name.
    pub name: String,
    /// Tags of the group (empty when the statement has no GROUP BY tags).
    pub tags: BTreeMap<String, String>,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub values: Vec<Vec<Value>>,
}

impl Series {
    /// A series named `name` with `columns` and no rows.
    pub fn new(name: impl Into<String>, columns: &[&str]) -> Series {
        Series {
            name: name.into(),
            tags: BTreeMap::new(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            values: Vec::new(),
        }
    }
}

/// What one statement produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementResult {
    /// Position of the statement in the query (0-based).
    pub statement_id: usize,
    /// Series returned, in order.
    pub series: Vec<Series>,
    /// Informational messages (`{"level": ..., "text": ...}`).
    pub messages: Vec<Message>,
    /// The error, when the statement failed.
    pub error: Option<String>,
    /// Time zone from `tz()`, for rendering times as RFC3339.
    pub timezone: Option<chrono_tz::Tz>,
}

impl StatementResult {
    /// A successful result with `series`.
    pub fn with_series(series: Vec<Series>) -> StatementResult {
        StatementResult {
            series,
            ..Default::default()
        }
    }

    /// A failed result.
    pub fn error(message: impl Into<String>) -> StatementResult {
        StatementResult {
            error: Some(message.into()),
            ..Default::default()
        }
    }
}

/// A message attached to a statement result (e.g. a deprecation warning).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `info` or `warning`.
    pub level: String,
    /// The message text.
    pub text: String,
}
