//! Canonical InfluxQL text for the AST (being filled in).

/// Quotes an identifier when InfluxQL needs it.
pub fn quote_ident(s: &str) -> String {
    format!("\"{s}\"")
}

/// Quotes a string literal.
pub fn quote_string(s: &str) -> String {
    format!("'{s}'")
}

/// Formats a duration in ns the way InfluxDB does.
pub fn format_duration(d: i64) -> String {
    format!("{d}ns")
}
