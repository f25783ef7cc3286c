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

//! ## Behaviour worth knowing
//!
//! - The parser follows InfluxDB 1.8's token by token, including its quirks:
//!   a comment right after `SELECT` is scanned as a regex, `-x` becomes
//!   `-1 * x`, string tokens are reported one char before their quote, EOF
//!   one char further when the last token ran into it, `ORDER BY` accepts
//!   only `time`, `LIMIT` values beyond `i64` are clamped.
//! - Checks InfluxDB makes at parse time are made here (durations, `INF`
//!   shard durations, replication range, duplicate `ALTER` options, `tz()`
//!   names, regex syntax, CQ `GROUP BY time(...)` and `RESAMPLE ... FOR`,
//!   `DELETE`/`DROP SERIES` source qualifiers). The `GROUP BY` dimension
//!   checks InfluxDB makes when compiling are made here too and flagged with
//!   [`ParseError::validation`]. Everything else its compiler checks
//!   (function arity, mixing aggregates and raw fields, `at least 1 non-time
//!   field`, ...) is the executor's job.
//! - [`parse_query_with_params`] substitutes bind parameters while scanning,
//!   exactly as InfluxDB; [`parse_query`] keeps `$name` as
//!   [`Expr::BindParam`] for [`bind`].
//! - `Display` writes InfluxDB's canonical text (floats with three decimals
//!   unless that loses precision, passwords `[REDACTED]`, identifiers quoted
//!   only when needed); displaying then parsing gives back the same AST.
//!   Not kept by the AST (so not displayed): `ORDER BY ... ASC`, explicit
//!   `fill(null)`, `ORDER BY` in `SHOW` statements, `::type` on `GROUP BY` tags.
//! - Nesting deeper than 100 levels or more than 4096 operators in one
//!   expression is refused (`not supported yet: ...`) so that no input can
//!   exhaust the stack.

pub mod ast;
mod display;
mod error;
pub mod go_json;
pub mod holt_winters;
mod lexer;
pub mod params;
mod parser;

pub use ast::*;
pub use display::{format_duration, quote_ident, quote_string};
pub use error::{ParseError, Pos};
pub use lexer::parse_duration;
pub use params::bind;
pub use parser::{parse_expr, parse_query, parse_query_with_params, parse_statement};
