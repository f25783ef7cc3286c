//! Bind parameters (`$name`) from the `params` JSON object of `/query`.
//!
//! InfluxDB 1.8 maps each JSON value to a literal: numbers with a `.` are
//! floats, others integers; strings are string literals; booleans are
//! booleans; an object with exactly one entry names the kind:
//! `{"identifier": "cpu"}`, `{"regex": "^a"}`, `{"string": ".."}`,
//! `{"float": 1}`, `{"integer": 1}`, `{"duration": "1h"}` or
//! `{"duration": 3600000000000}`. Anything else fails when used.
//!
//! [`crate::parse_query_with_params`] substitutes while scanning, exactly as
//! InfluxDB does (a parameter may then stand anywhere a token may).
//! [`bind`] substitutes the [`Expr::BindParam`]s of an already parsed
//! statement (expression positions only).

use crate::ast::*;
use crate::error::ParseError;
use crate::lexer::{parse_duration, Tok};
use serde_json::Value;

/// A JSON parameter converted to the InfluxQL literal it stands for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BoundValue {
    Ident(String),
    Str(String),
    Regex(String),
    Number(f64),
    Integer(i64),
    Bool(bool),
    Duration(String),
    /// A value that cannot be bound: the message is the error when it is used.
    Error(String),
}

fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(_) => "json.Number",
    }
}

/// A JSON number as InfluxDB reads it: integer unless written with a `.`.
fn number(n: &serde_json::Number) -> Result<Value, String> {
    if let Some(i) = n.as_i64() {
        return Ok(Value::from(i));
    }
    if n.is_u64() {
        return Err(format!(
            "strconv.ParseInt: parsing \"{n}\": value out of range"
        ));
    }
    Ok(Value::from(n.as_f64().unwrap_or(0.0)))
}

impl BoundValue {
    /// Converts one JSON parameter.
    pub(crate) fn from_json(v: &Value) -> BoundValue {
        let v = match v {
            Value::Number(n) => match number(n) {
                Ok(v) => v,
                Err(e) => return BoundValue::Error(e),
            },
            other => other.clone(),
        };
        match &v {
            Value::Number(n) => match n.as_i64() {
                Some(i) if !n.is_f64() => BoundValue::Integer(i),
                _ => BoundValue::Number(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => BoundValue::Str(s.clone()),
            Value::Bool(b) => BoundValue::Bool(*b),
            Value::Object(m) => Self::from_object(m),
            other => BoundValue::Error(format!(
                "unable to bind parameter with type {}",
                go_type_name(other)
            )),
        }
    }

    fn from_object(m: &serde_json::Map<String, Value>) -> BoundValue {
        if m.len() != 1 {
            return BoundValue::Error(
                "bound object parameter value must have exactly one entry".into(),
            );
        }
        let Some((k, v)) = m.iter().next() else {
            return BoundValue::Error(
                "bound object parameter value must have exactly one entry".into(),
            );
        };
        let v = match v {
            Value::Number(n) => match number(n) {
                Ok(v) => v,
                Err(e) => return BoundValue::Error(e),
            },
            other => other.clone(),
        };
        let as_int = |v: &Value| match v {
            Value::Number(n) if !n.is_f64() => n.as_i64(),
            _ => None,
        };
        match k.as_str() {
            "ident" | "identifier" => match v {
                Value::String(s) => BoundValue::Ident(s),
                _ => BoundValue::Error("identifier must be a string value".into()),
            },
            "regex" => match v {
                Value::String(s) => BoundValue::Regex(s),
                _ => BoundValue::Error("regex literal must be a string value".into()),
            },
            "string" => match v {
                Value::String(s) => BoundValue::Str(s),
                _ => BoundValue::Error("string literal must be a string value".into()),
            },
            "float" | "number" => match &v {
                Value::Number(n) => BoundValue::Number(n.as_f64().unwrap_or(0.0)),
                _ => BoundValue::Error("number literal must be a float value".into()),
            },
            "int" | "integer" => match as_int(&v) {
                Some(i) => BoundValue::Integer(i),
                None => BoundValue::Error("integer literal must be an integer value".into()),
            },
            "duration" => match (&v, as_int(&v)) {
                (Value::String(s), _) => BoundValue::Duration(s.clone()),
                (_, Some(i)) => BoundValue::Duration(crate::display::format_duration(i)),
                _ => BoundValue::Error("duration literal must be a string or integer value".into()),
            },
            other => BoundValue::Error(format!("unknown bind object type: {other}")),
        }
    }

    /// The token the scanner substitutes for the parameter.
    pub(crate) fn token(&self) -> (Tok, String) {
        match self {
            BoundValue::Ident(s) => (Tok::Ident, s.clone()),
            BoundValue::Str(s) => (Tok::Str, s.clone()),
            BoundValue::Regex(s) => (Tok::Regex, s.clone()),
            BoundValue::Number(f) => (Tok::Number, format!("{f}")),
            BoundValue::Integer(i) => (Tok::Integer, i.to_string()),
            BoundValue::Bool(true) => (Tok::True, String::new()),
            BoundValue::Bool(false) => (Tok::False, String::new()),
            BoundValue::Duration(d) => (Tok::DurationVal, d.clone()),
            BoundValue::Error(e) => (Tok::BoundParam, e.clone()),
        }
    }

    /// The expression the parameter stands for in an expression position.
    fn to_expr(&self) -> Result<Expr, ParseError> {
        Ok(match self {
            BoundValue::Ident(s) => Expr::var(s.clone()),
            BoundValue::Str(s) => Expr::String(s.clone()),
            BoundValue::Regex(s) => {
                regex::Regex::new(s).map_err(|e| ParseError::bare(e.to_string()))?;
                Expr::Regex(s.clone())
            }
            BoundValue::Number(f) => Expr::Number(*f),
            BoundValue::Integer(i) => Expr::Integer(*i),
            BoundValue::Bool(b) => Expr::Boolean(*b),
            BoundValue::Duration(d) => Expr::Duration(parse_duration(d)?),
            BoundValue::Error(e) => return Err(ParseError::bare(e.clone())),
        })
    }
}

fn bind_expr(e: &mut Expr, params: &serde_json::Map<String, Value>) -> Result<(), ParseError> {
    let mut result = Ok(());
    e.walk_mut(&mut |node| {
        if result.is_err() {
            return;
        }
        if let Expr::BindParam(name) = node {
            match params.get(name.as_str()) {
                None => result = Err(ParseError::bare(format!("missing parameter: {name}"))),
                Some(v) => match BoundValue::from_json(v).to_expr() {
                    Ok(x) => *node = x,
                    Err(err) => result = Err(err),
                },
            }
        }
    });
    result
}

fn bind_opt(
    e: &mut Option<Expr>,
    params: &serde_json::Map<String, Value>,
) -> Result<(), ParseError> {
    match e {
        Some(e) => bind_expr(e, params),
        None => Ok(()),
    }
}

fn bind_sources(
    sources: &mut [Source],
    params: &serde_json::Map<String, Value>,
) -> Result<(), ParseError> {
    for s in sources {
        if let Source::Subquery(q) = s {
            bind_select(q, params)?;
        }
    }
    Ok(())
}

fn bind_select(
    s: &mut SelectStatement,
    params: &serde_json::Map<String, Value>,
) -> Result<(), ParseError> {
    for f in &mut s.fields {
        bind_expr(&mut f.expr, params)?;
    }
    bind_sources(&mut s.sources, params)?;
    bind_opt(&mut s.condition, params)
}

/// Substitutes every `$name` ([`Expr::BindParam`]) of the statement from `params`.
///
/// Errors: `missing parameter: name`, or the conversion error of the value
/// (e.g. `unable to bind parameter with type <nil>`).
pub fn bind(
    stmt: &mut Statement,
    params: &serde_json::Map<String, Value>,
) -> Result<(), ParseError> {
    use Statement as S;
    match stmt {
        S::Select(s) => bind_select(s, params),
        S::Explain { statement, .. } => bind_select(statement, params),
        S::CreateContinuousQuery { query, .. } => bind_select(query, params),
        S::ShowMeasurements { condition, .. } => bind_opt(condition, params),
        S::ShowSeries {
            sources, condition, ..
        }
        | S::ShowTagKeys {
            sources, condition, ..
        }
        | S::ShowTagValues {
            sources, condition, ..
        }
        | S::ShowCardinality {
            sources, condition, ..
        }
        | S::DropSeries { sources, condition }
        | S::Delete { sources, condition } => {
            bind_sources(sources, params)?;
            bind_opt(condition, params)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_values() {
        assert_eq!(BoundValue::from_json(&json!(1)), BoundValue::Integer(1));
        assert_eq!(BoundValue::from_json(&json!(1.5)), BoundValue::Number(1.5));
        assert_eq!(
            BoundValue::from_json(&json!("a")),
            BoundValue::Str("a".into())
        );
        assert_eq!(BoundValue::from_json(&json!(true)), BoundValue::Bool(true));
        assert_eq!(
            BoundValue::from_json(&json!({"identifier": "cpu"})),
            BoundValue::Ident("cpu".into())
        );
        assert_eq!(
            BoundValue::from_json(&json!({"duration": 3_600_000_000_000i64})),
            BoundValue::Duration("1h".into())
        );
        assert_eq!(
            BoundValue::from_json(&json!(null)),
            BoundValue::Error("unable to bind parameter with type <nil>".into())
        );
        assert_eq!(
            BoundValue::from_json(&json!({"a": 1, "b": 2})),
            BoundValue::Error("bound object parameter value must have exactly one entry".into())
        );
        assert_eq!(
            BoundValue::from_json(&json!({"what": 1})),
            BoundValue::Error("unknown bind object type: what".into())
        );
    }
}
