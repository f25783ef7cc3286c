//! InfluxDB 2.x error answers: `{"code": ..., "message": ...}` with the
//! status codes InfluxDB 2.7 uses (see [`crate::error`] for the encoding).

use almanac_catalog::CatalogError;
use axum::http::StatusCode;

use crate::error::{Api, ApiError};

/// An error shaped for the v2 API.
pub fn v2(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        message: message.into(),
        api: Api::V2,
    }
}

/// 400 `invalid`.
pub fn invalid(message: impl Into<String>) -> ApiError {
    v2(StatusCode::BAD_REQUEST, message)
}

/// 404 `not found`.
pub fn not_found(message: impl Into<String>) -> ApiError {
    v2(StatusCode::NOT_FOUND, message)
}

/// 422 `conflict`.
pub fn conflict(message: impl Into<String>) -> ApiError {
    v2(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// 401 `unauthorized` with InfluxDB's message for missing or bad credentials.
pub fn unauthorized() -> ApiError {
    v2(StatusCode::UNAUTHORIZED, "unauthorized access")
}

/// 403 `forbidden`.
pub fn forbidden(message: impl Into<String>) -> ApiError {
    v2(StatusCode::FORBIDDEN, message)
}

/// 501 `not implemented`, naming the missing feature.
pub fn not_implemented(feature: &str) -> ApiError {
    v2(
        StatusCode::NOT_IMPLEMENTED,
        format!("not supported yet: {feature}"),
    )
}

/// 500 `internal error`.
pub fn internal(message: impl Into<String>) -> ApiError {
    v2(StatusCode::INTERNAL_SERVER_ERROR, message)
}

/// Maps catalog errors onto v2 answers.
pub fn catalog(e: CatalogError) -> ApiError {
    use CatalogError as E;
    match e {
        E::NotFound(m) => not_found(m),
        E::Conflict(m) => conflict(m),
        E::Invalid(m) => invalid(m),
        E::UserNotFound => not_found("user not found"),
        E::DatabaseNotFound(_) | E::DatabaseIdNotFound(_) => not_found("bucket not found"),
        E::RetentionPolicyNotFound(_) => not_found("bucket not found"),
        E::UserExists => conflict("user already exists"),
        E::RetentionPolicyDurationTooLow => {
            invalid("expiration seconds must be greater than or equal to one hour")
        }
        E::IncompatibleDurations => {
            invalid("shard-group duration must also be less than or equal to bucket retention")
        }
        e @ (E::Storage(_) | E::Corrupt(_) | E::PasswordHash(_)) => internal(e.to_string()),
        other => invalid(other.to_string()),
    }
}

/// Parses a JSON request body into `T` (400 `invalid` when malformed).
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| invalid(format!("failed to decode request body: {e}")))
}
