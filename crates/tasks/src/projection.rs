//! Which fields a stream task can observe: projection pushdown for the
//! write stream.
//!
//! A task like `from() |window() |mean('usage_user') |alert()` only ever
//! looks at one field of the points it is fed: the InfluxQL nodes emit a
//! point holding their result alone, and `from`, `where` and `window` pass
//! points on unchanged. Parsing the other fields of every written line (and
//! allocating a map entry for each) is wasted work, so the task manager asks
//! [`stream_field_needs`] which fields to keep and builds points with those
//! only. The analysis is conservative: a node it does not know keeps every
//! field, and so do all nodes above it.

use crate::tick::ast::Expr;
use crate::tick::pipeline::{Arg, NodeDef, Pipeline, Value};

/// The fields of a point a task may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldNeeds {
    /// Every field.
    All,
    /// Only these (possibly none), sorted, without repeats: a task reads
    /// few fields, and comparing a handful of strings beats a set lookup.
    Only(Vec<String>),
}

impl Default for FieldNeeds {
    fn default() -> Self {
        FieldNeeds::Only(Vec::new())
    }
}

impl FieldNeeds {
    /// Whether a field named `key` must be kept.
    pub fn keeps(&self, key: &str) -> bool {
        match self {
            FieldNeeds::All => true,
            FieldNeeds::Only(keys) => keys.iter().any(|k| k == key),
        }
    }

    /// Adds what `other` needs.
    pub fn add(&mut self, other: &FieldNeeds) {
        match (&mut *self, other) {
            (FieldNeeds::All, _) => {}
            (_, FieldNeeds::All) => *self = FieldNeeds::All,
            (FieldNeeds::Only(mine), FieldNeeds::Only(theirs)) => {
                for key in theirs {
                    if let Err(at) = mine.binary_search(key) {
                        mine.insert(at, key.clone());
                    }
                }
            }
        }
    }

    fn insert(&mut self, key: &str) {
        if let FieldNeeds::Only(keys) = self {
            if let Err(at) = keys.binary_search_by(|k| k.as_str().cmp(key)) {
                keys.insert(at, key.to_string());
            }
        }
    }
}

/// The fields that the points fed to a stream task (its root node) can be
/// observed through.
pub fn stream_field_needs(pipeline: &Pipeline) -> FieldNeeds {
    let children = children_of(pipeline);
    let mut memo = vec![None; pipeline.nodes.len()];
    match pipeline.nodes.first() {
        Some(root) => needs_of(pipeline, &children, root.id, &mut memo),
        None => FieldNeeds::default(),
    }
}

fn children_of(pipeline: &Pipeline) -> Vec<Vec<usize>> {
    let mut children = vec![Vec::new(); pipeline.nodes.len()];
    for n in &pipeline.nodes {
        for p in n.parent.iter().chain(&n.others) {
            if let Some(c) = children.get_mut(*p) {
                c.push(n.id);
            }
        }
    }
    children
}

fn needs_of(
    pipeline: &Pipeline,
    children: &[Vec<usize>],
    id: usize,
    memo: &mut Vec<Option<FieldNeeds>>,
) -> FieldNeeds {
    if let Some(Some(known)) = memo.get(id) {
        return known.clone();
    }
    let Some(def) = pipeline.nodes.get(id) else {
        return FieldNeeds::All;
    };
    let needs = match def.kind.as_str() {
        // Pass points on unchanged; `from` and `where` also read the
        // references of their lambdas.
        "stream" | "window" | "from" | "where" => {
            let mut needs = FieldNeeds::default();
            for &c in &children[id] {
                needs.add(&needs_of(pipeline, children, c, memo));
            }
            for p in &def.props {
                lambda_references(&p.args, &mut needs);
            }
            lambda_references(&def.args, &mut needs);
            needs
        }
        // Emit a point holding their result only.
        "count" | "distinct" | "mean" | "median" | "mode" | "spread" | "sum" | "first" | "last"
        | "min" | "max" | "percentile" | "stddev" | "top" | "bottom" => match influxql_field(def) {
            Some(field) => FieldNeeds::Only(vec![field.to_string()]),
            None => FieldNeeds::All,
        },
        _ => FieldNeeds::All,
    };
    if let Some(slot) = memo.get_mut(id) {
        *slot = Some(needs.clone());
    }
    needs
}

/// The field an InfluxQL node reads (its string argument naming it).
fn influxql_field(def: &NodeDef) -> Option<&str> {
    let index = if matches!(def.kind.as_str(), "top" | "bottom") {
        1
    } else {
        0
    };
    match &def.args.get(index)?.value {
        Value::Str(s) | Value::Reference(s) => Some(s),
        _ => None,
    }
}

/// Adds every `"reference"` inside lambda arguments (references name tags
/// or fields; keeping a tag's name as a field does no harm).
fn lambda_references(args: &[Arg], needs: &mut FieldNeeds) {
    fn walk(e: &Expr, needs: &mut FieldNeeds) {
        match e {
            Expr::Reference(r, _) => needs.insert(r),
            Expr::List(items, _) => items.iter().for_each(|i| walk(i, needs)),
            Expr::Lambda(body, _) => walk(body, needs),
            Expr::Unary { expr, .. } => walk(expr, needs),
            Expr::Binary { lhs, rhs, .. } => {
                walk(lhs, needs);
                walk(rhs, needs);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, needs)),
            Expr::Chain { lhs, args, .. } => {
                walk(lhs, needs);
                args.iter().for_each(|a| walk(a, needs));
            }
            Expr::Ident(..)
            | Expr::Str(..)
            | Expr::Int(..)
            | Expr::Float(..)
            | Expr::Bool(..)
            | Expr::Duration(..)
            | Expr::Regex(..)
            | Expr::Star(..) => {}
        }
    }
    for a in args {
        match &a.value {
            Value::Lambda(e) => walk(e, needs),
            Value::Reference(r) => needs.insert(r),
            Value::List(items) => {
                for item in items {
                    if let Value::Lambda(e) = item {
                        walk(e, needs);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn needs(script: &str) -> FieldNeeds {
        let program = crate::tick::parse(script).expect("parses");
        let p = crate::tick::pipeline::evaluate(&program, &HashMap::new()).expect("evaluates");
        stream_field_needs(&p)
    }

    fn only(keys: &[&str]) -> FieldNeeds {
        let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        keys.sort();
        FieldNeeds::Only(keys)
    }

    #[test]
    fn an_aggregate_behind_windows_needs_its_field_only() {
        let s = "stream|from().measurement('cpu').groupBy('host')|window().period(1m).every(1m)|mean('usage_user').as('m')|alert().crit(lambda: \"m\" > 90)";
        assert_eq!(needs(s), only(&["usage_user"]));
    }

    #[test]
    fn where_lambdas_add_their_references() {
        let s = "stream|from().where(lambda: \"host\" == 'a' AND \"usage_idle\" < 10)|where(lambda: isPresent(\"x\"))|top(3, 'usage_system')";
        assert_eq!(needs(s), only(&["host", "usage_idle", "usage_system", "x"]));
    }

    #[test]
    fn other_nodes_and_branches_keep_everything() {
        assert_eq!(
            needs("stream|from()|eval(lambda: \"a\" * 2).as('b')|mean('b')"),
            FieldNeeds::All
        );
        let branches = "var f = stream|from()\nf|sum('a')\nf|httpOut('x')";
        assert_eq!(needs(branches), FieldNeeds::All);
        let two = "var f = stream|from()\nf|sum('a')\nf|window().period(1s).every(1s)|count('b')";
        assert_eq!(needs(two), only(&["a", "b"]));
        assert_eq!(needs("stream|from()"), only(&[]));
    }

    #[test]
    fn keeps_and_add() {
        let mut n = only(&["a"]);
        assert!(n.keeps("a") && !n.keeps("b"));
        n.add(&only(&["b"]));
        assert_eq!(n, only(&["a", "b"]));
        n.add(&FieldNeeds::All);
        assert!(n.keeps("zzz"));
    }
}
