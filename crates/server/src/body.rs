//! Request bodies: size limits and gzip.

use std::io::Read;

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use flate2::read::MultiGzDecoder;

use crate::error::ApiError;

/// The body, gunzipped when `Content-Encoding: gzip`, at most `limit` bytes
/// after decompression.
pub fn decode_body(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::v1(
            StatusCode::PAYLOAD_TOO_LARGE,
            "http: request body too large",
        )
    };
    if body.len() > limit {
        return Err(too_large());
    }
    let encoding = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "" | "identity" => Ok(body),
        "gzip" => {
            let mut out = Vec::with_capacity(body.len() * 4);
            let decoder = MultiGzDecoder::new(&body[..]);
            let read = decoder
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| ApiError::bad_request(format!("gzip: {e}")))?;
            if read > limit {
                return Err(too_large());
            }
            Ok(Bytes::from(out))
        }
        other => Err(ApiError::v1(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content encoding: {other}"),
        )),
    }
}
