//! `query`: the source of a batch task. It does not run queries itself: the
//! server asks every running task which queries are due
//! ([`QueryNode::due`]), runs them through its InfluxQL engine (the
//! [`BatchQuerier`](crate::engine::BatchQuerier) boundary) and hands the
//! resulting batches back to the task.
//!
//! As in Kapacitor: a query runs every `every` (at multiples of `every`
//! with `.align()`), over `[now - offset - period, now - offset)`, with
//! `.groupBy()` dimensions (`time(d)`, tags, `*`) and `.fill()` added to
//! the statement.

use super::{args, Node, NodeCtx, NodeError};
use crate::model::Msg;
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
    offset: i64,
    align: bool,
    group_by_time: Option<i64>,
    group_by_tags: Vec<String>,
    group_by_star: bool,
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
            offset: 0,
            align: false,
            group_by_time: None,
            group_by_tags: Vec::new(),
            group_by_star: false,
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
                "offset" => {
                    n.offset = args::duration(args::get(&p.args, 0, p.pos, "offset")?, "offset")?
                }
                "align" => n.align = args::flag(p)?,
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
        if n.period <= 0 || n.every <= 0 {
            return Err(TickError::at(
                def.pos,
                "query: period and every must be set",
            ));
        }
        n.group_by_tags.sort();
        n.group_by_tags.dedup();
        Ok(n)
    }

    /// The query due at `now`, if any (and schedules the next one).
    pub fn due(&mut self, task: &str, node: usize, now: i64) -> Option<BatchQuery> {
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
        let stop = at - self.offset;
        Some(BatchQuery {
            task: task.to_string(),
            node,
            query: self.query.clone(),
            start: stop - self.period,
            stop,
            group_by_time: self.group_by_time,
            group_by_tags: self.group_by_tags.clone(),
            group_by_star: self.group_by_star,
            fill: self.fill.clone(),
        })
    }
}

impl Node for QueryNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        // Batches produced by the server's run of this query pass through.
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
}
