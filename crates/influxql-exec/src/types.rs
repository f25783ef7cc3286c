//! The type check influxd runs on `SELECT` fields once wildcards are
//! expanded (its `validateTypes`): arithmetic needs numbers, bitwise
//! operators integers or booleans on both sides, and the error names the
//! offending sub-expression with its field types, e.g.
//! `type error: message::string + 'x': incompatible types: string and string`.
//! Unknown names (no such field or tag) never fail.

use std::collections::{BTreeMap, BTreeSet};

use almanac_catalog::FieldType;
use almanac_influxql::{BinaryOp, Expr, VarType};

use crate::ExecError;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Unknown,
    Float,
    Integer,
    Unsigned,
    String,
    Boolean,
    Tag,
    Duration,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Unknown => "unknown",
            Ty::Float => "float",
            Ty::Integer => "integer",
            Ty::Unsigned => "unsigned",
            Ty::String => "string",
            Ty::Boolean => "boolean",
            Ty::Tag => "tag",
            Ty::Duration => "duration",
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Float | Ty::Integer | Ty::Unsigned | Ty::Duration)
    }

    fn var_type(self) -> Option<VarType> {
        Some(match self {
            Ty::Float => VarType::Float,
            Ty::Integer => VarType::Integer,
            Ty::Unsigned => VarType::Unsigned,
            Ty::String => VarType::String,
            Ty::Boolean => VarType::Boolean,
            Ty::Tag => VarType::Tag,
            Ty::Unknown | Ty::Duration => return None,
        })
    }
}

impl From<FieldType> for Ty {
    fn from(t: FieldType) -> Ty {
        match t {
            FieldType::Float => Ty::Float,
            FieldType::Integer => Ty::Integer,
            FieldType::UInteger => Ty::Unsigned,
            FieldType::String => Ty::String,
            FieldType::Boolean => Ty::Boolean,
        }
    }
}

struct Schema<'a> {
    fields: &'a BTreeMap<String, FieldType>,
    tags: &'a BTreeSet<String>,
}

impl Schema<'_> {
    fn var(&self, name: &str, data_type: Option<VarType>) -> Ty {
        match data_type {
            Some(VarType::Float) => Ty::Float,
            Some(VarType::Integer) => Ty::Integer,
            Some(VarType::Unsigned) => Ty::Unsigned,
            Some(VarType::String) => Ty::String,
            Some(VarType::Boolean) => Ty::Boolean,
            Some(VarType::Tag) => Ty::Tag,
            Some(VarType::Field) | None => match self.fields.get(name) {
                Some(t) => Ty::from(*t),
                None if data_type.is_none() && self.tags.contains(name) => Ty::Tag,
                None => Ty::Unknown,
            },
        }
    }

    fn eval(&self, e: &Expr) -> Result<Ty, (Expr, String)> {
        Ok(match e {
            Expr::VarRef { name, data_type } if !name.eq_ignore_ascii_case("time") => {
                self.var(name, *data_type)
            }
            Expr::Distinct(name) => self.var(name, None),
            Expr::Paren(inner) => self.eval(inner)?,
            Expr::Integer(_) => Ty::Integer,
            Expr::Unsigned(_) => Ty::Unsigned,
            Expr::Number(_) => Ty::Float,
            Expr::String(_) => Ty::String,
            Expr::Boolean(_) => Ty::Boolean,
            Expr::Duration(_) => Ty::Duration,
            Expr::Call { name, args } => {
                let mut arg_types = Vec::with_capacity(args.len());
                for a in args {
                    arg_types.push(self.eval(a)?);
                }
                let first = arg_types.first().copied().unwrap_or(Ty::Unknown);
                match name.as_str() {
                    "count" | "elapsed" => Ty::Integer,
                    "mean"
                    | "median"
                    | "stddev"
                    | "integral"
                    | "derivative"
                    | "non_negative_derivative"
                    | "moving_average"
                    | "holt_winters"
                    | "holt_winters_with_fit" => Ty::Float,
                    _ if crate::analysis::is_technical_analysis(name) => Ty::Float,
                    "sin" | "cos" | "tan" | "asin" | "acos" | "atan" | "atan2" | "exp" | "ln"
                    | "log" | "log2" | "log10" | "sqrt" | "pow" => {
                        if first.numeric() {
                            Ty::Float
                        } else {
                            Ty::Unknown
                        }
                    }
                    "abs" | "floor" | "ceil" | "round" if !first.numeric() => Ty::Unknown,
                    _ => first,
                }
            }
            Expr::Binary { op, lhs, rhs } => {
                let (l, r) = (self.eval(lhs)?, self.eval(rhs)?);
                if l == Ty::Unknown || r == Ty::Unknown {
                    return Ok(Ty::Unknown);
                }
                let ok = match op {
                    BinaryOp::Add
                    | BinaryOp::Sub
                    | BinaryOp::Mul
                    | BinaryOp::Div
                    | BinaryOp::Mod => {
                        if l.numeric() && r.numeric() {
                            Some(if l == Ty::Float || r == Ty::Float {
                                Ty::Float
                            } else {
                                l
                            })
                        } else {
                            None
                        }
                    }
                    BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => match (l, r) {
                        (Ty::Integer | Ty::Unsigned, Ty::Integer | Ty::Unsigned) => Some(l),
                        (Ty::Boolean, Ty::Boolean) => Some(Ty::Boolean),
                        _ => None,
                    },
                    _ => Some(Ty::Unknown),
                };
                match ok {
                    Some(t) => t,
                    None => {
                        return Err((
                            e.clone(),
                            format!("incompatible types: {} and {}", l.name(), r.name()),
                        ))
                    }
                }
            }
            _ => Ty::Unknown,
        })
    }

    /// The expression as influxd prints it in the error: parentheses
    /// dropped, references carrying their resolved type.
    fn annotate(&self, e: &Expr) -> Expr {
        match e {
            Expr::Paren(inner) => self.annotate(inner),
            Expr::VarRef { name, data_type } if !name.eq_ignore_ascii_case("time") => {
                Expr::VarRef {
                    name: name.clone(),
                    data_type: self.var(name, *data_type).var_type(),
                }
            }
            Expr::Call { name, args } => Expr::Call {
                name: name.clone(),
                args: args.iter().map(|a| self.annotate(a)).collect(),
            },
            Expr::Binary { op, lhs, rhs } => Expr::Binary {
                op: *op,
                lhs: Box::new(self.annotate(lhs)),
                rhs: Box::new(self.annotate(rhs)),
            },
            other => other.clone(),
        }
    }
}

/// Checks the types of the (expanded) fields of a `SELECT` against the
/// sources' schema: influxd's `type error: ...` otherwise.
pub(crate) fn check_field_types<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    fields: &BTreeMap<String, FieldType>,
    tags: &BTreeSet<String>,
) -> Result<(), ExecError> {
    let schema = Schema { fields, tags };
    for e in exprs {
        if let Err((failed, message)) = schema.eval(e) {
            return Err(ExecError::Query(format!(
                "type error: {}: {message}",
                schema.annotate(&failed)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(field: &str) -> Result<(), String> {
        let fields: BTreeMap<String, FieldType> = [
            ("message", FieldType::String),
            ("ok", FieldType::Boolean),
            ("code", FieldType::Integer),
            ("latency", FieldType::Float),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let tags: BTreeSet<String> = ["level".to_string()].into();
        let stmt =
            almanac_influxql::parse_statement(&format!("SELECT {field} FROM events")).unwrap();
        let almanac_influxql::Statement::Select(s) = stmt else {
            panic!()
        };
        check_field_types(s.fields.iter().map(|f| &f.expr), &fields, &tags)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn errors_as_influxd() {
        // Every expected text is influxd 1.6.7's answer for the same field.
        let cases = [
            ("message + 'x'", "type error: message::string + 'x': incompatible types: string and string"),
            ("ok + 1", "type error: ok::boolean + 1: incompatible types: boolean and integer"),
            ("code + 'x'", "type error: code::integer + 'x': incompatible types: integer and string"),
            ("latency & 3", "type error: latency::float & 3: incompatible types: float and integer"),
            ("-message", "type error: -1 * message::string: incompatible types: integer and string"),
            ("level + 1", "type error: level::tag + 1: incompatible types: tag and integer"),
            ("message + 1 + 2", "type error: message::string + 1: incompatible types: string and integer"),
            ("max(code) + 'x'", "type error: max(code::integer) + 'x': incompatible types: integer and string"),
            ("mean(code) & 1", "type error: mean(code::integer) & 1: incompatible types: float and integer"),
            ("code::float + 'x'", "type error: code::float + 'x': incompatible types: float and string"),
            ("code / 2 + message", "type error: code::integer / 2 + message::string: incompatible types: integer and string"),
            ("message::field + 1", "type error: message::string + 1: incompatible types: string and integer"),
            ("code + (ok * 2)", "type error: ok::boolean * 2: incompatible types: boolean and integer"),
            ("(message) + 1", "type error: message::string + 1: incompatible types: string and integer"),
        ];
        for (field, want) in cases {
            assert_eq!(check(field), Err(want.to_string()), "{field}");
        }
        for field in [
            "ok & true",
            "ok | ok",
            "ok ^ ok",
            "code & 3",
            "code + latency",
            "code % 2",
            "latency % 2",
            "abs(message)",
            "nosuch + 'x'",
            "nosuch + ok",
            "code + 1h",
        ] {
            assert_eq!(check(field), Ok(()), "{field}");
        }
    }
}
