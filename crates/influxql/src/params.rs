//! Bind parameters (`$name`) from the `params` JSON object.

use crate::ast::Statement;
use crate::error::ParseError;

/// Substitutes every `$name` of the statement from `params`.
pub fn bind(
    _stmt: &mut Statement,
    _params: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ParseError> {
    Err(ParseError::bare("not supported yet: bind parameters"))
}
