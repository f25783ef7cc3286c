//! InfluxQL as InfluxDB 1.8 speaks it: lexer, parser, AST, canonical display
//! and bind parameters.
//!
//! ```
//! use almanac_influxql::{parse_statement, Statement};
//!
//! let stmt = parse_statement("select mean(value) from cpu where time > now() - 1h group by time(10m)").unwrap();
//! assert!(matches!(stmt, Statement::Select(_)));
//! assert_eq!(
//!     stmt.to_string(),
//!     "SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(10m)"
//! );
//! ```
//!
//! Errors carry InfluxDB's wording and position:
//!
//! ```
//! let err = almanac_influxql::parse_query("FOO").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "found FOO, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1"
//! );
//! ```

pub mod ast;
mod display;
mod error;
mod lexer;
pub mod params;
mod parser;

pub use ast::*;
pub use display::{format_duration, quote_ident, quote_string};
pub use error::{ParseError, Pos};
pub use lexer::parse_duration;
pub use params::bind;
pub use parser::{parse_expr, parse_query, parse_query_with_params, parse_statement};
