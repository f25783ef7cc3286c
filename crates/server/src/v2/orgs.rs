//! `/api/v2/orgs`: organizations and their members and owners.

use std::collections::HashMap;

use almanac_catalog::{Action, MemberRole, OrgDef};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{catalog, invalid, not_found, parse_json};
use super::token_auth::Principal;
use super::{rfc3339, Paging};
use crate::error::ApiError;
use crate::AppState;

/// An organization as InfluxDB 2 renders it.
pub fn org_json(org: &OrgDef) -> Value {
    let id = &org.id;
    let name = form_urlencoded::byte_serialize(org.name.as_bytes()).collect::<String>();
    json!({
        "links": {
            "buckets": format!("/api/v2/buckets?org={name}"),
            "dashboards": format!("/api/v2/dashboards?org={name}"),
            "labels": format!("/api/v2/orgs/{id}/labels"),
            "logs": format!("/api/v2/orgs/{id}/logs"),
            "members": format!("/api/v2/orgs/{id}/members"),
            "owners": format!("/api/v2/orgs/{id}/owners"),
            "secrets": format!("/api/v2/orgs/{id}/secrets"),
            "self": format!("/api/v2/orgs/{id}"),
            "tasks": format!("/api/v2/tasks?org={name}"),
        },
        "id": id,
        "name": org.name,
        "description": org.description,
        "createdAt": rfc3339(org.created_at),
        "updatedAt": rfc3339(org.updated_at),
    })
}

/// The org `id`, readable by the caller (404 otherwise, as InfluxDB hides it).
fn readable_org(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<std::sync::Arc<OrgDef>, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let org = snap
        .v2
        .orgs
        .get(id)
        .cloned()
        .ok_or_else(|| not_found("organization not found"))?;
    principal.require(Action::Read, "orgs", None, Some(id))?;
    Ok(org)
}

/// `GET /api/v2/orgs?org=&orgID=&userID=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_params(&params)?;
    let snap = state.storage.catalog().snapshot();
    let name = params.get("org").filter(|s| !s.is_empty());
    let id = params.get("orgID").filter(|s| !s.is_empty());
    let user = params.get("userID").filter(|s| !s.is_empty());
    let mut orgs: Vec<_> = snap
        .v2
        .orgs
        .values()
        .filter(|o| name.is_none_or(|n| o.name == *n))
        .filter(|o| id.is_none_or(|i| o.id == *i))
        .filter(|o| user.is_none_or(|u| snap.v2.role(&o.id, u).is_some()))
        .filter(|o| principal.allows(Action::Read, "orgs", None, Some(&o.id)))
        .cloned()
        .collect();
    if orgs.is_empty() {
        if let Some(n) = name {
            return Err(not_found(format!("organization name \"{n}\" not found")));
        }
        if id.is_some() {
            return Err(not_found("organization not found"));
        }
    }
    orgs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let items = orgs.iter().map(|o| (o.id.clone(), org_json(o))).collect();
    let (page, more) = paging.page(items);
    let filters: Vec<(&str, &str)> = [("org", name), ("orgID", id), ("userID", user)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v.as_str())))
        .collect();
    Ok(Json(json!({
        "links": paging.links("/api/v2/orgs", &filters, more),
        "orgs": page,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct OrgBody {
    name: Option<String>,
    description: Option<String>,
}

/// `POST /api/v2/orgs`: 201; the creating user becomes its owner.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(Action::Write, "orgs", None, None)?;
    let req: OrgBody = parse_json(&body)?;
    let name = req
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("org name is empty"))?;
    let catalog_ = state.storage.catalog();
    let org = catalog_
        .create_org(&name, req.description.as_deref().unwrap_or(""))
        .map_err(catalog)?;
    if let Some(user) = &principal.user {
        catalog_
            .set_member(&org.id, &user.id(), Some(MemberRole::Owner))
            .map_err(catalog)?;
    }
    Ok((StatusCode::CREATED, Json(org_json(&org))).into_response())
}

/// `GET /api/v2/orgs/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let org = readable_org(&state, &principal, &id)?;
    Ok(Json(org_json(&org)).into_response())
}

/// `PATCH /api/v2/orgs/{id}`: name and/or description.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    readable_org(&state, &principal, &id)?;
    principal.require(Action::Write, "orgs", None, Some(&id))?;
    let req: OrgBody = parse_json(&body)?;
    let org = state
        .storage
        .catalog()
        .update_org(&id, req.name, req.description)
        .map_err(catalog)?;
    Ok(Json(org_json(&org)).into_response())
}

/// `DELETE /api/v2/orgs/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    readable_org(&state, &principal, &id)?;
    principal.require(Action::Write, "orgs", None, Some(&id))?;
    state.storage.catalog().delete_org(&id).map_err(catalog)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A member or owner entry (`ResourceMember` / `ResourceOwner`).
pub fn member_json(
    snap: &almanac_catalog::CatalogSnapshot,
    user_id: &str,
    role: MemberRole,
) -> Value {
    let mut v = match snap.user_by_id(user_id) {
        Some(u) => super::users::user_json(snap, u),
        None => json!({ "id": user_id }),
    };
    v["role"] = json!(role.name());
    v
}

fn list_role(
    state: &AppState,
    principal: &Principal,
    id: &str,
    role: MemberRole,
) -> Result<Response, ApiError> {
    readable_org(state, principal, id)?;
    let snap = state.storage.catalog().snapshot();
    let users: Vec<Value> = snap
        .v2
        .members
        .iter()
        .filter(|((org, _), r)| org == id && **r == role)
        .map(|((_, user), r)| member_json(&snap, user, *r))
        .collect();
    let path = match role {
        MemberRole::Owner => "owners",
        MemberRole::Member => "members",
    };
    Ok(Json(json!({
        "links": { "self": format!("/api/v2/orgs/{id}/{path}") },
        "users": users,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct MemberBody {
    id: Option<String>,
}

fn add_role(
    state: &AppState,
    principal: &Principal,
    id: &str,
    role: MemberRole,
    body: &[u8],
) -> Result<Response, ApiError> {
    readable_org(state, principal, id)?;
    principal.require(Action::Write, "orgs", None, Some(id))?;
    let req: MemberBody = parse_json(body)?;
    let user = req
        .id
        .filter(|u| !u.is_empty())
        .ok_or_else(|| invalid("user id missing or invalid"))?;
    state
        .storage
        .catalog()
        .set_member(id, &user, Some(role))
        .map_err(catalog)?;
    let snap = state.storage.catalog().snapshot();
    Ok((StatusCode::CREATED, Json(member_json(&snap, &user, role))).into_response())
}

fn remove_role(
    state: &AppState,
    principal: &Principal,
    id: &str,
    user: &str,
    role: MemberRole,
) -> Result<Response, ApiError> {
    readable_org(state, principal, id)?;
    principal.require(Action::Write, "orgs", None, Some(id))?;
    let snap = state.storage.catalog().snapshot();
    if snap.v2.role(id, user) != Some(role) {
        return Err(not_found(format!(
            "user is not {} of the organization",
            match role {
                MemberRole::Owner => "an owner",
                MemberRole::Member => "a member",
            }
        )));
    }
    state
        .storage
        .catalog()
        .set_member(id, user, None)
        .map_err(catalog)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/orgs/{id}/members`.
pub async fn list_members(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    list_role(&state, &principal, &id, MemberRole::Member)
}

/// `GET /api/v2/orgs/{id}/owners`.
pub async fn list_owners(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    list_role(&state, &principal, &id, MemberRole::Owner)
}

/// `POST /api/v2/orgs/{id}/members` `{"id": userID}`: 201.
pub async fn add_member(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    add_role(&state, &principal, &id, MemberRole::Member, &body)
}

/// `POST /api/v2/orgs/{id}/owners` `{"id": userID}`: 201.
pub async fn add_owner(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    add_role(&state, &principal, &id, MemberRole::Owner, &body)
}

/// `DELETE /api/v2/orgs/{id}/members/{userID}`: 204.
pub async fn remove_member(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    remove_role(&state, &principal, &id, &user, MemberRole::Member)
}

/// `DELETE /api/v2/orgs/{id}/owners/{userID}`: 204.
pub async fn remove_owner(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    remove_role(&state, &principal, &id, &user, MemberRole::Owner)
}
