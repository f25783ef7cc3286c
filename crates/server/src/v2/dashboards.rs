//! `/api/v2/dashboards`: dashboards with cells and cell views, stored as
//! one document per dashboard (`{name, description, cells: [{id, x, y, w,
//! h, view: {name, properties}}]}`).

use std::collections::HashMap;

use almanac_catalog::new_id;
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
use crate::AppState;

/// Document kind of dashboards.
pub const KIND: &str = "dashboards";

fn cell_json(dashboard: &str, cell: &Value) -> Value {
    let id = cell.get("id").and_then(Value::as_str).unwrap_or_default();
    let num = |k: &str| cell.get(k).and_then(Value::as_i64).unwrap_or(0);
    json!({
        "id": id,
        "x": num("x"),
        "y": num("y"),
        "w": num("w"),
        "h": num("h"),
        "links": {
            "self": format!("/api/v2/dashboards/{dashboard}/cells/{id}"),
            "view": format!("/api/v2/dashboards/{dashboard}/cells/{id}/view"),
        },
    })
}

fn view_json(dashboard: &str, cell: &Value) -> Value {
    let id = cell.get("id").and_then(Value::as_str).unwrap_or_default();
    let view = cell.get("view").cloned().unwrap_or(json!({}));
    json!({
        "links": { "self": format!("/api/v2/dashboards/{dashboard}/cells/{id}/view") },
        "id": id,
        "name": view.get("name").cloned().unwrap_or(json!("")),
        "properties": view.get("properties").cloned().unwrap_or(json!({})),
    })
}

fn cells(doc: &Doc) -> Vec<Value> {
    doc.body
        .get("cells")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn dashboard_json(state: &AppState, doc: &Doc) -> Value {
    let id = &doc.def.id;
    let snap = state.storage.catalog().snapshot();
    let mut out = json!({
        "links": {
            "self": format!("/api/v2/dashboards/{id}"),
            "org": format!("/api/v2/orgs/{}", doc.def.org_id),
            "cells": format!("/api/v2/dashboards/{id}/cells"),
            "members": format!("/api/v2/dashboards/{id}/members"),
            "owners": format!("/api/v2/dashboards/{id}/owners"),
            "labels": format!("/api/v2/dashboards/{id}/labels"),
        },
        "id": id,
        "orgID": doc.def.org_id,
        "name": doc.body.get("name").cloned().unwrap_or(json!("")),
        "description": doc.body.get("description").cloned().unwrap_or(json!("")),
        "meta": {
            "createdAt": rfc3339(doc.def.created_at),
            "updatedAt": rfc3339(doc.def.updated_at),
        },
        "cells": cells(doc).iter().map(|c| cell_json(id, c)).collect::<Vec<_>>(),
        "labels": labels::resource_labels(&snap, KIND, id),
    });
    // The web UI's template variables (Chronograf's per-dashboard `templates`),
    // kept only when a client stored some.
    if let Some(t) = doc.body.get("templates") {
        out["templates"] = t.clone();
    }
    out
}

/// Stores the request's `templates` (an array) in a dashboard body.
fn set_templates(body: &mut Map<String, Value>, req: &Map<String, Value>) -> Result<(), ApiError> {
    match req.get("templates") {
        None => Ok(()),
        Some(t @ Value::Array(_)) => {
            body.insert("templates".into(), t.clone());
            Ok(())
        }
        Some(_) => Err(invalid("templates must be an array")),
    }
}

/// A stored cell from a request cell (`x, y, w, h`, optional `name`,
/// `properties`/`view`), with a fresh id unless it has one.
fn new_cell(req: &Map<String, Value>, keep_id: bool) -> Result<Value, ApiError> {
    let id = match req.get("id").and_then(Value::as_str) {
        Some(id) if keep_id && !id.is_empty() => id.to_string(),
        _ => new_id().map_err(catalog)?,
    };
    let num = |k: &str| req.get(k).and_then(Value::as_i64).unwrap_or(0);
    let view = match (req.get("view"), req.get("properties")) {
        (Some(v), _) => v.clone(),
        (None, Some(p)) => {
            json!({ "name": req.get("name").cloned().unwrap_or(json!("")), "properties": p })
        }
        (None, None) => {
            json!({ "name": req.get("name").cloned().unwrap_or(json!("")), "properties": {} })
        }
    };
    Ok(
        json!({ "id": id, "x": num("x"), "y": num("y"), "w": num("w"), "h": num("h"), "view": view }),
    )
}

fn cells_from(value: Option<&Value>, keep_ids: bool) -> Result<Vec<Value>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|c| {
                c.as_object()
                    .ok_or_else(|| invalid("a cell must be an object"))
                    .and_then(|c| new_cell(c, keep_ids))
            })
            .collect(),
        Some(_) => Err(invalid("cells must be an array")),
    }
}

/// `GET /api/v2/dashboards?org=&orgID=&id=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let docs = documents::list(&state, &principal, KIND, &params)?;
    let id = params.get("id");
    let out: Vec<Value> = docs
        .iter()
        .filter(|d| id.is_none_or(|i| d.def.id == *i))
        .map(|d| dashboard_json(&state, d))
        .collect();
    Ok(
        Json(json!({ "links": { "self": "/api/v2/dashboards" }, "dashboards": out }))
            .into_response(),
    )
}

/// `POST /api/v2/dashboards` `{orgID, name, description, cells}`: 201.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: Map<String, Value> = parse_json(&body)?;
    let org = documents::target_org(&state, &principal, KIND, &req)?;
    let name = req
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("dashboard name is required"))?;
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert(
        "description".into(),
        req.get("description").cloned().unwrap_or(json!("")),
    );
    body.insert(
        "cells".into(),
        Value::Array(cells_from(req.get("cells"), false)?),
    );
    set_templates(&mut body, &req)?;
    let def = documents::save(&state, KIND, None, &org, &body)?;
    let doc = Doc { def, body };
    Ok((StatusCode::CREATED, Json(dashboard_json(&state, &doc))).into_response())
}

/// `GET /api/v2/dashboards/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, KIND, &id, "dashboard")?;
    Ok(Json(dashboard_json(&state, &doc)).into_response())
}

/// `PATCH /api/v2/dashboards/{id}` `{name, description, cells}`.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "dashboard")?;
    let req: Map<String, Value> = parse_json(&body)?;
    if let Some(name) = req.get("name") {
        if name.as_str().is_none_or(str::is_empty) {
            return Err(invalid("dashboard name is required"));
        }
        doc.body.insert("name".into(), name.clone());
    }
    if let Some(d) = req.get("description") {
        doc.body.insert("description".into(), d.clone());
    }
    if req.contains_key("cells") {
        doc.body.insert(
            "cells".into(),
            Value::Array(cells_from(req.get("cells"), true)?),
        );
    }
    set_templates(&mut doc.body, &req)?;
    doc.def = documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok(Json(dashboard_json(&state, &doc)).into_response())
}

/// `DELETE /api/v2/dashboards/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    documents::writable(&state, &principal, KIND, &id, "dashboard")?;
    state
        .storage
        .catalog()
        .delete_document(KIND, &id)
        .map_err(catalog)?;
    labels::forget_resource(&state, KIND, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v2/dashboards/{id}/cells` `{x, y, w, h, name}`: 201 with the cell.
pub async fn add_cell(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "dashboard")?;
    let req: Map<String, Value> = parse_json(&body)?;
    let mut cell = new_cell(&req, false)?;
    if let Some(source) = req.get("usingView").and_then(Value::as_str) {
        // Copy the view of another cell of this dashboard.
        let view = cells(&doc)
            .into_iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(source))
            .and_then(|c| c.get("view").cloned())
            .ok_or_else(|| not_found("cell not found"))?;
        cell["view"] = view;
    }
    let mut all = cells(&doc);
    all.push(cell.clone());
    doc.body.insert("cells".into(), Value::Array(all));
    documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok((StatusCode::CREATED, Json(cell_json(&id, &cell))).into_response())
}

/// `PUT /api/v2/dashboards/{id}/cells` `[cells]`: replaces all cells; 201
/// with the dashboard.
pub async fn replace_cells(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "dashboard")?;
    let req: Value = parse_json(&body)?;
    let old = cells(&doc);
    let mut new = cells_from(Some(&req), true)?;
    // Cells that existed keep their views.
    for c in &mut new {
        let cid = c.get("id").and_then(Value::as_str).map(str::to_string);
        if let Some(prev) = old
            .iter()
            .find(|o| o.get("id").and_then(Value::as_str) == cid.as_deref())
        {
            if let Some(view) = prev.get("view") {
                c["view"] = view.clone();
            }
        }
    }
    doc.body.insert("cells".into(), Value::Array(new));
    doc.def = documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok((StatusCode::CREATED, Json(dashboard_json(&state, &doc))).into_response())
}

/// Finds cell `cell` of `doc`: (index, cells).
fn find_cell(doc: &Doc, cell: &str) -> Result<(usize, Vec<Value>), ApiError> {
    let all = cells(doc);
    let i = all
        .iter()
        .position(|c| c.get("id").and_then(Value::as_str) == Some(cell))
        .ok_or_else(|| not_found("cell not found"))?;
    Ok((i, all))
}

/// `PATCH /api/v2/dashboards/{id}/cells/{cellID}` `{x, y, w, h}`.
pub async fn patch_cell(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, cell)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "dashboard")?;
    let req: Map<String, Value> = parse_json(&body)?;
    let (i, mut all) = find_cell(&doc, &cell)?;
    for k in ["x", "y", "w", "h"] {
        if let Some(v) = req.get(k) {
            if !v.is_i64() {
                return Err(invalid(format!("{k} must be an integer")));
            }
            all[i][k] = v.clone();
        }
    }
    let updated = all[i].clone();
    doc.body.insert("cells".into(), Value::Array(all));
    documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok(Json(cell_json(&id, &updated)).into_response())
}

/// `DELETE /api/v2/dashboards/{id}/cells/{cellID}`: 204.
pub async fn delete_cell(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, cell)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "dashboard")?;
    let (i, mut all) = find_cell(&doc, &cell)?;
    all.remove(i);
    doc.body.insert("cells".into(), Value::Array(all));
    documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/dashboards/{id}/cells/{cellID}/view`.
pub async fn get_view(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, cell)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, KIND, &id, "dashboard")?;
    let (i, all) = find_cell(&doc, &cell)?;
    Ok(Json(view_json(&id, &all[i])).into_response())
}

/// `PATCH /api/v2/dashboards/{id}/cells/{cellID}/view` `{name, properties}`.
pub async fn patch_view(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, cell)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "dashboard")?;
    let req: Map<String, Value> = parse_json(&body)?;
    let (i, mut all) = find_cell(&doc, &cell)?;
    let mut view = all[i].get("view").cloned().unwrap_or(json!({}));
    if let Some(name) = req.get("name") {
        view["name"] = name.clone();
    }
    if let Some(p) = req.get("properties") {
        if !p.is_object() {
            return Err(invalid("view properties must be an object"));
        }
        view["properties"] = p.clone();
    }
    all[i]["view"] = view;
    let updated = all[i].clone();
    doc.body.insert("cells".into(), Value::Array(all));
    documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok(Json(view_json(&id, &updated)).into_response())
}
