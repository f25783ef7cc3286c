//! InfluxDB 1.x's other ways in, wired to storage: the UDP, Graphite,
//! collectd and OpenTSDB listeners of [`almanac_protocols`] write through a
//! [`StorageSink`], and Prometheus remote write/read are served at
//! `/api/v1/prom/write` and `/api/v1/prom/read`.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_influxql::{
    BinaryOp, Dimension, Expr, Field, MeasurementName, MeasurementRef, SelectStatement, Source,
    Statement,
};
use almanac_influxql_exec::{ExecContext, Executor, Value as CellValue};
use almanac_lineproto::Precision;
use almanac_protocols::prometheus::{self, PromSeries, ReadQuery, SeriesSource};
use almanac_protocols::{
    CollectdConfig, GraphiteConfig, OpenTsdbConfig, PointSink, SharedSink, SinkError, UdpConfig,
};
use almanac_storage::Storage;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;

use crate::AppState;

/// The `[[udp]]`, `[[graphite]]`, `[[collectd]]` and `[[opentsdb]]` sections.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfigs {
    /// UDP line protocol listeners.
    #[serde(default)]
    pub udp: Vec<UdpConfig>,
    /// Graphite listeners.
    #[serde(default)]
    pub graphite: Vec<GraphiteConfig>,
    /// collectd listeners.
    #[serde(default)]
    pub collectd: Vec<CollectdConfig>,
    /// OpenTSDB listeners.
    #[serde(default)]
    pub opentsdb: Vec<OpenTsdbConfig>,
}

/// Writes decoded points through the normal write path, creating the
/// database first when it does not exist (as InfluxDB's services do).
pub struct StorageSink {
    storage: Arc<Storage>,
}

impl StorageSink {
    /// A sink over `storage`.
    pub fn new(storage: Arc<Storage>) -> Self {
        StorageSink { storage }
    }
}

#[async_trait::async_trait]
impl PointSink for StorageSink {
    async fn write(
        &self,
        database: &str,
        rp: Option<&str>,
        lines: Vec<u8>,
    ) -> Result<(), SinkError> {
        if self.storage.catalog().database(database).is_none() {
            self.storage
                .catalog()
                .create_database(database, None)
                .map_err(|e| SinkError::Other(e.to_string()))?;
        }
        let outcome = self
            .storage
            .write(database, rp, &lines, Precision::Nanosecond)
            .await
            .map_err(|e| match e {
                almanac_storage::StorageError::DatabaseNotFound(d) => {
                    SinkError::DatabaseNotFound(d)
                }
                other => SinkError::Other(other.to_string()),
            })?;
        if outcome.dropped() > 0 {
            return Err(SinkError::Partial {
                message: format!("{} points rejected", outcome.dropped()),
                dropped: outcome.dropped(),
            });
        }
        Ok(())
    }
}

/// Starts every enabled listener; they stop when `shutdown` fires.
pub async fn start_listeners(
    configs: &ListenerConfigs,
    storage: Arc<Storage>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, almanac_protocols::ListenerError> {
    let sink: SharedSink = Arc::new(StorageSink::new(storage));
    let mut tasks = Vec::new();
    let stop = move || {
        let mut rx = shutdown.clone();
        async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    };
    // The listener types share no trait; one macro binds, logs and spawns each.
    macro_rules! start {
        ($configs:expr, $listener:ty, $what:literal) => {
            for c in $configs.iter().filter(|c| c.enabled) {
                let l = <$listener>::bind(c.clone()).await?;
                tracing::info!(addr = ?l.local_addr().ok(), concat!($what, " listener"));
                let (sink, stop) = (sink.clone(), stop());
                tasks.push(tokio::spawn(async move {
                    if let Err(e) = l.run(sink, stop).await {
                        tracing::error!(error = %e, concat!($what, " listener failed"));
                    }
                }));
            }
        };
    }
    start!(configs.udp, almanac_protocols::udp::UdpListener, "UDP");
    start!(
        configs.graphite,
        almanac_protocols::graphite::GraphiteListener,
        "Graphite"
    );
    start!(
        configs.collectd,
        almanac_protocols::collectd::CollectdListener,
        "collectd"
    );
    start!(
        configs.opentsdb,
        almanac_protocols::opentsdb::OpenTsdbListener,
        "OpenTSDB"
    );
    Ok(tasks)
}

fn prom_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// `POST /api/v1/prom/write?db=&rp=`.
pub async fn prom_write(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let db = params.get("db").map(String::as_str).unwrap_or("");
    let rp = params
        .get("rp")
        .map(String::as_str)
        .filter(|r| !r.is_empty());
    if !db.is_empty() && state.storage.catalog().database(db).is_none() {
        return prom_error(404, &format!("database not found: \"{db}\""));
    }
    let sink: SharedSink = Arc::new(StorageSink::new(state.storage.clone()));
    match prometheus::handle_write(&body, &sink, db, rp).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => prom_error(e.status, &e.message),
    }
}

/// Answers remote-read queries with InfluxQL over the `value` field.
struct ExecutorSource {
    executor: Executor,
    storage: Arc<Storage>,
}

#[async_trait::async_trait]
impl SeriesSource for ExecutorSource {
    async fn select(
        &self,
        database: &str,
        rp: Option<&str>,
        query: &ReadQuery,
    ) -> Result<Vec<PromSeries>, SinkError> {
        let db = self
            .storage
            .catalog()
            .database(database)
            .ok_or_else(|| SinkError::DatabaseNotFound(database.to_string()))?;
        let measurements: Vec<String> = db
            .measurements
            .keys()
            .filter(|m| {
                query
                    .matchers
                    .iter()
                    .filter(|x| x.is_measurement())
                    .all(|x| x.matches(Some(m.as_str())))
            })
            .cloned()
            .collect();
        if measurements.is_empty() {
            return Ok(Vec::new());
        }
        let time = |op, t: i64| Expr::binary(op, Expr::var("time"), Expr::Integer(t));
        let stmt = SelectStatement {
            fields: vec![Field {
                expr: Expr::var(query.field),
                alias: None,
            }],
            sources: measurements
                .iter()
                .map(|m| {
                    Source::Measurement(MeasurementRef {
                        database: Some(database.to_string()),
                        retention_policy: rp.map(str::to_string),
                        name: MeasurementName::Name(m.clone()),
                    })
                })
                .collect(),
            condition: Some(Expr::binary(
                BinaryOp::And,
                time(BinaryOp::GtEq, query.start_ns),
                time(BinaryOp::LtEq, query.end_ns),
            )),
            dimensions: vec![Dimension::Wildcard],
            ..Default::default()
        };
        let ctx = ExecContext {
            database: Some(database.to_string()),
            retention_policy: rp.map(str::to_string),
            now: 0,
            read_only: false,
            user: None,
        };
        let result = self
            .executor
            .execute(&Statement::Select(Box::new(stmt)), &ctx)
            .await;
        if let Some(e) = result.error {
            return Err(SinkError::Other(e));
        }
        let mut out = Vec::new();
        for s in result.series {
            if !query.matches_series(&s.name, |k| {
                s.tags.get(k).map(String::as_str).filter(|v| !v.is_empty())
            }) {
                continue;
            }
            let mut labels = vec![("__name__".to_string(), s.name.clone())];
            labels.extend(s.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
            let samples = s
                .values
                .iter()
                .filter_map(|row| match (&row[0], &row[1]) {
                    (CellValue::Time(t), CellValue::Float(v)) => Some((*t, *v)),
                    (CellValue::Time(t), CellValue::Integer(v)) => Some((*t, *v as f64)),
                    _ => None,
                })
                .collect();
            out.push(PromSeries { labels, samples });
        }
        Ok(out)
    }
}

/// `POST /api/v1/prom/read?db=&rp=`.
pub async fn prom_read(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let db = params.get("db").map(String::as_str).unwrap_or("");
    let rp = params
        .get("rp")
        .map(String::as_str)
        .filter(|r| !r.is_empty());
    let source = ExecutorSource {
        executor: state.influxql.clone(),
        storage: state.storage.clone(),
    };
    match prometheus::handle_read(&body, &source, db, rp).await {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/x-protobuf"),
                (header::CONTENT_ENCODING, "snappy"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => prom_error(e.status, &e.message),
    }
}
