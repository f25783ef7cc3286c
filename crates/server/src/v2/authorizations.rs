//! `/api/v2/authorizations`: API tokens with permissions.
//!
//! The token is returned once, when created (the catalog keeps only its
//! SHA-256); listings leave it out.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_catalog::{
    Action, AuthorizationDef, CatalogSnapshot, Permission, Resource, RESOURCE_TYPES,
};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{catalog, invalid, not_found, parse_json};
use super::rfc3339;
use super::token_auth::{resolve_org, Principal};
use crate::error::ApiError;
use crate::AppState;

/// A permission with the names of its resource and org filled in.
fn permission_json(snap: &CatalogSnapshot, p: &Permission) -> Value {
    let mut resource = p.resource.clone();
    if let Some(org) = resource.org_id.as_ref().and_then(|id| snap.v2.orgs.get(id)) {
        resource.org = Some(org.name.clone());
    }
    if let Some(id) = &resource.id {
        resource.name = match resource.kind.as_str() {
            "buckets" => snap.bucket(id).map(|(db, rp)| snap.bucket_name(&db, &rp)),
            "orgs" => snap.v2.orgs.get(id).map(|o| o.name.clone()),
            "users" => snap.user_by_id(id).map(|u| u.name.clone()),
            _ => resource.name,
        };
    }
    json!({ "action": p.action, "resource": resource })
}

/// An authorization as InfluxDB 2 renders it (`token` only when given).
pub fn auth_json(snap: &CatalogSnapshot, auth: &AuthorizationDef, token: Option<&str>) -> Value {
    let mut v = json!({
        "links": {
            "self": format!("/api/v2/authorizations/{}", auth.id),
            "user": format!("/api/v2/users/{}", auth.user_id),
        },
        "id": auth.id,
        "status": if auth.active { "active" } else { "inactive" },
        "description": auth.description,
        "orgID": auth.org_id,
        "org": snap.v2.orgs.get(&auth.org_id).map(|o| o.name.clone()).unwrap_or_default(),
        "userID": auth.user_id,
        "user": snap.user_by_id(&auth.user_id).map(|u| u.name.clone()).unwrap_or_default(),
        "permissions": auth.permissions.iter().map(|p| permission_json(snap, p)).collect::<Vec<_>>(),
        "createdAt": rfc3339(auth.created_at),
        "updatedAt": rfc3339(auth.updated_at),
    });
    if let Some(t) = token {
        v["token"] = json!(t);
    }
    v
}

/// Whether the caller may see `auth` (read permission, or its own token).
fn visible(principal: &Principal, auth: &AuthorizationDef) -> bool {
    principal.allows(
        Action::Read,
        "authorizations",
        Some(&auth.org_id),
        Some(&auth.id),
    ) || principal
        .user
        .as_ref()
        .is_some_and(|u| u.id() == auth.user_id)
}

fn readable(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Arc<AuthorizationDef>, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let auth = snap
        .v2
        .authorizations
        .get(id)
        .cloned()
        .ok_or_else(|| not_found("authorization not found"))?;
    if !visible(principal, &auth) {
        principal.require(Action::Read, "authorizations", Some(&auth.org_id), Some(id))?;
    }
    Ok(auth)
}

/// `GET /api/v2/authorizations?user=&userID=&org=&orgID=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let get = |k: &str| params.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let org = resolve_org(&snap, get("org"), get("orgID"))?;
    let user_id = match (get("userID"), get("user")) {
        (Some(id), _) => Some(id.to_string()),
        (None, Some(name)) => Some(
            snap.user(name)
                .map(|u| u.id())
                .ok_or_else(|| not_found("user not found"))?,
        ),
        (None, None) => None,
    };
    let mut auths: Vec<_> = snap
        .v2
        .authorizations
        .values()
        .filter(|a| org.as_deref().is_none_or(|o| a.org_id == o))
        .filter(|a| user_id.as_deref().is_none_or(|u| a.user_id == u))
        .filter(|a| visible(&principal, a))
        .cloned()
        .collect();
    auths.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let out: Vec<Value> = auths.iter().map(|a| auth_json(&snap, a, None)).collect();
    Ok(Json(json!({
        "links": { "self": "/api/v2/authorizations" },
        "authorizations": out,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthBody {
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    #[serde(rename = "userID")]
    user_id: Option<String>,
    description: Option<String>,
    status: Option<String>,
    permissions: Option<Vec<Permission>>,
}

/// `POST /api/v2/authorizations`: 201 with the token. The caller must hold
/// every permission it grants.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: AuthBody = parse_json(&body)?;
    let snap = state.storage.catalog().snapshot();
    let org_id = req
        .org_id
        .filter(|o| !o.is_empty())
        .ok_or_else(|| invalid("orgID is required"))?;
    if !snap.v2.orgs.contains_key(&org_id) {
        return Err(not_found("organization not found"));
    }
    principal.require(Action::Write, "authorizations", Some(&org_id), None)?;
    let user_id = match req.user_id.filter(|u| !u.is_empty()) {
        Some(u) => u,
        None => principal
            .user
            .as_ref()
            .map(|u| u.id())
            .ok_or_else(|| invalid("userID is required"))?,
    };
    if snap.user_by_id(&user_id).is_none() {
        return Err(not_found("user not found"));
    }
    let permissions = req.permissions.unwrap_or_default();
    if permissions.is_empty() {
        return Err(invalid("at least one permission is required"));
    }
    let mut stored = Vec::with_capacity(permissions.len());
    for p in permissions {
        if !RESOURCE_TYPES.contains(&p.resource.kind.as_str()) {
            return Err(invalid(format!(
                "unknown resource type {}",
                p.resource.kind
            )));
        }
        principal.require(
            p.action,
            &p.resource.kind,
            p.resource.org_id.as_deref(),
            p.resource.id.as_deref(),
        )?;
        // Names are derived on output; only ids are kept.
        stored.push(Permission {
            action: p.action,
            resource: Resource {
                name: None,
                org: None,
                ..p.resource
            },
        });
    }
    let active =
        super::parse_status(req.status.as_deref(), "unknown authorization status")?.unwrap_or(true);
    let (auth, token) = state
        .storage
        .catalog()
        .create_authorization(
            &org_id,
            &user_id,
            req.description.as_deref().unwrap_or(""),
            active,
            stored,
        )
        .map_err(catalog)?;
    let snap = state.storage.catalog().snapshot();
    Ok((
        StatusCode::CREATED,
        Json(auth_json(&snap, &auth, Some(&token))),
    )
        .into_response())
}

/// `GET /api/v2/authorizations/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let auth = readable(&state, &principal, &id)?;
    let snap = state.storage.catalog().snapshot();
    Ok(Json(auth_json(&snap, &auth, None)).into_response())
}

/// `PATCH /api/v2/authorizations/{id}` `{status, description}`.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let auth = readable(&state, &principal, &id)?;
    principal.require(
        Action::Write,
        "authorizations",
        Some(&auth.org_id),
        Some(&id),
    )?;
    let req: AuthBody = parse_json(&body)?;
    let active = super::parse_status(req.status.as_deref(), "unknown authorization status")?;
    let auth = state
        .storage
        .catalog()
        .update_authorization(&id, active, req.description)
        .map_err(catalog)?;
    let snap = state.storage.catalog().snapshot();
    Ok(Json(auth_json(&snap, &auth, None)).into_response())
}

/// `DELETE /api/v2/authorizations/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let auth = readable(&state, &principal, &id)?;
    principal.require(
        Action::Write,
        "authorizations",
        Some(&auth.org_id),
        Some(&id),
    )?;
    state
        .storage
        .catalog()
        .delete_authorization(&id)
        .map_err(catalog)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
