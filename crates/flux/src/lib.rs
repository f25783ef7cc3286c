//! Flux for Almanac: lexer, parser (JSON AST as InfluxDB 2 serves it), semantic
//! checks, a tree-walking interpreter over Arrow tables, the standard library
//! (universe, array, csv, testing, strings, math, …) and annotated CSV.

pub mod ast;
pub mod csv;
pub mod error;
pub mod interp;
pub mod lexer;
pub mod parser;
pub mod pushdown;
pub mod read_plan;
pub mod semantic;
pub mod source;
pub mod stdlib;
pub mod suggest;
pub mod table;
pub mod value;

pub use csv::{encode as encode_csv, encode_error, encode_with, Dialect};
pub use error::{Error, Result};
pub use interp::ExecContext;
pub use parser::{parse_file, parse_package};
pub use source::{
    series_table, series_table_with, BucketInfo, ConstColumns, Edge, EmptySource, FluxSource,
    MemPoint, MemorySource, PushdownPredicate, SeriesData, SeriesRead, WritePoint,
};
pub use table::{ColMeta, ColType, GroupKey, Table};
pub use value::Value;

/// Parse, check and run a Flux script; returns the yielded results in order
/// (`_result` for streams that are not yielded explicitly).
pub fn execute(
    script: &str,
    ctx: &ExecContext,
    source: &dyn FluxSource,
) -> Result<Vec<(String, Vec<Table>)>> {
    let file = parse_file(script)?;
    let mut it = interp::Interp::new(source, ctx.clone())?;
    semantic::check(&file, &it)?;
    it.run_file(&file)?;
    Ok(it.results)
}

/// The yielded results of a script and, when it failed while running, the
/// error (results produced before it are kept: an HTTP answer may already
/// carry them). Errors found before it runs (syntax, semantics) are `Err`.
pub type Outcome = (Vec<(String, Vec<Table>)>, Option<Error>);

/// Like [`execute`], keeping the results yielded before a runtime error.
pub fn execute_partial(
    script: &str,
    ctx: &ExecContext,
    source: &dyn FluxSource,
) -> Result<Outcome> {
    let file = parse_file(script)?;
    let mut it = interp::Interp::new(source, ctx.clone())?;
    semantic::check(&file, &it)?;
    match it.run_file(&file) {
        Ok(()) => Ok((it.results, None)),
        // a semantic error found while running (an undefined name in a
        // branch the checker does not follow) is still a compile error
        Err(e) if e.is_compile_error() && it.results.is_empty() => Err(e),
        Err(e) => Ok((std::mem::take(&mut it.results), Some(e))),
    }
}
