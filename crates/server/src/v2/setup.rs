//! `/api/v2/setup`: onboarding (first user, org, bucket, operator token).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use super::errors::{conflict, invalid, parse_json};
use crate::error::ApiError;
use crate::AppState;

/// `GET /api/v2/setup`: `{"allowed": true}` until setup has run.
pub async fn get_setup(State(state): State<AppState>) -> Response {
    Json(json!({ "allowed": !state.storage.catalog().is_setup_done() })).into_response()
}

/// Body of `POST /api/v2/setup` (InfluxDB's `OnboardingRequest`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnboardingRequest {
    username: Option<String>,
    password: Option<String>,
    org: Option<String>,
    bucket: Option<String>,
    retention_period_seconds: Option<i64>,
    retention_period_hrs: Option<i64>,
    token: Option<String>,
}

/// Smallest password InfluxDB 2 accepts.
pub const MIN_PASSWORD_LEN: usize = 8;

/// `POST /api/v2/setup`: 201 `{user, org, bucket, auth}`; 422 once done.
pub async fn post_setup(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let catalog = state.storage.catalog().clone();
    if catalog.is_setup_done() {
        return Err(conflict("onboarding has already been completed"));
    }
    let req: OnboardingRequest = parse_json(&body)?;
    let required = |v: Option<String>, what: &str| {
        v.filter(|s| !s.is_empty())
            .ok_or_else(|| invalid(format!("{what} is empty")))
    };
    let username = required(req.username, "username")?;
    let org = required(req.org, "org name")?;
    let bucket = required(req.bucket, "bucket name")?;
    if let Some(p) = &req.password {
        if p.len() < MIN_PASSWORD_LEN {
            return Err(invalid("passwords must be at least 8 characters long"));
        }
    }
    let seconds = req
        .retention_period_seconds
        .or(req.retention_period_hrs.map(|h| h * 3600))
        .unwrap_or(0);
    if seconds < 0 {
        return Err(invalid("retention period must be positive"));
    }
    let retention_ns = (seconds > 0).then(|| seconds.saturating_mul(1_000_000_000));
    let request = almanac_catalog::SetupRequest {
        org,
        user: username,
        password: req.password,
        bucket,
        retention_ns,
        token: req.token.filter(|t| !t.is_empty()),
    };
    // bcrypt is slow on purpose: off the async workers.
    let result = tokio::task::spawn_blocking(move || catalog.setup(request))
        .await
        .map_err(|e| super::errors::internal(e.to_string()))?
        .map_err(super::errors::catalog)?;
    // InfluxDB 2 creates its system bucket `_monitoring` at setup
    if let Err(e) = crate::monitoring::ensure_bucket(&state) {
        tracing::warn!(error = %e, "could not create the _monitoring bucket");
    }
    let snap = state.storage.catalog().snapshot();
    let (db, rp) = snap
        .bucket(&result.bucket_id)
        .ok_or_else(|| super::errors::internal("setup bucket vanished"))?;
    let body = json!({
        "user": super::users::user_json(&snap, &result.user),
        "org": super::orgs::org_json(&result.org),
        "bucket": super::buckets::bucket_json(&snap, &db, &rp),
        "auth": super::authorizations::auth_json(&snap, &result.auth, Some(&result.token)),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
