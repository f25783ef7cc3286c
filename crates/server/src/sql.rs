//! `GET|POST /api/v3/query_sql`: SQL over the stored measurements, as
//! InfluxDB 3 offers it, in JSON, JSON lines, CSV, a pretty table or Parquet.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_query::{QueryError, QueryOutput};
use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;

use crate::error::ApiError;
use crate::AppState;

/// Output formats of the SQL endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of row objects.
    Json,
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header row.
    Csv,
    /// A text table.
    Pretty,
    /// A Parquet file.
    Parquet,
}

impl Format {
    /// Parses the `format` parameter.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "jsonl" => Format::JsonLines,
            "csv" => Format::Csv,
            "pretty" => Format::Pretty,
            "parquet" => Format::Parquet,
            _ => return None,
        })
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::JsonLines => "application/jsonl",
            Format::Csv => "text/csv",
            Format::Pretty => "text/plain; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

#[derive(Debug, Deserialize, Default)]
struct SqlRequest {
    db: Option<String>,
    q: Option<String>,
    format: Option<String>,
}

/// The handler for both GET (query string) and POST (JSON body or query string).
pub async fn query_sql(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut request = SqlRequest {
        db: params.get("db").cloned(),
        q: params.get("q").cloned(),
        format: params.get("format").cloned(),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !body.is_empty() && is_json {
        let posted: SqlRequest = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
        request.db = posted.db.or(request.db);
        request.q = posted.q.or(request.q);
        request.format = posted.format.or(request.format);
    }
    let db = request
        .db
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ApiError::bad_request("missing required parameter \"db\""))?;
    let q = request
        .q
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("missing required parameter \"q\""))?;
    let format = match request.format.as_deref() {
        None | Some("") => Format::Json,
        Some(f) => Format::parse(f).ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid format {f:?}: expected json, jsonl, csv, pretty or parquet"
            ))
        })?,
    };
    state
        .metrics
        .queries
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let output = state.query.sql(&db, &q).await.map_err(|e| match e {
        QueryError::DatabaseNotFound(db) => {
            ApiError::v1(StatusCode::NOT_FOUND, format!("database not found: {db}"))
        }
        QueryError::DataFusion(e) => ApiError::bad_request(e.to_string()),
    })?;
    let bytes = encode(&output, format).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], bytes).into_response())
}

/// Replaces dictionary columns by their plain value type so every writer
/// can handle them.
fn flatten(
    output: &QueryOutput,
) -> Result<(SchemaRef, Vec<RecordBatch>), arrow::error::ArrowError> {
    let fields: Vec<Field> = output
        .schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Dictionary(_, value) => f.as_ref().clone().with_data_type((**value).clone()),
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batches = output
        .batches
        .iter()
        .map(|b| {
            let columns: Vec<ArrayRef> = b
                .columns()
                .iter()
                .zip(schema.fields())
                .map(|(c, f)| {
                    if c.data_type() == f.data_type() {
                        Ok(c.clone())
                    } else {
                        cast(c, f.data_type())
                    }
                })
                .collect::<Result<_, _>>()?;
            RecordBatch::try_new(schema.clone(), columns)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

/// Encodes a query result in `format`.
pub fn encode(
    output: &QueryOutput,
    format: Format,
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    let (schema, batches) = flatten(output)?;
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    let mut out = Vec::new();
    match format {
        Format::Json => {
            let mut writer = arrow::json::ArrayWriter::new(&mut out);
            writer.write_batches(&refs)?;
            writer.finish()?;
            if out.is_empty() {
                out.extend_from_slice(b"[]");
            }
        }
        Format::JsonLines => {
            let mut writer = arrow::json::LineDelimitedWriter::new(&mut out);
            writer.write_batches(&refs)?;
            writer.finish()?;
        }
        Format::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            if batches.is_empty() {
                writer.write(&RecordBatch::new_empty(schema.clone()))?;
            }
            for b in &batches {
                writer.write(b)?;
            }
        }
        Format::Pretty => {
            let text = if batches.is_empty() {
                arrow::util::pretty::pretty_format_batches(&[RecordBatch::new_empty(
                    schema.clone(),
                )])?
            } else {
                arrow::util::pretty::pretty_format_batches(&batches)?
            };
            out.extend_from_slice(text.to_string().as_bytes());
            out.push(b'\n');
        }
        Format::Parquet => {
            let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, schema.clone(), None)?;
            for b in &batches {
                writer.write(b)?;
            }
            writer.close()?;
        }
    }
    Ok(out)
}
