//! `WHERE` clauses (without their time part) as DataFusion filter
//! expressions over a measurement's table.
//!
//! InfluxQL semantics carried over: a tag that a series lacks compares as the
//! empty string (so `tag = ''` selects series without it and `tag != 'x'`
//! includes them); a missing field is null and fails every comparison;
//! comparing values of unrelated types (a string field with a number, say)
//! is false rather than an error.

use almanac_catalog::{FieldType, MeasurementSchema};
use almanac_influxql::{BinaryOp, Expr, VarType};
use almanac_storage::schema::field_column_name;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn::coalesce;
use datafusion::logical_expr::{binary_expr, cast, col, lit, Expr as DfExpr, Operator};

use crate::ExecError;

/// What an operand of a comparison is, as far as types go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Number,
    Boolean,
    Regex,
    Unknown,
}

struct Operand {
    expr: DfExpr,
    kind: Kind,
}

/// The column of tag `key`, with a missing tag as `''`.
pub fn tag_column(key: &str) -> DfExpr {
    coalesce(vec![cast(col(quoted(key)), DataType::Utf8), lit("")])
}

/// A column name as DataFusion must be told it (case and dots preserved).
pub fn quoted(name: &str) -> datafusion::common::Column {
    datafusion::common::Column::new_unqualified(name)
}

fn field_kind(t: FieldType) -> Kind {
    match t {
        FieldType::Float | FieldType::Integer | FieldType::UInteger => Kind::Number,
        FieldType::String => Kind::String,
        FieldType::Boolean => Kind::Boolean,
    }
}

fn var_operand(name: &str, data_type: Option<VarType>, schema: &MeasurementSchema) -> Operand {
    let is_tag = schema.tags.contains(name);
    let field = schema.fields.get(name).copied();
    let want_tag = match data_type {
        Some(VarType::Tag) => true,
        Some(_) => false,
        None => is_tag || field.is_none(),
    };
    if want_tag {
        if is_tag {
            return Operand {
                expr: tag_column(name),
                kind: Kind::String,
            };
        }
        return Operand {
            expr: lit(""),
            kind: Kind::String,
        };
    }
    match field {
        Some(t) => Operand {
            expr: DfExpr::Column(quoted(&field_column_name(name, is_tag))),
            kind: field_kind(t),
        },
        None => Operand {
            expr: lit(ScalarValue::Null),
            kind: Kind::Unknown,
        },
    }
}

fn operand(e: &Expr, schema: &MeasurementSchema) -> Result<Operand, ExecError> {
    Ok(match e.unparen() {
        Expr::VarRef { name, data_type } => var_operand(name, *data_type, schema),
        Expr::Integer(i) => Operand {
            expr: lit(*i),
            kind: Kind::Number,
        },
        Expr::Unsigned(u) => Operand {
            expr: lit(*u),
            kind: Kind::Number,
        },
        Expr::Number(f) => Operand {
            expr: lit(*f),
            kind: Kind::Number,
        },
        Expr::Duration(d) => Operand {
            expr: lit(*d),
            kind: Kind::Number,
        },
        Expr::String(s) => Operand {
            expr: lit(s.as_str()),
            kind: Kind::String,
        },
        Expr::Boolean(b) => Operand {
            expr: lit(*b),
            kind: Kind::Boolean,
        },
        Expr::Regex(r) => Operand {
            expr: lit(r.as_str()),
            kind: Kind::Regex,
        },
        Expr::Nil => Operand {
            expr: lit(ScalarValue::Null),
            kind: Kind::Unknown,
        },
        Expr::Binary { op, lhs, rhs } if op.is_math() => {
            let l = operand(lhs, schema)?;
            let r = operand(rhs, schema)?;
            if l.kind != Kind::Number || r.kind != Kind::Number {
                return Ok(Operand {
                    expr: lit(ScalarValue::Null),
                    kind: Kind::Unknown,
                });
            }
            let op = match op {
                BinaryOp::Add => Operator::Plus,
                BinaryOp::Sub => Operator::Minus,
                BinaryOp::Mul => Operator::Multiply,
                BinaryOp::Div => Operator::Divide,
                BinaryOp::Mod => Operator::Modulo,
                BinaryOp::BitAnd => Operator::BitwiseAnd,
                BinaryOp::BitOr => Operator::BitwiseOr,
                _ => Operator::BitwiseXor,
            };
            Operand {
                expr: binary_expr(l.expr, op, r.expr),
                kind: Kind::Number,
            }
        }
        other => {
            return Err(ExecError::Query(format!(
                "invalid expression in condition: {other}"
            )))
        }
    })
}

/// Translates a condition (already stripped of time comparisons).
pub fn to_filter(cond: &Expr, schema: &MeasurementSchema) -> Result<DfExpr, ExecError> {
    match cond.unparen() {
        Expr::Binary { op, lhs, rhs } if op.is_logical() => {
            let l = to_filter(lhs, schema)?;
            let r = to_filter(rhs, schema)?;
            Ok(if *op == BinaryOp::And {
                l.and(r)
            } else {
                l.or(r)
            })
        }
        Expr::Binary { op, lhs, rhs } if op.is_comparison() => comparison(*op, lhs, rhs, schema),
        Expr::Boolean(b) => Ok(lit(*b)),
        other => Err(ExecError::Query(format!(
            "invalid condition: {other} is not a boolean expression"
        ))),
    }
}

fn comparison(
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    schema: &MeasurementSchema,
) -> Result<DfExpr, ExecError> {
    if let Some(e) = tag_equality(op, lhs, rhs, schema) {
        return Ok(e);
    }
    let l = operand(lhs, schema)?;
    let r = operand(rhs, schema)?;
    if matches!(op, BinaryOp::EqRegex | BinaryOp::NotEqRegex) {
        let (subject, pattern) = match (l.kind, r.kind) {
            (_, Kind::Regex) => (l, r),
            (Kind::Regex, _) => (r, l),
            _ => {
                return Err(ExecError::Query(format!(
                    "invalid regex comparison: {lhs} {} {rhs}",
                    op.as_str()
                )))
            }
        };
        if subject.kind != Kind::String {
            return Ok(lit(false));
        }
        if let DfExpr::Literal(ScalarValue::Utf8(Some(p)), _) = &pattern.expr {
            regex::Regex::new(p)
                .map_err(|e| ExecError::Query(format!("invalid regular expression: {e}")))?;
        }
        let df_op = if op == BinaryOp::EqRegex {
            Operator::RegexMatch
        } else {
            Operator::RegexNotMatch
        };
        return Ok(binary_expr(subject.expr, df_op, pattern.expr));
    }
    if l.kind == Kind::Regex || r.kind == Kind::Regex {
        return Err(ExecError::Query(format!(
            "invalid comparison of a regex with {}",
            op.as_str()
        )));
    }
    if l.kind == Kind::Unknown || r.kind == Kind::Unknown {
        return Ok(lit(false));
    }
    if l.kind != r.kind {
        return Ok(lit(false));
    }
    if l.kind == Kind::Boolean && !matches!(op, BinaryOp::Eq | BinaryOp::NotEq) {
        return Ok(lit(false));
    }
    let df_op = match op {
        BinaryOp::Eq => Operator::Eq,
        BinaryOp::NotEq => Operator::NotEq,
        BinaryOp::Lt => Operator::Lt,
        BinaryOp::LtEq => Operator::LtEq,
        BinaryOp::Gt => Operator::Gt,
        _ => Operator::GtEq,
    };
    Ok(binary_expr(l.expr, df_op, r.expr))
}

/// `tag = 'v'` / `tag != 'v'` on the raw dictionary column, which DataFusion
/// evaluates on dictionary keys (and can prune with), instead of through
/// the `coalesce` that the general path needs for missing tags.
fn tag_equality(
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    schema: &MeasurementSchema,
) -> Option<DfExpr> {
    if !matches!(op, BinaryOp::Eq | BinaryOp::NotEq) {
        return None;
    }
    let (name, data_type, value) = match (lhs.unparen(), rhs.unparen()) {
        (Expr::VarRef { name, data_type }, Expr::String(v))
        | (Expr::String(v), Expr::VarRef { name, data_type }) => (name, *data_type, v),
        _ => return None,
    };
    let is_tag = schema.tags.contains(name);
    let tag_wanted = match data_type {
        Some(VarType::Tag) => true,
        Some(_) => false,
        None => is_tag || !schema.fields.contains_key(name),
    };
    if !tag_wanted || !is_tag {
        return None;
    }
    let column = DfExpr::Column(quoted(name));
    Some(match (op, value.is_empty()) {
        (BinaryOp::Eq, false) => column.eq(lit(value.as_str())),
        (BinaryOp::Eq, true) => column.clone().is_null().or(column.eq(lit(""))),
        (_, false) => column
            .clone()
            .is_null()
            .or(column.not_eq(lit(value.as_str()))),
        (_, true) => column.clone().is_not_null().and(column.not_eq(lit(""))),
    })
}
