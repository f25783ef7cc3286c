//! Kapacitor-compatible processing for Almanac.
//!
//! - [`tick`]: the TICKscript language (lexer, parser, AST, evaluation into
//!   a checked pipeline graph).
//! - [`model`]: points, batches and groups flowing through tasks.

#![warn(missing_docs)]

pub mod model;
pub mod tick;
