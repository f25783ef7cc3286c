//! `/api/v2/variables`: dashboard variables (constant, map or query
//! arguments), stored as documents.

use std::collections::HashMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::documents::{self, Doc};
use super::errors::{catalog, conflict, invalid, parse_json};
use super::token_auth::Principal;
use super::{labels, rfc3339};
use crate::error::ApiError;
use crate::AppState;

const KIND: &str = "variables";
/// Fields a variable keeps (the rest is computed).
const FIELDS: &[&str] = &["name", "description", "selected", "arguments"];

fn variable_json(state: &AppState, doc: &Doc) -> Value {
    let id = &doc.def.id;
    let snap = state.storage.catalog().snapshot();
    let field = |k: &str, default: Value| doc.body.get(k).cloned().unwrap_or(default);
    json!({
        "links": {
            "self": format!("/api/v2/variables/{id}"),
            "org": format!("/api/v2/orgs/{}", doc.def.org_id),
            "labels": format!("/api/v2/variables/{id}/labels"),
        },
        "id": id,
        "orgID": doc.def.org_id,
        "name": field("name", json!("")),
        "description": field("description", json!("")),
        "selected": field("selected", json!([])),
        "arguments": field("arguments", json!({})),
        "labels": labels::resource_labels(&snap, KIND, id),
        "createdAt": rfc3339(doc.def.created_at),
        "updatedAt": rfc3339(doc.def.updated_at),
    })
}

/// Checks a variable: a name, and arguments of type constant (array),
/// map (object) or query (`{query, language}`).
fn check(body: &Map<String, Value>) -> Result<(), ApiError> {
    match body.get("name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() => {}
        _ => return Err(invalid("missing variable name")),
    }
    let args = body
        .get("arguments")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("missing variable arguments"))?;
    let values = args.get("values");
    let ok = match args.get("type").and_then(Value::as_str) {
        Some("constant") => values.is_some_and(Value::is_array),
        Some("map") => values.is_some_and(Value::is_object),
        Some("query") => values
            .and_then(|v| v.get("query"))
            .is_some_and(Value::is_string),
        _ => return Err(invalid("invalid arguments type")),
    };
    if !ok {
        return Err(invalid("invalid arguments values"));
    }
    Ok(())
}

fn name_taken(state: &AppState, org: &str, name: &str, except: Option<&str>) -> bool {
    let snap = state.storage.catalog().snapshot();
    snap.v2
        .documents
        .range((KIND.to_string(), String::new())..)
        .take_while(|((k, _), _)| k == KIND)
        .filter(|(_, d)| d.org_id == org && Some(d.id.as_str()) != except)
        .any(|(_, d)| {
            serde_json::from_str::<Value>(&d.body)
                .ok()
                .and_then(|v| {
                    v.get("name")
                        .and_then(Value::as_str)
                        .map(|n| n.eq_ignore_ascii_case(name))
                })
                .unwrap_or(false)
        })
}

/// `GET /api/v2/variables?org=&orgID=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let docs = documents::list(&state, &principal, KIND, &params)?;
    let vars: Vec<Value> = docs.iter().map(|d| variable_json(&state, d)).collect();
    Ok(
        Json(json!({ "links": { "self": "/api/v2/variables" }, "variables": vars }))
            .into_response(),
    )
}

/// `POST /api/v2/variables`: 201 with the variable.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut body: Map<String, Value> = parse_json(&body)?;
    check(&body)?;
    let org = documents::target_org(&state, &principal, KIND, &body)?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if name_taken(&state, &org, name, None) {
        return Err(conflict(format!(
            "variable with name {name} already exists"
        )));
    }
    body.retain(|k, _| FIELDS.contains(&k.as_str()));
    let def = documents::save(&state, KIND, None, &org, &body)?;
    let doc = Doc { def, body };
    Ok((StatusCode::CREATED, Json(variable_json(&state, &doc))).into_response())
}

/// `GET /api/v2/variables/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, KIND, &id, "variable")?;
    Ok(Json(variable_json(&state, &doc)).into_response())
}

async fn update(
    state: AppState,
    principal: Principal,
    id: String,
    body: Bytes,
    replace: bool,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "variable")?;
    let update: Map<String, Value> = parse_json(&body)?;
    if replace {
        doc.body.clear();
    }
    for (k, v) in update {
        if FIELDS.contains(&k.as_str()) {
            doc.body.insert(k, v);
        }
    }
    check(&doc.body)?;
    let name = doc
        .body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name_taken(&state, &doc.def.org_id, name, Some(&id)) {
        return Err(conflict(format!(
            "variable with name {name} already exists"
        )));
    }
    doc.def = documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok(Json(variable_json(&state, &doc)).into_response())
}

/// `PATCH /api/v2/variables/{id}`: changes the given fields.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    update(state, principal, id, body, false).await
}

/// `PUT /api/v2/variables/{id}`: replaces the variable.
pub async fn replace(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    update(state, principal, id, body, true).await
}

/// `DELETE /api/v2/variables/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    documents::writable(&state, &principal, KIND, &id, "variable")?;
    state
        .storage
        .catalog()
        .delete_document(KIND, &id)
        .map_err(catalog)?;
    labels::forget_resource(&state, KIND, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
