//! Kapacitor inside the server: the task manager and alert service of
//! `almanac-tasks`, persisted in `kapacitor.redb`, fed by the storage write
//! stream, and Kapacitor 1.7's HTTP API under `/kapacitor/v1/`.
//!
//! The stream is only subscribed to while some task runs, so writes cost
//! nothing extra otherwise.

pub mod alerts;
pub mod config;
pub mod debug_vars;
pub mod querier;
pub mod recordings;
pub mod replays;
pub mod service_tests;
pub mod store;
pub mod tasks;
pub mod templates;
pub mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use almanac_storage::stream::WriteEvent;
use almanac_storage::Storage;
use almanac_tasks::alert::service::AlertService;
use almanac_tasks::{Services, TaskManager};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use parking_lot::Mutex;
use tokio::sync::broadcast;

use crate::AppState;

pub use almanac_tasks::alert::handlers::httppost::EndpointConfig as HttpPostEndpoint;
pub use almanac_tasks::udf::UdfConfig;

/// The Kapacitor version reported by `/kapacitor/v1/ping`.
pub const KAPACITOR_VERSION: &str = "1.7.0";

/// Kapacitor's runtime state.
pub struct Kapacitor {
    /// Tasks.
    pub manager: TaskManager,
    /// Alert topics and handlers.
    pub alerts: Arc<AlertService>,
    storage: Arc<Storage>,
    writes: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<writer::QueuedWrite>>>,
    /// A receiver of the write stream waiting for the feed loop.
    pending: Mutex<Option<broadcast::Receiver<Arc<WriteEvent>>>>,
    subscribed: AtomicBool,
    wake: tokio::sync::Notify,
    /// Stable (cluster id, server id), made once and kept in the store.
    pub ids: (String, String),
    /// Recordings (`/kapacitor/v1/recordings`).
    pub recordings: Arc<recordings::Recordings>,
    /// Replays (`/kapacitor/v1/replays`).
    pub replays: Arc<replays::Replays>,
    /// Persisted alert service overrides (`/kapacitor/v1/config`).
    pub config: config::ConfigOverrides,
}

impl Kapacitor {
    /// Opens the Kapacitor store in `dir`, asks every configured UDF for its
    /// Info (as Kapacitor does at startup; a failing one is logged and tasks
    /// using it report why) and starts the stored enabled tasks.
    pub fn open(
        dir: &Path,
        storage: Arc<Storage>,
        udf: &UdfConfig,
    ) -> Result<Arc<Kapacitor>, String> {
        almanac_tasks::udf::registry().load(udf);
        let store: Arc<dyn almanac_tasks::Store> = Arc::new(store::RedbStore::open(dir)?);
        let alerts = Arc::new(AlertService::new(store.clone())?);
        let (w, rx) = writer::StorageWriter::new(storage.clone());
        let services = Arc::new(Services::new(Arc::new(w), alerts.clone()));
        let ids = match store.list("meta")?.into_iter().next() {
            Some(doc) => (
                doc["cluster_id"].as_str().unwrap_or_default().to_string(),
                doc["server_id"].as_str().unwrap_or_default().to_string(),
            ),
            None => {
                let ids = (new_id(1), new_id(2));
                store.put(
                    "meta",
                    "ids",
                    &serde_json::json!({ "cluster_id": ids.0, "server_id": ids.1 }),
                )?;
                ids
            }
        };
        let recordings = Arc::new(recordings::Recordings::open(dir, store.clone())?);
        let replays = Arc::new(replays::Replays::open(store.clone())?);
        let config = config::ConfigOverrides::load(store.clone())?;
        let manager = TaskManager::new(services, store)?;
        let k = Arc::new(Kapacitor {
            manager,
            alerts,
            storage,
            writes: Mutex::new(Some(rx)),
            pending: Mutex::new(None),
            subscribed: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            ids,
            recordings,
            replays,
            config,
        });
        k.refresh_subscription();
        Ok(k)
    }

    /// Subscribes to the write stream if a task runs and nobody holds a
    /// subscription (called after every task change, before answering, so a
    /// write right after enabling a task is seen).
    pub fn refresh_subscription(&self) {
        let mut pending = self.pending.lock();
        if self.manager.has_running() && !self.subscribed.load(Ordering::Acquire) {
            *pending = Some(self.storage.write_stream().subscribe());
            self.subscribed.store(true, Ordering::Release);
            self.wake.notify_one();
        }
    }

    fn feed(&self, ev: &WriteEvent) {
        if !self.manager.wants(&ev.database, &ev.retention_policy) {
            return;
        }
        if let Some(rows) = &ev.rows {
            // The engine's own parse: nothing to parse again.
            self.manager.feed_rows(
                &ev.database,
                &ev.retention_policy,
                rows.rows().map(StorageRow),
                rows.series_slots(),
            );
            return;
        }
        if let Err(e) = self.manager.feed_accepted_lines(
            &ev.database,
            &ev.retention_policy,
            &ev.lines,
            ev.precision_nanos,
            ev.default_time,
        ) {
            tracing::warn!(database = %ev.database, error = %e, "kapacitor: write stream event did not parse");
        }
    }
}

/// A row of the storage engine's parse, as the task feed reads it.
struct StorageRow<'a>(almanac_storage::stream::Row<'a>);

impl almanac_tasks::rows::ParsedRow for StorageRow<'_> {
    fn measurement(&self) -> &str {
        self.0.measurement()
    }

    fn series_key(&self) -> &str {
        self.0.series_key()
    }

    fn series_slot(&self) -> usize {
        self.0.series_slot()
    }

    fn for_each_tag(&self, mut f: impl FnMut(&str, &str)) {
        for (k, v) in self.0.tags() {
            f(k, v);
        }
    }

    fn time(&self) -> i64 {
        self.0.time()
    }

    fn field(&self, name: &str) -> Option<almanac_lineproto::FieldValue<'_>> {
        self.0.field(name)
    }

    fn for_each_field(&self, mut f: impl FnMut(&str, almanac_lineproto::FieldValue<'_>)) {
        for (k, v) in self.0.fields() {
            f(k, v);
        }
    }
}

/// A UUID-shaped id from the clock, the process and a salt.
fn new_id(salt: u64) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now_ns());
    h.write_u32(std::process::id());
    h.write_u64(salt);
    let a = h.finish();
    h.write_u64(a);
    let b = h.finish();
    let x = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Runs the feed loop (write stream → tasks, wall-clock ticks), the batch
/// query loop, the alert delivery worker and the `influxDBOut` writer until
/// `stop` turns true.
pub fn spawn(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let k = state.kapacitor.clone();
    let batches = {
        let k = k.clone();
        let querier = querier::InfluxQlQuerier {
            executor: state.influxql.clone(),
        };
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_millis(250));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = ticker.tick() => k.manager.run_batches(&querier, now_ns()).await,
                }
            }
        })
    };
    tokio::spawn(async move {
        let delivery = k.alerts.start_delivery();
        let writes = k
            .writes
            .lock()
            .take()
            .map(|rx| tokio::spawn(writer::run(k.storage.clone(), rx)));
        // The stream tasks run on a thread of their own, so feeding them never
        // holds up a runtime worker serving writes and queries.
        let feeder = {
            let k = k.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("almanac-tasks".into())
                .spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .build()
                    {
                        Ok(rt) => rt.block_on(feed_loop(k, stop)),
                        Err(e) => tracing::error!(error = %e, "kapacitor: cannot start the stream task thread"),
                    }
                })
        };
        match feeder {
            Ok(feeder) => {
                let _ = tokio::task::spawn_blocking(move || feeder.join()).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "kapacitor: cannot start the stream task thread");
                let _ = stop.changed().await;
            }
        }
        let _ = batches.await;
        // Alert topics are saved on the tick; save the last changes too.
        k.alerts.flush();
        k.alerts.stop_delivery();
        let _ = tokio::time::timeout(Duration::from_secs(5), delivery).await;
        if let Some(w) = writes {
            w.abort();
        }
    })
}

/// Feeds the write stream to the stream tasks and advances their clocks
/// until `stop` turns true; then feeds what was already published.
async fn feed_loop(k: Arc<Kapacitor>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut rx: Option<broadcast::Receiver<Arc<WriteEvent>>> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if rx.is_none() {
            rx = k.pending.lock().take();
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = k.wake.notified() => {}
            _ = ticker.tick() => {
                k.manager.tick(now_ns());
                if rx.is_some() {
                    let _pending = k.pending.lock();
                    if !k.manager.has_running() {
                        rx = None;
                        k.subscribed.store(false, Ordering::Release);
                    }
                }
            }
            ev = async { rx.as_mut().expect("guarded").recv().await }, if rx.is_some() => match ev {
                Ok(ev) => k.feed(&ev),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "kapacitor: stream tasks fell behind the write stream; writes skipped");
                }
                Err(broadcast::error::RecvError::Closed) => {
                    rx = None;
                    k.subscribed.store(false, Ordering::Release);
                }
            },
        }
    }
    // Drain what was already published before stopping.
    if let Some(rx) = rx.as_mut() {
        while let Ok(ev) = rx.try_recv() {
            k.feed(&ev);
        }
    }
}

/// Kapacitor's error body: `{"error": "..."}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Maps a task error to Kapacitor's status and body.
pub fn task_error(e: almanac_tasks::TaskError) -> Response {
    match e {
        almanac_tasks::TaskError::NotFound(m) => error(StatusCode::NOT_FOUND, m),
        almanac_tasks::TaskError::Invalid(m) => error(StatusCode::BAD_REQUEST, m),
        almanac_tasks::TaskError::Internal(m) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}

async fn ping() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        "X-Kapacitor-Version",
        HeaderValue::from_static(KAPACITOR_VERSION),
    );
    r
}

#[derive(serde::Deserialize)]
struct WriteParams {
    db: Option<String>,
    rp: Option<String>,
    precision: Option<String>,
}

/// `POST /kapacitor/v1/write`: line protocol straight into the stream tasks
/// (not stored), as Kapacitor does.
async fn write(
    State(state): State<AppState>,
    Query(q): Query<WriteParams>,
    body: axum::body::Bytes,
) -> Response {
    let Some(db) = q.db.filter(|d| !d.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "database is required");
    };
    let rp = match q.rp.filter(|r| !r.is_empty()) {
        Some(rp) => rp,
        None => state
            .storage
            .catalog()
            .database(&db)
            .map(|d| d.default_rp.clone())
            .unwrap_or_else(|| "autogen".into()),
    };
    let Some(precision) = almanac_lineproto::Precision::parse(q.precision.as_deref().unwrap_or(""))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("invalid precision {:?}", q.precision.unwrap_or_default()),
        );
    };
    match state
        .kapacitor
        .manager
        .feed_line_protocol(&db, &rp, &body, precision.nanos(), now_ns())
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

/// Routes under `/kapacitor/v1/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kapacitor/v1/ping", get(ping).head(ping))
        .route("/kapacitor/v1/write", post(write))
        .route("/kapacitor/v1/debug/vars", get(debug_vars::debug_vars))
        .route("/kapacitor/v1/tasks", get(tasks::list).post(tasks::create))
        .route(
            "/kapacitor/v1/tasks/{id}",
            get(tasks::get).patch(tasks::patch).delete(tasks::delete),
        )
        .route("/kapacitor/v1/tasks/{id}/{endpoint}", get(tasks::http_out))
        .route(
            "/kapacitor/v1/templates",
            get(templates::list).post(templates::create),
        )
        .route(
            "/kapacitor/v1/templates/{id}",
            get(templates::get)
                .patch(templates::patch)
                .delete(templates::delete),
        )
        .route("/kapacitor/v1/recordings", get(recordings::list))
        .route(
            "/kapacitor/v1/recordings/stream",
            post(recordings::record_stream),
        )
        .route(
            "/kapacitor/v1/recordings/batch",
            post(recordings::record_batch),
        )
        .route(
            "/kapacitor/v1/recordings/query",
            post(recordings::record_query),
        )
        .route(
            "/kapacitor/v1/recordings/{id}",
            get(recordings::get).delete(recordings::delete),
        )
        .route(
            "/kapacitor/v1/replays",
            get(replays::list).post(replays::create),
        )
        .route("/kapacitor/v1/replays/", post(replays::create))
        .route("/kapacitor/v1/replays/batch", post(replays::create_batch))
        .route("/kapacitor/v1/replays/query", post(replays::create_query))
        .route(
            "/kapacitor/v1/replays/{id}",
            get(replays::get).delete(replays::delete),
        )
        .route("/kapacitor/v1/config", get(config::all))
        .route(
            "/kapacitor/v1/config/{section}",
            get(config::section).post(config::update_section),
        )
        .route(
            "/kapacitor/v1/config/{section}/",
            get(config::element_root).post(config::update_element_root),
        )
        .route(
            "/kapacitor/v1/config/{section}/{element}",
            get(config::element).post(config::update_element),
        )
        .route("/kapacitor/v1/service-tests", get(service_tests::list))
        .route(
            "/kapacitor/v1/service-tests/{name}",
            get(service_tests::get).post(service_tests::run),
        )
        .route("/kapacitor/v1/alerts/topics", get(alerts::list_topics))
        .route(
            "/kapacitor/v1/alerts/topics/{topic}",
            get(alerts::get_topic).delete(alerts::delete_topic),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/events",
            get(alerts::list_events),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/events/{event}",
            get(alerts::get_event),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/history",
            get(alerts::history),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/handlers",
            get(alerts::list_handlers).post(alerts::create_handler),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/handlers/{handler}",
            get(alerts::get_handler)
                .put(alerts::put_handler)
                .patch(alerts::patch_handler)
                .delete(alerts::delete_handler),
        )
}
