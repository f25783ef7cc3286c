//! Running one task: the node graph built from a [`Pipeline`], message
//! dispatch from parents to children, per-node statistics and the `dot`
//! graph Kapacitor shows.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::alert::service::AlertService;
use crate::model::{Msg, Point};
use crate::nodes::http_out::Endpoint;
use crate::nodes::{build, Node, NodeCtx};
use crate::projection::{stream_field_needs, FieldNeeds};
use crate::tick::pipeline::Pipeline;
use crate::tick::TickError;

/// Where `influxDBOut` writes (the server implements it over storage).
pub trait PointWriter: Send + Sync {
    /// Writes points into `database`/`retention_policy` (empty = default RP).
    fn write_points(
        &self,
        database: &str,
        retention_policy: &str,
        points: &[Point],
    ) -> Result<(), String>;
    /// Creates a database if it does not exist (`influxDBOut.create()`).
    fn create_database(&self, database: &str) -> Result<(), String>;
}

/// Runs a batch task's due query (the server implements it with its
/// InfluxQL engine) and returns one batch per series.
pub trait BatchQuerier: Send + Sync {
    /// Runs `query`; each resulting series becomes a batch stamped `query.stop`.
    fn query(
        &self,
        query: &crate::nodes::query::BatchQuery,
    ) -> impl std::future::Future<Output = Result<Vec<crate::model::Batch>, String>> + Send;
}

/// A writer that refuses every write (when no database is attached).
pub struct NoWriter;

impl PointWriter for NoWriter {
    fn write_points(&self, database: &str, _: &str, _: &[Point]) -> Result<(), String> {
        Err(format!(
            "no database attached: cannot write to {database:?}"
        ))
    }

    fn create_database(&self, database: &str) -> Result<(), String> {
        Err(format!("no database attached: cannot create {database:?}"))
    }
}

/// Services shared by every task.
pub struct Services {
    /// `influxDBOut` target.
    pub writer: Arc<dyn PointWriter>,
    /// Alert topics and handlers.
    pub alerts: Arc<AlertService>,
    /// `httpOut` endpoints by (task, endpoint name).
    pub http_outs: Mutex<HashMap<(String, String), Endpoint>>,
    /// Points `kapacitorLoopback` nodes send back into the stream: (db, rp, points).
    pub loopback: Mutex<Vec<(String, String, Vec<Point>)>>,
    /// Snapshots of UDF nodes (kept in the task store once a manager attaches it).
    pub udf_snapshots: Arc<crate::udf::snapshots::UdfSnapshots>,
}

impl Services {
    /// Services over a writer and an alert service.
    pub fn new(writer: Arc<dyn PointWriter>, alerts: Arc<AlertService>) -> Services {
        Services {
            writer,
            alerts,
            http_outs: Default::default(),
            loopback: Default::default(),
            udf_snapshots: Default::default(),
        }
    }
}

/// After this many messages a node's processing time is measured on one
/// message in this many (and counted for all of them).
const EXEC_SAMPLE: u64 = 16;

/// Counters of one node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeStats {
    /// Messages received.
    pub collected: u64,
    /// Messages emitted.
    pub emitted: u64,
    /// Messages that failed.
    pub errors: u64,
    /// Total time spent processing, ns (estimated from a sample of the
    /// messages once there are many).
    pub exec_ns: u64,
}

/// A node's name, statistics and node-specific counters.
pub type NodeReport = (String, NodeStats, Vec<(&'static str, u64)>);

struct Slot {
    name: String,
    node: Box<dyn Node>,
    parent: Option<usize>,
    /// Every parent in edge order (the primary one first).
    parents: Vec<usize>,
    children: Vec<usize>,
    stats: NodeStats,
    /// `.quiet()`: the node's errors are counted but not logged.
    quiet: bool,
}

/// A running task.
pub struct Task {
    id: String,
    slots: Vec<Slot>,
    services: Arc<Services>,
    /// Emptied output buffers, reused by `deliver` (one per nesting level).
    spare: Vec<Vec<Msg>>,
    /// The fields of written points this task can observe.
    field_needs: FieldNeeds,
}

impl Task {
    /// Builds every node of `pipeline` (their properties are checked here).
    pub fn new(id: &str, pipeline: &Pipeline, services: Arc<Services>) -> Result<Task, TickError> {
        let mut slots = Vec::with_capacity(pipeline.nodes.len());
        for def in &pipeline.nodes {
            slots.push(Slot {
                name: def.name(),
                node: build(def, id, &services)?,
                parent: def.parent,
                parents: def.parent.iter().chain(&def.others).copied().collect(),
                children: pipeline.children(def.id),
                stats: NodeStats::default(),
                quiet: def.props.iter().any(|p| p.name == "quiet"),
            });
        }
        Ok(Task {
            id: id.to_string(),
            slots,
            services,
            spare: Vec::new(),
            field_needs: stream_field_needs(pipeline),
        })
    }

    /// The task id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The fields of written points this task can observe (the others need
    /// not be parsed for it).
    pub fn field_needs(&self) -> &FieldNeeds {
        &self.field_needs
    }

    /// Feeds one point from the write stream into the root node.
    pub fn push(&mut self, point: Point) {
        if self.slots.is_empty() {
            return;
        }
        self.deliver(0, 0, Msg::Point(point));
    }

    /// Batch queries of this task due at `now`.
    pub fn due_queries(&mut self, now: i64) -> Vec<crate::nodes::query::BatchQuery> {
        let id = self.id.clone();
        let mut out = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if let Some(q) = slot.node.as_query() {
                out.extend(q.due(&id, i, now));
            }
        }
        out
    }

    /// Indices of the query nodes in pipeline order (the sources of a batch
    /// recording: source `i` replays into the `i`-th query node).
    pub fn query_nodes(&mut self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|i| self.slots[*i].node.as_query().is_some())
            .collect()
    }

    /// The query runs of every query node over `[start, stop)` (batch
    /// recordings and replays), in node order then time order.
    pub fn queries_between(
        &mut self,
        start: i64,
        stop: i64,
    ) -> Vec<crate::nodes::query::BatchQuery> {
        let id = self.id.clone();
        let mut out = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if let Some(q) = slot.node.as_query() {
                out.extend(q.runs_between(&id, i, start, stop));
            }
        }
        out
    }

    /// Feeds the batches of a query run into the query node `node`.
    pub fn push_batches(&mut self, node: usize, batches: Vec<crate::model::Batch>) {
        if node >= self.slots.len() {
            return;
        }
        for b in batches {
            self.deliver(node, 0, Msg::Batch(b));
        }
    }

    /// Counts a failed query run against node `node`.
    pub fn query_failed(&mut self, node: usize) {
        if let Some(s) = self.slots.get_mut(node) {
            s.stats.errors += 1;
        }
    }

    /// Advances wall-clock driven nodes (`stats`, hence `deadman`) to `now`.
    pub fn tick(&mut self, now: i64) {
        for i in 0..self.slots.len() {
            let parent_emitted = self.slots[i]
                .parent
                .map(|p| self.slots[p].stats.emitted)
                .unwrap_or(0);
            let mut out = Vec::new();
            let slot = &mut self.slots[i];
            let ctx = NodeCtx {
                task: &self.id,
                node: &slot.name,
                services: &self.services,
                parent_emitted,
            };
            if let Err(e) = slot.node.tick(&ctx, now, &mut out) {
                slot.stats.errors += 1;
                if !slot.quiet {
                    tracing::warn!(task = %self.id, node = %slot.name, error = %e, "node tick failed");
                }
            }
            let barriers = slot.node.take_barriers();
            self.fan_out(i, out);
            for b in barriers {
                self.pass_barrier(i, &b);
            }
        }
    }

    /// Hands barrier `b` from node `i` to every node below it (each may emit).
    fn pass_barrier(&mut self, i: usize, b: &crate::nodes::barrier::Barrier) {
        for c in self.slots[i].children.clone() {
            let mut out = Vec::new();
            let edge = self.slots[c]
                .parents
                .iter()
                .position(|p| *p == i)
                .unwrap_or(0);
            let slot = &mut self.slots[c];
            let ctx = NodeCtx {
                task: &self.id,
                node: &slot.name,
                services: &self.services,
                parent_emitted: 0,
            };
            if let Err(e) = slot.node.barrier(&ctx, edge, b, &mut out) {
                slot.stats.errors += 1;
                if !slot.quiet {
                    tracing::debug!(task = %self.id, node = %slot.name, error = %e, "node failed on a barrier");
                }
            }
            self.fan_out(c, out);
            self.pass_barrier(c, b);
        }
    }

    /// Processes `msg` arriving at node `i` on its edge number `edge`.
    fn deliver(&mut self, i: usize, edge: usize, msg: Msg) {
        let parent_emitted = self.slots[i]
            .parent
            .map(|p| self.slots[p].stats.emitted)
            .unwrap_or(0);
        let mut out = self.spare.pop().unwrap_or_default();
        let slot = &mut self.slots[i];
        slot.stats.collected += 1;
        let ctx = NodeCtx {
            task: &self.id,
            node: &slot.name,
            services: &self.services,
            parent_emitted,
        };
        // The clock is read for the first messages, then for one in
        // `EXEC_SAMPLE` (weighted): reading it costs as much as a cheap node.
        let n = slot.stats.collected;
        let weight = if n <= EXEC_SAMPLE {
            1
        } else if n % EXEC_SAMPLE == 0 {
            EXEC_SAMPLE
        } else {
            0
        };
        let start = (weight > 0).then(std::time::Instant::now);
        let r = slot.node.process_edge(&ctx, edge, msg, &mut out);
        if let Some(start) = start {
            slot.stats.exec_ns += start.elapsed().as_nanos() as u64 * weight;
        }
        if let Err(e) = r {
            slot.stats.errors += 1;
            if !slot.quiet {
                tracing::debug!(task = %self.id, node = %slot.name, error = %e, "node failed on a message");
            }
        }
        self.fan_out_drain(i, &mut out);
        self.spare.push(out);
    }

    fn fan_out(&mut self, i: usize, mut out: Vec<Msg>) {
        self.fan_out_drain(i, &mut out);
    }

    /// Hands every message of `out` (emptied) to the children of node `i`.
    fn fan_out_drain(&mut self, i: usize, out: &mut Vec<Msg>) {
        self.slots[i].stats.emitted += out.len() as u64;
        let n = self.slots[i].children.len();
        if n == 0 {
            out.clear();
            return;
        }
        for msg in out.drain(..) {
            for k in 0..n {
                let c = self.slots[i].children[k];
                let e = self.slots[c]
                    .parents
                    .iter()
                    .position(|p| *p == i)
                    .unwrap_or(0);
                if k + 1 == n {
                    self.deliver(c, e, msg);
                    break;
                }
                self.deliver(c, e, msg.clone());
            }
        }
    }

    /// Why the task stopped working, if a node failed for good (`node: reason`).
    pub fn failure(&self) -> Option<String> {
        self.slots
            .iter()
            .find_map(|s| s.node.failure().map(|e| format!("{}: {e}", s.name)))
    }

    /// Node names with their statistics and node-specific counters.
    pub fn node_stats(&self) -> Vec<NodeReport> {
        self.slots
            .iter()
            .map(|s| (s.name.clone(), s.stats.clone(), s.node.counters()))
            .collect()
    }

    /// Edges as (parent, child, messages the child received).
    pub fn edges(&self) -> Vec<(String, String, u64)> {
        let mut out = Vec::new();
        for slot in &self.slots {
            for c in &slot.children {
                let child = &self.slots[*c];
                out.push((slot.name.clone(), child.name.clone(), child.stats.collected));
            }
        }
        out
    }

    /// Kapacitor's `dot` graph with per-node statistics.
    pub fn dot(&self) -> String {
        let mut s = format!(
            "digraph {} {{\ngraph [throughput=\"0.00 points/s\"];\n",
            self.id
        );
        for slot in &self.slots {
            let avg = slot
                .stats
                .exec_ns
                .checked_div(slot.stats.collected)
                .unwrap_or(0);
            let mut attrs: Vec<(String, String)> = slot
                .node
                .counters()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            attrs.push((
                "avg_exec_time_ns".into(),
                crate::model::format_duration(avg as i64),
            ));
            attrs.push(("errors".into(), slot.stats.errors.to_string()));
            attrs.push(("working_cardinality".into(), "0".into()));
            attrs.sort();
            s.push('\n');
            s.push_str(&slot.name);
            s.push_str(" [");
            for (k, v) in attrs {
                s.push_str(&format!("{k}=\"{v}\" "));
            }
            s.push_str("];\n");
            for c in &slot.children {
                let child = &self.slots[*c];
                s.push_str(&format!(
                    "{} -> {} [processed=\"{}\"];\n",
                    slot.name, child.name, child.stats.collected
                ));
            }
        }
        s.push_str("}\n");
        s
    }
}

/// The `dot` graph of a pipeline that is not running (no statistics).
pub fn static_dot(id: &str, pipeline: &Pipeline) -> String {
    let mut s = format!("digraph {id} {{\n");
    for n in &pipeline.nodes {
        for c in pipeline.children(n.id) {
            s.push_str(&format!("{} -> {};\n", n.name(), pipeline.nodes[c].name()));
        }
    }
    s.push_str("}\n");
    s
}
