//! Flux for Almanac: lexer, parser (JSON AST as InfluxDB 2 serves it), semantic
//! checks, a tree-walking interpreter over Arrow tables, the standard library
//! (universe, array, csv, testing, strings, math, …) and annotated CSV.

pub mod ast;
pub mod error;
pub mod lexer;
pub mod parser;

pub use error::{Error, Result};
pub use parser::{parse_file, parse_package};
