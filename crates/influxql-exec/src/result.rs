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
    /// Columns influxd holds as a Go `int`, a type its CSV writer does not
    /// print: the cells keep the column's name there (SHOW RETENTION
    /// POLICIES' `replicaN`).
    pub csv_name_columns: Vec<usize>,
}

impl Series {
    /// A series named `name` with `columns` and no rows.
    pub fn new(name: impl Into<String>, columns: &[&str]) -> Series {
        Series {
            name: name.into(),
            tags: BTreeMap::new(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            values: Vec::new(),
            csv_name_columns: Vec::new(),
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

/// The error influxd 1.6.7 gives the statements after a failing one.
pub const NOT_EXECUTED: &str = "not executed";

/// What influxd 1.6.7 streams (`chunked=true`) when statement `failed.statement_id`
/// of a query of `total` statements fails: the failure, then one `not executed`
/// result per later statement but the last, all with the failing statement's id
/// (its executor stops at the first error and labels those results so).
pub fn results_after_failure(failed: StatementResult, total: usize) -> Vec<StatementResult> {
    let id = failed.statement_id;
    let mut out = vec![failed];
    for _ in id + 1..total {
        let mut r = StatementResult::error(NOT_EXECUTED);
        r.statement_id = id;
        out.push(r);
    }
    out
}

/// The failing statement's result as influxd 1.6.7 answers it whole (JSON,
/// CSV, MessagePack): its handler merges results of the same id, so a
/// `not executed` that follows replaces the failure itself.
pub fn merged_failure(failed: StatementResult, total: usize) -> StatementResult {
    let id = failed.statement_id;
    results_after_failure(failed, total)
        .into_iter()
        .last()
        .map(|mut r| {
            r.statement_id = id;
            r
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(id: usize) -> StatementResult {
        let mut r = StatementResult::error("boom");
        r.statement_id = id;
        r.series.push(Series::new("cpu", &["time"]));
        r
    }

    #[test]
    fn later_statements_are_not_executed() {
        // Four statements, the first fails: influxd streams the error and three
        // "not executed" results, all with statement id 0.
        let streamed = results_after_failure(failed(0), 4);
        assert_eq!(streamed.len(), 4);
        assert_eq!(streamed[0].error.as_deref(), Some("boom"));
        for r in &streamed[1..] {
            assert_eq!(
                (r.statement_id, r.error.as_deref()),
                (0, Some(NOT_EXECUTED))
            );
        }
        // Merged, the failure itself is replaced.
        let merged = merged_failure(failed(1), 3);
        assert_eq!(merged.statement_id, 1);
        assert_eq!(merged.error.as_deref(), Some(NOT_EXECUTED));
        assert!(merged.series.is_empty());
        // The last statement failing keeps its own error.
        assert_eq!(results_after_failure(failed(2), 3).len(), 1);
        assert_eq!(merged_failure(failed(2), 3), failed(2));
    }
}
