//! `join`: joins points (or batches) of several parents that belong to the
//! same group and whose times match once rounded to `.tolerance()`. Fields
//! are renamed `<as><delimiter><field>` (`.as()` names each parent, the
//! delimiter is `.`).
//!
//! A set is emitted as soon as every parent has a message for it. A set
//! still incomplete once every parent has moved past its time is emitted
//! with `.fill()` (`null`/`none`: only the fields present; a number: the
//! missing parent's fields, as last seen, set to it) or dropped without
//! `.fill()`.
//!
//! Batches are joined point by point: points of the batches of a set whose
//! rounded times match become one point (missing ones filled as above); the
//! joined batch has the set's time and the first batch's group.
//!
//! `.on(dims…)` joins on a subset of the group-by dimensions: a message of
//! a parent grouped by exactly those dimensions (a "match" message) is
//! joined with every message of the same time from the parents grouped by
//! more (the "specific" ones), taking the specific message's group. A
//! specific message that can no longer meet its match (every parent has
//! moved past its time) is joined alone (kept only with `.fill()`).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Batch, FieldValue, Fields, Msg, Point, Tags};
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;

enum JoinFill {
    Null,
    Number(FieldValue),
}

#[derive(Default)]
struct Group {
    /// Pending sets by rounded time: one slot per parent.
    pending: BTreeMap<i64, Vec<Option<Msg>>>,
    /// Latest rounded time seen per parent.
    marks: Vec<Option<i64>>,
}

/// A message waiting in an `.on()` buffer: (parent, rounded time, message).
type Waiting = (usize, i64, Msg);

/// `.on()` state of one join-dimension group.
#[derive(Default)]
struct OnGroup {
    /// Less specific messages that specific ones may still match.
    matches: VecDeque<Waiting>,
    /// Specific messages waiting for their match.
    specifics: VecDeque<Waiting>,
    /// Latest rounded time per parent.
    low_marks: Vec<Option<i64>>,
}

/// The `join` node.
pub struct JoinNode {
    names: Vec<String>,
    tolerance: i64,
    fill: Option<JoinFill>,
    delimiter: String,
    stream_name: Option<Arc<str>>,
    /// `.on()` dimensions, sorted; empty joins on the full group.
    on: Vec<String>,
    groups: HashMap<String, Group>,
    on_groups: HashMap<String, OnGroup>,
    /// Parents that have sent anything (for `.on()`).
    reported: Vec<bool>,
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
            on: Vec::new(),
            groups: HashMap::new(),
            on_groups: HashMap::new(),
            reported: vec![false; parents],
            seen_fields: vec![Vec::new(); parents],
        };
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.names = args::strings(&p.args, "as")?,
                "on" => n.on = args::strings(&p.args, "on")?,
                "tolerance" => {
                    n.tolerance =
                        args::duration(args::get(&p.args, 0, p.pos, "tolerance")?, "tolerance")?
                }
                "delimiter" => {
                    n.delimiter =
                        args::string(args::get(&p.args, 0, p.pos, "delimiter")?, "delimiter")?
                }
                "streamName" => {
                    n.stream_name = Some(
                        args::string(args::get(&p.args, 0, p.pos, "streamName")?, "streamName")?
                            .into(),
                    )
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
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("no method or property \"{other}\" on JoinNode"),
                    ))
                }
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
        n.on.sort();
        n.on.dedup();
        Ok(n)
    }

    fn round(&self, t: i64) -> i64 {
        super::round_time(t, self.tolerance)
    }

    fn prefixed(&self, parent: usize, field: &str) -> String {
        format!("{}{}{field}", self.names[parent], self.delimiter)
    }

    /// Fields of a joined point from one point per parent (`None`: missing).
    /// `None` when a parent is missing and there is no `.fill()`.
    fn joined_fields(&self, set: &[Option<&Point>], fill_names: &[String]) -> Option<Fields> {
        let mut fields = Fields::new();
        for (i, p) in set.iter().enumerate() {
            match p {
                Some(p) => {
                    for (k, v) in p.fields.iter() {
                        fields.insert(self.prefixed(i, k).into(), v.clone());
                    }
                }
                None => match &self.fill {
                    Some(JoinFill::Number(v)) => {
                        let names = if self.seen_fields[i].is_empty() {
                            fill_names
                        } else {
                            &self.seen_fields[i]
                        };
                        for k in names {
                            fields.insert(self.prefixed(i, k).into(), v.clone());
                        }
                    }
                    Some(JoinFill::Null) => {}
                    None => return None,
                },
            }
        }
        Some(fields)
    }

    /// Joins one set (one message per parent at most) into a message.
    fn joined(&self, time: i64, set: &[Option<Msg>]) -> Option<Msg> {
        let first = set.iter().flatten().next()?;
        match first {
            Msg::Point(first) => {
                let points: Vec<Option<&Point>> = set
                    .iter()
                    .map(|m| match m {
                        Some(Msg::Point(p)) => Some(p),
                        _ => None,
                    })
                    .collect();
                let names: Vec<String> = first.fields.keys().map(|k| k.to_string()).collect();
                let fields = self.joined_fields(&points, &names)?;
                let mut tags = first.tags.clone();
                for p in points.iter().flatten() {
                    for (k, v) in p.tags.iter() {
                        if !tags.contains_key(k) {
                            Arc::make_mut(&mut tags).insert(k.clone(), v.clone());
                        }
                    }
                }
                Some(Msg::Point(Point {
                    name: self
                        .stream_name
                        .clone()
                        .unwrap_or_else(|| first.name.clone()),
                    tags,
                    fields: Arc::new(fields),
                    time,
                    ..first.clone()
                }))
            }
            Msg::Batch(first) => Some(Msg::Batch(self.join_batches(time, first, set))),
        }
    }

    /// Joins the batches of a set point by point (by rounded point time).
    fn join_batches(&self, time: i64, first: &Batch, set: &[Option<Msg>]) -> Batch {
        let batches: Vec<Option<&Batch>> = set
            .iter()
            .map(|m| match m {
                Some(Msg::Batch(b)) => Some(b),
                _ => None,
            })
            .collect();
        // Points of each batch by rounded time (the first of a time wins).
        let mut by_time: Vec<BTreeMap<i64, &Point>> = Vec::with_capacity(batches.len());
        let mut times = BTreeSet::new();
        for b in &batches {
            let mut m = BTreeMap::new();
            for p in b.map(|b| b.points.as_slice()).unwrap_or(&[]) {
                let t = self.round(p.time);
                times.insert(t);
                m.entry(t).or_insert(p);
            }
            by_time.push(m);
        }
        let name = self
            .stream_name
            .clone()
            .unwrap_or_else(|| first.name.clone());
        let mut points = Vec::new();
        for t in times {
            let row: Vec<Option<&Point>> = by_time.iter().map(|m| m.get(&t).copied()).collect();
            let Some(sample) = row.iter().flatten().next() else {
                continue;
            };
            let names: Vec<String> = sample.fields.keys().map(|k| k.to_string()).collect();
            let Some(fields) = self.joined_fields(&row, &names) else {
                continue;
            };
            points.push(Point {
                name: name.clone(),
                tags: first.tags.clone(),
                fields: Arc::new(fields),
                time: t,
                ..(*sample).clone()
            });
        }
        Batch {
            name,
            tags: first.tags.clone(),
            tmax: time,
            dims: first.dims.clone(),
            points,
        }
    }

    /// Emits, in time order, the sets of group `key` every parent has moved
    /// past (with `.fill()`; dropped without).
    fn expire(&mut self, key: &str, mut ready: Vec<(i64, Vec<Option<Msg>>)>, out: &mut Vec<Msg>) {
        if let Some(g) = self.groups.get_mut(key) {
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
        }
        ready.sort_by_key(|(t, _)| *t);
        for (t, set) in ready {
            if let Some(m) = self.joined(t, &set) {
                out.push(m);
            }
        }
    }

    /// Adds `msg` from parent `edge` to its group's sets and emits the sets
    /// that are complete or that every parent has moved past.
    fn collect(&mut self, edge: usize, msg: Msg, out: &mut Vec<Msg>) {
        let parents = self.names.len();
        match &msg {
            Msg::Point(p) => {
                self.seen_fields[edge] = p.fields.keys().map(|k| k.to_string()).collect()
            }
            Msg::Batch(b) => {
                if let Some(p) = b.points.first() {
                    self.seen_fields[edge] = p.fields.keys().map(|k| k.to_string()).collect();
                }
            }
        }
        let t = self.round(msg.time());
        let key = msg.group_id();
        let g = self.groups.entry(key.clone()).or_insert_with(|| Group {
            marks: vec![None; parents],
            ..Default::default()
        });
        g.marks[edge] = Some(g.marks[edge].map_or(t, |m| m.max(t)));
        let set = g.pending.entry(t).or_insert_with(|| vec![None; parents]);
        set[edge] = Some(msg);
        let mut ready = Vec::new();
        if set.iter().all(|s| s.is_some()) {
            ready.push((t, g.pending.remove(&t).unwrap_or_default()));
        }
        // Sets every parent has moved past are complete or expired.
        self.expire(&key, ready, out);
    }

    /// The `.on()` group of a message: its name (when grouped by name) and
    /// its values of the join dimensions.
    fn on_group_id(&self, msg: &Msg) -> String {
        let (name, tags, by_name) = match msg {
            Msg::Point(p) => (&p.name, &p.tags, p.dims.by_name),
            Msg::Batch(b) => (&b.name, &b.tags, b.dims.by_name),
        };
        let on_tags: Tags = self
            .on
            .iter()
            .map(|k| (k.clone(), tags.get(k).cloned().unwrap_or_default()))
            .collect();
        crate::model::group_id(name, &on_tags, by_name)
    }

    /// `matched` re-grouped as `specific` (its group tags and dimensions).
    fn regroup(specific: &Msg, matched: &Msg) -> Msg {
        match (specific, matched.clone()) {
            (Msg::Point(s), Msg::Point(mut m)) => {
                m.tags = s.group_tags_shared();
                m.dims = s.dims.clone();
                Msg::Point(m)
            }
            (Msg::Batch(s), Msg::Batch(mut m)) => {
                m.tags = s.tags.clone();
                m.dims = s.dims.clone();
                Msg::Batch(m)
            }
            (Msg::Point(s), Msg::Batch(mut m)) => {
                m.tags = s.group_tags_shared();
                m.dims = s.dims.clone();
                Msg::Batch(m)
            }
            (Msg::Batch(s), Msg::Point(mut m)) => {
                m.tags = s.tags.clone();
                m.dims = Arc::clone(&s.dims);
                Msg::Point(m)
            }
        }
    }

    /// `.on()`: pairs specific messages with the match message of their
    /// join group and time before collecting them.
    fn match_on(&mut self, edge: usize, msg: Msg, out: &mut Vec<Msg>) {
        let parents = self.names.len();
        self.reported[edge] = true;
        let all_reported = self.reported.iter().all(|r| *r);
        let t = self.round(msg.time());
        let gid = self.on_group_id(&msg);
        let specific = match &msg {
            Msg::Point(p) => p.group_tag_names().len() > self.on.len(),
            Msg::Batch(b) => b.tags.len() > self.on.len(),
        };
        let mut og = self.on_groups.remove(&gid).unwrap_or_default();
        og.low_marks.resize(parents, None);
        og.low_marks[edge] = Some(t);
        let low = if all_reported {
            og.low_marks.iter().map(|m| m.unwrap_or(i64::MIN)).min()
        } else {
            None
        };
        let mut to_collect: Vec<(usize, Msg)> = Vec::new();
        if let Some(low) = low {
            // Specific messages that can no longer be matched go alone.
            while og.specifics.front().is_some_and(|(_, st, _)| *st < low) {
                if let Some((src, _, m)) = og.specifics.pop_front() {
                    to_collect.push((src, m));
                }
            }
        }
        if specific {
            let mut matched = false;
            let mut passed = 0;
            for (src, mt, m) in &og.matches {
                if *mt == t {
                    to_collect.push((edge, msg.clone()));
                    to_collect.push((*src, Self::regroup(&msg, m)));
                    matched = true;
                }
                if low.is_none_or(|low| *mt >= low) {
                    break;
                }
                passed += 1;
            }
            if low.is_some() {
                og.matches.drain(..passed.min(og.matches.len()));
            }
            if !matched {
                if low.is_some_and(|low| t < low) {
                    to_collect.push((edge, msg));
                } else {
                    og.specifics.push_back((edge, t, msg));
                }
            }
        } else {
            while og.specifics.front().is_some_and(|(_, st, _)| *st == t) {
                if let Some((src, _, s)) = og.specifics.pop_front() {
                    to_collect.push((edge, Self::regroup(&s, &msg)));
                    to_collect.push((src, s));
                }
            }
            og.matches.push_back((edge, t, msg));
            // Matches older than every parent's latest time can no longer
            // meet a specific message.
            if let Some(low) = low {
                while og.matches.front().is_some_and(|(_, mt, _)| *mt < low) {
                    og.matches.pop_front();
                }
            }
        }
        self.on_groups.insert(gid, og);
        for (src, m) in to_collect {
            self.collect(src, m, out);
        }
    }
}

impl Node for JoinNode {
    /// A barrier moves its parent's mark for the group to the barrier's
    /// time, so sets the other parents completed long ago are emitted.
    fn barrier(
        &mut self,
        _: &NodeCtx<'_>,
        edge: usize,
        b: &crate::nodes::barrier::Barrier,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let t = self.round(b.time);
        let Some(g) = self.groups.get_mut(&b.group) else {
            return Ok(());
        };
        if let Some(m) = g.marks.get_mut(edge) {
            *m = Some(m.map_or(t, |old| old.max(t)));
        }
        self.expire(&b.group, Vec::new(), out);
        if b.delete {
            self.groups.remove(&b.group);
        }
        Ok(())
    }

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
        if edge >= self.names.len() {
            return Err(NodeError(format!("join: unexpected edge {edge}")));
        }
        if self.on.is_empty() {
            self.collect(edge, msg, out);
        } else {
            self.match_on(edge, msg, out);
        }
        Ok(())
    }
}
