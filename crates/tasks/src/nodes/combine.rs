//! `combine(lambda, …)`: combines the points of one parent with each other,
//! as Kapacitor's combine node does. Points of a group whose times match
//! once rounded to `.tolerance()` form a set; every combination of
//! `k` distinct points of the set (k = number of lambdas), taken in
//! increasing index order, where the i-th lambda matches a point assigned to
//! it, becomes one point. Fields and the tags that are not group dimensions
//! are prefixed `<as><delimiter>` (`.as()` names each lambda, the delimiter
//! is `.`); the point's time is the set's rounded time.
//!
//! On a stream a set is combined when a point of a later time arrives; on
//! batches a group's sets are combined when a batch of a later time
//! arrives. More than `.max()` combinations (default 1,000,000) for one set
//! is an error for that set.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::lambda::Lambda;
use crate::model::{Dimensions, Fields, Msg, Point, Tags};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

const DEFAULT_MAX: i64 = 1_000_000;

/// Points of one group at one (rounded) time.
struct Set {
    time: i64,
    name: Arc<str>,
    dims: Arc<Dimensions>,
    group_tags: Arc<Tags>,
    points: Vec<Point>,
}

/// The `combine` node.
pub struct CombineNode {
    lambdas: Vec<Lambda>,
    names: Vec<String>,
    delimiter: String,
    tolerance: i64,
    max: i64,
    /// Lambdas per group (they may keep state).
    by_group: HashMap<String, Vec<Lambda>>,
    /// Stream: the set being filled per group.
    current: HashMap<String, Set>,
    /// Batches: the sets of the group's current batch time, by rounded time.
    batch_sets: HashMap<String, (i64, BTreeMap<i64, Set>)>,
}

impl CombineNode {
    /// Builds from `combine(lambda, …)` and `.as()`, `.delimiter()`,
    /// `.tolerance()`, `.max()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        if def.args.is_empty() {
            return Err(TickError::at(
                def.pos,
                "combine expects at least one lambda",
            ));
        }
        let lambdas = def
            .args
            .iter()
            .map(|a| args::lambda(a, "combine"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut n = CombineNode {
            lambdas,
            names: Vec::new(),
            delimiter: ".".into(),
            tolerance: 0,
            max: DEFAULT_MAX,
            by_group: HashMap::new(),
            current: HashMap::new(),
            batch_sets: HashMap::new(),
        };
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.names = args::strings(&p.args, "as")?,
                "delimiter" => {
                    n.delimiter =
                        args::string(args::get(&p.args, 0, p.pos, "delimiter")?, "delimiter")?
                }
                "tolerance" => {
                    n.tolerance =
                        args::duration(args::get(&p.args, 0, p.pos, "tolerance")?, "tolerance")?
                }
                "max" => n.max = args::int(args::get(&p.args, 0, p.pos, "max")?, "max")?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("no method or property \"{other}\" on CombineNode"),
                    ))
                }
            }
        }
        if n.names.is_empty() {
            return Err(TickError::at(
                def.pos,
                "a call to combine.as() is required to specify the output stream prefixes.",
            ));
        }
        if n.names.len() != n.lambdas.len() {
            return Err(TickError::at(
                def.pos,
                "number of prefixes specified by combine.as() must match the number of combine expressions",
            ));
        }
        let mut seen = HashSet::new();
        for name in &n.names {
            if name.is_empty() {
                return Err(TickError::at(
                    def.pos,
                    "must provide a prefix name for the combine node, see .as() property method",
                ));
            }
            if !n.delimiter.is_empty() && name.contains(&n.delimiter) {
                return Err(TickError::at(
                    def.pos,
                    format!(
                        "cannot use name {name} as field prefix, it contains the delimiter character {}",
                        n.delimiter
                    ),
                ));
            }
            if !seen.insert(name.as_str()) {
                return Err(TickError::at(
                    def.pos,
                    "cannot use the same prefix name see .as() property method",
                ));
            }
        }
        if n.tolerance < 0 {
            return Err(TickError::at(def.pos, "combine tolerance must be >= 0"));
        }
        Ok(n)
    }

    fn round(&self, t: i64) -> i64 {
        super::round_time(t, self.tolerance)
    }

    /// Emits every valid combination of `set`.
    fn combine(&mut self, group: &str, set: Set, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let n = set.points.len();
        let k = self.lambdas.len();
        if n == 0 || n < k {
            return Ok(());
        }
        let count = choose(n as i64, k as i64);
        if count > self.max {
            return Err(NodeError(format!(
                "refusing to perform combination as total combinations {count} exceeds max combinations {}",
                self.max
            )));
        }
        let templates = &self.lambdas;
        let lambdas = self
            .by_group
            .entry(group.to_string())
            .or_insert_with(|| templates.clone());
        // matches[i][p]: lambda i accepts point p.
        let mut matches = vec![vec![false; n]; k];
        let mut first_err = None;
        for (pi, p) in set.points.iter().enumerate() {
            for (li, l) in lambdas.iter_mut().enumerate() {
                match l.eval_bool(&p.fields, &p.tags, set.time) {
                    Ok(b) => matches[li][pi] = b,
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
        }
        let dims: HashSet<&String> = set.group_tags.keys().collect();
        let mut indices: Vec<usize> = (0..k).collect();
        loop {
            // Assign each lambda in turn the first unused index it matches.
            let mut free = indices.clone();
            let mut chosen = Vec::with_capacity(k);
            for m in &matches {
                match free.iter().position(|i| m[*i]) {
                    Some(pos) => chosen.push(free.remove(pos)),
                    None => break,
                }
            }
            if chosen.len() == k {
                out.push(Msg::Point(self.merge(&set, &chosen, &dims)));
            }
            // Next k-combination of 0..n in lexicographic order.
            let Some(i) = (0..k).rev().find(|i| indices[*i] != i + n - k) else {
                break;
            };
            indices[i] += 1;
            for j in i + 1..k {
                indices[j] = indices[j - 1] + 1;
            }
        }
        match first_err {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    fn merge(&self, set: &Set, chosen: &[usize], dims: &HashSet<&String>) -> Point {
        let mut fields = Fields::new();
        let mut tags = Tags::new();
        for (i, pi) in chosen.iter().enumerate() {
            let p = &set.points[*pi];
            let prefix = format!("{}{}", self.names[i], self.delimiter);
            for (f, v) in p.fields.iter() {
                fields.insert(format!("{prefix}{f}").into(), v.clone());
            }
            for (t, v) in p.tags.iter() {
                if dims.contains(t) {
                    tags.insert(t.clone(), v.clone());
                } else {
                    tags.insert(format!("{prefix}{t}"), v.clone());
                }
            }
        }
        let first = &set.points[chosen[0]];
        Point {
            database: first.database.clone(),
            retention_policy: first.retention_policy.clone(),
            name: set.name.clone(),
            tags: Arc::new(tags),
            fields: Arc::new(fields),
            time: set.time,
            dims: set.dims.clone(),
        }
    }
}

/// n choose k (k ≤ n), saturating.
fn choose(n: i64, k: i64) -> i64 {
    let mut c: i64 = 1;
    for i in 0..k {
        c = c.saturating_mul(n - i) / (i + 1);
    }
    c
}

impl Node for CombineNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => {
                let t = self.round(p.time);
                let key = p.group_id();
                let same = self.current.get(&key).is_some_and(|s| s.time == t);
                if same {
                    if let Some(s) = self.current.get_mut(&key) {
                        s.points.push(p);
                    }
                    return Ok(());
                }
                let fresh = Set {
                    time: t,
                    name: p.name.clone(),
                    dims: p.dims.clone(),
                    group_tags: p.group_tags_shared(),
                    points: vec![p],
                };
                match self.current.insert(key.clone(), fresh) {
                    Some(done) => self.combine(&key, done, out),
                    None => Ok(()),
                }
            }
            Msg::Batch(b) => {
                let key = b.group_id();
                let t = self.round(b.tmax);
                let mut result = Ok(());
                let (mut group_time, mut sets) = self
                    .batch_sets
                    .remove(&key)
                    .unwrap_or_else(|| (t, BTreeMap::new()));
                if group_time != t {
                    group_time = t;
                    for (_, set) in std::mem::take(&mut sets) {
                        if let Err(e) = self.combine(&key, set, out) {
                            result = Err(e);
                        }
                    }
                }
                for p in b.points {
                    let pt = self.round(p.time);
                    sets.entry(pt)
                        .or_insert_with(|| Set {
                            time: pt,
                            name: b.name.clone(),
                            dims: b.dims.clone(),
                            group_tags: b.tags.clone(),
                            points: Vec::new(),
                        })
                        .points
                        .push(p);
                }
                self.batch_sets.insert(key, (group_time, sets));
                result
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn choose_counts() {
        assert_eq!(choose(4, 2), 6);
        assert_eq!(choose(5, 3), 10);
        assert_eq!(choose(3, 3), 1);
    }
}
