//! Errors of every phase (parse, check, evaluation), worded as Flux words them.

use crate::ast::Location;

/// An error raised while compiling or running a Flux script.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum Error {
    /// A syntax error with its source range (`error @1:5-1:8: expected ...`).
    #[error("error @{}:{}-{}:{}: {msg}", .loc.start.line, .loc.start.column, .loc.end.line, .loc.end.column)]
    Syntax {
        /// Where the error is.
        loc: Location,
        /// What went wrong.
        msg: String,
    },
    /// A semantic (name, arity or type) error with its source range.
    #[error("error @{}:{}-{}:{}: {msg}", .loc.start.line, .loc.start.column, .loc.end.line, .loc.end.column)]
    Semantic {
        /// Where the error is.
        loc: Location,
        /// What went wrong.
        msg: String,
    },
    /// A runtime error (evaluation of an expression or a table function).
    #[error("{0}")]
    Runtime(String),
    /// A feature of Flux this implementation does not support yet.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    /// An error raised by the data source.
    #[error("source error: {0}")]
    Source(String),
    /// Something the script names does not exist (a bucket).
    #[error("{0}")]
    NotFound(String),
    /// The caller may not read or write what the script names.
    #[error("{0}")]
    PermissionDenied(String),
}

impl Error {
    /// Whether the error was found before the script ran (syntax, names, types).
    pub fn is_compile_error(&self) -> bool {
        matches!(self, Error::Syntax { .. } | Error::Semantic { .. })
    }

    /// A runtime error with the given message.
    pub fn rt(msg: impl Into<String>) -> Self {
        Error::Runtime(msg.into())
    }

    /// A runtime error for a function argument (`name: message`).
    pub fn unsupported(what: impl Into<String>) -> Self {
        Error::Unsupported(what.into())
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::Runtime(format!("arrow: {e}"))
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
