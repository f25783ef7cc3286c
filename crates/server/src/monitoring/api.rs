//! The CRUD shape shared by `/api/v2/checks`, `/api/v2/notificationEndpoints`
//! and `/api/v2/notificationRules`: documents in the catalog, listed per
//! organization with paging, created (201), read, replaced (PUT), patched
//! (`name`, `description`, `status`), deleted (204), with labels.
//! Each resource supplies its validation and JSON shape through [`Resource`].

use std::collections::HashMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::v2::documents::{self, Doc};
use crate::v2::errors::{catalog, conflict, invalid, not_implemented, parse_json, v2};
use crate::v2::token_auth::Principal;
use crate::v2::{labels, Paging};
use crate::AppState;

/// One monitoring resource type.
pub trait Resource: Send + Sync + 'static {
    /// Document kind and permission type (`checks`).
    const KIND: &'static str;
    /// Its name in messages (`check`).
    const WHAT: &'static str;
    /// Key of the list answer (`checks`).
    const LIST_KEY: &'static str;
    /// Route (`/api/v2/checks`).
    const PATH: &'static str;
    /// Body fields kept on create/replace (the rest is computed).
    const FIELDS: &'static [&'static str];

    /// Checks (and completes) a body about to be stored as `id` (`None` =
    /// new) in `org`; `previous` is the stored body on updates.
    fn prepare(
        state: &AppState,
        id: &str,
        org: &str,
        body: &mut Map<String, Value>,
        previous: Option<&Map<String, Value>>,
    ) -> Result<(), ApiError>;

    /// The API answer of a stored document.
    fn render(state: &AppState, doc: &Doc) -> Value;

    /// Extra list filters (query parameters other than org and paging).
    fn keep(_state: &AppState, _doc: &Doc, _params: &HashMap<String, String>) -> bool {
        true
    }

    /// Called after a delete.
    fn deleted(_state: &AppState, _id: &str) {}
}

/// A validation message as an API error: 501 for `not supported yet: …`,
/// else 400 `invalid`.
pub fn bad(message: String) -> ApiError {
    if let Some(feature) = message.strip_prefix("not supported yet: ") {
        not_implemented(feature)
    } else {
        invalid(message)
    }
}

/// `links` and computed fields shared by the three resources.
pub fn base_json<R: Resource>(state: &AppState, doc: &Doc) -> Map<String, Value> {
    let id = &doc.def.id;
    let snap = state.storage.catalog().snapshot();
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("orgID".into(), json!(doc.def.org_id));
    out.insert(
        "labels".into(),
        Value::Array(labels::resource_labels(&snap, R::KIND, id)),
    );
    out.insert(
        "links".into(),
        json!({
            "self": format!("{}/{id}", R::PATH),
            "labels": format!("{}/{id}/labels", R::PATH),
            "members": format!("{}/{id}/members", R::PATH),
            "owners": format!("{}/{id}/owners", R::PATH),
        }),
    );
    out.insert(
        "createdAt".into(),
        json!(crate::v2::rfc3339(doc.def.created_at)),
    );
    out.insert(
        "updatedAt".into(),
        json!(crate::v2::rfc3339(doc.def.updated_at)),
    );
    out
}

/// Whether another `R` of `org` is named `name`.
fn name_taken<R: Resource>(state: &AppState, org: &str, name: &str, except: Option<&str>) -> bool {
    let snap = state.storage.catalog().snapshot();
    snap.v2
        .documents
        .range((R::KIND.to_string(), String::new())..)
        .take_while(|((k, _), _)| k == R::KIND)
        .filter(|(_, d)| d.org_id == org && Some(d.id.as_str()) != except)
        .any(|(_, d)| {
            serde_json::from_str::<Value>(&d.body)
                .ok()
                .and_then(|v| v.get("name").and_then(Value::as_str).map(|n| n == name))
                .unwrap_or(false)
        })
}

fn check_status(body: &Map<String, Value>) -> Result<(), ApiError> {
    match body.get("status") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s == "active" || s == "inactive" => Ok(()),
        Some(other) => Err(invalid(format!("invalid status {other}"))),
    }
}

async fn list<R: Resource>(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_params(&params)?;
    let docs = documents::list(&state, &principal, R::KIND, &params)?;
    let items: Vec<(String, Value)> = docs
        .iter()
        .filter(|d| R::keep(&state, d, &params))
        .map(|d| (d.def.id.clone(), R::render(&state, d)))
        .collect();
    let (page, more) = paging.page(items);
    let filters: Vec<(&str, &str)> = ["orgID", "org"]
        .iter()
        .filter_map(|k| params.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    let mut out = Map::new();
    out.insert("links".into(), paging.links(R::PATH, &filters, more));
    out.insert(R::LIST_KEY.into(), Value::Array(page));
    Ok(Json(Value::Object(out)).into_response())
}

fn stored(
    state: &AppState,
    kind: &str,
    id: Option<&str>,
    org: &str,
    body: &Map<String, Value>,
) -> Result<Doc, ApiError> {
    let def = documents::save(state, kind, id, org, body)?;
    Ok(Doc {
        def,
        body: body.clone(),
    })
}

async fn create<R: Resource>(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut body: Map<String, Value> = parse_json(&body)?;
    let org = documents::target_org(&state, &principal, R::KIND, &body)?;
    body.retain(|k, _| R::FIELDS.contains(&k.as_str()));
    if !body.contains_key("status") {
        body.insert("status".into(), json!("active"));
    }
    check_status(&body)?;
    if let Some(user) = &principal.user {
        body.insert("ownerID".into(), json!(user.id()));
    }
    // the id is needed before validation (secret keys, query text)
    let id = almanac_catalog::new_id().map_err(catalog)?;
    R::prepare(&state, &id, &org, &mut body, None)?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if name_taken::<R>(&state, &org, name, None) {
        return Err(conflict(format!("{} is not unique", R::WHAT)));
    }
    let text =
        serde_json::to_string(&body).map_err(|e| crate::v2::errors::internal(e.to_string()))?;
    let def = state
        .storage
        .catalog()
        .put_named_document(R::KIND, &id, &org, text)
        .map_err(catalog)?;
    let doc = Doc { def, body };
    Ok((StatusCode::CREATED, Json(R::render(&state, &doc))).into_response())
}

async fn get_one<R: Resource>(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, R::KIND, &id, R::WHAT)?;
    Ok(Json(R::render(&state, &doc)).into_response())
}

async fn update<R: Resource>(
    state: AppState,
    principal: Principal,
    id: String,
    body: Bytes,
    replace: bool,
) -> Result<Response, ApiError> {
    let doc = documents::writable(&state, &principal, R::KIND, &id, R::WHAT)?;
    let update: Map<String, Value> = parse_json(&body)?;
    let previous = doc.body.clone();
    let mut body = if replace {
        let mut b = update.clone();
        b.retain(|k, _| R::FIELDS.contains(&k.as_str()) && k != "ownerID");
        if let Some(owner) = previous.get("ownerID") {
            b.insert("ownerID".into(), owner.clone());
        }
        if !b.contains_key("status") {
            b.insert(
                "status".into(),
                previous.get("status").cloned().unwrap_or(json!("active")),
            );
        }
        b
    } else {
        let mut b = previous.clone();
        for k in ["name", "description", "status"] {
            if let Some(v) = update.get(k).filter(|v| !v.is_null()) {
                b.insert(k.into(), v.clone());
            }
        }
        b
    };
    check_status(&body)?;
    R::prepare(&state, &id, &doc.def.org_id, &mut body, Some(&previous))?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if name_taken::<R>(&state, &doc.def.org_id, name, Some(&id)) {
        return Err(conflict(format!("{} is not unique", R::WHAT)));
    }
    let doc = stored(&state, R::KIND, Some(&id), &doc.def.org_id, &body)?;
    Ok(Json(R::render(&state, &doc)).into_response())
}

async fn put<R: Resource>(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    update::<R>(state, principal, id, body, true).await
}

async fn patch<R: Resource>(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    update::<R>(state, principal, id, body, false).await
}

async fn delete<R: Resource>(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    documents::writable(&state, &principal, R::KIND, &id, R::WHAT)?;
    state
        .storage
        .catalog()
        .delete_document(R::KIND, &id)
        .map_err(catalog)?;
    labels::forget_resource(&state, R::KIND, &id)?;
    super::forget(&id);
    R::deleted(&state, &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET {path}/{id}/members|owners`: 501 (InfluxDB 2.7 keeps them through
/// user resource mappings, which Almanac does not model).
async fn members() -> ApiError {
    v2(
        StatusCode::NOT_IMPLEMENTED,
        "not supported yet: members and owners of monitoring resources",
    )
}

/// The CRUD and label routes of `R`.
pub fn routes<R: Resource>() -> Router<AppState> {
    Router::new()
        .route(R::PATH, get(list::<R>).post(create::<R>))
        .route(
            &format!("{}/{{id}}", R::PATH),
            get(get_one::<R>)
                .put(put::<R>)
                .patch(patch::<R>)
                .delete(delete::<R>),
        )
        .route(&format!("{}/{{id}}/members", R::PATH), get(members))
        .route(&format!("{}/{{id}}/owners", R::PATH), get(members))
        .merge(labels::document_label_routes(R::PATH, R::KIND, R::WHAT))
}
