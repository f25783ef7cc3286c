//! The InfluxQL parser (being filled in).

use crate::ast::*;
use crate::error::ParseError;

/// Parses several statements separated by `;`.
pub fn parse_query(_text: &str) -> Result<Query, ParseError> {
    Err(ParseError::bare("not supported yet: InfluxQL parser"))
}

/// Parses several statements, substituting `$name` bind parameters while scanning.
pub fn parse_query_with_params(
    _text: &str,
    _params: &serde_json::Map<String, serde_json::Value>,
) -> Result<Query, ParseError> {
    Err(ParseError::bare("not supported yet: InfluxQL parser"))
}

/// Parses exactly one statement.
pub fn parse_statement(_text: &str) -> Result<Statement, ParseError> {
    Err(ParseError::bare("not supported yet: InfluxQL parser"))
}

/// Parses one expression.
pub fn parse_expr(_text: &str) -> Result<Expr, ParseError> {
    Err(ParseError::bare("not supported yet: InfluxQL parser"))
}
