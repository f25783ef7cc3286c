//! `/kapacitor/v1/alerts/topics`: topics, their events (current state per
//! alert id), their event history (an Almanac extension) and handler specs.

use std::collections::HashMap;

use almanac_tasks::alert::service::Topic;
use almanac_tasks::alert::{EventState, HandlerSpec, Level};
use almanac_tasks::model::{format_duration, format_time};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error;
use crate::AppState;

const BASE: &str = "/kapacitor/v1/alerts/topics";

fn topic_json(id: &str, level: Level, collected: u64) -> serde_json::Value {
    serde_json::json!({
        "link": { "rel": "self", "href": format!("{BASE}/{id}") },
        "id": id,
        "level": level.as_str(),
        "collected": collected,
        "events-link": { "rel": "events", "href": format!("{BASE}/{id}/events") },
        "handlers-link": { "rel": "handlers", "href": format!("{BASE}/{id}/handlers") },
    })
}

fn state_json(s: &EventState) -> serde_json::Value {
    serde_json::json!({
        "level": s.level.as_str(),
        "message": s.message,
        "details": s.details,
        "time": format_time(s.time),
        "duration": format_duration(s.duration),
    })
}

fn event_json(topic: &str, id: &str, s: &EventState) -> serde_json::Value {
    serde_json::json!({
        "link": { "rel": "self", "href": format!("{BASE}/{topic}/events/{id}") },
        "id": id,
        "state": state_json(s),
    })
}

fn handler_json(topic: &str, h: &HandlerSpec) -> serde_json::Value {
    serde_json::json!({
        "link": { "rel": "self", "href": format!("{BASE}/{topic}/handlers/{}", h.id) },
        "id": h.id,
        "kind": h.kind,
        "options": h.options,
        "match": h.match_expr,
    })
}

fn min_level(q: &HashMap<String, String>) -> Result<Level, Box<Response>> {
    match q.get("min-level") {
        None => Ok(Level::Ok),
        Some(l) => Level::parse(l).ok_or_else(|| {
            Box::new(error(
                StatusCode::BAD_REQUEST,
                format!("invalid level {l:?}"),
            ))
        }),
    }
}

/// `GET /kapacitor/v1/alerts/topics?min-level=&pattern=`.
pub async fn list_topics(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let min = match min_level(&q) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let pattern = q.get("pattern").cloned().unwrap_or_default();
    let topics: Vec<serde_json::Value> = state
        .kapacitor
        .alerts
        .topics()
        .into_iter()
        .filter(|(id, level, _)| *level >= min && super::tasks::glob(&pattern, id))
        .map(|(id, level, collected)| topic_json(&id, level, collected))
        .collect();
    Json(serde_json::json!({ "link": { "rel": "self", "href": BASE }, "topics": topics }))
        .into_response()
}

fn find(state: &AppState, topic: &str) -> Result<Topic, Box<Response>> {
    state.kapacitor.alerts.topic(topic).ok_or_else(|| {
        Box::new(error(
            StatusCode::NOT_FOUND,
            format!("topic {topic:?} does not exist"),
        ))
    })
}

/// `GET /kapacitor/v1/alerts/topics/{topic}`.
pub async fn get_topic(State(state): State<AppState>, Path(topic): Path<String>) -> Response {
    match find(&state, &topic) {
        Ok(t) => Json(topic_json(&t.id, t.level(), t.collected)).into_response(),
        Err(r) => *r,
    }
}

/// `DELETE /kapacitor/v1/alerts/topics/{topic}`.
pub async fn delete_topic(State(state): State<AppState>, Path(topic): Path<String>) -> Response {
    match state.kapacitor.alerts.delete_topic(&topic) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// `GET /kapacitor/v1/alerts/topics/{topic}/events?min-level=`.
pub async fn list_events(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let min = match min_level(&q) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let t = match find(&state, &topic) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let events: Vec<serde_json::Value> = t
        .events
        .iter()
        .filter(|(_, s)| s.level >= min)
        .map(|(id, s)| event_json(&topic, id, s))
        .collect();
    Json(serde_json::json!({
        "link": { "rel": "self", "href": format!("{BASE}/{topic}/events") },
        "topic": topic,
        "events": events,
    }))
    .into_response()
}

/// `GET /kapacitor/v1/alerts/topics/{topic}/events/{event}`.
pub async fn get_event(
    State(state): State<AppState>,
    Path((topic, event)): Path<(String, String)>,
) -> Response {
    match state.kapacitor.alerts.event_state(&topic, &event) {
        Some(s) => Json(event_json(&topic, &event, &s)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("event {event:?} does not exist for topic {topic:?}"),
        ),
    }
}

/// `GET /kapacitor/v1/alerts/topics/{topic}/history`: the latest events sent
/// (oldest first), as handlers received them. Not in Kapacitor.
pub async fn history(State(state): State<AppState>, Path(topic): Path<String>) -> Response {
    let t = match find(&state, &topic) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let events: Vec<serde_json::Value> = t.history.iter().map(|e| e.alert_data()).collect();
    Json(serde_json::json!({ "topic": topic, "events": events })).into_response()
}

/// `GET /kapacitor/v1/alerts/topics/{topic}/handlers`.
pub async fn list_handlers(State(state): State<AppState>, Path(topic): Path<String>) -> Response {
    let handlers: Vec<serde_json::Value> = state
        .kapacitor
        .alerts
        .handlers(&topic)
        .iter()
        .map(|h| handler_json(&topic, h))
        .collect();
    Json(serde_json::json!({
        "link": { "rel": "self", "href": format!("{BASE}/{topic}/handlers") },
        "topic": topic,
        "handlers": handlers,
    }))
    .into_response()
}

fn parse_spec(body: &[u8]) -> Result<HandlerSpec, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("invalid handler spec: {e}"),
        ))
    })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_alphanumeric() || "-._".contains(c))
}

fn store(state: &AppState, topic: &str, spec: HandlerSpec) -> Response {
    if !valid_id(&spec.id) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "handler ID must contain only letters, numbers, '-', '.' and '_'. {:?}",
                spec.id
            ),
        );
    }
    match state.kapacitor.alerts.put_handler(topic, spec.clone()) {
        Ok(()) => Json(handler_json(topic, &spec)).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

/// `POST /kapacitor/v1/alerts/topics/{topic}/handlers`.
pub async fn create_handler(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let spec = match parse_spec(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if state
        .kapacitor
        .alerts
        .handlers(&topic)
        .iter()
        .any(|h| h.id == spec.id)
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("handler {:?} already exists", spec.id),
        );
    }
    store(&state, &topic, spec)
}

/// `PUT /kapacitor/v1/alerts/topics/{topic}/handlers/{handler}`.
pub async fn put_handler(
    State(state): State<AppState>,
    Path((topic, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let mut spec = match parse_spec(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if spec.id.is_empty() {
        spec.id = id.clone();
    }
    if spec.id != id {
        return error(
            StatusCode::BAD_REQUEST,
            "not supported yet: renaming a handler",
        );
    }
    store(&state, &topic, spec)
}

/// `PATCH /kapacitor/v1/alerts/topics/{topic}/handlers/{handler}`: JSON
/// merge of `kind`, `options` and `match` into the existing spec.
pub async fn patch_handler(
    State(state): State<AppState>,
    Path((topic, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(mut spec) = state
        .kapacitor
        .alerts
        .handlers(&topic)
        .into_iter()
        .find(|h| h.id == id)
    else {
        return error(
            StatusCode::NOT_FOUND,
            format!("handler {id:?} does not exist for topic {topic:?}"),
        );
    };
    let patch: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
    };
    if let Some(k) = patch.get("kind").and_then(|v| v.as_str()) {
        spec.kind = k.to_string();
    }
    if let Some(m) = patch.get("match").and_then(|v| v.as_str()) {
        spec.match_expr = m.to_string();
    }
    if let Some(o) = patch.get("options").and_then(|v| v.as_object()) {
        spec.options = o.clone();
    }
    store(&state, &topic, spec)
}

/// `GET /kapacitor/v1/alerts/topics/{topic}/handlers/{handler}`.
pub async fn get_handler(
    State(state): State<AppState>,
    Path((topic, id)): Path<(String, String)>,
) -> Response {
    match state
        .kapacitor
        .alerts
        .handlers(&topic)
        .into_iter()
        .find(|h| h.id == id)
    {
        Some(h) => Json(handler_json(&topic, &h)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("handler {id:?} does not exist for topic {topic:?}"),
        ),
    }
}

/// `DELETE /kapacitor/v1/alerts/topics/{topic}/handlers/{handler}`.
pub async fn delete_handler(
    State(state): State<AppState>,
    Path((topic, id)): Path<(String, String)>,
) -> Response {
    match state.kapacitor.alerts.delete_handler(&topic, &id) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}
