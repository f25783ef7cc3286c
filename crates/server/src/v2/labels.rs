//! `/api/v2/labels`, and labels attached to other resources (buckets,
//! dashboards) through mapping documents `label_mappings/<type>:<id>:<label>`.

use std::collections::HashMap;

use almanac_catalog::{Action, CatalogSnapshot};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::documents::{self, Doc};
use super::errors::{catalog, conflict, invalid, not_found, parse_json};
use super::token_auth::Principal;
use crate::error::ApiError;
use crate::AppState;

const KIND: &str = "labels";

/// `{base}/{id}/labels` (GET, POST) and `{base}/{id}/labels/{label}` (DELETE)
/// of a resource stored as documents of `kind` (dashboards, tasks), called
/// `what` in its errors: reading needs read access to the resource,
/// attaching and detaching write access.
pub fn document_label_routes(
    base: &str,
    kind: &'static str,
    what: &'static str,
) -> axum::Router<AppState> {
    use axum::routing::{delete, get};
    axum::Router::new()
        .route(
            &format!("{base}/{{id}}/labels"),
            get(
                move |State(state): State<AppState>,
                      Extension(principal): Extension<Principal>,
                      Path(id): Path<String>| async move {
                    documents::readable(&state, &principal, kind, &id, what)?;
                    list_resource_labels(&state, kind, &id)
                },
            )
            .post(
                move |State(state): State<AppState>,
                      Extension(principal): Extension<Principal>,
                      Path(id): Path<String>,
                      body: Bytes| async move {
                    let doc = documents::writable(&state, &principal, kind, &id, what)?;
                    add_resource_label(&state, &principal, kind, &id, Some(&doc.def.org_id), &body)
                },
            ),
        )
        .route(
            &format!("{base}/{{id}}/labels/{{label}}"),
            delete(
                move |State(state): State<AppState>,
                      Extension(principal): Extension<Principal>,
                      Path((id, label)): Path<(String, String)>| async move {
                    documents::writable(&state, &principal, kind, &id, what)?;
                    remove_resource_label(&state, kind, &id, &label)
                },
            ),
        )
}
const MAPPINGS: &str = "label_mappings";

fn label_value(id: &str, org_id: &str, body: &Map<String, Value>) -> Value {
    json!({
        "id": id,
        "orgID": org_id,
        "name": body.get("name").cloned().unwrap_or(json!("")),
        "properties": body.get("properties").cloned().unwrap_or(json!({})),
    })
}

fn label_json(doc: &Doc) -> Value {
    label_value(&doc.def.id, &doc.def.org_id, &doc.body)
}

fn wrapped(doc: &Doc) -> Value {
    json!({
        "label": label_json(doc),
        "links": { "self": format!("/api/v2/labels/{}", doc.def.id) },
    })
}

/// Checks a label body: name required, properties string→string.
fn check(body: &Map<String, Value>) -> Result<(), ApiError> {
    match body.get("name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() => {}
        _ => return Err(invalid("label name is required")),
    }
    if let Some(p) = body.get("properties") {
        let ok = p
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string));
        if !ok && !p.is_null() {
            return Err(invalid("label properties must be a map of strings"));
        }
    }
    Ok(())
}

fn name_taken(snap: &CatalogSnapshot, org: &str, name: &str, except: Option<&str>) -> bool {
    snap.v2
        .documents
        .range((KIND.to_string(), String::new())..)
        .take_while(|((k, _), _)| k == KIND)
        .filter(|(_, d)| d.org_id == org && Some(d.id.as_str()) != except)
        .any(|(_, d)| {
            serde_json::from_str::<Value>(&d.body)
                .ok()
                .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
                .is_some_and(|n| n == name)
        })
}

/// `GET /api/v2/labels?orgID=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let docs = documents::list(&state, &principal, KIND, &params)?;
    let name = params.get("name");
    let labels: Vec<Value> = docs
        .iter()
        .filter(|d| name.is_none_or(|n| d.body.get("name").and_then(Value::as_str) == Some(n)))
        .map(label_json)
        .collect();
    Ok(Json(json!({ "links": { "self": "/api/v2/labels" }, "labels": labels })).into_response())
}

/// `POST /api/v2/labels` `{orgID, name, properties}`: 201 `{label, links}`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut body: Map<String, Value> = parse_json(&body)?;
    check(&body)?;
    let org = documents::target_org(&state, &principal, KIND, &body)?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if name_taken(&state.storage.catalog().snapshot(), &org, name, None) {
        return Err(conflict(format!("label with name {name} already exists")));
    }
    body.retain(|k, _| k == "name" || k == "properties");
    let def = documents::save(&state, KIND, None, &org, &body)?;
    let doc = Doc { def, body };
    Ok((StatusCode::CREATED, Json(wrapped(&doc))).into_response())
}

/// `GET /api/v2/labels/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, KIND, &id, "label")?;
    Ok(Json(wrapped(&doc)).into_response())
}

/// `PATCH /api/v2/labels/{id}` `{name, properties}` (a property set to ""
/// is removed, as in InfluxDB).
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut doc = documents::writable(&state, &principal, KIND, &id, "label")?;
    let update: Map<String, Value> = parse_json(&body)?;
    if let Some(name) = update
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        if name_taken(
            &state.storage.catalog().snapshot(),
            &doc.def.org_id,
            name,
            Some(&id),
        ) {
            return Err(conflict(format!("label with name {name} already exists")));
        }
        doc.body.insert("name".into(), json!(name));
    }
    if let Some(Value::Object(props)) = update.get("properties") {
        let mut current = doc
            .body
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in props {
            if v.as_str() == Some("") {
                current.remove(k);
            } else {
                current.insert(k.clone(), v.clone());
            }
        }
        doc.body.insert("properties".into(), Value::Object(current));
    }
    check(&doc.body)?;
    doc.def = documents::save(&state, KIND, Some(&id), &doc.def.org_id, &doc.body)?;
    Ok(Json(wrapped(&doc)).into_response())
}

/// `DELETE /api/v2/labels/{id}`: 204 (its mappings go too).
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    documents::writable(&state, &principal, KIND, &id, "label")?;
    let catalog_ = state.storage.catalog();
    let suffix = format!(":{id}");
    let mappings: Vec<String> = catalog_
        .snapshot()
        .v2
        .documents
        .keys()
        .filter(|(k, m)| k == MAPPINGS && m.ends_with(&suffix))
        .map(|(_, m)| m.clone())
        .collect();
    for m in mappings {
        catalog_.delete_document(MAPPINGS, &m).map_err(catalog)?;
    }
    catalog_.delete_document(KIND, &id).map_err(catalog)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The labels attached to resource `rtype`/`rid`, rendered.
pub fn resource_labels(snap: &CatalogSnapshot, rtype: &str, rid: &str) -> Vec<Value> {
    let prefix = format!("{rtype}:{rid}:");
    snap.v2
        .documents
        .range((MAPPINGS.to_string(), prefix.clone())..)
        .take_while(|((k, m), _)| k == MAPPINGS && m.starts_with(&prefix))
        .filter_map(|((_, m), _)| {
            let label = &m[prefix.len()..];
            let def = snap
                .v2
                .documents
                .get(&(KIND.to_string(), label.to_string()))?;
            let body: Map<String, Value> = serde_json::from_str(&def.body).ok()?;
            Some(label_value(&def.id, &def.org_id, &body))
        })
        .collect()
}

/// `GET /api/v2/<rtype>/{id}/labels`.
pub fn list_resource_labels(
    state: &AppState,
    rtype: &str,
    rid: &str,
) -> Result<Response, ApiError> {
    let snap = state.storage.catalog().snapshot();
    Ok(Json(json!({
        "links": { "self": format!("/api/v2/{rtype}/{rid}/labels") },
        "labels": resource_labels(&snap, rtype, rid),
    }))
    .into_response())
}

/// `POST /api/v2/<rtype>/{id}/labels` `{"labelID": …}`: 201 `{label, links}`.
pub fn add_resource_label(
    state: &AppState,
    principal: &Principal,
    rtype: &str,
    rid: &str,
    org: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let req: Map<String, Value> = parse_json(body)?;
    let label_id = req
        .get("labelID")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("labelID is required"))?;
    let label = documents::readable(state, principal, KIND, label_id, "label")?;
    if org.is_some_and(|o| o != label.def.org_id) {
        return Err(invalid(
            "label and resource belong to different organizations",
        ));
    }
    principal.require(Action::Read, KIND, Some(&label.def.org_id), Some(label_id))?;
    put_mapping(state, rtype, rid, label_id, &label.def.org_id)?;
    Ok((StatusCode::CREATED, Json(wrapped(&label))).into_response())
}

fn put_mapping(
    state: &AppState,
    rtype: &str,
    rid: &str,
    label: &str,
    org: &str,
) -> Result<(), ApiError> {
    let id = format!("{rtype}:{rid}:{label}");
    let snap = state.storage.catalog().snapshot();
    if snap
        .v2
        .documents
        .contains_key(&(MAPPINGS.to_string(), id.clone()))
    {
        return Err(conflict("label already attached to the resource"));
    }
    state
        .storage
        .catalog()
        .put_named_document(MAPPINGS, &id, org, "{}".into())
        .map_err(catalog)?;
    Ok(())
}

/// Removes every label mapping of resource `rtype`/`rid` (it was deleted).
pub fn forget_resource(state: &AppState, rtype: &str, rid: &str) -> Result<(), ApiError> {
    let prefix = format!("{rtype}:{rid}:");
    let catalog_ = state.storage.catalog();
    let mappings: Vec<String> = catalog_
        .snapshot()
        .v2
        .documents
        .range((MAPPINGS.to_string(), prefix.clone())..)
        .take_while(|((k, m), _)| k == MAPPINGS && m.starts_with(&prefix))
        .map(|((_, m), _)| m.clone())
        .collect();
    for m in mappings {
        catalog_.delete_document(MAPPINGS, &m).map_err(catalog)?;
    }
    Ok(())
}

/// `DELETE /api/v2/<rtype>/{id}/labels/{labelID}`: 204.
pub fn remove_resource_label(
    state: &AppState,
    rtype: &str,
    rid: &str,
    label: &str,
) -> Result<Response, ApiError> {
    let id = format!("{rtype}:{rid}:{label}");
    state
        .storage
        .catalog()
        .delete_document(MAPPINGS, &id)
        .map_err(|_| not_found("label mapping not found"))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
