//! `/api/v2/users`, `/api/v2/me`, `/api/v2/signin`, `/api/v2/signout`.
//!
//! v2 users are the 1.x users (one store): a user created here can use
//! `/query` with basic auth once it has a password, and a 1.x user appears
//! here with a derived id.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_catalog::{Action, CatalogSnapshot, UserDef};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{catalog, internal, invalid, not_found, parse_json, unauthorized};
use super::setup::MIN_PASSWORD_LEN;
use super::token_auth::{cookie, password_user, Principal, SESSION_COOKIE};
use crate::error::ApiError;
use crate::AppState;

/// A user as InfluxDB 2 renders it.
pub fn user_json(snap: &CatalogSnapshot, user: &UserDef) -> Value {
    let id = user.id();
    let status = if snap.v2.inactive_users.contains(&id) {
        "inactive"
    } else {
        "active"
    };
    json!({
        "links": { "self": format!("/api/v2/users/{id}") },
        "id": id,
        "name": user.name,
        "status": status,
    })
}

/// User `id`, readable by the caller.
fn readable_user(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Arc<UserDef>, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let user = snap
        .user_by_id(id)
        .cloned()
        .ok_or_else(|| not_found("user not found"))?;
    principal.require(Action::Read, "users", None, Some(id))?;
    Ok(user)
}

/// `GET /api/v2/users?name=&id=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = super::Paging::from_params(&params)?;
    let snap = state.storage.catalog().snapshot();
    let name = params.get("name").filter(|s| !s.is_empty());
    let id = params.get("id").filter(|s| !s.is_empty());
    let items: Vec<(String, Value)> = snap
        .users_in_creation_order()
        .into_iter()
        .filter(|u| name.is_none_or(|n| u.name == *n))
        .filter(|u| id.is_none_or(|i| u.id() == *i))
        .filter(|u| principal.allows(Action::Read, "users", None, Some(&u.id())))
        .map(|u| (u.id(), user_json(&snap, &u)))
        .collect();
    let (page, more) = paging.page(items);
    Ok(Json(json!({
        "links": paging.links("/api/v2/users", &[], more),
        "users": page,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct UserBody {
    name: Option<String>,
    status: Option<String>,
}

/// `POST /api/v2/users` `{name, status}`: 201. The user has no usable
/// password until one is set through `/api/v2/users/{id}/password`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(Action::Write, "users", None, None)?;
    let req: UserBody = parse_json(&body)?;
    let name = req
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("user name is empty"))?;
    let active = super::parse_status(req.status.as_deref(), "invalid user status")?;
    let catalog_ = state.storage.catalog().clone();
    if catalog_.user(&name).is_some() {
        return Err(super::errors::conflict(format!(
            "user with name {name} already exists"
        )));
    }
    let secret = almanac_catalog::new_token().map_err(catalog)?;
    let created_name = name.clone();
    let user =
        tokio::task::spawn_blocking(move || catalog_.create_user(&created_name, &secret, false))
            .await
            .map_err(|e| internal(e.to_string()))?
            .map_err(catalog)?;
    if active == Some(false) {
        state
            .storage
            .catalog()
            .set_user_active(&name, false)
            .map_err(catalog)?;
    }
    let snap = state.storage.catalog().snapshot();
    Ok((StatusCode::CREATED, Json(user_json(&snap, &user))).into_response())
}

/// `GET /api/v2/users/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let user = readable_user(&state, &principal, &id)?;
    let snap = state.storage.catalog().snapshot();
    Ok(Json(user_json(&snap, &user)).into_response())
}

/// `PATCH /api/v2/users/{id}` `{name, status}`.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = readable_user(&state, &principal, &id)?;
    principal.require(Action::Write, "users", None, Some(&id))?;
    let req: UserBody = parse_json(&body)?;
    let active = super::parse_status(req.status.as_deref(), "invalid user status")?;
    let catalog_ = state.storage.catalog();
    let mut name = user.name.clone();
    if let Some(new_name) = req.name.filter(|n| *n != user.name) {
        catalog_
            .rename_user(&user.name, &new_name)
            .map_err(catalog)?;
        name = new_name;
    }
    if let Some(active) = active {
        catalog_.set_user_active(&name, active).map_err(catalog)?;
    }
    let snap = catalog_.snapshot();
    let user = snap
        .users
        .get(&name)
        .ok_or_else(|| not_found("user not found"))?;
    Ok(Json(user_json(&snap, user)).into_response())
}

/// `DELETE /api/v2/users/{id}`: 204 (its memberships and tokens go too).
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let user = readable_user(&state, &principal, &id)?;
    principal.require(Action::Write, "users", None, Some(&id))?;
    state
        .storage
        .catalog()
        .drop_user(&user.name)
        .map_err(catalog)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct PasswordBody {
    password: Option<String>,
}

async fn change_password(state: &AppState, name: &str, body: &[u8]) -> Result<Response, ApiError> {
    let req: PasswordBody = parse_json(body)?;
    let password = req.password.unwrap_or_default();
    if password.len() < MIN_PASSWORD_LEN {
        return Err(invalid("passwords must be at least 8 characters long"));
    }
    let catalog_ = state.storage.catalog().clone();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || catalog_.set_password(&name, &password))
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(catalog)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST|PUT /api/v2/users/{id}/password` `{password}`: 204.
pub async fn set_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = readable_user(&state, &principal, &id)?;
    principal.require(Action::Write, "users", None, Some(&id))?;
    change_password(&state, &user.name, &body).await
}

/// `GET /api/v2/me`: the calling user (401 when the caller is anonymous).
pub async fn me(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let user = principal.user.as_ref().ok_or_else(unauthorized)?;
    let snap = state.storage.catalog().snapshot();
    Ok(Json(user_json(&snap, user)).into_response())
}

/// `PUT /api/v2/me/password` `{password}`: 204.
pub async fn me_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = principal.user.as_ref().ok_or_else(unauthorized)?;
    change_password(&state, &user.name, &body).await
}

/// `POST /api/v2/signin` with basic auth: 204 and the session cookie.
pub async fn signin(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (user, password) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, value)| {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()?;
            let text = String::from_utf8(bytes).ok()?;
            text.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        })
        .ok_or_else(unauthorized)?;
    let user = password_user(&state, &user, &password)
        .await
        .ok_or_else(unauthorized)?;
    let session = state.v2.open_session(&user.name).map_err(catalog)?;
    let expires = (chrono::Utc::now()
        + chrono::Duration::from_std(super::SESSION_LENGTH).unwrap_or_default())
    .format("%a, %d %b %Y %H:%M:%S GMT");
    let value = format!("{SESSION_COOKIE}={session}; Path=/api/; Expires={expires}; HttpOnly");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&value).map_err(|e| internal(e.to_string()))?,
    );
    Ok(response)
}

/// `POST /api/v2/signout`: ends the session (204; 401 without one).
pub async fn signout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = cookie(&headers, SESSION_COOKIE).ok_or_else(unauthorized)?;
    if state.v2.session_user(&session).is_none() {
        return Err(unauthorized());
    }
    state.v2.close_session(&session);
    Ok(StatusCode::NO_CONTENT.into_response())
}
