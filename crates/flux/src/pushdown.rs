//! Pushing `filter` predicates into the source read.
//!
//! `from |> range` does not read at once: it becomes a pending read
//! ([`crate::value::PendingRead`]). A following `filter(fn: (r) => …)` is
//! inspected here: conjuncts of the form `r._measurement == "m"`,
//! `r._field == "f"`, `r.tag == "v"` (or `or`s of equalities on one column,
//! with the constant on either side, as a literal or a variable of the closure)
//! become a [`PushdownPredicate`] so the source reads only matching series.
//! When every conjunct is pushed the filter disappears; otherwise the whole
//! function still runs over the rows read (after the pushed part narrowed them).

use crate::ast::{Expression, FunctionBody, LogicalOperator, Operator, Statement};
use crate::interp::{member, Env};
use crate::source::PushdownPredicate;
use crate::value::{Function, Value};

/// Columns a source never holds as series keys: equality on them is not a
/// series predicate.
const NOT_SERIES_COLUMNS: [&str; 4] = ["_value", "_time", "_start", "_stop"];

/// What a filter function amounts to for the source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    /// `column ∈ values` constraints that hold for every row the filter keeps.
    pub constraints: Vec<(String, Vec<String>)>,
    /// True when the constraints are the whole filter (nothing left to run).
    pub complete: bool,
}

impl Analysis {
    /// Add the constraints to a predicate.
    pub fn apply_to(&self, pred: &mut PushdownPredicate) {
        for (c, v) in &self.constraints {
            pred.constrain(c, v.clone());
        }
    }
}

/// Analyse a `filter` function; `None` when nothing can be pushed.
pub fn analyse(f: &Value) -> Option<Analysis> {
    let Value::Function(func) = f else {
        return None;
    };
    let Function::Closure { expr, env } = func.as_ref() else {
        return None;
    };
    if expr.params.len() != 1 {
        return None;
    }
    let param = expr.params[0].key.name();
    let body = match expr.body.as_ref() {
        FunctionBody::Expression(e) => e.as_ref(),
        FunctionBody::Block(b) => match b.body.as_slice() {
            [Statement::ReturnStatement(r)] => &r.argument,
            _ => return None,
        },
    };
    let mut conjuncts = Vec::new();
    split_and(body, &mut conjuncts);
    let mut out = Analysis {
        constraints: Vec::new(),
        complete: true,
    };
    for c in conjuncts {
        match accepted_values(c, param, env) {
            Some((col, vals)) => out.constraints.push((col, vals)),
            None => out.complete = false,
        }
    }
    (!out.constraints.is_empty()).then_some(out)
}

fn unparen(e: &Expression) -> &Expression {
    match e {
        Expression::ParenExpression(p) => unparen(&p.expression),
        e => e,
    }
}

fn split_and<'a>(e: &'a Expression, out: &mut Vec<&'a Expression>) {
    match unparen(e) {
        Expression::LogicalExpression(l) if l.operator == LogicalOperator::And => {
            split_and(&l.left, out);
            split_and(&l.right, out);
        }
        e => out.push(e),
    }
}

/// `(column, values)` when `e` holds exactly for rows whose column is one of
/// `values` (non-empty strings: an empty value would also have to match
/// series that lack the tag).
fn accepted_values(e: &Expression, param: &str, env: &Env) -> Option<(String, Vec<String>)> {
    match unparen(e) {
        Expression::BinaryExpression(b) if b.operator == Operator::Eq => {
            let (col, val) = match (column_of(&b.left, param), constant(&b.right, param, env)) {
                (Some(c), Some(v)) => (c, v),
                _ => (column_of(&b.right, param)?, constant(&b.left, param, env)?),
            };
            if val.is_empty() || NOT_SERIES_COLUMNS.contains(&col.as_str()) {
                return None;
            }
            Some((col, vec![val]))
        }
        Expression::LogicalExpression(l) if l.operator == LogicalOperator::Or => {
            let (lc, mut lv) = accepted_values(&l.left, param, env)?;
            let (rc, rv) = accepted_values(&l.right, param, env)?;
            if lc != rc {
                return None;
            }
            for v in rv {
                if !lv.contains(&v) {
                    lv.push(v);
                }
            }
            Some((lc, lv))
        }
        _ => None,
    }
}

/// `r.col` or `r["col"]`.
fn column_of(e: &Expression, param: &str) -> Option<String> {
    match unparen(e) {
        Expression::MemberExpression(m) => match m.object.as_ref() {
            Expression::Identifier(id) if id.name == param => Some(m.property.name().to_string()),
            _ => None,
        },
        Expression::IndexExpression(ix) => match (ix.array.as_ref(), ix.index.as_ref()) {
            (Expression::Identifier(id), Expression::StringLiteral(s)) if id.name == param => {
                Some(s.value.clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// A string constant: a literal, or a variable (or a member of one) of the
/// closure's scope that is not the row parameter.
fn constant(e: &Expression, param: &str, env: &Env) -> Option<String> {
    let v = match unparen(e) {
        Expression::StringLiteral(s) => return Some(s.value.clone()),
        Expression::Identifier(id) if id.name != param => env.lookup(&id.name)?,
        Expression::MemberExpression(m) => match m.object.as_ref() {
            Expression::Identifier(id) if id.name != param => {
                member(&env.lookup(&id.name)?, m.property.name()).ok()?
            }
            _ => return None,
        },
        _ => return None,
    };
    match v {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    }
}
