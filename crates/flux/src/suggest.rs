//! Function suggestions for `/api/v2/query/suggestions`: every function of
//! the universe (natives with their signatures, Flux-defined functions with
//! their parameters) as InfluxDB 2 lists them, `{name, params: {name: type}}`.
//!
//! Parameter types come from what the library knows: the pipe parameter is a
//! `stream`, a parameter with a literal default has that literal's type; the
//! native signatures carry no types, so their other parameters are `any`.

use crate::ast::{Expression, FunctionExpression};
use crate::interp::{ExecContext, Interp};
use crate::source::EmptySource;
use crate::value::{Function, Value};
use std::collections::BTreeMap;

/// One function as the suggestions API lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Function name.
    pub name: String,
    /// Parameter name → type name.
    pub params: BTreeMap<String, String>,
}

/// All functions of the universe, sorted by name.
pub fn suggestions() -> crate::Result<Vec<Suggestion>> {
    let it = Interp::new(&EmptySource, ExecContext::default())?;
    let mut out: Vec<Suggestion> = it
        .universe
        .entries()
        .into_iter()
        .filter(|(name, _)| !name.starts_with('_'))
        .filter_map(|(name, v)| match v {
            Value::Function(f) => Some(Suggestion {
                params: params(&f),
                name,
            }),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One function by name (`None` when the universe has no such function).
pub fn suggestion(name: &str) -> crate::Result<Option<Suggestion>> {
    Ok(suggestions()?.into_iter().find(|s| s.name == name))
}

fn params(f: &Function) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match f {
        Function::Native { sig, .. } => {
            for p in sig.required.iter().chain(&sig.optional) {
                out.insert(p.to_string(), "any".to_string());
            }
            if let Some(p) = sig.pipe {
                out.insert(p.to_string(), "stream".to_string());
            }
        }
        Function::Closure { expr, .. } => closure_params(expr, &mut out),
    }
    out
}

fn closure_params(expr: &FunctionExpression, out: &mut BTreeMap<String, String>) {
    for p in expr.params.iter() {
        let typ = match &p.value {
            Some(Expression::PipeLiteral(_)) => "stream",
            Some(e) => literal_type(e),
            None => "any",
        };
        out.insert(p.key.name().to_string(), typ.to_string());
    }
}

/// The type of a default value written as a literal.
fn literal_type(e: &Expression) -> &'static str {
    match e {
        Expression::StringLiteral(_) | Expression::StringExpression(_) => "string",
        Expression::IntegerLiteral(_) => "int",
        Expression::UnsignedIntegerLiteral(_) => "uint",
        Expression::FloatLiteral(_) => "float",
        Expression::BooleanLiteral(_) => "bool",
        Expression::DurationLiteral(_) => "duration",
        Expression::DateTimeLiteral(_) => "time",
        Expression::RegexpLiteral(_) => "regexp",
        Expression::ArrayExpression(_) => "array",
        Expression::ObjectExpression(_) => "record",
        Expression::FunctionExpression(_) => "function",
        Expression::Identifier(id) if id.name == "true" || id.name == "false" => "bool",
        _ => "any",
    }
}
