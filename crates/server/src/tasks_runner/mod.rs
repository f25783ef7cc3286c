//! The task scheduler: every second it finds the active tasks that are due
//! (see [`schedule`]; runs missed while the server was down are caught up
//! oldest first, see [`next_due`]) and the queued manual runs, and runs their scripts on a
//! blocking thread with `now()` = the scheduled time, as the task's owner
//! within the task's organization. Run history lives in [`runs::RunStore`]
//! (in memory); `latestCompleted` and the last run's status are written back
//! to the task's catalog document, and the newest [`PERSISTED_RUNS`] finished
//! runs to a document of kind [`RUNS_KIND`] (restored at start).

pub mod runs;
pub mod schedule;

use std::time::Duration;

use almanac_catalog::DocumentDef;
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::flux_source::{StorageFluxSource, V2Access};
use crate::v2::token_auth::{auth_required, user_principal, Principal};
use crate::AppState;
use runs::RunStatus;
use schedule::{Schedule, TaskOptions};

/// Catalog document kind of tasks (also the permission resource type).
pub const KIND: &str = "tasks";

/// Catalog document kind of a task's persisted finished runs (id = task id).
pub const RUNS_KIND: &str = "taskruns";

/// Finished runs persisted per task.
pub const PERSISTED_RUNS: usize = 20;

/// A task as the scheduler sees it.
#[derive(Debug, Clone)]
pub struct TaskDef {
    /// Task id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// The script.
    pub flux: String,
    /// `status == "active"`.
    pub active: bool,
    /// When it runs.
    pub schedule: Schedule,
    /// The user it runs as.
    pub owner_id: Option<String>,
    /// The last scheduled time completed, ns.
    pub latest_completed: i64,
}

/// Parses an RFC 3339 time to ns.
pub fn parse_time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()?
        .timestamp_nanos_opt()
}

impl TaskDef {
    /// The task stored in `doc` (`None` when its body is not a valid task).
    pub fn from_doc(doc: &DocumentDef) -> Option<TaskDef> {
        let body: Map<String, Value> = serde_json::from_str(&doc.body).ok()?;
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let opts = TaskOptions {
            name: text("name").unwrap_or_default(),
            every: text("every").filter(|s| !s.is_empty()),
            cron: text("cron").filter(|s| !s.is_empty()),
            offset: text("offset").filter(|s| !s.is_empty()),
        };
        Some(TaskDef {
            id: doc.id.clone(),
            org_id: doc.org_id.clone(),
            flux: text("flux")?,
            active: text("status").as_deref() != Some("inactive"),
            schedule: opts.schedule().ok()?,
            owner_id: text("ownerID").filter(|s| !s.is_empty()),
            latest_completed: text("latestCompleted")
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(doc.created_at),
        })
    }
}

/// Starts the scheduler; it stops (after letting running scripts finish)
/// when `stop` turns true.
pub fn spawn(state: AppState, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    restore_runs(&state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut running = JoinSet::new();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
            while running.try_join_next().is_some() {}
            for (task, run) in due_runs(&state) {
                running.spawn(execute(state.clone(), task, run));
            }
        }
        while running.join_next().await.is_some() {}
    })
}

/// Loads the persisted runs of every task into the run store.
fn restore_runs(state: &AppState) {
    let snap = state.storage.catalog().snapshot();
    let docs = snap
        .v2
        .documents
        .range((RUNS_KIND.to_string(), String::new())..)
        .take_while(|((k, _), _)| k == RUNS_KIND);
    for ((_, task_id), doc) in docs {
        match serde_json::from_str::<Vec<runs::Run>>(&doc.body) {
            Ok(runs) => state.v2.tasks.restore(task_id, runs),
            Err(e) => tracing::warn!(task = %task_id, error = %e, "unreadable task run history"),
        }
    }
}

/// A run to execute: its id, scheduled time, and whether it advances
/// `latestCompleted` (scheduled runs do, manual ones do not).
#[derive(Debug, Clone)]
struct PendingRun {
    id: String,
    scheduled_for: i64,
    scheduled: bool,
}

/// Starts (in the run store) the runs due now.
fn due_runs(state: &AppState) -> Vec<(TaskDef, PendingRun)> {
    let snap = state.storage.catalog().snapshot();
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    let store = &state.v2.tasks;
    let mut out = Vec::new();
    let docs = snap
        .v2
        .documents
        .range((KIND.to_string(), String::new())..)
        .take_while(|((k, _), _)| k == KIND);
    for (_, doc) in docs {
        let Some(task) = TaskDef::from_doc(doc) else {
            continue;
        };
        if store.is_running(&task.id) {
            continue;
        }
        if let Some(run) = store.start_queued(&task.id) {
            let pending = PendingRun {
                id: run.id,
                scheduled_for: run.scheduled_for,
                scheduled: false,
            };
            out.push((task, pending));
            continue;
        }
        if !task.active {
            continue;
        }
        let Some(scheduled_for) = next_due(&task.schedule, task.latest_completed, now) else {
            continue;
        };
        let Ok(id) = almanac_catalog::new_id() else {
            continue;
        };
        store.start(id.clone(), &task.id, scheduled_for, &task.flux);
        out.push((
            task,
            PendingRun {
                id,
                scheduled_for,
                scheduled: true,
            },
        ));
    }
    out
}

/// Runs missed while the server was down (or the scheduler was behind) that
/// a task catches up on, oldest first, before it skips to the newest one.
pub const MAX_CATCH_UP: usize = 1000;

/// The scheduled time a task runs next at `now`: the oldest scheduled time
/// after `latest_completed` that is due, so runs missed while the server was
/// down run one after the other in order, as InfluxDB 2 catches them up; when
/// more than [`MAX_CATCH_UP`] are missed, only the newest due one runs.
pub fn next_due(schedule: &Schedule, latest_completed: i64, now: i64) -> Option<i64> {
    let first = schedule.next_after(latest_completed)?;
    if first.saturating_add(schedule.offset) > now {
        return None;
    }
    let mut t = first;
    for _ in 0..MAX_CATCH_UP {
        match schedule.next_after(t) {
            Some(n) if n.saturating_add(schedule.offset) <= now => t = n,
            _ => return Some(first),
        }
    }
    schedule.due(latest_completed, now)
}

/// The principal a task runs as: its owner within its organization.
fn owner_principal(state: &AppState, task: &TaskDef) -> Result<Principal, String> {
    if !auth_required(state) {
        return Ok(Principal::open());
    }
    let owner = task
        .owner_id
        .as_deref()
        .ok_or_else(|| "task has no owner".to_string())?;
    let user = state
        .storage
        .catalog()
        .users()
        .into_iter()
        .find(|u| u.id() == owner)
        .ok_or_else(|| format!("task owner {owner} not found"))?;
    Ok(user_principal(state, user, None))
}

/// Runs one script and records the outcome.
async fn execute(state: AppState, task: TaskDef, run: PendingRun) {
    let store = &state.v2.tasks;
    store.log(
        &task.id,
        &run.id,
        format!("Started task from script: {:?}", task.flux),
    );
    let outcome = match owner_principal(&state, &task) {
        Err(e) => Err(e),
        Ok(principal) => {
            let source =
                StorageFluxSource::new(state.storage.clone(), tokio::runtime::Handle::current())
                    .with_v2(V2Access {
                        state: state.clone(),
                        principal,
                        org: None,
                        org_id: Some(task.org_id.clone()),
                    });
            let ctx = almanac_flux::ExecContext {
                now: run.scheduled_for,
                globals: Vec::new(),
            };
            let script = task.flux.clone();
            match tokio::task::spawn_blocking(move || almanac_flux::execute(&script, &ctx, &source))
                .await
            {
                Ok(Ok(results)) => Ok(results.iter().map(|(_, t)| t.len()).sum::<usize>()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(e) => Err(format!("task run panicked: {e}")),
            }
        }
    };
    let status = match &outcome {
        Ok(tables) => {
            store.log(&task.id, &run.id, format!("Produced {tables} table(s)"));
            RunStatus::Success
        }
        Err(e) => {
            store.log(&task.id, &run.id, format!("Error: {e}"));
            RunStatus::Failed
        }
    };
    let Some(done) = store.finish(&task.id, &run.id, status) else {
        return;
    };
    if let Err(e) = record_outcome(&state, &task, &run, &done, outcome.err()) {
        tracing::warn!(task = %task.id, error = %e, "could not record a task run");
    }
}

/// Writes `latestCompleted`, `lastRunStatus` and `lastRunError` back to the
/// task's document (re-read, so concurrent API changes are kept).
fn record_outcome(
    state: &AppState,
    task: &TaskDef,
    run: &PendingRun,
    done: &runs::Run,
    error: Option<String>,
) -> Result<(), String> {
    let catalog = state.storage.catalog();
    let snap = catalog.snapshot();
    let Some(doc) = snap.v2.documents.get(&(KIND.to_string(), task.id.clone())) else {
        return Ok(()); // deleted meanwhile
    };
    let mut body: Map<String, Value> =
        serde_json::from_str(&doc.body).map_err(|e| e.to_string())?;
    if run.scheduled {
        let previous = body
            .get("latestCompleted")
            .and_then(Value::as_str)
            .and_then(parse_time)
            .unwrap_or(i64::MIN);
        if run.scheduled_for > previous {
            body.insert(
                "latestCompleted".into(),
                Value::String(crate::v2::rfc3339(run.scheduled_for)),
            );
        }
    }
    body.insert(
        "lastRunStatus".into(),
        Value::String(done.status.as_str().to_string()),
    );
    body.insert(
        "lastRunError".into(),
        Value::String(error.unwrap_or_default()),
    );
    let text = serde_json::to_string(&body).map_err(|e| e.to_string())?;
    catalog
        .put_document(KIND, Some(&task.id), &doc.org_id, text)
        .map_err(|e| e.to_string())?;
    let kept = state.v2.tasks.finished(&task.id, PERSISTED_RUNS);
    let text = serde_json::to_string(&kept).map_err(|e| e.to_string())?;
    catalog
        .put_named_document(RUNS_KIND, &task.id, &doc.org_id, text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000_000;

    fn every_minute(offset: i64) -> Schedule {
        Schedule {
            kind: schedule::ScheduleKind::Every(MIN),
            offset,
        }
    }

    #[test]
    fn missed_runs_are_caught_up_oldest_first() {
        let s = every_minute(0);
        // completed 10:00, now 10:03:30: 10:01, then 10:02, then 10:03
        assert_eq!(
            next_due(&s, 600 * MIN, 603 * MIN + MIN / 2),
            Some(601 * MIN)
        );
        assert_eq!(
            next_due(&s, 601 * MIN, 603 * MIN + MIN / 2),
            Some(602 * MIN)
        );
        assert_eq!(next_due(&s, 603 * MIN, 603 * MIN + MIN / 2), None);
        // with an offset, a run is due once its offset has passed
        let s = every_minute(MIN / 2);
        assert_eq!(next_due(&s, 600 * MIN, 601 * MIN), None);
        assert_eq!(
            next_due(&s, 600 * MIN, 601 * MIN + MIN / 2),
            Some(601 * MIN)
        );
    }

    #[test]
    fn a_long_outage_skips_to_the_newest_run() {
        let s = every_minute(0);
        let now = (MAX_CATCH_UP as i64 + 5) * MIN;
        assert_eq!(next_due(&s, 0, now), Some(now));
        assert_eq!(next_due(&s, 0, 10 * MIN), Some(MIN));
    }
}
