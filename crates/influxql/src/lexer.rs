//! The InfluxQL scanner (being filled in).

use crate::error::ParseError;

/// Parses an InfluxQL duration literal (`1h30m`, `10ms`, `5u`, `2w`) into ns.
pub fn parse_duration(_s: &str) -> Result<i64, ParseError> {
    Err(ParseError::bare("invalid duration"))
}
