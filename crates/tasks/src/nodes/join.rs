//! `join`: joins points of several parents that belong to the same group
//! and whose times match once rounded to `.tolerance()`. Fields are renamed
//! `<as><delimiter><field>` (`.as()` names each parent, the delimiter is `.`).
//!
//! A set is emitted as soon as every parent has a point for it. A set still
//! incomplete once every parent has moved past its time is emitted with
//! `.fill()` (`null`/`none`: only the fields present; a number: the missing
//! parent's fields, as last seen, set to it) or dropped without `.fill()`.

use std::collections::{BTreeMap, HashMap};

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{FieldValue, Fields, Msg, Point};
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;

enum JoinFill {
    Null,
    Number(FieldValue),
}

#[derive(Default)]
struct Group {
    /// Pending sets by rounded time: one slot per parent.
    pending: BTreeMap<i64, Vec<Option<Point>>>,
    /// Latest rounded time seen per parent.
    marks: Vec<Option<i64>>,
}

/// The `join` node.
pub struct JoinNode {
    names: Vec<String>,
    tolerance: i64,
    fill: Option<JoinFill>,
    delimiter: String,
    stream_name: Option<String>,
    groups: HashMap<String, Group>,
    /// Field names last seen from each parent (for numeric fill).
    seen_fields: Vec<Vec<String>>,
}

impl JoinNode {
    /// Builds from `a|join(b, …)` and its properties (`.as()` is required).
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let parents = 1 + def.others.len();
        let mut n = JoinNode {
            names: Vec::new(),
            tolerance: 0,
            fill: None,
            delimiter: ".".into(),
            stream_name: None,
            groups: HashMap::new(),
            seen_fields: vec![Vec::new(); parents],
        };
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.names = args::strings(&p.args, "as")?,
                "tolerance" => {
                    n.tolerance =
                        args::duration(args::get(&p.args, 0, p.pos, "tolerance")?, "tolerance")?
                }
                "delimiter" => {
                    n.delimiter =
                        args::string(args::get(&p.args, 0, p.pos, "delimiter")?, "delimiter")?
                }
                "streamName" => {
                    n.stream_name = Some(args::string(
                        args::get(&p.args, 0, p.pos, "streamName")?,
                        "streamName",
                    )?)
                }
                "fill" => {
                    let a = args::get(&p.args, 0, p.pos, "fill")?;
                    n.fill = Some(match &a.value {
                        Value::Str(s) if s == "null" || s == "none" => JoinFill::Null,
                        Value::Float(f) => JoinFill::Number(FieldValue::Float(*f)),
                        Value::Int(i) => JoinFill::Number(FieldValue::Int(*i)),
                        v => {
                            return Err(TickError::at(
                                a.pos,
                                format!("join: unexpected fill {}", v.type_name()),
                            ))
                        }
                    });
                }
                _ => unreachable!("property checked by the pipeline"),
            }
        }
        if n.names.len() != parents {
            return Err(TickError::at(
                def.pos,
                format!("a call to join with {parents} parents must have {parents} names via the 'As' property, got {}", n.names.len()),
            ));
        }
        if n.tolerance < 0 {
            return Err(TickError::at(def.pos, "join tolerance must be >= 0"));
        }
        Ok(n)
    }

    fn round(&self, t: i64) -> i64 {
        super::round_time(t, self.tolerance)
    }

    fn joined(&self, time: i64, set: &[Option<Point>]) -> Option<Point> {
        let first = set.iter().flatten().next()?;
        let mut fields = Fields::new();
        let mut tags = first.tags.clone();
        for (i, p) in set.iter().enumerate() {
            match p {
                Some(p) => {
                    for (k, v) in &p.fields {
                        fields.insert(format!("{}{}{k}", self.names[i], self.delimiter), v.clone());
                    }
                    for (k, v) in &p.tags {
                        tags.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                None => {
                    if let Some(JoinFill::Number(v)) = &self.fill {
                        for k in &self.seen_fields[i] {
                            fields.insert(
                                format!("{}{}{k}", self.names[i], self.delimiter),
                                v.clone(),
                            );
                        }
                    }
                }
            }
        }
        Some(Point {
            name: self
                .stream_name
                .clone()
                .unwrap_or_else(|| first.name.clone()),
            tags,
            fields,
            time,
            ..first.clone()
        })
    }
}

impl Node for JoinNode {
    fn process(
        &mut self,
        ctx: &NodeCtx<'_>,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        self.process_edge(ctx, 0, msg, out)
    }

    fn process_edge(
        &mut self,
        _: &NodeCtx<'_>,
        edge: usize,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let Msg::Point(p) = msg else {
            return Err(NodeError("not supported yet: join of batches".into()));
        };
        let parents = self.names.len();
        if edge >= parents {
            return Err(NodeError(format!("join: unexpected edge {edge}")));
        }
        self.seen_fields[edge] = p.fields.keys().cloned().collect();
        let t = self.round(p.time);
        let key = p.group_id();
        let g = self.groups.entry(key).or_insert_with(|| Group {
            marks: vec![None; parents],
            ..Default::default()
        });
        g.marks[edge] = Some(g.marks[edge].map_or(t, |m| m.max(t)));
        let set = g.pending.entry(t).or_insert_with(|| vec![None; parents]);
        set[edge] = Some(p);
        let mut ready = Vec::new();
        if set.iter().all(|s| s.is_some()) {
            ready.push((t, g.pending.remove(&t).unwrap_or_default()));
        }
        // Sets every parent has moved past are complete or expired.
        if let Some(low) = g
            .marks
            .iter()
            .copied()
            .collect::<Option<Vec<i64>>>()
            .and_then(|m| m.into_iter().min())
        {
            let expired: Vec<i64> = g.pending.range(..low).map(|(t, _)| *t).collect();
            for t in expired {
                if let Some(set) = g.pending.remove(&t) {
                    if self.fill.is_some() {
                        ready.push((t, set));
                    }
                }
            }
        }
        ready.sort_by_key(|(t, _)| *t);
        for (t, set) in ready {
            if let Some(p) = self.joined(t, &set) {
                out.push(Msg::Point(p));
            }
        }
        Ok(())
    }
}
