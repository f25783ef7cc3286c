//! The TICKscript language: [`lexer`], [`parser`], [`ast`], and [`pipeline`]
//! (evaluation of a script into a checked node graph).

pub mod ast;
pub mod lexer;
pub mod parser;
pub mod pipeline;

pub use parser::parse;

/// A position in a script (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line number.
    pub line: usize,
    /// Character in the line.
    pub col: usize,
}

/// A TICKscript syntax or type error, with its position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {} char {}: {message}", pos.line, pos.col)]
pub struct TickError {
    /// Where it happened.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

impl TickError {
    /// An error at `pos`.
    pub fn at(pos: Pos, message: impl Into<String>) -> TickError {
        TickError {
            pos,
            message: message.into(),
        }
    }
}
