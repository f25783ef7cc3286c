//! `/ping`, `/health` and `/query` of the 1.x API.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::meta::{parse_statements, Statement};
use crate::{AppState, INFLUXDB_VERSION};

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

/// `GET|POST /query`.
pub async fn query(
    State(state): State<AppState>,
    Query(uri_params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params = query_params(uri_params, &headers, &body);
    let q = params
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("missing required parameter \"q\""))?;
    let statements = parse_statements(q)
        .map_err(|e| ApiError::bad_request(format!("error parsing query: {e}")))?;
    let mut results = Vec::with_capacity(statements.len());
    for (id, statement) in statements.into_iter().enumerate() {
        let mut result = execute(&state, statement).await;
        result
            .as_object_mut()
            .expect("results are objects")
            .insert("statement_id".into(), json!(id));
        results.push(result);
    }
    let pretty = params.get("pretty").is_some_and(|p| p == "true");
    let body = json!({ "results": results });
    let text = if pretty {
        serde_json::to_string_pretty(&body)
    } else {
        serde_json::to_string(&body)
    }
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut response = (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text + "\n",
    )
        .into_response();
    version_headers(&mut response);
    Ok(response)
}

async fn execute(state: &AppState, statement: Statement) -> Value {
    let catalog = state.storage.catalog().clone();
    let storage = state.storage.clone();
    let outcome = tokio::task::spawn_blocking(move || -> Result<Value, String> {
        match statement {
            Statement::CreateDatabase { name, rp } => {
                catalog.create_database(&name, rp).map_err(|e| e.to_string())?;
                Ok(json!({}))
            }
            Statement::DropDatabase { name } => {
                if let Some(def) = catalog.drop_database(&name).map_err(|e| e.to_string())? {
                    storage.drop_database(def.id).map_err(|e| e.to_string())?;
                }
                Ok(json!({}))
            }
            Statement::ShowDatabases => {
                let names: Vec<Value> = catalog
                    .databases()
                    .iter()
                    .map(|d| json!([d.name]))
                    .collect();
                let mut series = json!({ "name": "databases", "columns": ["name"] });
                if !names.is_empty() {
                    series["values"] = Value::Array(names);
                }
                Ok(json!({ "series": [series] }))
            }
            Statement::Unsupported(what) => Err(format!(
                "not supported yet: {what} (Almanac answers CREATE DATABASE, SHOW DATABASES and DROP DATABASE so far)"
            )),
        }
    })
    .await;
    match outcome {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => json!({ "error": e }),
        Err(e) => json!({ "error": format!("internal error: {e}") }),
    }
}
