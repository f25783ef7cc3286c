//! `/kapacitor/v1/service-tests`: the alert services that can be tested,
//! with their default test options, and `POST /service-tests/{name}` to
//! send a test alert through one (with its configuration as overridden
//! through `/kapacitor/v1/config`), answering Kapacitor's
//! `{"success": bool, "message": "…"}`.

use std::collections::HashMap;

use almanac_tasks::alert::handlers::{config::SERVICES, test_event, test_options};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::error;

fn service_json(name: &str) -> Option<Value> {
    Some(json!({
        "link": {"rel": "self", "href": format!("/kapacitor/v1/service-tests/{name}")},
        "name": name,
        "options": test_options(name)?,
    }))
}

fn unknown(name: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("service {name:?} not found"))
}

/// `GET /kapacitor/v1/service-tests` (`pattern` filters by name).
pub async fn list(Query(q): Query<HashMap<String, String>>) -> Response {
    let pattern = q.get("pattern").cloned().unwrap_or_default();
    let services: Vec<Value> = SERVICES
        .iter()
        .filter(|s| super::tasks::glob(&pattern, s))
        .filter_map(|s| service_json(s))
        .collect();
    Json(json!({
        "link": {"rel": "self", "href": "/kapacitor/v1/service-tests"},
        "services": services,
    }))
    .into_response()
}

/// `GET /kapacitor/v1/service-tests/{name}`.
pub async fn get(Path(name): Path<String>) -> Response {
    match service_json(&name) {
        Some(v) => Json(v).into_response(),
        None => unknown(&name),
    }
}

/// `POST /kapacitor/v1/service-tests/{name}`: the body holds options over
/// the defaults (an empty body uses the defaults).
pub async fn run(Path(name): Path<String>, body: axum::body::Bytes) -> Response {
    if test_options(&name).is_none() {
        return unknown(&name);
    }
    let options: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(&body) {
            Ok(o) => o,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
        }
    };
    let (success, message) = match test_event(&name, &options).await {
        Ok(()) => (true, String::new()),
        Err(e) => (false, e),
    };
    Json(json!({ "success": success, "message": message })).into_response()
}
