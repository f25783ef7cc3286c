//! `query`: the source of a batch task. It does not run queries itself: the
//! server asks every running task which queries are due
//! ([`QueryNode::due`]), runs them through its InfluxQL engine (the
//! [`BatchQuerier`](crate::engine::BatchQuerier) boundary) and hands the
//! resulting batches back to the task.
//!
//! As in Kapacitor: a query runs every `every` (at multiples of `every`
//! with `.align()`), or at the times of a `.cron()` expression (UTC;
//! Kapacitor's dialect, see [`crate::cron`]), over
//! `[now - offset - period, now - offset)`, with
//! `.groupBy()` dimensions (`time(d)`, tags, `*`) and `.fill()` added to
//! the statement.

use super::{args, Node, NodeCtx, NodeError};
use std::sync::Arc;

use crate::model::{Dimensions, Msg};
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;

/// `fill()` of a batch query.
#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    /// `fill(null)`.
    Null,
    /// `fill(none)`.
    None,
    /// `fill(previous)`.
    Previous,
    /// `fill(linear)`.
    Linear,
    /// `fill(<number>)`.
    Number(f64),
    /// `fill(<integer>)`.
    Integer(i64),
}

/// One due run of a batch query.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchQuery {
    /// Task id.
    pub task: String,
    /// Index of the query node in the task.
    pub node: usize,
    /// The `SELECT` as written in the script.
    pub query: String,
    /// Start of the time range (inclusive), ns.
    pub start: i64,
    /// End of the time range (exclusive), ns; also the batches' time.
    pub stop: i64,
    /// `GROUP BY time(...)` interval, ns.
    pub group_by_time: Option<i64>,
    /// `GROUP BY` tags.
    pub group_by_tags: Vec<String>,
    /// `GROUP BY *`.
    pub group_by_star: bool,
    /// `fill(...)`.
    pub fill: Option<Fill>,
}

/// The `query` node.
pub struct QueryNode {
    query: String,
    period: i64,
    every: i64,
    /// `.cron()`: runs at its times instead of every `every`.
    cron: Option<crate::cron::Cron>,
    offset: i64,
    align: bool,
    group_by_time: Option<i64>,
    group_by_tags: Vec<String>,
    group_by_star: bool,
    /// `.groupByMeasurement()`: batches are grouped by measurement too.
    by_measurement: bool,
    fill: Option<Fill>,
    next: Option<i64>,
}

impl QueryNode {
    /// Builds from `query('SELECT …')` and its properties.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 1, def.pos, "query")?;
        let mut n = QueryNode {
            query: args::string(&def.args[0], "query")?,
            period: 0,
            every: 0,
            cron: None,
            offset: 0,
            align: false,
            group_by_time: None,
            group_by_tags: Vec::new(),
            group_by_star: false,
            by_measurement: false,
            fill: None,
            next: None,
        };
        for p in &def.props {
            match p.name.as_str() {
                "period" => {
                    n.period = args::duration(args::get(&p.args, 0, p.pos, "period")?, "period")?
                }
                "every" => {
                    n.every = args::duration(args::get(&p.args, 0, p.pos, "every")?, "every")?
                }
                "cron" => {
                    let a = args::get(&p.args, 0, p.pos, "cron")?;
                    let text = args::string(a, "cron")?;
                    n.cron = Some(
                        crate::cron::Cron::parse_kapacitor(&text)
                            .map_err(|e| TickError::at(a.pos, e.to_string()))?,
                    );
                }
                "offset" => {
                    n.offset = args::duration(args::get(&p.args, 0, p.pos, "offset")?, "offset")?
                }
                "align" => n.align = args::flag(p)?,
                "groupByMeasurement" => n.by_measurement = args::flag(p)?,
                "groupBy" => {
                    for a in &p.args {
                        match &a.value {
                            Value::GroupByTime(d) => n.group_by_time = Some(*d),
                            Value::Str(s) => n.group_by_tags.push(s.clone()),
                            Value::Star => n.group_by_star = true,
                            v => {
                                return Err(TickError::at(
                                    a.pos,
                                    format!(
                                        "groupBy: expected time(), a tag or *, got {}",
                                        v.type_name()
                                    ),
                                ))
                            }
                        }
                    }
                }
                "fill" => {
                    let a = args::get(&p.args, 0, p.pos, "fill")?;
                    n.fill = Some(match &a.value {
                        Value::Str(s) => match s.as_str() {
                            "null" => Fill::Null,
                            "none" => Fill::None,
                            "previous" => Fill::Previous,
                            "linear" => Fill::Linear,
                            _ => {
                                return Err(TickError::at(
                                    a.pos,
                                    format!("unexpected fill option {s}"),
                                ))
                            }
                        },
                        Value::Float(f) => Fill::Number(*f),
                        Value::Int(i) => Fill::Integer(*i),
                        v => {
                            return Err(TickError::at(
                                a.pos,
                                format!("fill: unexpected {}", v.type_name()),
                            ))
                        }
                    });
                }
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: query .{other}()"),
                    ))
                }
            }
        }
        if n.cron.is_some() && n.every != 0 {
            return Err(TickError::at(
                def.pos,
                "query: must not set both 'every' and 'cron' properties",
            ));
        }
        if n.period <= 0 || (n.every <= 0 && n.cron.is_none()) {
            return Err(TickError::at(
                def.pos,
                "query: period and every must be set",
            ));
        }
        n.group_by_tags.sort();
        n.group_by_tags.dedup();
        Ok(n)
    }

    /// Every run whose schedule tick falls in `(start, stop]` (after the
    /// first tick past `start`, aligned to `every` with `.align()`, or the
    /// `.cron()` times), as a
    /// batch recording or replay of `[start, stop)` runs them.
    pub fn runs_between(&self, task: &str, node: usize, start: i64, stop: i64) -> Vec<BatchQuery> {
        let mut out = Vec::new();
        let mut next = self.next_run_after(start);
        while let Some(at) = next.filter(|at| *at <= stop) {
            out.push(self.run_at(task, node, at));
            next = self.next_run_after(at);
        }
        out
    }

    /// The first scheduled run strictly after `t`.
    fn next_run_after(&self, t: i64) -> Option<i64> {
        match &self.cron {
            Some(c) => c.next_after(t),
            None if self.align => Some(t - t.rem_euclid(self.every) + self.every),
            None => Some(t + self.every),
        }
    }

    /// The query due at `now`, if any (and schedules the next one).
    pub fn due(&mut self, task: &str, node: usize, now: i64) -> Option<BatchQuery> {
        if self.cron.is_some() {
            let next = match self.next {
                Some(n) => n,
                None => {
                    let n = self.next_run_after(now)?;
                    self.next = Some(n);
                    n
                }
            };
            if now < next {
                return None;
            }
            // Skip missed runs: run the latest scheduled time not after now.
            let mut at = next;
            while let Some(n) = self.next_run_after(at).filter(|n| *n <= now) {
                at = n;
            }
            self.next = self.next_run_after(at);
            if self.next.is_none() {
                // No more runs (a cron limited to past years): never again.
                self.next = Some(i64::MAX);
            }
            return Some(self.run_at(task, node, at));
        }
        let every = self.every;
        let next = *self.next.get_or_insert_with(|| {
            if self.align {
                now - now.rem_euclid(every) + every
            } else {
                now + every
            }
        });
        if now < next {
            return None;
        }
        // Skip missed runs: the next one is the first boundary after now.
        let missed = (now - next) / every;
        let at = next + missed * every;
        self.next = Some(at + every);
        Some(self.run_at(task, node, at))
    }

    /// The run scheduled at `at`: the range `[at - offset - period, at - offset)`.
    fn run_at(&self, task: &str, node: usize, at: i64) -> BatchQuery {
        let stop = at - self.offset;
        BatchQuery {
            task: task.to_string(),
            node,
            query: self.query.clone(),
            start: stop - self.period,
            stop,
            group_by_time: self.group_by_time,
            group_by_tags: self.group_by_tags.clone(),
            group_by_star: self.group_by_star,
            fill: self.fill.clone(),
        }
    }
}

impl Node for QueryNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        // Batches produced by the server's run of this query pass through
        // (grouped by measurement too with `.groupByMeasurement()`).
        let mut msg = msg;
        if self.by_measurement {
            if let Msg::Batch(b) = &mut msg {
                let dims = Arc::new(Dimensions {
                    by_name: true,
                    ..(*b.dims).clone()
                });
                b.dims = dims.clone();
                for p in &mut b.points {
                    p.dims = dims.clone();
                }
            }
        }
        out.push(msg);
        Ok(())
    }

    fn as_query(&mut self) -> Option<&mut QueryNode> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tick::{parse, pipeline::evaluate};

    fn node(src: &str) -> QueryNode {
        let p = evaluate(&parse(src).unwrap(), &Default::default()).unwrap();
        QueryNode::new(&p.nodes[1]).unwrap()
    }

    #[test]
    fn schedule_and_ranges() {
        const S: i64 = 1_000_000_000;
        let mut q = node("batch|query('SELECT mean(v) FROM m').period(10s).every(5s).offset(1s).align().groupBy(time(1s), 'host').fill(0)");
        assert_eq!(q.due("t", 1, 12 * S), None);
        let b = q.due("t", 1, 15 * S).unwrap();
        assert_eq!((b.start, b.stop), (4 * S, 14 * S));
        assert_eq!(b.group_by_time, Some(S));
        assert_eq!(b.group_by_tags, vec!["host".to_string()]);
        assert_eq!(b.fill, Some(Fill::Integer(0)));
        assert_eq!(q.due("t", 1, 19 * S), None);
        // Missed runs are skipped.
        let b = q.due("t", 1, 31 * S).unwrap();
        assert_eq!(b.stop, 29 * S);
        assert!(q.due("t", 1, 34 * S).is_none());
    }

    #[test]
    fn cron_schedule_and_ranges() {
        const S: i64 = 1_000_000_000;
        // 2024-01-01T00:00:00Z
        const T0: i64 = 1_704_067_200 * S;
        let mut q =
            node("batch|query('SELECT v FROM m').period(1m).cron('*/5 * * * *').offset(10s)");
        assert_eq!(q.due("t", 1, T0 + 60 * S), None);
        assert_eq!(q.due("t", 1, T0 + 299 * S), None);
        let b = q.due("t", 1, T0 + 301 * S).unwrap();
        assert_eq!((b.start, b.stop), (T0 + 230 * S, T0 + 290 * S));
        assert_eq!(q.due("t", 1, T0 + 400 * S), None);
        // Missed runs are skipped: 10:00 and 15:00 are due, 15:00 runs.
        let b = q.due("t", 1, T0 + 910 * S).unwrap();
        assert_eq!(b.stop, T0 + 890 * S);
        let runs = q.runs_between("t", 1, T0, T0 + 600 * S);
        assert_eq!(
            runs.iter()
                .map(|r| (r.stop + 10 * S - T0) / S)
                .collect::<Vec<_>>(),
            [300, 600]
        );
        let err = |src: &str| {
            let p = evaluate(&parse(src).unwrap(), &Default::default()).unwrap();
            QueryNode::new(&p.nodes[1]).err().unwrap().to_string()
        };
        assert!(
            err("batch|query('SELECT v FROM m').period(1m).every(1m).cron('* * * * *')")
                .contains("must not set both 'every' and 'cron'")
        );
        assert!(
            err("batch|query('SELECT v FROM m').period(1m).cron('61 * * * *')")
                .contains("invalid cron expression")
        );
    }
}
