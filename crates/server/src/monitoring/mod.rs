//! InfluxDB 2 checks and notification rules, run by the server.
//!
//! Every 250 ms the runner looks for the active checks and rules whose
//! scheduled time (a multiple of `every`, plus `offset`) has come, and runs
//! each on its own task (a check or rule never runs twice at once; when one
//! falls behind, the intervals it missed run one after another, so that no
//! data window goes unchecked, up to 10 behind; further behind it jumps to
//! the newest, as tasks do):
//!
//! - a **check** ([`check_run`]) runs its query (rewritten as InfluxDB does,
//!   [`query`]) through the Flux executor as its owner, pivots fields into
//!   columns, gives each row a level (thresholds, or deadman's "last point
//!   older than `timeSince`"), renders `statusMessageTemplate` with Flux and
//!   writes the rows to the `_monitoring` bucket, measurement `statuses`;
//! - a **rule** ([`rule_run`]) reads the recent statuses through Flux, keeps
//!   those its tag rules and status rules (levels, level changes) match,
//!   sends each through its endpoint with the alert handlers of
//!   `almanac-tasks` (`post`, `slack`, `pagerduty2`) and records them in
//!   measurement `notifications` (`_sent` = whether delivery worked).
//!
//! The `_monitoring` bucket (7 days retention) is created in the default
//! organization as soon as one exists, as InfluxDB 2 does at setup.
//! Run outcomes (`latestCompleted`, `lastRunStatus`, `lastRunError`) are
//! kept in memory.

pub mod api;
pub mod check_run;
pub mod model;
pub mod query;
pub mod rows;
pub mod rule_run;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Duration;

use almanac_lineproto::Precision;
use parking_lot::Mutex;
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::flux_source::{StorageFluxSource, V2Access};
use crate::tasks_runner::schedule::{Schedule, ScheduleKind};
use crate::v2::token_auth::{auth_required, user_principal, Principal};
use crate::AppState;
use model::{Check, Rule, CHECKS, RULES};

/// The bucket statuses and notifications go to.
pub const BUCKET: &str = "_monitoring";

/// Retention of the `_monitoring` bucket (InfluxDB 2's: 7 days).
pub const BUCKET_RETENTION_NS: i64 = 7 * 24 * 3600 * 1_000_000_000;

/// The outcome of the last runs of a check or rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// The last scheduled time completed, ns.
    pub latest_completed: Option<i64>,
    /// `success` or `failed` (empty before the first run).
    pub last_status: String,
    /// The error of the last run, if it failed.
    pub last_error: String,
}

/// Run outcomes by check/rule id (ids are random, unique across servers).
static RUNS: LazyLock<Mutex<HashMap<String, RunInfo>>> = LazyLock::new(Default::default);
/// Checks/rules being run now.
static RUNNING: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// The last run outcome of a check or rule.
pub fn run_info(id: &str) -> RunInfo {
    RUNS.lock().get(id).cloned().unwrap_or_default()
}

/// Forgets a deleted check or rule.
pub fn forget(id: &str) {
    RUNS.lock().remove(id);
    rule_run::forget(id);
}

/// Adds `latestCompleted`, `lastRunStatus`, `lastRunError` of `id` to a
/// check or rule answer.
pub fn add_run_fields(id: &str, out: &mut Map<String, Value>) {
    let info = run_info(id);
    if let Some(t) = info.latest_completed {
        out.insert(
            "latestCompleted".into(),
            Value::String(crate::v2::rfc3339(t)),
        );
    }
    if !info.last_status.is_empty() {
        out.insert("lastRunStatus".into(), Value::String(info.last_status));
    }
    if !info.last_error.is_empty() {
        out.insert("lastRunError".into(), Value::String(info.last_error));
    }
}

/// Starts the runner; it stops (after letting runs finish) when `stop`
/// turns true.
pub fn spawn(state: AppState, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut running = tokio::task::JoinSet::new();
        let mut bucket_error: Option<String> = None;
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
            match ensure_bucket(&state) {
                // warn once per distinct error, not every tick
                Err(e) if bucket_error.as_ref() != Some(&e) => {
                    tracing::warn!(error = %e, "could not create the _monitoring bucket");
                    bucket_error = Some(e);
                }
                Err(_) => {}
                Ok(()) => bucket_error = None,
            }
            let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
            for job in due(&state, now) {
                let state = state.clone();
                let client = client.clone();
                running.spawn(async move {
                    let id = job.id().to_string();
                    let scheduled = job.scheduled();
                    let outcome = match &job {
                        Job::Check(c, t) => check_run::run(&state, c, *t).await.map(|_| ()),
                        Job::Rule(r, t) => rule_run::run(&state, &client, r, *t).await.map(|_| ()),
                    };
                    finish(&id, scheduled, outcome);
                });
            }
        }
        while running.join_next().await.is_some() {}
    })
}

/// A due run.
enum Job {
    Check(Box<Check>, i64),
    Rule(Box<Rule>, i64),
}

impl Job {
    fn id(&self) -> &str {
        match self {
            Job::Check(c, _) => &c.id,
            Job::Rule(r, _) => &r.id,
        }
    }

    fn scheduled(&self) -> i64 {
        match self {
            Job::Check(_, t) | Job::Rule(_, t) => *t,
        }
    }
}

/// Records the outcome of a run and releases its id.
fn finish(id: &str, scheduled: i64, outcome: Result<(), String>) {
    RUNNING.lock().remove(id);
    let mut runs = RUNS.lock();
    let info = runs.entry(id.to_string()).or_default();
    info.latest_completed = Some(
        info.latest_completed
            .map_or(scheduled, |t| t.max(scheduled)),
    );
    match outcome {
        Ok(()) => {
            info.last_status = "success".into();
            info.last_error.clear();
        }
        Err(e) => {
            tracing::warn!(id, error = %e, "check or notification rule run failed");
            info.last_status = "failed".into();
            info.last_error = e;
        }
    }
}

/// Intervals a check or rule catches up on, one run each, when it falls
/// behind (a slow query, a busy machine); further behind, it jumps to the
/// newest interval.
const MAX_CATCH_UP: i64 = 10;

/// The scheduled time due now for an item last completed at `last` (first
/// seen: the next interval boundary). Unlike tasks, a check does not skip
/// the intervals it missed by a little: each one's data window is checked
/// (up to [`MAX_CATCH_UP`] behind).
fn due_time(id: &str, every: i64, offset: i64, now: i64) -> Option<i64> {
    let schedule = Schedule {
        kind: ScheduleKind::Every(every),
        offset,
    };
    let last = {
        let mut runs = RUNS.lock();
        let info = runs.entry(id.to_string()).or_default();
        *info
            .latest_completed
            .get_or_insert_with(|| (now - offset).div_euclid(every) * every)
    };
    let next = schedule.next_after(last)?;
    let latest = schedule.due(last, now)?;
    Some(if latest - next > MAX_CATCH_UP * every {
        latest
    } else {
        next
    })
}

/// Claims the due checks and rules.
fn due(state: &AppState, now: i64) -> Vec<Job> {
    let snap = state.storage.catalog().snapshot();
    let mut out = Vec::new();
    for kind in [CHECKS, RULES] {
        let docs = snap
            .v2
            .documents
            .range((kind.to_string(), String::new())..)
            .take_while(|((k, _), _)| k == kind);
        for ((_, id), doc) in docs {
            let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&doc.body) else {
                continue;
            };
            let job = if kind == CHECKS {
                match Check::from_body(id, &doc.org_id, &body) {
                    Ok(c) if c.active => {
                        let Some(t) = due_time(id, c.every.ns, c.offset.ns, now) else {
                            continue;
                        };
                        Job::Check(Box::new(c), t)
                    }
                    _ => continue,
                }
            } else {
                match Rule::from_body(id, &doc.org_id, &body) {
                    Ok(r) if r.active => {
                        let Some(t) = due_time(id, r.every.ns, r.offset.ns, now) else {
                            continue;
                        };
                        Job::Rule(Box::new(r), t)
                    }
                    _ => continue,
                }
            };
            if RUNNING.lock().insert(id.clone()) {
                out.push(job);
            }
        }
    }
    out
}

/// Creates `_monitoring` in the default organization when missing.
pub fn ensure_bucket(state: &AppState) -> Result<(), String> {
    let catalog = state.storage.catalog();
    let snap = catalog.snapshot();
    if snap.bucket_by_name(BUCKET).is_some() || snap.databases.contains_key(BUCKET) {
        return Ok(());
    }
    if snap.v2.default_org().is_none() {
        return Ok(());
    }
    // `create_bucket` refuses names starting with `_` (as InfluxDB does for
    // users' buckets): a system bucket is made as a database whose default
    // policy keeps 7 days, then given the bucket metadata (the default
    // organization, the description InfluxDB 2 gives it).
    let spec = almanac_catalog::RetentionPolicySpec {
        name: String::new(),
        duration_ns: Some(BUCKET_RETENTION_NS),
        shard_group_duration_ns: None,
        replication: None,
    };
    catalog
        .create_database(BUCKET, Some(spec))
        .map_err(|e| e.to_string())?;
    let (db, rp) = catalog
        .snapshot()
        .bucket_by_name(BUCKET)
        .ok_or_else(|| "the _monitoring database has no default policy".to_string())?;
    let id = almanac_catalog::bucket_id(db.id, &rp);
    catalog
        .update_bucket(
            &id,
            None,
            Some("System bucket for monitoring logs".into()),
            None,
            None,
        )
        .map_err(|e| e.to_string())
}

/// Writes line protocol to `_monitoring`.
pub async fn write_monitoring(state: &AppState, lines: String) -> Result<(), String> {
    if lines.is_empty() {
        return Ok(());
    }
    ensure_bucket(state)?;
    let (db, rp) = state
        .storage
        .catalog()
        .snapshot()
        .bucket_by_name(BUCKET)
        .ok_or_else(|| "bucket _monitoring not found (no organization yet)".to_string())?;
    let outcome = state
        .storage
        .write(&db.name, Some(&rp), lines.as_bytes(), Precision::Nanosecond)
        .await
        .map_err(|e| format!("writing to _monitoring: {e}"))?;
    match outcome.reason() {
        None => Ok(()),
        Some(reason) => Err(format!("writing to _monitoring: {reason}")),
    }
}

/// The principal a check or rule runs as: its owner (when authentication
/// is required).
pub fn owner_principal(state: &AppState, owner: Option<&str>) -> Result<Principal, String> {
    if !auth_required(state) {
        return Ok(Principal::open());
    }
    let owner = owner.ok_or_else(|| "no owner (ownerID) to run as".to_string())?;
    let user = state
        .storage
        .catalog()
        .users()
        .into_iter()
        .find(|u| u.id() == owner)
        .ok_or_else(|| format!("owner {owner} not found"))?;
    Ok(user_principal(state, user, None))
}

/// A Flux source reading as `owner` within `org_id`.
pub fn flux_source(
    state: &AppState,
    owner: Option<&str>,
    org_id: &str,
) -> Result<StorageFluxSource, String> {
    let principal = owner_principal(state, owner)?;
    Ok(
        StorageFluxSource::new(state.storage.clone(), tokio::runtime::Handle::current()).with_v2(
            V2Access {
                state: state.clone(),
                principal,
                org: None,
                org_id: Some(org_id.to_string()),
            },
        ),
    )
}

/// Renders a Flux string template (`"… ${ r._level } …"`) for `r`.
pub fn render_template(
    template: &str,
    r: &rows::Row,
    source: &StorageFluxSource,
    now: i64,
) -> Result<String, String> {
    if !template.contains("${") {
        return Ok(template.to_string());
    }
    let script = format!(
        "import \"array\"\narray.from(rows: [{{m: {}}}])",
        query::flux_string(template)
    );
    let ctx = almanac_flux::ExecContext {
        now,
        globals: vec![("r".to_string(), r.record())],
    };
    let results = almanac_flux::execute(&script, &ctx, source).map_err(|e| e.to_string())?;
    results
        .iter()
        .flat_map(|(_, tables)| tables.iter())
        .find_map(|t| {
            let col = t.index("m")?;
            (t.len() > 0).then(|| rows::plain_string(&t.value(col, 0)))
        })
        .ok_or_else(|| "the template produced no text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_intervals_are_caught_up() {
        const S: i64 = 1_000_000_000;
        let id = "due-time-test";
        // first seen: waits for the next boundary
        assert_eq!(due_time(id, S, 0, 10 * S + S / 2), None);
        assert_eq!(due_time(id, S, 0, 11 * S + 1), Some(11 * S));
        finish(id, 11 * S, Ok(()));
        // three intervals behind: the next one first, then the others
        assert_eq!(due_time(id, S, 0, 14 * S + S / 5), Some(12 * S));
        finish(id, 12 * S, Err("boom".into()));
        assert_eq!(run_info(id).last_status, "failed");
        assert_eq!(due_time(id, S, 0, 14 * S + S / 5), Some(13 * S));
        // far behind: the newest interval
        assert_eq!(due_time(id, S, 0, 100 * S), Some(100 * S));
        // offset: due `offset` after the scheduled time
        let id = "due-time-offset-test";
        assert_eq!(due_time(id, 10 * S, 2 * S, 21 * S), None);
        assert_eq!(due_time(id, 10 * S, 2 * S, 22 * S), Some(20 * S));
        finish(id, 20 * S, Ok(()));
        assert_eq!(due_time(id, 10 * S, 2 * S, 31 * S), None);
        assert_eq!(due_time(id, 10 * S, 2 * S, 32 * S), Some(30 * S));
        forget(id);
        assert_eq!(run_info(id), RunInfo::default());
    }
}
