//! `/api/v2/query` (Flux, and InfluxQL as InfluxDB 2.0 accepted it),
//! `/api/v2/query/ast` and `/api/v2/query/analyze`.
//!
//! A Flux query is parsed, checked (compile errors answer 400
//! `{"code":"invalid","message":"compilation failed: …"}`) and run over
//! [`StorageFluxSource`] in place on its runtime worker (with `block_in_place` when it imports
//! packages that may wait on the network). The answer is annotated CSV
//! in the request's dialect. A runtime error before any result answers a JSON
//! error; after results were produced, InfluxDB's error table (`error`,
//! `reference` columns) ends the CSV, which the client libraries raise.

// Handlers return finished `Response`s as errors: they go straight to the client.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::io::Write;

use almanac_flux::csv::Dialect;
use almanac_flux::{ExecContext, Value as FluxValue};
use almanac_influxql_exec::encode::{encode_json, EncodeOptions};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::body::decode_body;
use crate::error::{Api, ApiError};
use crate::flux_source::{StorageFluxSource, V2Access};
use crate::AppState;

/// The query routes, to merge into the server's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/query", post(query))
        .route("/api/v2/query/ast", post(ast))
        .route("/api/v2/query/analyze", post(analyze))
        .route("/api/v2/query/suggestions", get(suggestions))
        .route("/api/v2/query/suggestions/{name}", get(suggestion))
}

/// A v2 error answer (`{"code", "message"}`), for codes [`ApiError`] has no
/// status for.
fn v2_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "code": code, "message": message.into() });
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        format!("{body}\n"),
    )
        .into_response()
}

fn invalid(message: impl Into<String>) -> Response {
    v2_error(StatusCode::BAD_REQUEST, "invalid", message)
}

/// The `dialect` object of a query request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DialectJson {
    header: Option<bool>,
    delimiter: Option<String>,
    annotations: Option<Vec<String>>,
    comment_prefix: Option<String>,
    date_time_format: Option<String>,
}

/// The JSON body of `POST /api/v2/query`.
#[derive(Debug, Default, Deserialize)]
struct QueryRequest {
    #[serde(default)]
    query: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    dialect: Option<DialectJson>,
    now: Option<String>,
    params: Option<serde_json::Map<String, Json>>,
    #[serde(rename = "extern")]
    extern_: Option<Json>,
    ast: Option<Json>,
    bucket: Option<String>,
    db: Option<String>,
    rp: Option<String>,
}

impl DialectJson {
    /// Validates as InfluxDB does and builds the encoder settings.
    fn to_dialect(&self) -> Result<Dialect, String> {
        let delimiter = self.delimiter.as_deref().unwrap_or(",");
        let mut chars = delimiter.chars();
        let (Some(delim), None) = (chars.next(), chars.next()) else {
            return Err("invalid dialect delimeter: must be length 1".into());
        };
        if self.comment_prefix.as_deref().is_some_and(|c| c.len() > 1) {
            return Err("invalid dialect comment prefix: must be length 0 or 1".into());
        }
        match self.date_time_format.as_deref().unwrap_or("RFC3339") {
            "RFC3339" | "RFC3339Nano" => {}
            other => return Err(format!("unknown dialect date time format: {other}")),
        }
        let mut d = Dialect {
            header: self.header.unwrap_or(true),
            delimiter: delim,
            datatype: false,
            group: false,
            default: false,
        };
        for a in self.annotations.iter().flatten() {
            match a.as_str() {
                "datatype" => d.datatype = true,
                "group" => d.group = true,
                "default" => d.default = true,
                other => return Err(format!("unknown dialect annotation type: {other}")),
            }
        }
        Ok(d)
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads the request: a raw script (`application/vnd.flux`) or the JSON body.
fn parse_request(headers: &HeaderMap, body: &[u8]) -> Result<QueryRequest, Response> {
    if content_type(headers) == "application/vnd.flux" {
        return Ok(QueryRequest {
            query: String::from_utf8_lossy(body).into_owned(),
            ..Default::default()
        });
    }
    serde_json::from_slice(body).map_err(|e| invalid(format!("failed to decode request body: {e}")))
}

/// A 200 answer, gzipped when the client accepts it.
fn ok_body(headers: &HeaderMap, content_type: &'static str, text: String) -> Response {
    let mut response = if crate::body::accepts_gzip(headers) {
        match crate::body::gzip_fast(text.as_bytes()) {
            Ok(bytes) => {
                let mut r = (StatusCode::OK, bytes).into_response();
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            Err(_) => (StatusCode::OK, text).into_response(),
        }
    } else {
        (StatusCode::OK, text).into_response()
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Status and v2 code of a Flux error.
fn flux_error_response(e: &almanac_flux::Error) -> Response {
    use almanac_flux::Error as E;
    match e {
        E::Syntax { .. } | E::Semantic { .. } => invalid(format!("compilation failed: {e}")),
        E::Runtime(_) => invalid(format!("runtime error: {e}")),
        E::NotFound(m) => v2_error(
            StatusCode::NOT_FOUND,
            "not found",
            format!("failed to initialize execute state: {m}"),
        ),
        E::PermissionDenied(m) => v2_error(StatusCode::FORBIDDEN, "forbidden", m.clone()),
        E::Unsupported(_) => v2_error(
            StatusCode::NOT_IMPLEMENTED,
            "not implemented",
            e.to_string(),
        ),
        E::Source(_) => v2_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
            e.to_string(),
        ),
    }
}

/// `POST /api/v2/query?org=&orgID=`.
pub async fn query(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state
        .metrics
        .queries
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match query_inner(state, params, headers, body).await {
        Ok(r) | Err(r) => r,
    }
}

async fn query_inner(
    state: AppState,
    params: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let principal = crate::v2::token_auth::authenticate(&state, &headers)
        .await
        .map_err(|e| e.shaped(Api::V2).into_response())?;
    let body = decode_body(&headers, body, state.config.max_body_size)
        .map_err(|e| e.shaped(Api::V2).into_response())?;
    let req = parse_request(&headers, &body)?;
    let kind = req.kind.clone().unwrap_or_else(|| "flux".into());
    if req.query.is_empty() && req.ast.is_none() {
        return Err(invalid("request body requires either query or AST"));
    }
    let dialect = req
        .dialect
        .as_ref()
        .map(DialectJson::to_dialect)
        .transpose()
        .map_err(invalid)?;
    match kind.as_str() {
        "flux" => {}
        "influxql" => return influxql(&state, principal, &params, &req, &headers).await,
        other => return Err(invalid(format!("unknown query type: {other}"))),
    }
    if req.query.is_empty() {
        return Err(v2_error(
            StatusCode::NOT_IMPLEMENTED,
            "not implemented",
            "not supported yet: queries sent as an AST (send the script as `query`)",
        ));
    }
    let mut ctx = ExecContext::default();
    if let Some(now) = &req.now {
        ctx.now = chrono::DateTime::parse_from_rfc3339(now)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .ok_or_else(|| invalid(format!("invalid now time {now:?}")))?;
    }
    if let Some(p) = &req.params {
        let record = json_to_flux(&Json::Object(p.clone())).map_err(invalid)?;
        ctx.globals.push(("params".into(), record));
    }
    if let Some(ext) = &req.extern_ {
        ctx.globals.extend(
            extern_options(ext)
                .map_err(|m| v2_error(StatusCode::NOT_IMPLEMENTED, "not implemented", m))?,
        );
    }
    // without a dialect InfluxDB writes no annotations
    let dialect = dialect.unwrap_or_else(Dialect::plain);
    let source = StorageFluxSource::new(state.storage.clone(), tokio::runtime::Handle::current())
        .with_v2(V2Access {
            state: state.clone(),
            principal,
            org: params.get("org").cloned(),
            org_id: params.get("orgID").cloned(),
        });
    let script = req.query;
    let may_wait = script.contains("import");
    let gzip = crate::body::accepts_gzip(&headers);
    let run = move || {
        let (results, error) = almanac_flux::execute_partial(&script, &ctx, &source)?;
        let produced = results.iter().any(|(_, t)| !t.is_empty());
        let error = match error {
            Some(e) if !produced => return Err(e),
            other => other,
        };
        let trailer = error.map(|e| almanac_flux::encode_error(&e.to_string(), &dialect));
        Ok(encode_answer(results, &dialect, trailer, gzip))
    };
    // The script runs and its answer is encoded right here, as InfluxQL
    // runs on its worker: a hop to a blocking thread and back, or handing
    // the worker's other tasks to another thread (`block_in_place`), cost a
    // small query 10-15 % of its time. A script that imports packages may
    // wait on the network (http, sql, …): it runs with `block_in_place`;
    // without imports, the only wait is `to()`'s write, which hands the
    // worker over itself (`StorageFluxSource::write`). (A current-thread
    // runtime, as in some tests, cannot do either: a blocking thread.)
    let answered = match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::CurrentThread => {
            tokio::task::spawn_blocking(run).await.map_err(|e| {
                v2_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error",
                    e.to_string(),
                )
            })?
        }
        _ if !may_wait => run(),
        _ => tokio::task::block_in_place(run),
    };
    let body = answered.map_err(|e| flux_error_response(&e))?;
    let mut response = match body {
        Ok(EncodedAnswer::Plain(text)) => (StatusCode::OK, text).into_response(),
        Ok(EncodedAnswer::Gzipped(bytes)) => {
            let mut r = (StatusCode::OK, bytes).into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        Err(e) => {
            return Err(v2_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                e.to_string(),
            ))
        }
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(response)
}

/// Bytes of CSV handed to the compressor at a time.
const CSV_CHUNK: usize = 32 * 1024;

/// An answer's annotated CSV, as text or gzipped.
enum EncodedAnswer {
    Plain(String),
    Gzipped(Vec<u8>),
}

/// Encodes the tables of a 200 answer as annotated CSV, then `trailer` (the
/// error table of a script that failed after producing results). Gzipped
/// when `gzip`: an answer longer than [`CSV_CHUNK`] is compressed on a
/// second thread as pieces arrive, so that encoding and compression
/// overlap; a shorter one right here. The answer is sent whole, with its
/// length: a streamed answer's pieces would wait for the client's delayed
/// ACKs (Nagle).
fn encode_answer(
    results: Vec<(String, Vec<almanac_flux::Table>)>,
    dialect: &Dialect,
    trailer: Option<String>,
    gzip: bool,
) -> std::io::Result<EncodedAnswer> {
    let encode = |buf: &mut String, full: &mut dyn FnMut(&mut String)| {
        let chunk = if gzip { CSV_CHUNK } else { usize::MAX };
        for (name, tables) in &results {
            let mut enc = almanac_flux::csv::ResultEncoder::new(name, dialect);
            for t in tables {
                enc.table(buf, t, chunk, &mut *full);
            }
            enc.finish(buf);
        }
        if let Some(text) = &trailer {
            buf.push_str(text);
        }
    };
    let mut buf = String::with_capacity(CSV_CHUNK + 1024);
    if !gzip {
        encode(&mut buf, &mut |_| {});
        return Ok(EncodedAnswer::Plain(buf));
    }
    let gzipped = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<String>(8);
        let mut rx = Some(rx);
        let mut compressor = None;
        encode(&mut buf, &mut |buf: &mut String| {
            if let Some(rx) = rx.take() {
                compressor = Some(scope.spawn(move || {
                    let mut enc =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    for text in rx {
                        enc.write_all(text.as_bytes())?;
                    }
                    enc.finish()
                }));
            }
            let piece = std::mem::replace(buf, String::with_capacity(CSV_CHUNK + 1024));
            let _ = tx.send(piece);
        });
        match compressor {
            Some(compressor) => {
                let _ = tx.send(std::mem::take(&mut buf));
                drop(tx);
                compressor
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("compressor panicked")))
            }
            None => crate::body::gzip_fast(buf.as_bytes()),
        }
    })?;
    // `results` are dropped here, off the async workers.
    Ok(EncodedAnswer::Gzipped(gzipped))
}

/// Converts a JSON value of `params` to a Flux value.
fn json_to_flux(v: &Json) -> Result<FluxValue, String> {
    Ok(match v {
        Json::Null => FluxValue::Null,
        Json::Bool(b) => FluxValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => FluxValue::Int(i),
            None => FluxValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => FluxValue::str(s),
        Json::Array(a) => FluxValue::Array(std::sync::Arc::new(
            a.iter().map(json_to_flux).collect::<Result<Vec<_>, _>>()?,
        )),
        Json::Object(o) => FluxValue::record(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), json_to_flux(v)?)))
                .collect::<Result<Vec<_>, String>>()?,
        ),
    })
}

/// `extern`: a Flux `File` AST in JSON whose option statements set values
/// before the script runs (the client libraries send query parameters so, the
/// UI its `v` record). Literal values, records of them and negated
/// durations are supported.
fn extern_options(ext: &Json) -> Result<Vec<(String, FluxValue)>, String> {
    let mut out = Vec::new();
    let body = ext.get("body").and_then(Json::as_array);
    for st in body.into_iter().flatten() {
        let assignment = match st.get("type").and_then(Json::as_str) {
            Some("OptionStatement") => st.get("assignment"),
            Some("VariableAssignment") => Some(st),
            other => {
                return Err(format!(
                    "not supported yet: extern statement of type {}",
                    other.unwrap_or("?")
                ))
            }
        };
        let Some(a) = assignment else { continue };
        let name = a
            .get("id")
            .and_then(|i| i.get("name"))
            .and_then(Json::as_str)
            .ok_or("not supported yet: extern assignment without a name")?;
        let init = a.get("init").ok_or("extern assignment without a value")?;
        out.push((name.to_string(), ast_literal(init)?));
    }
    Ok(out)
}

fn ast_literal(e: &Json) -> Result<FluxValue, String> {
    let kind = e.get("type").and_then(Json::as_str).unwrap_or("");
    let value = e.get("value");
    let num = |v: Option<&Json>| -> Option<String> {
        match v? {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let bad = || format!("not supported yet: extern expression of type {kind}");
    Ok(match kind {
        "StringLiteral" => FluxValue::str(value.and_then(Json::as_str).ok_or_else(bad)?),
        "BooleanLiteral" => FluxValue::Bool(value.and_then(Json::as_bool).ok_or_else(bad)?),
        "IntegerLiteral" => {
            FluxValue::Int(num(value).and_then(|s| s.parse().ok()).ok_or_else(bad)?)
        }
        "UnsignedIntegerLiteral" => {
            FluxValue::UInt(num(value).and_then(|s| s.parse().ok()).ok_or_else(bad)?)
        }
        "FloatLiteral" => {
            FluxValue::Float(num(value).and_then(|s| s.parse().ok()).ok_or_else(bad)?)
        }
        "DateTimeLiteral" => {
            let s = value.and_then(Json::as_str).ok_or_else(bad)?;
            FluxValue::Time(
                chrono::DateTime::parse_from_rfc3339(s)
                    .ok()
                    .and_then(|t| t.timestamp_nanos_opt())
                    .ok_or_else(|| format!("invalid time {s:?} in extern"))?,
            )
        }
        "DurationLiteral" | "UnaryExpression" => {
            let (neg, lit) = if kind == "UnaryExpression" {
                if e.get("operator").and_then(Json::as_str) != Some("-") {
                    return Err(bad());
                }
                (true, e.get("argument").ok_or_else(bad)?)
            } else {
                (false, e)
            };
            let mut parts: Vec<(i64, String)> = Vec::new();
            for d in lit.get("values").and_then(Json::as_array).ok_or_else(bad)? {
                let m = num(d.get("magnitude"))
                    .and_then(|m| m.parse().ok())
                    .ok_or_else(bad)?;
                let u = d.get("unit").and_then(Json::as_str).ok_or_else(bad)?;
                parts.push((m, u.to_string()));
            }
            let parts: Vec<(i64, &str)> = parts.iter().map(|(m, u)| (*m, u.as_str())).collect();
            let d = almanac_flux::value::Duration::from_parts(&parts).map_err(|e| e.to_string())?;
            FluxValue::Duration(if neg { d.negated() } else { d })
        }
        "ObjectExpression" => {
            let mut fields = Vec::new();
            for p in e
                .get("properties")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let key = p.get("key").ok_or_else(bad)?;
                let k = key
                    .get("name")
                    .or_else(|| key.get("value"))
                    .and_then(Json::as_str)
                    .ok_or_else(bad)?;
                let v = ast_literal(p.get("value").ok_or_else(bad)?)?;
                fields.push((k.to_string(), v));
            }
            FluxValue::record(fields)
        }
        _ => return Err(bad()),
    })
}

/// `type: "influxql"`: runs through the InfluxQL executor against `bucket`
/// (`db/rp`, or `db`/`rp` fields) and answers InfluxQL's JSON, as InfluxDB
/// 2.0's InfluxQL dialect did (2.7 dropped the type; the 1.x `/query` is the
/// usual way).
async fn influxql(
    state: &AppState,
    principal: crate::v2::token_auth::Principal,
    params: &HashMap<String, String>,
    req: &QueryRequest,
    headers: &HeaderMap,
) -> Result<Response, Response> {
    let (db, rp) = match (&req.bucket, &req.db) {
        (Some(b), _) if !b.is_empty() => {
            let (db, rp) = crate::v2::token_auth::resolve_bucket(
                state,
                params.get("org").map(String::as_str),
                params.get("orgID").map(String::as_str),
                b,
            )
            .map_err(|e| e.shaped(Api::V2).into_response())?;
            (db, Some(rp))
        }
        (_, Some(d)) if !d.is_empty() => (d.clone(), req.rp.clone().filter(|r| !r.is_empty())),
        _ => return Err(invalid("bucket parameter is required for influxql queries")),
    };
    let parsed = almanac_influxql::parse_query_with_params(&req.query, &Default::default())
        .map_err(|e| invalid(format!("error parsing query: {e}")))?;
    // An open caller (no authentication required) runs as 1.x with auth off;
    // a v2 caller needs read access to the bucket and may only read.
    let read_only = !principal.is_open();
    if principal.is_open() {
        crate::auth::authorize(state, None, &parsed, Some(&db))
            .map_err(|e| e.shaped(Api::V2).into_response())?;
    } else {
        let rp_name = match &rp {
            Some(rp) => rp.clone(),
            None => state
                .storage
                .catalog()
                .database(&db)
                .and_then(|d| d.rp(None).map(|r| r.name.clone()))
                .unwrap_or_default(),
        };
        crate::v2::token_auth::check_bucket(
            state,
            &principal,
            (&db, &rp_name),
            almanac_catalog::Action::Read,
        )
        .map_err(|e| e.shaped(Api::V2).into_response())?;
    }
    let ctx = almanac_influxql_exec::ExecContext {
        database: Some(db),
        retention_policy: rp,
        now: ExecContext::default().now,
        read_only,
        user: principal.user.clone(),
    };
    let mut results = Vec::with_capacity(parsed.statements.len());
    for (id, stmt) in parsed.statements.iter().enumerate() {
        let mut result = state.influxql.execute(stmt, &ctx).await;
        result.statement_id = id;
        results.push(result);
    }
    Ok(ok_body(
        headers,
        "application/json",
        encode_json(&results, &EncodeOptions::default()),
    ))
}

/// The JSON body of `/ast` and `/analyze`.
#[derive(Debug, Default, Deserialize)]
struct ScriptRequest {
    #[serde(default)]
    query: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn script_request(
    state: &AppState,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<ScriptRequest, Response> {
    let body = decode_body(headers, body, state.config.max_body_size)
        .map_err(|e| e.shaped(Api::V2).into_response())?;
    serde_json::from_slice(&body)
        .map_err(|e| invalid(format!("failed to decode request body: {e}")))
}

async fn authenticated(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    crate::v2::token_auth::authenticate(state, headers)
        .await
        .map(|_| ())
        .map_err(|e: ApiError| e.shaped(Api::V2).into_response())
}

/// `POST /api/v2/query/ast`: `{"ast": <package>}` for `{"query": …}`.
pub async fn ast(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authenticated(&state, &headers).await {
        return r;
    }
    let req = match script_request(&state, &headers, body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match almanac_flux::parse_package(&req.query) {
        Ok(pkg) => axum::Json(json!({ "ast": pkg })).into_response(),
        Err(e) => invalid(e.to_string()),
    }
}

/// `POST /api/v2/query/analyze`: `{"errors": [{line, column, character, message}]}`.
pub async fn analyze(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authenticated(&state, &headers).await {
        return r;
    }
    let req = match script_request(&state, &headers, body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let errors: Vec<Json> = match req.kind.as_deref().unwrap_or("flux") {
        "flux" => match almanac_flux::parse_file(&req.query) {
            Ok(_) => Vec::new(),
            Err(almanac_flux::Error::Syntax { loc, msg }) => vec![json!({
                "line": loc.start.line,
                "column": loc.start.column,
                "character": 0,
                "message": msg,
            })],
            Err(e) => {
                vec![json!({"line": 0, "column": 0, "character": 0, "message": e.to_string()})]
            }
        },
        "influxql" => {
            match almanac_influxql::parse_query_with_params(&req.query, &Default::default()) {
                Ok(_) => Vec::new(),
                Err(e) => {
                    vec![json!({"line": 1, "column": 0, "character": 0, "message": e.to_string()})]
                }
            }
        }
        other => return invalid(format!("unknown query request type {other}")),
    };
    axum::Json(json!({ "errors": errors })).into_response()
}

/// One suggestion as InfluxDB 2 writes it: `{"name", "params": {name: type}}`.
fn suggestion_json(s: &almanac_flux::suggest::Suggestion) -> Json {
    json!({ "name": s.name, "params": s.params })
}

fn internal(e: almanac_flux::Error) -> Response {
    v2_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
        e.to_string(),
    )
}

/// `GET /api/v2/query/suggestions`: every universe function with its
/// parameters (`{"funcs": [{name, params}]}`), from the Flux library itself.
pub async fn suggestions() -> Response {
    match almanac_flux::suggest::suggestions() {
        Ok(all) => {
            let funcs: Vec<Json> = all.iter().map(suggestion_json).collect();
            axum::Json(json!({ "funcs": funcs })).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `GET /api/v2/query/suggestions/{name}`: one function (`{name, params}`);
/// 404 `not found` for a name the universe does not have.
pub async fn suggestion(Path(name): Path<String>) -> Response {
    match almanac_flux::suggest::suggestion(&name) {
        Ok(Some(s)) => axum::Json(suggestion_json(&s)).into_response(),
        Ok(None) => v2_error(
            StatusCode::NOT_FOUND,
            "not found",
            format!("function {name:?} not found"),
        ),
        Err(e) => internal(e),
    }
}
