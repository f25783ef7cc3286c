//! Subqueries as sources: the inner statement's series become rows of the
//! outer one, with the outer `WHERE` evaluated row by row here (the inner
//! result is already in memory, so there is no scan to push it into).

use std::collections::{BTreeSet, HashMap};

use almanac_influxql::{BinaryOp, Expr, VarType};

use crate::result::{Series, Value};
use crate::scan::{ColumnRef, Group};
use crate::time::TimeRange;
use crate::value_ops::{as_f64, compare};
use crate::ExecError;

/// One row being filtered: its series tags and its columns by name.
struct Row<'a> {
    tags: &'a std::collections::BTreeMap<String, String>,
    columns: &'a HashMap<&'a str, usize>,
    tag_columns: &'a BTreeSet<String>,
    values: &'a [Value],
}

impl Row<'_> {
    fn var(&self, name: &str, data_type: Option<VarType>) -> Value {
        if self.tag_columns.contains(name) {
            if let Some(i) = self.columns.get(name) {
                return match &self.values[*i] {
                    Value::Null => Value::String(String::new()),
                    v => v.clone(),
                };
            }
        }
        if data_type != Some(VarType::Tag) {
            if let Some(i) = self.columns.get(name) {
                return self.values[*i].clone();
            }
        }
        match self.tags.get(name) {
            Some(v) => Value::String(v.clone()),
            None if data_type == Some(VarType::Tag) || !self.columns.contains_key(name) => {
                Value::String(String::new())
            }
            None => Value::Null,
        }
    }
}

fn operand(e: &Expr, row: &Row) -> Result<Value, ExecError> {
    Ok(match e.unparen() {
        Expr::VarRef { name, data_type } => row.var(name, *data_type),
        Expr::Integer(i) => Value::Integer(*i),
        Expr::Unsigned(u) => Value::Unsigned(*u),
        Expr::Number(f) => Value::Float(*f),
        Expr::Duration(d) => Value::Integer(*d),
        Expr::String(s) => Value::String(s.clone()),
        Expr::Boolean(b) => Value::Boolean(*b),
        Expr::Binary { op, lhs, rhs } if op.is_math() => {
            crate::value_ops::math(*op, &operand(lhs, row)?, &operand(rhs, row)?)
        }
        Expr::Nil => Value::Null,
        other => {
            return Err(ExecError::Query(format!(
                "invalid expression in condition: {other}"
            )))
        }
    })
}

fn matches(cond: &Expr, row: &Row) -> Result<bool, ExecError> {
    match cond.unparen() {
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => Ok(matches(lhs, row)? && matches(rhs, row)?),
        Expr::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => Ok(matches(lhs, row)? || matches(rhs, row)?),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::EqRegex | BinaryOp::NotEqRegex) => {
            let (subject, pattern) = match (lhs.unparen(), rhs.unparen()) {
                (s, Expr::Regex(p)) | (Expr::Regex(p), s) => (operand(s, row)?, p),
                _ => {
                    return Err(ExecError::Query(format!(
                        "invalid regex comparison: {cond}"
                    )))
                }
            };
            let re = regex::Regex::new(pattern)
                .map_err(|e| ExecError::Query(format!("invalid regular expression: {e}")))?;
            let Value::String(s) = subject else {
                return Ok(false);
            };
            Ok(re.is_match(&s) == (*op == BinaryOp::EqRegex))
        }
        Expr::Binary { op, lhs, rhs } if op.is_comparison() => {
            let l = operand(lhs, row)?;
            let r = operand(rhs, row)?;
            let comparable = match (&l, &r) {
                (Value::String(_), Value::String(_)) | (Value::Boolean(_), Value::Boolean(_)) => {
                    true
                }
                _ => as_f64(&l).is_some() && as_f64(&r).is_some(),
            };
            if !comparable {
                return Ok(false);
            }
            let ord = compare(&l, &r);
            Ok(match op {
                BinaryOp::Eq => ord.is_eq(),
                BinaryOp::NotEq => ord.is_ne(),
                BinaryOp::Lt => ord.is_lt(),
                BinaryOp::LtEq => ord.is_le(),
                BinaryOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        Expr::Boolean(b) => Ok(*b),
        other => Err(ExecError::Query(format!(
            "invalid condition: {other} is not a boolean expression"
        ))),
    }
}

/// Groups the rows of `series` for the outer statement, each group's rows in
/// time order, or left in series order when `series_order` (influxd's order
/// for a raw statement over subqueries that aggregate without `GROUP BY
/// time()`: their rows share one window, so only the series order is left).
pub fn groups(
    series: &[Series],
    tag_columns: &BTreeSet<String>,
    group_tags: &[String],
    needed: &[ColumnRef],
    range: TimeRange,
    condition: Option<&Expr>,
    series_order: bool,
) -> Result<Vec<Group>, ExecError> {
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut out: Vec<Group> = Vec::new();
    for s in series {
        let columns: HashMap<&str, usize> = s
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        for values in &s.values {
            let Some(Value::Time(t)) = values.first() else {
                continue;
            };
            if *t < range.min || *t > range.max {
                continue;
            }
            let row = Row {
                tags: &s.tags,
                columns: &columns,
                tag_columns,
                values,
            };
            if let Some(c) = condition {
                if !matches(c, &row)? {
                    continue;
                }
            }
            let key: Vec<String> = group_tags
                .iter()
                .map(|t| match row.var(t, Some(VarType::Tag)) {
                    Value::String(v) => v,
                    _ => String::new(),
                })
                .collect();
            let gi = match index.get(&key) {
                Some(i) => *i,
                None => {
                    index.insert(key.clone(), out.len());
                    out.push(Group {
                        key,
                        times: Vec::new(),
                        columns: vec![Vec::new(); needed.len()],
                        series: Vec::new(),
                        pending: None,
                    });
                    out.len() - 1
                }
            };
            let g = &mut out[gi];
            g.times.push(*t);
            for (ci, c) in needed.iter().enumerate() {
                let dt = if c.tag { Some(VarType::Tag) } else { None };
                let v = match row.var(&c.name, dt) {
                    Value::String(s) if s.is_empty() && !columns.contains_key(c.name.as_str()) => {
                        Value::Null
                    }
                    v => v,
                };
                g.columns[ci].push(v);
            }
        }
    }
    for g in out.iter_mut().filter(|_| !series_order) {
        let mut order: Vec<usize> = (0..g.times.len()).collect();
        order.sort_by_key(|&i| g.times[i]);
        g.times = order.iter().map(|&i| g.times[i]).collect();
        for c in &mut g.columns {
            *c = order.iter().map(|&i| c[i].clone()).collect();
        }
    }
    out.retain(|g| !g.times.is_empty());
    Ok(out)
}
