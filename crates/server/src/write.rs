//! `POST /write` (v1) and `POST /api/v2/write` (v2).

use std::collections::HashMap;

use almanac_lineproto::Precision;
use almanac_storage::StorageError;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::body::decode_body;
use crate::error::{Api, ApiError};
use crate::AppState;

/// `POST /write?db=&rp=&precision=&consistency=`.
pub async fn write_v1(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = crate::auth::authenticate(&state, &params, &headers).await?;
    let db = params
        .get("db")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ApiError::bad_request("database is required"))?;
    if let Some(c) = params.get("consistency") {
        if !matches!(c.as_str(), "" | "any" | "one" | "quorum" | "all") {
            return Err(ApiError::bad_request(format!("invalid consistency: {c}")));
        }
    }
    let precision = precision_param(params.get("precision"))?;
    let rp = params
        .get("rp")
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty());
    // An explicit DBRP mapping (`/api/v2/dbrps`) may give this name to a bucket.
    let mapped = crate::v2::dbrps::map_v1_name(&state, db, rp);
    let (db, rp) = match &mapped {
        Some((d, r)) => (d.as_str(), Some(r.as_str())),
        None => (db.as_str(), rp),
    };
    crate::auth::authorize_write(&state, user.as_deref(), db)?;
    write(&state, db, rp, precision, &headers, body, Api::V1).await
}

/// `POST /api/v2/write?org=&orgID=&bucket=&precision=`: the bucket (name,
/// `db/rp`, `db` or id) is resolved through the catalog within the org, and
/// the caller needs write permission on it (see `v2::token_auth`).
pub async fn write_v2(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let principal = crate::v2::token_auth::authenticate(&state, &headers).await?;
    let get = |k: &str| params.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let bucket =
        get("bucket").ok_or_else(|| ApiError::bad_request("bucket is required").shaped(Api::V2))?;
    let precision = precision_param(params.get("precision")).map_err(|e| e.shaped(Api::V2))?;
    let (db, rp) = crate::v2::resolve_bucket(&state, get("org"), get("orgID"), bucket)?;
    crate::v2::token_auth::check_bucket(
        &state,
        &principal,
        (&db, &rp),
        almanac_catalog::Action::Write,
    )?;
    write(&state, &db, Some(&rp), precision, &headers, body, Api::V2).await
}

fn precision_param(value: Option<&String>) -> Result<Precision, ApiError> {
    match value {
        None => Ok(Precision::Nanosecond),
        Some(p) => Precision::parse(p)
            .ok_or_else(|| ApiError::bad_request(format!("invalid precision: {p}"))),
    }
}

async fn write(
    state: &AppState,
    db: &str,
    rp: Option<&str>,
    precision: Precision,
    headers: &HeaderMap,
    body: Bytes,
    api: Api,
) -> Result<Response, ApiError> {
    let sent = crate::body::is_gzip(headers).then(|| body.clone());
    let body = decode_body(headers, body, state.config.max_body_size).map_err(|e| e.shaped(api))?;
    let outcome = state
        .storage
        .write_as_sent(db, rp, &body, sent.as_deref(), precision)
        .await
        .map_err(|e| storage_error(e).shaped(api))?;
    let dropped = outcome.dropped();
    match outcome.reason() {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(reason)
            if outcome.accepted == 0 && outcome.dropped() == outcome.parse_errors.len() =>
        {
            // Nothing parsed: InfluxDB answers with the parse error alone.
            Err(ApiError::bad_request(reason).shaped(api))
        }
        Some(reason) => Err(ApiError::bad_request(format!(
            "partial write: {reason} dropped={dropped}"
        ))
        .shaped(api)),
    }
}

/// Maps storage errors to HTTP errors.
pub fn storage_error(e: StorageError) -> ApiError {
    match e {
        StorageError::DatabaseNotFound(db) => ApiError::v1(
            StatusCode::NOT_FOUND,
            format!("database not found: \"{db}\""),
        ),
        StorageError::RetentionPolicyNotFound(rp) => ApiError::v1(
            StatusCode::NOT_FOUND,
            format!("retention policy not found: {rp}"),
        ),
        StorageError::ShuttingDown => {
            ApiError::v1(StatusCode::SERVICE_UNAVAILABLE, "server is shutting down")
        }
        other => ApiError::internal(other.to_string()),
    }
}
