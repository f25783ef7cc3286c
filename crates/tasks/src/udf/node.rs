//! The runtime node of a configured UDF: starts its agent when the task
//! first runs it, sends Init (and Restore when a snapshot of the same task
//! node exists), forwards points and batches, emits what the UDF sends back,
//! keeps it alive with keepalives, and takes snapshots (see
//! [`super::snapshots`]) every minute and when the task stops.
//!
//! Anything fatal (the process dies, the socket closes, an ErrorResponse, a
//! failed init or restore, a missed keepalive) stops the agent and marks the
//! node failed; the task then reports the error and processes no more.

use std::sync::Arc;
use std::time::Instant;

use super::agent::Agent;
use super::convert::{batch_to_proto, point_from_proto, point_to_proto, BatchBuilder};
use super::proto::{self, request, response};
use super::registry::Function;
use super::snapshots::{UdfSnapshots, SNAPSHOT_INTERVAL};
use super::tick::option_values;
use crate::model::Msg;
use crate::nodes::{Node, NodeCtx, NodeError};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// Where the node's agent is.
enum State {
    /// Not started yet (nodes built only to check a script never start).
    Idle,
    /// Running.
    Running(Box<Agent>),
    /// Stopped for good, with the reason.
    Failed(String),
}

/// A UDF node.
pub struct UdfNode {
    func: Arc<Function>,
    task: String,
    node: String,
    options: Vec<proto::Option>,
    state: State,
    /// When the last keepalive was sent and whether it is still unanswered.
    keepalive_sent: Option<Instant>,
    keepalive_pending: bool,
    /// Time the UDF put in its last keepalive response (for the error message).
    last_keepalive: Option<i64>,
    building: Option<BatchBuilder>,
    points_sent: u64,
    points_received: u64,
    /// Where snapshots go (the task manager's), once started.
    snapshots: Option<Arc<UdfSnapshots>>,
    /// When the last periodic snapshot was asked for.
    snapshot_asked: Option<Instant>,
}

impl UdfNode {
    /// Builds from `@name().option(args)…` (the options are checked again here).
    pub fn new(def: &NodeDef, task: &str, func: Arc<Function>) -> Result<UdfNode, TickError> {
        let mut options = Vec::new();
        for p in &def.props {
            options.push(proto::Option {
                name: p.name.clone(),
                values: option_values(&func.signature, &func.name, &p.name, &p.args, p.pos)?,
            });
        }
        Ok(UdfNode {
            func,
            task: task.to_string(),
            node: def.name(),
            options,
            state: State::Idle,
            keepalive_sent: None,
            keepalive_pending: false,
            last_keepalive: None,
            building: None,
            points_sent: 0,
            points_received: 0,
            snapshots: None,
            snapshot_asked: None,
        })
    }

    fn start(&mut self, snapshots: &Arc<UdfSnapshots>) {
        self.snapshots = Some(snapshots.clone());
        self.snapshot_asked = Some(Instant::now());
        let agent = match Agent::start(&self.func.name, &self.func.transport) {
            Ok(a) => a,
            Err(e) => {
                self.state = State::Failed(e.to_string());
                return;
            }
        };
        let mut sent = agent.send(request::Message::Init(proto::InitRequest {
            options: self.options.clone(),
        }));
        if let Some(snapshot) = snapshots.get(&self.task, &self.node) {
            sent = sent.and_then(|_| {
                agent.send(request::Message::Restore(proto::RestoreRequest {
                    snapshot,
                }))
            });
        }
        self.state = State::Running(Box::new(agent));
        self.keepalive_sent = Some(Instant::now());
        self.keepalive_pending = false;
        if let Err(e) = sent {
            self.fail(&e);
        }
    }

    /// Stops the agent and records why (with exit status and stderr when known).
    fn fail(&mut self, cause: &str) {
        let msg = match std::mem::replace(&mut self.state, State::Idle) {
            State::Running(mut a) => {
                let m = a.explain(cause);
                a.stop();
                m
            }
            _ => cause.to_string(),
        };
        tracing::warn!(task = %self.task, node = %self.node, udf = %self.func.name, error = %msg, "UDF failed");
        self.state = State::Failed(format!("UDF {}: {msg}", self.func.name));
    }

    fn ensure_running(&mut self, ctx: &NodeCtx<'_>) -> Result<(), NodeError> {
        if matches!(self.state, State::Idle) {
            self.start(&ctx.services.udf_snapshots);
        }
        match &self.state {
            State::Failed(e) => Err(NodeError(e.clone())),
            _ => Ok(()),
        }
    }

    fn send(&mut self, m: request::Message) -> Result<(), NodeError> {
        let r = match &self.state {
            State::Running(a) => a.send(m),
            State::Failed(e) => return Err(NodeError(e.clone())),
            State::Idle => Err("the UDF is not running".to_string()),
        };
        if let Err(e) = r {
            self.fail(&e);
            return Err(NodeError(self.failure().unwrap_or_default()));
        }
        Ok(())
    }

    /// Emits every response that has arrived.
    fn drain(&mut self, out: &mut Vec<Msg>) {
        loop {
            let next = match &self.state {
                State::Running(a) => a.try_recv(),
                _ => return,
            };
            let Some(r) = next else { return };
            match r {
                Err(e) => {
                    self.fail(&e);
                    return;
                }
                Ok(m) => self.handle(m, out),
            }
        }
    }

    fn handle(&mut self, m: response::Message, out: &mut Vec<Msg>) {
        use response::Message as R;
        match m {
            R::Point(p) => {
                self.points_received += 1;
                match &mut self.building {
                    Some(b) => b.push(p),
                    None => out.push(Msg::Point(point_from_proto(p))),
                }
            }
            R::Begin(b) => self.building = Some(BatchBuilder::new(b)),
            R::End(e) => match self.building.take() {
                Some(b) => out.push(Msg::Batch(b.finish(e))),
                None => self.fail("the UDF sent an end of batch without a beginning"),
            },
            R::Keepalive(k) => {
                self.keepalive_pending = false;
                self.last_keepalive = Some(k.time);
            }
            R::Init(i) if !i.success => self.fail(&format!("init failed: {}", i.error)),
            R::Restore(r) if !r.success => self.fail(&format!("restore failed: {}", r.error)),
            R::Error(e) => self.fail(&format!("error from the UDF: {}", e.error)),
            R::Snapshot(s) => {
                if let Some(store) = &self.snapshots {
                    store.save(&self.task, &self.node, s.snapshot);
                }
            }
            R::Init(_) | R::Restore(_) | R::Info(_) => {}
        }
    }

    /// Asks for a snapshot every [`SNAPSHOT_INTERVAL`] (the answer is saved
    /// when it arrives, in [`UdfNode::handle`]).
    fn periodic_snapshot(&mut self) {
        let due = self
            .snapshot_asked
            .is_none_or(|t| t.elapsed() >= SNAPSHOT_INTERVAL);
        if due && matches!(self.state, State::Running(_)) {
            self.snapshot_asked = Some(Instant::now());
            let _ = self.send(request::Message::Snapshot(proto::SnapshotRequest {}));
        }
    }

    /// Sends a keepalive every half timeout; fails when one goes unanswered for a timeout.
    fn keepalive(&mut self, now_ns: i64) {
        let timeout = self.func.timeout;
        if timeout.is_zero() || !matches!(self.state, State::Running(_)) {
            return;
        }
        let since = self.keepalive_sent.map(|t| t.elapsed()).unwrap_or_default();
        if self.keepalive_pending {
            if since >= timeout {
                let last = match self.last_keepalive {
                    Some(t) => crate::model::format_time(t),
                    None => "never".to_string(),
                };
                self.fail(&format!(
                    "keepalive timedout, last keepalive received was: {last}"
                ));
            }
        } else if since >= timeout / 2 {
            self.keepalive_sent = Some(Instant::now());
            self.keepalive_pending = true;
            let _ = self.send(request::Message::Keepalive(proto::KeepaliveRequest {
                time: now_ns,
            }));
        }
    }
}

impl Node for UdfNode {
    fn process(
        &mut self,
        ctx: &NodeCtx<'_>,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        self.ensure_running(ctx)?;
        match &msg {
            Msg::Point(p) => {
                self.points_sent += 1;
                self.send(request::Message::Point(point_to_proto(p)))?;
            }
            Msg::Batch(b) => {
                let (begin, points, end) = batch_to_proto(b);
                self.points_sent += points.len() as u64;
                self.send(request::Message::Begin(begin))?;
                for p in points {
                    self.send(request::Message::Point(p))?;
                }
                self.send(request::Message::End(end))?;
            }
        }
        self.drain(out);
        match &self.state {
            State::Failed(e) => Err(NodeError(e.clone())),
            _ => Ok(()),
        }
    }

    fn tick(&mut self, ctx: &NodeCtx<'_>, now: i64, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        if matches!(self.state, State::Failed(_)) {
            return Ok(());
        }
        self.ensure_running(ctx)?;
        self.drain(out);
        self.keepalive(now);
        self.periodic_snapshot();
        Ok(())
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("points_sent", self.points_sent),
            ("points_received", self.points_received),
        ]
    }

    fn failure(&self) -> Option<String> {
        match &self.state {
            State::Failed(e) => Some(e.clone()),
            _ => None,
        }
    }
}

impl Drop for UdfNode {
    /// Takes a snapshot in the background (kept for the next start of the
    /// same task node), then stops the agent.
    fn drop(&mut self) {
        let State::Running(agent) = std::mem::replace(&mut self.state, State::Idle) else {
            return;
        };
        let Some(snapshots) = self.snapshots.clone() else {
            return;
        };
        let (task, node, timeout) = (self.task.clone(), self.node.clone(), self.func.timeout);
        let timeout = if timeout.is_zero() {
            super::config::DEFAULT_TIMEOUT
        } else {
            timeout
        };
        let spawned = std::thread::Builder::new()
            .name("udf-snapshot".into())
            .spawn(move || {
                let mut agent = agent;
                if agent.send(request::Message::Snapshot(proto::SnapshotRequest {})).is_ok() {
                    let deadline = Instant::now() + timeout;
                    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                        match agent.recv_timeout(left) {
                            Ok(response::Message::Snapshot(s)) => {
                                snapshots.save(&task, &node, s.snapshot);
                                break;
                            }
                            Ok(_) => continue,
                            Err(e) => {
                                tracing::debug!(task = %task, node = %node, error = %e, "no UDF snapshot");
                                break;
                            }
                        }
                    }
                }
                agent.stop();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not spawn the UDF snapshot thread");
        }
    }
}
