//! HTTP server of Almanac: the InfluxDB 1.x write and query endpoints, the
//! 2.x write endpoint, InfluxDB 3's SQL endpoint, health and metrics.
//!
//! [`Server::start`] opens the catalog and storage engine in a data
//! directory, starts background maintenance and serves the [`router`] until
//! the shutdown future resolves; then it stops accepting, lets in-flight
//! requests finish and persists the write buffer.

#![warn(missing_docs)]

pub mod auth;
pub mod body;
pub mod error;
pub mod flux_source;
pub mod ingest;
pub mod kapacitor;
pub mod metrics;
pub mod monitoring;
pub mod sql;
pub mod subscriptions;
pub mod tasks_runner;
pub mod ui;
pub mod v1;
pub mod v2;
pub mod v2_query;
pub mod write;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use almanac_catalog::Catalog;
use almanac_query::QueryEngine;
use almanac_storage::{Storage, StorageConfig};
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use tower_http::trace::TraceLayer;

/// The InfluxDB version Almanac reports to clients (the 1.x API it implements).
pub const INFLUXDB_VERSION: &str = "1.8.10";

/// Settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on.
    pub http_bind: SocketAddr,
    /// Largest accepted request body (after decompression), bytes.
    pub max_body_size: usize,
    /// Storage engine settings (including the data directory).
    pub storage: StorageConfig,
    /// UDP, Graphite, collectd and OpenTSDB listeners.
    pub listeners: ingest::ListenerConfigs,
    /// Require authentication and check privileges (InfluxDB's `auth-enabled`).
    pub auth_enabled: bool,
    /// HMAC secret of `Authorization: Bearer` JWTs; empty disables bearer auth.
    pub shared_secret: String,
    /// The continuous query service (InfluxDB's `[continuous_queries]`).
    pub continuous_queries: ContinuousQueriesConfig,
    /// Kapacitor's `[udf]` section: user-defined functions tasks call as `@name()`.
    pub udf: almanac_tasks::udf::UdfConfig,
    /// Kapacitor's `[[httppost]]` endpoints (for `httpPost` nodes and `post` alert handlers).
    pub httppost: Vec<kapacitor::HttpPostEndpoint>,
}

/// InfluxDB's `[continuous_queries]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousQueriesConfig {
    /// Run continuous queries at all.
    pub enabled: bool,
    /// How often the service checks which queries are due.
    pub run_interval: std::time::Duration,
    /// Log every run (errors are always logged).
    pub log_enabled: bool,
}

impl Default for ContinuousQueriesConfig {
    fn default() -> Self {
        ContinuousQueriesConfig {
            enabled: true,
            run_interval: std::time::Duration::from_secs(1),
            log_enabled: true,
        }
    }
}

impl ServerConfig {
    /// Defaults: data in `./almanac-data`, listening on 127.0.0.1:8086.
    pub fn new(data_dir: impl Into<PathBuf>, http_bind: SocketAddr) -> Self {
        ServerConfig {
            http_bind,
            max_body_size: 25_000_000,
            storage: StorageConfig::new(data_dir),
            listeners: ingest::ListenerConfigs::default(),
            auth_enabled: false,
            shared_secret: String::new(),
            continuous_queries: ContinuousQueriesConfig::default(),
            udf: Default::default(),
            httppost: Vec::new(),
        }
    }
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    /// Server settings.
    pub config: Arc<ServerConfig>,
    /// The storage engine (which holds the catalog).
    pub storage: Arc<Storage>,
    /// SQL engine over storage.
    pub query: QueryEngine,
    /// InfluxQL executor over storage.
    pub influxql: almanac_influxql_exec::Executor,
    /// HTTP-level counters.
    pub metrics: Arc<metrics::HttpMetrics>,
    /// v2 API runtime state (start time, sign-in sessions).
    pub v2: Arc<v2::V2Runtime>,
    /// Kapacitor: TICKscript tasks, alert topics and handlers.
    pub kapacitor: Arc<kapacitor::Kapacitor>,
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let raw_limit = state.config.max_body_size;
    Router::new()
        .route("/ping", get(v1::ping).head(v1::ping))
        .route("/health", get(v1::health))
        .route("/metrics", get(metrics::metrics))
        .route("/write", post(write::write_v1))
        .route("/api/v2/write", post(write::write_v2))
        .route("/query", get(v1::query).post(v1::query))
        .route(
            "/api/v1/prom/write",
            post(ingest::prom_write).layer(from_fn_with_state(state.clone(), auth::require_write)),
        )
        .route(
            "/api/v1/prom/read",
            post(ingest::prom_read).layer(from_fn_with_state(state.clone(), auth::require_read)),
        )
        .route(
            "/api/v3/query_sql",
            get(sql::query_sql)
                .post(sql::query_sql)
                .layer(from_fn_with_state(state.clone(), auth::require_admin)),
        )
        .merge(v2::routes(state.clone()))
        .merge(v2_query::routes())
        .merge(kapacitor::routes().layer(from_fn_with_state(state.clone(), auth::require_admin)))
        // The web UI answers only what no API route matched (see `ui`).
        .fallback(ui::serve)
        .layer(DefaultBodyLimit::max(raw_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The catalog could not be opened.
    #[error("catalog: {0}")]
    Catalog(#[from] almanac_catalog::CatalogError),
    /// The storage engine could not be opened.
    #[error("storage: {0}")]
    Storage(#[from] almanac_storage::StorageError),
    /// A UDP/Graphite/collectd/OpenTSDB listener could not start.
    #[error("listener: {0}")]
    Listener(#[from] almanac_protocols::ListenerError),
    /// The Kapacitor store could not be opened.
    #[error("kapacitor: {0}")]
    Kapacitor(String),
    /// The listening socket could not be bound or served.
    #[error("http {addr}: {source}")]
    Http {
        /// The address.
        addr: SocketAddr,
        /// What failed.
        source: std::io::Error,
    },
}

/// A running server.
pub struct Server {
    state: AppState,
    listener: tokio::net::TcpListener,
}

impl Server {
    /// Opens the data directory and binds the listening socket.
    pub async fn start(config: ServerConfig) -> Result<Server, ServerError> {
        let dir = config.storage.data_dir.clone();
        std::fs::create_dir_all(&dir)
            .map_err(|e| ServerError::Storage(almanac_storage::StorageError::io(&dir, e)))?;
        let catalog = Catalog::open(&dir.join("catalog.redb"))?;
        let storage_config = config.storage.clone();
        let storage = tokio::task::spawn_blocking(move || Storage::open(storage_config, catalog))
            .await
            .expect("storage open does not panic")?;
        let listener = tokio::net::TcpListener::bind(config.http_bind)
            .await
            .map_err(|source| ServerError::Http {
                addr: config.http_bind,
                source,
            })?;
        almanac_tasks::alert::handlers::httppost::global()
            .set_base(config.httppost.clone())
            .map_err(ServerError::Kapacitor)?;
        let kapacitor = kapacitor::Kapacitor::open(&dir, storage.clone(), &config.udf)
            .map_err(ServerError::Kapacitor)?;
        let influxql = almanac_influxql_exec::Executor::new(storage.clone());
        let metrics = metrics::HttpMetrics {
            continuous_queries: influxql.continuous_query_metrics().clone(),
            ..Default::default()
        };
        let state = AppState {
            query: QueryEngine::new(storage.clone()),
            influxql,
            storage,
            config: Arc::new(config),
            metrics: Arc::new(metrics),
            v2: Arc::new(v2::V2Runtime::default()),
            kapacitor,
        };
        Ok(Server { state, listener })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// The shared state (for tests and embedding).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains and persists.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let addr = self.local_addr();
        let background = self.state.storage.start_background();
        tracing::info!(%addr, data_dir = %self.state.config.storage.data_dir.display(), "almanac listening");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let cq_config = &self.state.config.continuous_queries;
        let continuous_queries = cq_config.enabled.then(|| {
            almanac_influxql_exec::continuous::ContinuousQueryService::new(
                self.state.influxql.clone(),
            )
            .with_metrics(self.state.metrics.continuous_queries.clone())
            .with_run_interval(cq_config.run_interval)
            .with_run_logging(cq_config.log_enabled)
            .spawn(stop_rx.clone())
        });
        if !cq_config.enabled {
            tracing::info!(
                "continuous query service disabled ([continuous_queries] enabled = false)"
            );
        }
        let tasks = tasks_runner::spawn(self.state.clone(), stop_rx.clone());
        let kapacitor = kapacitor::spawn(self.state.clone(), stop_rx.clone());
        let subscriptions = subscriptions::spawn(self.state.clone(), stop_rx.clone());
        let monitoring = monitoring::spawn(self.state.clone(), stop_rx.clone());
        let listeners = ingest::start_listeners(
            &self.state.config.listeners,
            self.state.storage.clone(),
            stop_rx,
        )
        .await?;
        let app = router(self.state.clone());
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| ServerError::Http { addr, source });
        let _ = stop_tx.send(true);
        for task in listeners {
            let _ = task.await;
        }
        if let Some(task) = continuous_queries {
            let _ = task.await;
        }
        let _ = tasks.await;
        let _ = kapacitor.await;
        let _ = subscriptions.await;
        let _ = monitoring.await;
        tracing::info!("shutting down: persisting the write buffer");
        background.abort();
        let storage = self.state.storage.clone();
        tokio::task::spawn_blocking(move || storage.shutdown())
            .await
            .expect("shutdown does not panic")?;
        served
    }
}
