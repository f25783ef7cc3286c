//! `/ping`, `/health` and `/query` of the 1.x API.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::body::GzipPieces;
use crate::error::ApiError;
use crate::{AppState, INFLUXDB_VERSION};
use almanac_influxql::Statement;
use almanac_influxql_exec::encode::{
    encode_csv, encode_json, encode_json_chunks_for, ChunkMode, EncodeOptions, Epoch,
};
use almanac_influxql_exec::result::{merged_failure, results_after_failure};
use almanac_influxql_exec::{ExecContext, Message, StatementResult};

fn version_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        "X-Influxdb-Version",
        HeaderValue::from_static(INFLUXDB_VERSION),
    );
    headers.insert("X-Influxdb-Build", HeaderValue::from_static("OSS"));
    headers.insert(
        "X-Almanac-Version",
        HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
    );
}

/// `GET|HEAD /ping`: 204, or 200 with the version when `verbose=true`.
pub async fn ping(Query(params): Query<HashMap<String, String>>) -> Response {
    let verbose = params
        .get("verbose")
        .is_some_and(|v| matches!(v.as_str(), "true" | "1" | ""));
    let mut response = if verbose {
        (
            StatusCode::OK,
            axum::Json(json!({ "version": INFLUXDB_VERSION })),
        )
            .into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    version_headers(&mut response);
    response
}

/// `GET /health` as InfluxDB 2 answers it.
pub async fn health() -> Response {
    let mut response = axum::Json(json!({
        "name": "influxdb",
        "message": "ready for queries and writes",
        "status": "pass",
        "checks": [],
        "version": INFLUXDB_VERSION,
        "commit": env!("CARGO_PKG_VERSION"),
    }))
    .into_response();
    version_headers(&mut response);
    response
}

/// Collects `q` and the other parameters from the URL and a form body.
fn query_params(
    uri_params: HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> HashMap<String, String> {
    let mut params = uri_params;
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if form {
        for (k, v) in form_urlencoded_pairs(body) {
            params.insert(k, v);
        }
    }
    params
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// `GET|POST /query`: InfluxQL with the 1.x parameters (`q`, `db`, `rp`,
/// `epoch`, `pretty`, `chunked`, `chunk_size`, `params`).
pub async fn query(
    State(state): State<AppState>,
    method: axum::http::Method,
    Query(uri_params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    state
        .metrics
        .queries
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut params = query_params(uri_params, &headers, &body);
    // An explicit DBRP mapping (`/api/v2/dbrps`) may give these names to a bucket.
    if let Some(db) = params.get("db").filter(|d| !d.is_empty()).cloned() {
        let rp = params.get("rp").filter(|r| !r.is_empty()).cloned();
        if let Some((db, rp)) = crate::v2::dbrps::map_v1_name(&state, &db, rp.as_deref()) {
            params.insert("db".into(), db);
            params.insert("rp".into(), rp);
        }
    }
    let user = crate::auth::authenticate(&state, &params, &headers).await?;
    let q = params
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("missing required parameter \"q\""))?;
    let epoch = match params.get("epoch") {
        Some(e) => {
            Epoch::parse(e).ok_or_else(|| ApiError::bad_request(format!("invalid epoch: {e}")))?
        }
        None => Epoch::Rfc3339,
    };
    // Decoded as influxd does (Go's json.Decoder), errors worded as Go's.
    let bind: serde_json::Map<String, Value> = match params.get("params") {
        Some(p) if !p.is_empty() => almanac_influxql::go_json::decode_params(p)
            .map_err(|e| ApiError::bad_request(format!("error parsing query parameters: {e}")))?,
        _ => serde_json::Map::new(),
    };
    let parsed = match almanac_influxql::parse_query_with_params(q, &bind) {
        Ok(parsed) => parsed,
        // InfluxDB reports its compile-time checks as the statement's error.
        Err(e) if e.validation => {
            let result = StatementResult::error(e.to_string());
            let mut response = (
                StatusCode::OK,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                encode_json(&[result], &EncodeOptions::default()),
            )
                .into_response();
            version_headers(&mut response);
            return Ok(response);
        }
        Err(e) => return Err(ApiError::bad_request(format!("error parsing query: {e}"))),
    };
    let database = params.get("db").filter(|d| !d.is_empty());
    crate::auth::authorize(
        &state,
        user.as_deref(),
        &parsed,
        database.map(String::as_str),
    )?;
    let opts = EncodeOptions {
        epoch,
        pretty: params.get("pretty").is_some_and(|p| p == "true"),
    };
    let ctx = ExecContext {
        database: params.get("db").filter(|d| !d.is_empty()).cloned(),
        retention_policy: params.get("rp").filter(|r| !r.is_empty()).cloned(),
        now: now_ns(),
        read_only: method == axum::http::Method::GET,
        user,
    };
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let csv = accept.contains("application/csv") || accept.contains("text/csv");
    let msgpack = accept.contains("application/x-msgpack");
    let chunked = params.get("chunked").is_some_and(|c| c == "true");
    let chunk_size = params
        .get("chunk_size")
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|c| *c > 0)
        .unwrap_or(10_000);

    // influxd gzips `/query` answers for clients that accept it.
    let gzip = crate::body::accepts_gzip(&headers);
    if chunked && !csv && !msgpack {
        // Each statement is executed and sent as soon as it is done.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let executor = state.influxql.clone();
        // As influxd, a chunked answer is one gzip stream, flushed per chunk.
        let mut pieces = gzip.then(GzipPieces::default);
        tokio::spawn(async move {
            let total = parsed.statements.len();
            'statements: for (id, stmt) in parsed.statements.iter().enumerate() {
                let mut result = executor.execute(stmt, &ctx).await;
                result.statement_id = id;
                add_read_only_warning(&mut result, stmt, &ctx);
                // influxd stops at the first failing statement.
                let failed = result.error.is_some();
                let results = if failed {
                    results_after_failure(result, total)
                } else {
                    vec![result]
                };
                let mode = ChunkMode::of(stmt);
                for result in &results {
                    for chunk in encode_json_chunks_for(result, mode, chunk_size, &opts) {
                        let piece = match pieces.as_mut() {
                            Some(pieces) => pieces.piece(chunk.as_bytes()).map(Bytes::from),
                            None => Ok(Bytes::from(chunk)),
                        };
                        if tx.send(piece).await.is_err() {
                            return;
                        }
                    }
                }
                if failed {
                    break 'statements;
                }
            }
            if let Some(pieces) = pieces {
                let _ = tx.send(pieces.finish().map(Bytes::from)).await;
            }
        });
        let stream = tokio_stream_from(rx);
        let mut builder = Response::builder()
            .status(StatusCode::OK)
            .header(axum::http::header::CONTENT_TYPE, "application/json");
        if gzip {
            builder = builder.header(axum::http::header::CONTENT_ENCODING, "gzip");
        }
        let mut response = builder
            .body(axum::body::Body::from_stream(stream))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        version_headers(&mut response);
        return Ok(response);
    }

    let total = parsed.statements.len();
    let mut results = Vec::with_capacity(total);
    for (id, stmt) in parsed.statements.iter().enumerate() {
        let mut result = state.influxql.execute(stmt, &ctx).await;
        result.statement_id = id;
        add_read_only_warning(&mut result, stmt, &ctx);
        // influxd stops at the first failing statement.
        if result.error.is_some() {
            results.push(merged_failure(result, total));
            break;
        }
        results.push(result);
    }
    let (content_type, body) = if msgpack {
        (
            "application/x-msgpack",
            almanac_influxql_exec::encode::encode_msgpack(&results, &opts),
        )
    } else if csv {
        ("text/csv", encode_csv(&results, &opts).into_bytes())
    } else {
        (
            "application/json",
            encode_json(&results, &opts).into_bytes(),
        )
    };
    drop(results);
    Ok(answer(content_type, body, gzip))
}

/// A 200 answer with the version headers, gzipped when `gzip` (and worth it).
fn answer(content_type: &'static str, body: Vec<u8>, gzip: bool) -> Response {
    let gzipped = if gzip && body.len() > GZIP_MIN_BYTES {
        crate::body::gzip_fast(&body).ok()
    } else {
        None
    };
    let mut response = match gzipped {
        Some(gz) => (
            StatusCode::OK,
            [
                (axum::http::header::CONTENT_TYPE, content_type),
                (axum::http::header::CONTENT_ENCODING, "gzip"),
            ],
            gz,
        )
            .into_response(),
        None => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, content_type)],
            body,
        )
            .into_response(),
    };
    version_headers(&mut response);
    response
}

/// Answers shorter than this go uncompressed: gzip's header and trailer
/// (18 bytes) would outweigh what it saves.
const GZIP_MIN_BYTES: usize = 64;

/// InfluxDB answers state-changing statements sent with GET, with a warning.
fn add_read_only_warning(result: &mut StatementResult, stmt: &Statement, ctx: &ExecContext) {
    if !ctx.read_only || is_read_only(stmt) {
        return;
    }
    result.messages.push(Message {
        level: "warning".into(),
        text: format!(
            "deprecated use of '{stmt}' in a read only context, please use a POST request instead"
        ),
    });
}

/// Whether a statement only reads (InfluxDB's `RequiredPrivileges` are all READ).
fn is_read_only(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::Select(_)
            | Statement::ShowDatabases
            | Statement::ShowRetentionPolicies { .. }
            | Statement::ShowMeasurements { .. }
            | Statement::ShowSeries { .. }
            | Statement::ShowTagKeys { .. }
            | Statement::ShowTagValues { .. }
            | Statement::ShowFieldKeys { .. }
            | Statement::ShowCardinality { .. }
            | Statement::ShowShards
            | Statement::ShowShardGroups
            | Statement::ShowStats { .. }
            | Statement::ShowDiagnostics { .. }
            | Statement::ShowQueries
            | Statement::Explain { .. }
            | Statement::ShowUsers
            | Statement::ShowGrants { .. }
            | Statement::ShowContinuousQueries
            | Statement::ShowSubscriptions
    ) && !matches!(stmt, Statement::Select(s) if s.into.is_some())
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
