//! Runtime nodes, one module per node kind, and the factory building them
//! from a checked [`NodeDef`].

pub mod anomaly;
pub mod barrier;
pub mod change_detect;
pub mod combine;
pub mod default;
pub mod delete;
pub mod derivative;
pub mod destination;
pub mod eval;
pub mod flatten;
pub mod from;
pub mod group_by;
pub mod holt_winters;
pub mod http_out;
pub mod http_post;
pub mod influxdb_out;
pub mod influxql;
pub mod join;
pub mod log;
pub mod loopback;
pub mod query;
pub mod sample;
pub mod shift;
pub mod sideload;
pub mod state;
pub mod stats;
pub mod transform;
pub mod trickle;
pub mod union;
pub mod where_node;
pub mod window;

use std::sync::Arc;

use crate::engine::Services;
use crate::lambda::Lambda;
use crate::model::Msg;
use crate::tick::pipeline::{Arg, NodeDef, Property, Value};
use crate::tick::{Pos, TickError};

/// A node failed on one message (it is dropped; the task keeps running).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct NodeError(pub String);

impl From<crate::lambda::LambdaError> for NodeError {
    fn from(e: crate::lambda::LambdaError) -> Self {
        NodeError(e.0)
    }
}

/// What a node sees besides its input.
pub struct NodeCtx<'a> {
    /// Task id.
    pub task: &'a str,
    /// Node name (`alert4`).
    pub node: &'a str,
    /// Shared services (alerts, writer, HTTP outputs).
    pub services: &'a Services,
    /// How many messages the parent node has emitted (for `stats`).
    pub parent_emitted: u64,
}

/// A runtime node.
pub trait Node: Send {
    /// Handles one message, pushing results to `out`.
    fn process(&mut self, ctx: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>)
        -> Result<(), NodeError>;

    /// Handles a message arriving on edge `edge` (0 = the node it was
    /// chained from; `join`/`union` have more). Defaults to [`Node::process`].
    fn process_edge(
        &mut self,
        ctx: &NodeCtx<'_>,
        edge: usize,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let _ = edge;
        self.process(ctx, msg, out)
    }

    /// Wall-clock tick (ns since the epoch) for nodes that emit on a timer.
    fn tick(
        &mut self,
        _ctx: &NodeCtx<'_>,
        _now: i64,
        _out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        Ok(())
    }

    /// A barrier from a `barrier` node above has reached this node on edge
    /// `edge`; it may emit messages (a window closes, a join set expires).
    /// The engine passes the barrier on to the node's children afterwards.
    fn barrier(
        &mut self,
        _ctx: &NodeCtx<'_>,
        _edge: usize,
        _barrier: &barrier::Barrier,
        _out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        Ok(())
    }

    /// Barriers this node produced since last asked (`barrier` nodes).
    fn take_barriers(&mut self) -> Vec<barrier::Barrier> {
        Vec::new()
    }

    /// The node as a batch `query` source, if it is one.
    fn as_query(&mut self) -> Option<&mut query::QueryNode> {
        None
    }

    /// Node-specific counters shown in the task's dot graph and stats.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// Why the node stopped for good (e.g. its UDF died); the task reports it.
    fn failure(&self) -> Option<String> {
        None
    }
}

/// `t` rounded to a multiple of `tolerance` (ns), halves up as Go's
/// `time.Round` does; unchanged when `tolerance` is not positive. Used by the
/// nodes that match points by time within a tolerance (join, flatten).
pub(crate) fn round_time(t: i64, tolerance: i64) -> i64 {
    if tolerance <= 0 {
        return t;
    }
    let r = t.rem_euclid(tolerance);
    if r * 2 >= tolerance {
        t - r + tolerance
    } else {
        t - r
    }
}

/// Builds the runtime node for `def` (the task's id is needed by some nodes).
pub fn build(
    def: &NodeDef,
    task: &str,
    services: &Arc<Services>,
) -> Result<Box<dyn Node>, TickError> {
    // `.quiet()` (any node) is the engine's business; eval and alert also
    // use it themselves.
    let stripped;
    let def = if def.props.iter().any(|p| p.name == "quiet") {
        for p in def.props.iter().filter(|p| p.name == "quiet") {
            args::flag(p)?;
        }
        if matches!(def.kind.as_str(), "eval" | "alert") || def.kind.starts_with('@') {
            def
        } else {
            stripped = NodeDef {
                props: def
                    .props
                    .iter()
                    .filter(|p| p.name != "quiet")
                    .cloned()
                    .collect(),
                ..def.clone()
            };
            &stripped
        }
    } else {
        def
    };
    Ok(match def.kind.as_str() {
        "stream" | "batch" => Box::new(Passthrough),
        "query" => Box::new(query::QueryNode::new(def)?),
        "join" => Box::new(join::JoinNode::new(def)?),
        "union" => Box::new(union::UnionNode::new(def)?),
        "combine" => Box::new(combine::CombineNode::new(def)?),
        "sideload" => Box::new(sideload::SideloadNode::new(def)?),
        "trickle" => Box::new(trickle::TrickleNode::new(def)?),
        "holtWinters" | "holtWintersWithFit" => Box::new(holt_winters::HoltWintersNode::new(def)?),
        "barrier" => Box::new(barrier::BarrierNode::new(def)?),
        "sample" => Box::new(sample::SampleNode::new(def)?),
        "flatten" => Box::new(flatten::FlattenNode::new(def)?),
        "kapacitorLoopback" => Box::new(loopback::LoopbackNode::new(def)?),
        "httpPost" => Box::new(http_post::HttpPostNode::new(def)?),
        "from" => Box::new(from::FromNode::new(def)?),
        "where" => Box::new(where_node::WhereNode::new(def)?),
        "window" => Box::new(window::WindowNode::new(def)?),
        "groupBy" => Box::new(group_by::GroupByNode::new(def)?),
        "eval" => Box::new(eval::EvalNode::new(def)?),
        "default" => Box::new(default::DefaultNode::new(def)?),
        "delete" => Box::new(delete::DeleteNode::new(def)?),
        "shift" => Box::new(shift::ShiftNode::new(def)?),
        "log" => Box::new(log::LogNode::new(def)?),
        "count" | "distinct" | "mean" | "median" | "mode" | "spread" | "sum" | "first" | "last"
        | "min" | "max" | "percentile" | "stddev" | "top" | "bottom" => {
            Box::new(influxql::InfluxQlNode::new(def)?)
        }
        "difference" | "cumulativeSum" | "movingAverage" | "elapsed" => {
            Box::new(transform::TransformNode::new(def)?)
        }
        "derivative" => Box::new(derivative::DerivativeNode::new(def)?),
        "stateDuration" | "stateCount" => Box::new(state::StateNode::new(def)?),
        "changeDetect" => Box::new(change_detect::ChangeDetectNode::new(def)?),
        "httpOut" => Box::new(http_out::HttpOutNode::new(def, task, services)?),
        "influxDBOut" => Box::new(influxdb_out::InfluxDbOutNode::new(def)?),
        "stats" => Box::new(stats::StatsNode::new(def)?),
        "alert" => Box::new(crate::alert::node::AlertNode::new(def, task, services)?),
        udf if udf.starts_with('@') => {
            match crate::udf::registry()
                .resolve(&udf[1..])
                .map_err(|m| TickError::at(def.pos, m))?
            {
                crate::udf::registry::Resolved::External(f) => {
                    Box::new(crate::udf::node::UdfNode::new(def, task, f)?)
                }
                crate::udf::registry::Resolved::Builtin(_) => {
                    Box::new(anomaly::AnomalyNode::new(def)?)
                }
            }
        }
        other => {
            return Err(TickError::at(
                def.pos,
                format!("not supported yet: {other} node"),
            ))
        }
    })
}

/// The `stream` root: passes everything on.
struct Passthrough;

impl Node for Passthrough {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        out.push(msg);
        Ok(())
    }
}

/// Argument helpers shared by node constructors.
pub(crate) mod args {
    use super::*;

    /// The `i`th argument, or an error naming the node.
    pub fn get<'a>(args: &'a [Arg], i: usize, pos: Pos, what: &str) -> Result<&'a Arg, TickError> {
        args.get(i)
            .ok_or_else(|| TickError::at(pos, format!("missing argument: {what}")))
    }

    /// Requires exactly `n` arguments.
    pub fn count(args: &[Arg], n: usize, pos: Pos, name: &str) -> Result<(), TickError> {
        if args.len() != n {
            return Err(TickError::at(
                pos,
                format!("{name} expects {n} argument(s), got {}", args.len()),
            ));
        }
        Ok(())
    }

    /// A string argument.
    pub fn string(a: &Arg, what: &str) -> Result<String, TickError> {
        match &a.value {
            Value::Str(s) => Ok(s.clone()),
            v => Err(TickError::at(
                a.pos,
                format!("{what}: expected string, got {}", v.type_name()),
            )),
        }
    }

    /// A duration argument.
    pub fn duration(a: &Arg, what: &str) -> Result<i64, TickError> {
        match &a.value {
            Value::Duration(d) => Ok(*d),
            v => Err(TickError::at(
                a.pos,
                format!("{what}: expected duration, got {}", v.type_name()),
            )),
        }
    }

    /// An integer argument.
    pub fn int(a: &Arg, what: &str) -> Result<i64, TickError> {
        match &a.value {
            Value::Int(i) => Ok(*i),
            v => Err(TickError::at(
                a.pos,
                format!("{what}: expected int, got {}", v.type_name()),
            )),
        }
    }

    /// A number argument as f64.
    pub fn float(a: &Arg, what: &str) -> Result<f64, TickError> {
        match &a.value {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            v => Err(TickError::at(
                a.pos,
                format!("{what}: expected float, got {}", v.type_name()),
            )),
        }
    }

    /// A lambda argument, compiled.
    pub fn lambda(a: &Arg, what: &str) -> Result<Lambda, TickError> {
        match &a.value {
            Value::Lambda(e) => Lambda::compile(e),
            v => Err(TickError::at(
                a.pos,
                format!("{what}: expected lambda, got {}", v.type_name()),
            )),
        }
    }

    /// All arguments as strings.
    pub fn strings(args: &[Arg], what: &str) -> Result<Vec<String>, TickError> {
        args.iter().map(|a| string(a, what)).collect()
    }

    /// A property with no arguments.
    pub fn flag(p: &Property) -> Result<bool, TickError> {
        if !p.args.is_empty() {
            return Err(TickError::at(
                p.pos,
                format!(".{}() takes no arguments", p.name),
            ));
        }
        Ok(true)
    }
}
