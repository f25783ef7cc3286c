//! Parse errors, worded as InfluxDB 1.8 words them.

use std::fmt;

/// A 1-based position in the query text (line, character within the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, starting at 1.
    pub line: usize,
    /// Character (Unicode scalar) within the line, starting at 1.
    pub char: usize,
}

/// An error from parsing or binding InfluxQL.
///
/// `Display` gives `<message> at line L, char C` when the error has a
/// position, and `<message>` alone for the errors InfluxDB reports without
/// one (e.g. `missing parameter: x`, `fill must be a function call`).
/// The HTTP layer prefixes `error parsing query: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The message without the position.
    pub message: String,
    /// Where the error is, when InfluxDB reports a position.
    pub pos: Option<Pos>,
    /// True for the checks InfluxDB makes when it compiles a statement, not
    /// when it parses it (the `GROUP BY` dimension checks). InfluxDB reports
    /// those as the statement's result error, without the
    /// `error parsing query: ` prefix.
    pub validation: bool,
}

impl ParseError {
    /// An error at a position.
    pub fn at(message: impl Into<String>, pos: Pos) -> Self {
        Self {
            message: message.into(),
            pos: Some(pos),
            validation: false,
        }
    }

    /// An error InfluxDB reports without a position.
    pub fn bare(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            pos: None,
            validation: false,
        }
    }

    /// An error from InfluxDB's compile-time checks (see [`Self::validation`]).
    pub fn validation(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            pos: None,
            validation: true,
        }
    }

    /// `found X, expected A, B at line L, char C`.
    pub fn unexpected(found: &str, expected: &[&str], pos: Pos) -> Self {
        Self::at(
            format!("found {found}, expected {}", expected.join(", ")),
            pos,
        )
    }

    /// Line of the error (1-based), 0 when it has no position.
    pub fn line(&self) -> usize {
        self.pos.map(|p| p.line).unwrap_or(0)
    }

    /// Character of the error (1-based), 0 when it has no position.
    pub fn char(&self) -> usize {
        self.pos.map(|p| p.char).unwrap_or(0)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{} at line {}, char {}", self.message, p.line, p.char),
            None => f.write_str(&self.message),
        }
    }
}
