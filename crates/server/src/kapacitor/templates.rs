//! `/kapacitor/v1/templates`: task templates (create, list, get, patch,
//! delete); tasks are created from them with `template-id` and `vars`.

use almanac_tasks::manager::{TemplateInfo, TemplateRequest};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{error, task_error};
use crate::AppState;

/// Kapacitor's template JSON.
pub fn template_json(t: &TemplateInfo) -> serde_json::Value {
    serde_json::json!({
        "link": { "rel": "self", "href": format!("/kapacitor/v1/templates/{}", t.def.id) },
        "id": t.def.id,
        "type": t.def.task_type,
        "script": t.def.script,
        "vars": t.vars,
        "dot": t.dot,
        "error": "",
        "created": t.def.created,
        "modified": t.def.modified,
        "task-ids": t.tasks,
    })
}

fn parse(body: &[u8]) -> Result<TemplateRequest, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}"))))
}

/// `POST /kapacitor/v1/templates`.
pub async fn create(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match state.kapacitor.manager.create_template(req) {
        Ok(t) => Json(template_json(&t)).into_response(),
        Err(e) => task_error(e),
    }
}

/// `PATCH /kapacitor/v1/templates/{id}`.
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let k = state.kapacitor.clone();
    match k.manager.update_template(&id, req) {
        Ok(t) => {
            k.refresh_subscription();
            Json(template_json(&t)).into_response()
        }
        Err(e) => task_error(e),
    }
}

/// `GET /kapacitor/v1/templates/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.kapacitor.manager.get_template(&id) {
        Ok(t) => Json(template_json(&t)).into_response(),
        Err(e) => task_error(e),
    }
}

/// `GET /kapacitor/v1/templates`.
pub async fn list(State(state): State<AppState>) -> Response {
    let templates: Vec<serde_json::Value> = state
        .kapacitor
        .manager
        .list_templates()
        .iter()
        .map(template_json)
        .collect();
    Json(serde_json::json!({ "templates": templates })).into_response()
}

/// `DELETE /kapacitor/v1/templates/{id}`.
pub async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.kapacitor.manager.delete_template(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => task_error(e),
    }
}
