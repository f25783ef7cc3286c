//! Type checking of `@name()` nodes and their `.option(args)` calls against
//! a UDF's signature, while a TICKscript is evaluated.

use super::proto::{option_value::Value as OV, EdgeType, OptionValue, ValueType};
use super::registry::{registry, Signature};
use crate::tick::pipeline::{Arg, Pipeline, Value};
use crate::tick::{Pos, TickError};

/// Checks that `@name()` may be chained from node `parent` of `pipeline`.
pub fn check_node(
    pipeline: &Pipeline,
    parent: usize,
    name: &str,
    args: &[Arg],
    pos: Pos,
) -> Result<(), TickError> {
    let resolved = registry()
        .resolve(name)
        .map_err(|m| TickError::at(pos, m))?;
    if let Some(a) = args.first() {
        return Err(TickError::at(
            a.pos,
            format!("@{name}() takes no arguments; set its options with .option(value)"),
        ));
    }
    let sig = resolved.signature();
    if let (Some(wants), Some(has)) = (sig.wants, provides(pipeline, parent)) {
        if wants != has {
            return Err(TickError::at(
                pos,
                format!(
                    "cannot add child mismatched edges: {}:{} -> {name}:{}",
                    pipeline.nodes[parent].name(),
                    has.name(),
                    wants.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks `.option(args)` on UDF node `udf` (count and types of the arguments).
pub fn check_option(udf: &str, option: &str, args: &[Arg], pos: Pos) -> Result<(), TickError> {
    let resolved = registry().resolve(udf).map_err(|m| TickError::at(pos, m))?;
    option_values(resolved.signature(), udf, option, args, pos).map(|_| ())
}

/// The protocol values of `.option(args)`, checked against `sig`.
pub fn option_values(
    sig: &Signature,
    udf: &str,
    option: &str,
    args: &[Arg],
    pos: Pos,
) -> Result<Vec<OptionValue>, TickError> {
    let Some(types) = sig.options.get(option) else {
        let known: Vec<&str> = sig.options.keys().map(String::as_str).collect();
        return Err(TickError::at(
            pos,
            format!(
                "no option \"{option}\" on UDF @{udf} (options: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        ));
    };
    if args.len() != types.len() {
        return Err(TickError::at(
            pos,
            format!(
                "unexpected number of args to {option}, got {} expected {}",
                args.len(),
                types.len()
            ),
        ));
    }
    args.iter()
        .zip(types)
        .map(|(a, want)| {
            let (ty, v) = match &a.value {
                Value::Bool(b) => (ValueType::Bool, OV::BoolValue(*b)),
                Value::Int(i) => (ValueType::Int, OV::IntValue(*i)),
                Value::Float(f) => (ValueType::Double, OV::DoubleValue(*f)),
                Value::Str(s) => (ValueType::String, OV::StringValue(s.clone())),
                Value::Duration(d) => (ValueType::Duration, OV::DurationValue(*d)),
                other => {
                    return Err(TickError::at(
                        a.pos,
                        format!(
                            "unexpected arg to {option}, got {} expected {}",
                            other.type_name(),
                            want.name()
                        ),
                    ))
                }
            };
            if ty != *want {
                return Err(TickError::at(
                    a.pos,
                    format!(
                        "unexpected arg to {option}, got {} expected {}",
                        ty.name(),
                        want.name()
                    ),
                ));
            }
            Ok(OptionValue {
                r#type: ty as i32,
                value: Some(v),
            })
        })
        .collect()
}

/// The edge type node `id` emits (`None` when it emits nothing or it cannot be told).
pub fn provides(pipeline: &Pipeline, id: usize) -> Option<EdgeType> {
    let node = pipeline.nodes.get(id)?;
    let parent = || node.parent.and_then(|p| provides(pipeline, p));
    match node.kind.as_str() {
        "stream" | "from" | "stats" => Some(EdgeType::Stream),
        "batch" | "query" | "window" => Some(EdgeType::Batch),
        "top" | "bottom" | "distinct" => Some(EdgeType::Batch),
        "count" | "mean" | "median" | "mode" | "spread" | "sum" | "first" | "last" | "min"
        | "max" | "percentile" | "stddev" => Some(EdgeType::Stream),
        "influxDBOut" | "kapacitorLoopback" => None,
        k => match k.strip_prefix('@') {
            Some(udf) => match registry().resolve(udf) {
                Ok(r) => r.signature().provides.or_else(parent),
                Err(_) => None,
            },
            None => parent(),
        },
    }
}
