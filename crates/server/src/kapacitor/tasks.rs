//! `/kapacitor/v1/tasks`: create, list, get (with `dot` and `stats`),
//! patch (enable/disable/script/vars), delete, and the `httpOut` endpoints.

use std::collections::HashMap;

use almanac_tasks::manager::{TaskInfo, TaskRequest};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{error, task_error};
use crate::AppState;

/// Kapacitor's task JSON.
pub fn task_json(t: &TaskInfo) -> serde_json::Value {
    let mut node_stats = serde_json::Map::new();
    for (name, stats, counters) in &t.node_stats {
        let mut m = serde_json::Map::new();
        m.insert(
            "avg_exec_time_ns".into(),
            stats
                .exec_ns
                .checked_div(stats.collected)
                .unwrap_or(0)
                .into(),
        );
        m.insert("collected".into(), stats.collected.into());
        m.insert("emitted".into(), stats.emitted.into());
        m.insert("errors".into(), stats.errors.into());
        for (k, v) in counters {
            m.insert((*k).into(), (*v).into());
        }
        node_stats.insert(name.clone(), serde_json::Value::Object(m));
    }
    let stats = if t.executing {
        serde_json::json!({ "task-stats": { "throughput": 0 }, "node-stats": node_stats })
    } else {
        serde_json::json!({})
    };
    serde_json::json!({
        "link": { "rel": "self", "href": format!("/kapacitor/v1/tasks/{}", t.def.id) },
        "id": t.def.id,
        "template-id": t.def.template_id,
        "type": t.def.task_type,
        "dbrps": t.def.dbrps,
        "script": t.def.script,
        "vars": t.def.vars,
        "dot": t.dot,
        "status": t.def.status,
        "executing": t.executing,
        "error": t.error,
        "stats": stats,
        "created": t.def.created,
        "modified": t.def.modified,
        "last-enabled": t.def.last_enabled,
    })
}

fn parse_body(body: &[u8]) -> Result<TaskRequest, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}"))))
}

/// `POST /kapacitor/v1/tasks`.
pub async fn create(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let req = match parse_body(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let k = state.kapacitor.clone();
    match k.manager.create(req) {
        Ok(t) => {
            k.refresh_subscription();
            Json(task_json(&t)).into_response()
        }
        Err(e) => task_error(e),
    }
}

/// `PATCH /kapacitor/v1/tasks/{id}`.
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let req = match parse_body(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let k = state.kapacitor.clone();
    match k.manager.update(&id, req) {
        Ok(t) => {
            k.refresh_subscription();
            Json(task_json(&t)).into_response()
        }
        Err(e) => task_error(e),
    }
}

/// `GET /kapacitor/v1/tasks/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.kapacitor.manager.get(&id) {
        Ok(t) => Json(task_json(&t)).into_response(),
        Err(e) => task_error(e),
    }
}

/// `DELETE /kapacitor/v1/tasks/{id}`.
pub async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.kapacitor.manager.delete(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => task_error(e),
    }
}

/// Whether `name` matches a Kapacitor list pattern (`*` any run of characters).
pub fn glob(pattern: &str, name: &str) -> bool {
    if pattern.is_empty() {
        return true;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// `GET /kapacitor/v1/tasks?pattern=&fields=&offset=&limit=`.
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let pattern = q.get("pattern").cloned().unwrap_or_default();
    let offset: usize = match q.get("offset").map(|s| s.parse()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "invalid offset"),
    };
    let limit: usize = match q.get("limit").map(|s| s.parse()) {
        None => 100,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "invalid limit"),
    };
    let fields: Vec<String> = q
        .get("fields")
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let tasks: Vec<serde_json::Value> = state
        .kapacitor
        .manager
        .list()
        .iter()
        .filter(|t| glob(&pattern, &t.def.id))
        .skip(offset)
        .take(limit)
        .map(|t| {
            let mut j = task_json(t);
            if !fields.is_empty() {
                if let Some(o) = j.as_object_mut() {
                    o.retain(|k, _| k == "id" || k == "link" || fields.contains(k));
                }
            }
            j
        })
        .collect();
    Json(serde_json::json!({ "tasks": tasks })).into_response()
}

/// `GET /kapacitor/v1/tasks/{id}/{endpoint}`: the latest `httpOut` result.
pub async fn http_out(
    State(state): State<AppState>,
    Path((id, endpoint)): Path<(String, String)>,
) -> Response {
    match state.kapacitor.manager.http_out(&id, &endpoint) {
        Some(v) => Json(v).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("no endpoint {endpoint:?} in task {id:?} (is the task enabled?)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn glob_patterns() {
        assert!(super::glob("cpu*", "cpu_alert"));
        assert!(super::glob("*alert", "cpu_alert"));
        assert!(super::glob("c*_*t", "cpu_alert"));
        assert!(!super::glob("mem*", "cpu_alert"));
        assert!(super::glob("", "x"));
    }
}
