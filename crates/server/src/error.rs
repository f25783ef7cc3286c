//! HTTP errors in the JSON shapes InfluxDB clients expect.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which API family an error belongs to: v1 and v3 answer
/// `{"error": "..."}`, v2 answers `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// InfluxDB 1.x and 3.x style.
    V1,
    /// InfluxDB 2.x style.
    V2,
}

/// An error answer: status, message, and the API family it is shaped for.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Human-readable message.
    pub message: String,
    /// Response shape.
    pub api: Api,
}

impl ApiError {
    /// A v1-shaped error.
    pub fn v1(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            api: Api::V1,
        }
    }

    /// The same error shaped for `api`.
    pub fn shaped(mut self, api: Api) -> Self {
        self.api = api;
        self
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::v1(StatusCode::BAD_REQUEST, message)
    }

    /// 500 Internal Server Error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::v1(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// The v2 `code` string for a status.
fn v2_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not found",
        StatusCode::PAYLOAD_TOO_LARGE => "request too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported media type",
        // InfluxDB 2 answers name conflicts (its most common 422) with "conflict".
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => "conflict",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed",
        StatusCode::NOT_IMPLEMENTED => "not implemented",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "internal error",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, message = %self.message, "request failed");
        } else {
            tracing::warn!(status = %self.status, message = %self.message, "request rejected");
        }
        let body = match self.api {
            Api::V1 => json!({ "error": self.message }),
            Api::V2 => json!({ "code": v2_code(self.status), "message": self.message }),
        };
        // Go's json.Encoder ends the body with a newline; clients print it.
        let text = format!("{body}\n");
        let mut response = (
            self.status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response();
        if self.api == Api::V1 {
            if let Ok(v) = HeaderValue::from_str(&self.message.replace(['\n', '\r'], " ")) {
                response.headers_mut().insert("X-Influxdb-Error", v);
            }
        }
        response
    }
}
