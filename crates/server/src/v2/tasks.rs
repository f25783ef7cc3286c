//! `/api/v2/tasks`: Flux tasks (stored as catalog documents of kind `tasks`),
//! their runs (manual runs, retries, cancellation) and logs. The scheduler
//! that runs them is [`crate::tasks_runner`].
//!
//! A task's name, `every`/`cron` and `offset` come from the script's
//! `option task` record; patching them rewrites that record.

use std::collections::HashMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::documents::{self, Doc};
use super::errors::{catalog, invalid, not_found, parse_json};
use super::token_auth::Principal;
use super::{labels, rfc3339};
use crate::error::ApiError;
use crate::tasks_runner::runs::{LogEvent, Run};
use crate::tasks_runner::schedule::{rewrite_options, task_options, TaskOptions};
use crate::tasks_runner::{parse_time, KIND, RUNS_KIND};
use crate::AppState;

/// Fields a task document keeps.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "status",
    "flux",
    "every",
    "cron",
    "offset",
    "ownerID",
    "latestCompleted",
    "lastRunStatus",
    "lastRunError",
];

fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}

fn task_json(state: &AppState, doc: &Doc) -> Value {
    let id = &doc.def.id;
    let snap = state.storage.catalog().snapshot();
    let text = |k: &str| {
        doc.body
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut task = json!({
        "id": id,
        "type": "system",
        "orgID": doc.def.org_id,
        "org": snap.v2.orgs.get(&doc.def.org_id).map(|o| o.name.clone()).unwrap_or_default(),
        "name": text("name"),
        "description": text("description"),
        "status": text("status"),
        "flux": text("flux"),
        "labels": labels::resource_labels(&snap, KIND, id),
        "createdAt": rfc3339(doc.def.created_at),
        "updatedAt": rfc3339(doc.def.updated_at),
        "links": {
            "self": format!("/api/v2/tasks/{id}"),
            "owners": format!("/api/v2/tasks/{id}/owners"),
            "members": format!("/api/v2/tasks/{id}/members"),
            "labels": format!("/api/v2/tasks/{id}/labels"),
            "runs": format!("/api/v2/tasks/{id}/runs"),
            "logs": format!("/api/v2/tasks/{id}/logs"),
        },
    });
    // optional fields are left out when empty, as InfluxDB does
    for k in [
        "ownerID",
        "every",
        "cron",
        "offset",
        "latestCompleted",
        "lastRunStatus",
        "lastRunError",
    ] {
        let v = text(k);
        if !v.is_empty() {
            task[k] = Value::String(v);
        }
    }
    task
}

fn event_json(e: &LogEvent) -> Value {
    json!({ "runID": e.run_id, "time": rfc3339(e.time), "message": e.message })
}

fn run_json(run: &Run) -> Value {
    let (tid, id) = (&run.task_id, &run.id);
    let mut v = json!({
        "id": id,
        "taskID": tid,
        "status": run.status.as_str(),
        "scheduledFor": rfc3339(run.scheduled_for),
        "log": run.log.iter().map(event_json).collect::<Vec<_>>(),
        "flux": run.flux,
        "links": {
            "self": format!("/api/v2/tasks/{tid}/runs/{id}"),
            "task": format!("/api/v2/tasks/{tid}"),
            "retry": format!("/api/v2/tasks/{tid}/runs/{id}/retry"),
        },
    });
    for (k, t) in [
        ("startedAt", run.started_at),
        ("finishedAt", run.finished_at),
        ("requestedAt", run.requested_at),
    ] {
        if let Some(t) = t {
            v[k] = Value::String(rfc3339(t));
        }
    }
    v
}

/// Stores the options read from a script in the task body.
fn set_options(body: &mut Map<String, Value>, opts: &TaskOptions) {
    body.insert("name".into(), Value::String(opts.name.clone()));
    for (k, v) in [
        ("every", &opts.every),
        ("cron", &opts.cron),
        ("offset", &opts.offset),
    ] {
        body.insert(k.into(), Value::String(v.clone().unwrap_or_default()));
    }
}

fn check_status(status: &str) -> Result<(), ApiError> {
    match status {
        "active" | "inactive" => Ok(()),
        other => Err(invalid(format!(
            "invalid task status {other:?}: must be active or inactive"
        ))),
    }
}

fn options(flux: &str) -> Result<TaskOptions, ApiError> {
    task_options(flux).map_err(|e| invalid(format!("invalid options: {e}")))
}

/// `limit` (default 100, 1..=500) of the task and run lists.
fn limit(params: &HashMap<String, String>) -> Result<usize, ApiError> {
    let limit = match params.get("limit").filter(|v| !v.is_empty()) {
        None => 100,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| invalid(format!("invalid limit: {v}")))?,
    };
    if !(1..=500).contains(&limit) {
        return Err(invalid("limit must be between 1 and 500"));
    }
    Ok(limit)
}

/// `GET /api/v2/tasks?name=&orgID=&org=&status=&user=&limit=&after=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = limit(&params)?;
    let mut docs = documents::list(&state, &principal, KIND, &params)?;
    let filter = |k: &str| params.get(k).filter(|v| !v.is_empty());
    let field = |d: &Doc, k: &str| {
        d.body
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if let Some(status) = filter("status") {
        check_status(status)?;
    }
    docs.retain(|d| {
        filter("name").is_none_or(|n| field(d, "name") == *n)
            && filter("status").is_none_or(|s| field(d, "status") == *s)
            && filter("user").is_none_or(|u| field(d, "ownerID") == *u)
            && filter("after").is_none_or(|a| d.def.id.as_str() > a.as_str())
    });
    docs.sort_by(|a, b| a.def.id.cmp(&b.def.id));
    let tasks: Vec<Value> = docs
        .iter()
        .take(limit)
        .map(|d| task_json(&state, d))
        .collect();
    Ok(Json(json!({ "links": { "self": "/api/v2/tasks" }, "tasks": tasks })).into_response())
}

/// `POST /api/v2/tasks`: 201 with the task.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: Map<String, Value> = parse_json(&body)?;
    let flux = req
        .get("flux")
        .and_then(Value::as_str)
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| invalid("flux is required"))?;
    let opts = options(flux)?;
    let status = req
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("active");
    check_status(status)?;
    let org = documents::target_org(&state, &principal, KIND, &req)?;
    let mut body = Map::new();
    set_options(&mut body, &opts);
    body.insert("flux".into(), json!(flux));
    body.insert("status".into(), json!(status));
    let description = req.get("description").and_then(Value::as_str);
    body.insert("description".into(), json!(description.unwrap_or_default()));
    if let Some(user) = &principal.user {
        body.insert("ownerID".into(), json!(user.id()));
    }
    body.insert("latestCompleted".into(), json!(rfc3339(now_ns())));
    let def = documents::save(&state, KIND, None, &org, &body)?;
    let doc = Doc { def, body };
    Ok((StatusCode::CREATED, Json(task_json(&state, &doc))).into_response())
}

/// `GET /api/v2/tasks/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, KIND, &id, "task")?;
    Ok(Json(task_json(&state, &doc)).into_response())
}

/// `PATCH /api/v2/tasks/{id}`: flux, status, description, and the options
/// name/every/cron/offset (written into the script's `option task`).
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "task")?;
    let update: Map<String, Value> = parse_json(&body)?;
    let text = |k: &str| -> Result<Option<String>, ApiError> {
        match update.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(format!("{k} must be a string"))),
        }
    };
    let current = |k: &str| {
        doc.body
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let was_inactive = current("status") == "inactive";
    let mut flux = text("flux")?.unwrap_or_else(|| current("flux"));
    let mut opts = options(&flux)?;
    let before = opts.clone();
    if let Some(name) = text("name")? {
        opts.name = name;
    }
    if let Some(every) = text("every")?.filter(|e| !e.is_empty()) {
        opts.every = Some(every);
        opts.cron = None;
    }
    if let Some(cron) = text("cron")?.filter(|c| !c.is_empty()) {
        opts.cron = Some(cron);
        opts.every = None;
    }
    if let Some(offset) = text("offset")? {
        opts.offset = Some(offset).filter(|o| !o.is_empty() && o != "0" && o != "0s");
    }
    if opts != before {
        opts.schedule()
            .map_err(|e| invalid(format!("invalid options: {e}")))?;
        flux = rewrite_options(&flux, &opts).map_err(|e| invalid(e.to_string()))?;
        opts = options(&flux)?;
    }
    set_options(&mut doc.body, &opts);
    doc.body.insert("flux".into(), json!(flux));
    if let Some(status) = text("status")? {
        check_status(&status)?;
        if status == "active" && was_inactive {
            // a re-enabled task resumes from now, without catching up
            doc.body
                .insert("latestCompleted".into(), json!(rfc3339(now_ns())));
        }
        doc.body.insert("status".into(), json!(status));
    }
    if let Some(description) = text("description")? {
        doc.body.insert("description".into(), json!(description));
    }
    doc.body.retain(|k, _| FIELDS.contains(&k.as_str()));
    doc.def = documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok(Json(task_json(&state, &doc)).into_response())
}

/// `DELETE /api/v2/tasks/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    documents::writable(&state, &principal, KIND, &id, "task")?;
    state
        .storage
        .catalog()
        .delete_document(KIND, &id)
        .map_err(catalog)?;
    labels::forget_resource(&state, KIND, &id)?;
    state.v2.tasks.forget(&id);
    if state
        .storage
        .catalog()
        .snapshot()
        .v2
        .documents
        .contains_key(&(RUNS_KIND.to_string(), id.clone()))
    {
        state
            .storage
            .catalog()
            .delete_document(RUNS_KIND, &id)
            .map_err(catalog)?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/tasks/{id}/runs?limit=&after=&afterTime=&beforeTime=`,
/// newest first.
pub async fn list_runs(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    documents::readable(&state, &principal, KIND, &id, "task")?;
    let limit = limit(&params)?;
    let time = |k: &str| -> Result<Option<i64>, ApiError> {
        match params.get(k).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => parse_time(v)
                .map(Some)
                .ok_or_else(|| invalid(format!("invalid {k}: {v}"))),
        }
    };
    let (after_time, before_time) = (time("afterTime")?, time("beforeTime")?);
    let mut runs = state.v2.tasks.list(&id);
    runs.reverse();
    let after = params.get("after").filter(|a| !a.is_empty());
    if let Some(after) = after {
        if let Some(i) = runs.iter().position(|r| &r.id == after) {
            runs.drain(..=i);
        }
    }
    let runs: Vec<Value> = runs
        .iter()
        .filter(|r| after_time.is_none_or(|t| r.scheduled_for > t))
        .filter(|r| before_time.is_none_or(|t| r.scheduled_for < t))
        .take(limit)
        .map(run_json)
        .collect();
    Ok(Json(json!({
        "links": {
            "self": format!("/api/v2/tasks/{id}/runs"),
            "task": format!("/api/v2/tasks/{id}"),
        },
        "runs": runs,
    }))
    .into_response())
}

/// `POST /api/v2/tasks/{id}/runs` (optional `{"scheduledFor": time}`):
/// queues a manual run; 201 with the run.
pub async fn run_now(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let doc = documents::writable(&state, &principal, KIND, &id, "task")?;
    let req: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        parse_json(&body)?
    };
    let scheduled_for = match req.get("scheduledFor") {
        None | Some(Value::Null) => now_ns(),
        Some(Value::String(s)) => {
            parse_time(s).ok_or_else(|| invalid(format!("invalid scheduledFor: {s}")))?
        }
        Some(_) => return Err(invalid("scheduledFor must be an RFC 3339 time")),
    };
    let flux = doc
        .body
        .get("flux")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let run_id = almanac_catalog::new_id().map_err(catalog)?;
    let run = state.v2.tasks.queue(run_id, &id, scheduled_for, flux);
    Ok((StatusCode::CREATED, Json(run_json(&run))).into_response())
}

fn find_run(state: &AppState, task: &str, run: &str) -> Result<Run, ApiError> {
    state
        .v2
        .tasks
        .get(task, run)
        .ok_or_else(|| not_found("run not found"))
}

/// `GET /api/v2/tasks/{id}/runs/{runID}`.
pub async fn get_run(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, run_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    documents::readable(&state, &principal, KIND, &id, "task")?;
    Ok(Json(run_json(&find_run(&state, &id, &run_id)?)).into_response())
}

/// `DELETE /api/v2/tasks/{id}/runs/{runID}`: cancels a queued or running
/// run (204); a finished or unknown run is 404. A script already running
/// finishes (its writes stay) but the run is recorded as canceled.
pub async fn cancel_run(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, run_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    documents::writable(&state, &principal, KIND, &id, "task")?;
    if !state.v2.tasks.cancel(&id, &run_id) {
        return Err(not_found("run not found"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v2/tasks/{id}/runs/{runID}/retry`: queues a new run for the
/// same scheduled time; 200 with it.
pub async fn retry_run(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, run_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let doc = documents::writable(&state, &principal, KIND, &id, "task")?;
    let old = find_run(&state, &id, &run_id)?;
    let flux = doc
        .body
        .get("flux")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let new_id = almanac_catalog::new_id().map_err(catalog)?;
    let run = state.v2.tasks.queue(new_id, &id, old.scheduled_for, flux);
    Ok(Json(run_json(&run)).into_response())
}

/// `GET /api/v2/tasks/{id}/logs`: the log events of every kept run.
pub async fn task_logs(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    documents::readable(&state, &principal, KIND, &id, "task")?;
    let events: Vec<Value> = state
        .v2
        .tasks
        .list(&id)
        .iter()
        .flat_map(|r| r.log.iter().map(event_json))
        .collect();
    Ok(Json(json!({ "events": events })).into_response())
}

/// `GET /api/v2/tasks/{id}/runs/{runID}/logs`.
pub async fn run_logs(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, run_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    documents::readable(&state, &principal, KIND, &id, "task")?;
    let run = find_run(&state, &id, &run_id)?;
    let events: Vec<Value> = run.log.iter().map(event_json).collect();
    Ok(Json(json!({ "events": events })).into_response())
}

/// `/api/v2/tasks/{id}/owners` and `/members`: 501 (task membership is not
/// modelled; a task runs as its `ownerID`).
pub async fn members() -> ApiError {
    super::errors::not_implemented("task owners and members")
}
