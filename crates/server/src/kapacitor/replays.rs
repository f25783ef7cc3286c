//! `/kapacitor/v1/replays`: feed a recording — or, directly, the results
//! of a batch task's queries or of one InfluxQL query — through a fresh
//! instance of a task. The instance uses the server's alert service and
//! writers, so its alerts and outputs happen as if live.
//!
//! `clock: fast` feeds the data at once; `real` waits between points (or
//! batches) as long as their recorded times are apart. Without
//! `recording-time` the times are shifted so that the first one is now.
//! Replay metadata (with the final node statistics) is a `replay` document
//! in `kapacitor.redb`.

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use almanac_tasks::manager::TaskInfo;
use almanac_tasks::model::{format_time, Point};
use almanac_tasks::Store;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::recordings::{
    batch_task_data, list_page, query_data, read_batches, valid_id, RecordError, RecordRequest,
    RecordingType, SourcedBatch, StreamReader,
};
use super::{error, new_id, now_ns};
use crate::AppState;

/// Store kind of replay documents.
const KIND: &str = "replay";

/// A replay's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayInfo {
    /// Id.
    pub id: String,
    /// Task replayed into.
    pub task: String,
    /// Recording replayed (empty for direct batch/query replays).
    pub recording: String,
    /// `fast` or `real`.
    pub clock: String,
    /// Whether the recorded times are kept.
    pub recording_time: bool,
    /// `running`, `finished` or `failed`.
    pub status: String,
    /// 0 to 1.
    pub progress: f64,
    /// Why it failed.
    pub error: String,
    /// The task instance's statistics once finished.
    pub stats: serde_json::Value,
    /// When it started or finished, RFC 3339.
    pub date: String,
}

/// Kapacitor's replay JSON.
pub fn replay_json(r: &ReplayInfo) -> serde_json::Value {
    serde_json::json!({
        "link": {"rel": "self", "href": format!("/kapacitor/v1/replays/{}", r.id)},
        "id": r.id,
        "task": r.task,
        "recording": r.recording,
        "clock": r.clock,
        "recording-time": r.recording_time,
        "status": r.status,
        "progress": r.progress,
        "error": r.error,
        "stats": r.stats,
        "date": r.date,
    })
}

/// The replays of the server.
pub struct Replays {
    store: Arc<dyn Store>,
    items: Mutex<BTreeMap<String, ReplayInfo>>,
    running: Mutex<HashMap<String, tokio::task::AbortHandle>>,
}

/// What a replay feeds.
enum ReplaySource {
    /// A stream recording's file.
    StreamFile(PathBuf),
    /// Points in time order.
    Points(Vec<Point>),
    /// Batches by source.
    Batches(Vec<SourcedBatch>),
    /// A batch task's queries over `[start, stop)`, run first.
    BatchQueries(i64, i64),
    /// One InfluxQL query, run first.
    Query(String),
}

impl Replays {
    /// Loads the stored replays; one interrupted by a restart is marked failed.
    pub fn open(store: Arc<dyn Store>) -> Result<Replays, String> {
        let mut items = BTreeMap::new();
        for doc in store.list(KIND)? {
            let mut r: ReplayInfo =
                serde_json::from_value(doc).map_err(|e| format!("stored replay: {e}"))?;
            if r.status == "running" {
                r.status = "failed".into();
                r.error = "the server stopped during the replay".into();
                store.put(
                    KIND,
                    &r.id,
                    &serde_json::to_value(&r).map_err(|e| e.to_string())?,
                )?;
            }
            items.insert(r.id.clone(), r);
        }
        Ok(Replays {
            store,
            items: Mutex::new(items),
            running: Mutex::new(HashMap::new()),
        })
    }

    /// One replay.
    pub fn get(&self, id: &str) -> Option<ReplayInfo> {
        self.items.lock().get(id).cloned()
    }

    /// Every replay, by date.
    pub fn list(&self) -> Vec<ReplayInfo> {
        let mut v: Vec<ReplayInfo> = self.items.lock().values().cloned().collect();
        v.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
        v
    }

    /// Deletes a replay (stops it when running); unknown ids are fine.
    pub fn delete(&self, id: &str) -> Result<(), String> {
        if let Some(h) = self.running.lock().remove(id) {
            h.abort();
        }
        self.items.lock().remove(id);
        self.store.delete(KIND, id)
    }

    fn persist(&self, r: &ReplayInfo) -> Result<(), String> {
        let doc = serde_json::to_value(r).map_err(|e| e.to_string())?;
        self.store.put(KIND, &r.id, &doc)
    }

    fn set_progress(&self, id: &str, progress: f64) {
        if let Some(r) = self.items.lock().get_mut(id) {
            r.progress = progress.clamp(0.0, 1.0);
        }
    }

    fn finish(&self, id: &str, result: Result<serde_json::Value, String>) {
        self.running.lock().remove(id);
        let mut items = self.items.lock();
        let Some(r) = items.get_mut(id) else {
            return;
        };
        r.date = format_time(now_ns());
        r.progress = 1.0;
        match result {
            Ok(stats) => {
                r.status = "finished".into();
                r.stats = stats;
            }
            Err(e) => {
                r.status = "failed".into();
                r.error = e;
            }
        }
        let r = r.clone();
        drop(items);
        if let Err(e) = self.persist(&r) {
            tracing::warn!(replay = %id, error = %e, "kapacitor: replay metadata not stored");
        }
    }
}

/// The options every replay request has.
#[derive(Debug, Default, Deserialize)]
struct ReplayRequest {
    id: Option<String>,
    recording: Option<String>,
    clock: Option<String>,
    #[serde(rename = "recording-time", default)]
    recording_time: bool,
}

fn start(state: &AppState, body: &[u8], direct: Option<&str>) -> Result<ReplayInfo, RecordError> {
    let req: ReplayRequest = serde_json::from_slice(body)
        .map_err(|e| RecordError::Invalid(format!("invalid JSON: {e}")))?;
    let rec = RecordRequest::parse(body)?;
    let task = rec.task()?;
    let def = state.kapacitor.manager.get(&task)?.def;
    let clock = req
        .clock
        .clone()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "fast".into());
    if clock != "fast" && clock != "real" {
        return Err(RecordError::Invalid(format!(
            "invalid clock {clock:?}: must be fast or real"
        )));
    }
    let (recording, source) = match direct {
        None => {
            let rid = req
                .recording
                .clone()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| RecordError::Invalid("must provide recording ID".into()))?;
            let r = state.kapacitor.recordings.get(&rid).ok_or_else(|| {
                RecordError::NotFound(format!("no recording exists with ID {rid}"))
            })?;
            if r.status != "finished" {
                return Err(RecordError::Invalid(format!(
                    "recording {rid} is {}, only finished recordings can be replayed",
                    r.status
                )));
            }
            if r.kind.as_str() != def.task_type {
                return Err(RecordError::Invalid(format!(
                    "cannot replay the {} recording {rid} to the {} task {task}",
                    r.kind.as_str(),
                    def.task_type
                )));
            }
            let path = state.kapacitor.recordings.path(&rid, r.kind);
            let source = match r.kind {
                RecordingType::Stream => ReplaySource::StreamFile(path),
                RecordingType::Batch => {
                    ReplaySource::Batches(read_batches(&path).map_err(RecordError::Internal)?)
                }
            };
            (rid, source)
        }
        Some("batch") => {
            rec.check_cluster()?;
            if def.task_type != "batch" {
                return Err(RecordError::Invalid(format!(
                    "task {task} is a {} task: batch replays need a batch task",
                    def.task_type
                )));
            }
            let (from, to) = rec.batch_range()?;
            (String::new(), ReplaySource::BatchQueries(from, to))
        }
        Some(_) => {
            rec.check_cluster()?;
            let q = rec
                .query
                .clone()
                .filter(|q| !q.trim().is_empty())
                .ok_or_else(|| RecordError::Invalid("must provide query".into()))?;
            almanac_influxql::parse_query(&q)
                .map_err(|e| RecordError::Invalid(format!("invalid query: {e}")))?;
            (String::new(), ReplaySource::Query(q))
        }
    };
    let id = match req.id.clone().filter(|i| !i.is_empty()) {
        Some(id) => id,
        None => new_id(now_ns() as u64 ^ 0x5eed),
    };
    if !valid_id(&id) {
        return Err(RecordError::Invalid(format!(
            "replay ID must contain only letters, numbers, '-', '.' and '_'. {id:?}"
        )));
    }
    let replays = state.kapacitor.replays.clone();
    let info = ReplayInfo {
        id: id.clone(),
        task: task.clone(),
        recording,
        clock: clock.clone(),
        recording_time: req.recording_time,
        status: "running".into(),
        progress: 0.0,
        error: String::new(),
        stats: serde_json::json!({}),
        date: format_time(now_ns()),
    };
    {
        let mut items = replays.items.lock();
        if items.contains_key(&id) {
            return Err(RecordError::Invalid(format!(
                "a replay with ID {id} already exists"
            )));
        }
        replays.persist(&info).map_err(RecordError::Internal)?;
        items.insert(id.clone(), info.clone());
    }
    let state2 = state.clone();
    let replays2 = replays.clone();
    let id2 = id.clone();
    let mut running = replays.running.lock();
    let h = tokio::spawn(async move {
        let r = run(
            &state2,
            &id2,
            &task,
            source,
            clock == "real",
            req.recording_time,
        )
        .await;
        replays2.finish(&id2, r);
    });
    running.insert(id, h.abort_handle());
    Ok(info)
}

/// Feeds `source` through a fresh instance of `task`; returns its statistics.
async fn run(
    state: &AppState,
    id: &str,
    task: &str,
    source: ReplaySource,
    real: bool,
    recording_time: bool,
) -> Result<serde_json::Value, String> {
    let replays = state.kapacitor.replays.clone();
    let progress = |p: f64| replays.set_progress(id, p);
    let source = match source {
        ReplaySource::BatchQueries(from, to) => ReplaySource::Batches(
            batch_task_data(state, task, from, to, |done, total| {
                progress(0.5 * done as f64 / total.max(1) as f64)
            })
            .await?,
        ),
        ReplaySource::Query(q) => {
            let batches = query_data(&state.influxql, state, &q).await?;
            let def = state
                .kapacitor
                .manager
                .get(task)
                .map_err(|e| e.to_string())?
                .def;
            if def.task_type == "stream" {
                let mut points: Vec<Point> = batches.into_iter().flat_map(|b| b.points).collect();
                points.sort_by_key(|p| p.time);
                ReplaySource::Points(points)
            } else {
                ReplaySource::Batches(batches.into_iter().map(|b| (0, b)).collect())
            }
        }
        other => other,
    };
    let (def, mut instance) = state
        .kapacitor
        .manager
        .instance(task)
        .map_err(|e| e.to_string())?;
    let now = now_ns();
    let started = tokio::time::Instant::now();
    let wait_for = |recorded: i64, first: i64| {
        let after = Duration::from_nanos((recorded - first).max(0) as u64);
        tokio::time::sleep_until(started + after)
    };
    let wanted = |p: &Point| {
        def.dbrps
            .iter()
            .any(|d| *d.db == *p.database && *d.rp == *p.retention_policy)
    };
    let mut fed = 0usize;
    match source {
        ReplaySource::StreamFile(path) => {
            let size = std::fs::metadata(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .len()
                .max(1);
            let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut reader = StreamReader::new(BufReader::new(f));
            let mut first = None;
            while let Some(mut p) = reader
                .next_point()
                .map_err(|e| format!("{}: {e}", path.display()))?
            {
                if !wanted(&p) {
                    continue;
                }
                let f = *first.get_or_insert(p.time);
                if real {
                    wait_for(p.time, f).await;
                }
                if !recording_time {
                    p.time += now - f;
                }
                instance.push(p);
                fed += 1;
                if fed % 1000 == 0 {
                    progress(reader.bytes as f64 / size as f64);
                    state.kapacitor.manager.flush_loopback();
                    tokio::task::yield_now().await;
                }
            }
        }
        ReplaySource::Points(points) => {
            let total = points.len().max(1);
            let first = points.first().map(|p| p.time).unwrap_or(0);
            for (i, mut p) in points.into_iter().enumerate() {
                if !wanted(&p) {
                    continue;
                }
                if real {
                    wait_for(p.time, first).await;
                }
                if !recording_time {
                    p.time += now - first;
                }
                instance.push(p);
                if i % 1000 == 999 {
                    progress(i as f64 / total as f64);
                    tokio::task::yield_now().await;
                }
            }
        }
        ReplaySource::Batches(batches) => {
            let sources = instance.query_nodes();
            let total = batches.len().max(1);
            let first = batches.first().map(|(_, b)| b.tmax).unwrap_or(0);
            for (i, (source, mut b)) in batches.into_iter().enumerate() {
                let node = *sources.get(source).ok_or_else(|| {
                    format!(
                        "the recording has data for query {} but task {task} has {} queries",
                        source + 1,
                        sources.len()
                    )
                })?;
                if real {
                    wait_for(b.tmax, first).await;
                }
                if !recording_time {
                    let shift = now - first;
                    b.tmax += shift;
                    for p in &mut b.points {
                        p.time += shift;
                    }
                }
                instance.push_batches(node, vec![b]);
                progress(0.5 + 0.5 * (i + 1) as f64 / total as f64);
                state.kapacitor.manager.flush_loopback();
                tokio::task::yield_now().await;
            }
        }
        ReplaySource::BatchQueries(..) | ReplaySource::Query(_) => {
            unreachable!("resolved to data above")
        }
    }
    state.kapacitor.manager.flush_loopback();
    let info = TaskInfo {
        dot: instance.dot(),
        node_stats: instance.node_stats(),
        edges: instance.edges(),
        executing: true,
        error: String::new(),
        def,
    };
    Ok(super::tasks::task_json(&info)["stats"].clone())
}

fn created(r: &ReplayInfo) -> Response {
    (StatusCode::CREATED, Json(replay_json(r))).into_response()
}

/// `POST /kapacitor/v1/replays`: replay a recording.
pub async fn create(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match start(&state, &body, None) {
        Ok(r) => created(&r),
        Err(e) => e.response(),
    }
}

/// `POST /kapacitor/v1/replays/batch`: run a batch task's queries over a
/// range and replay the results at once.
pub async fn create_batch(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match start(&state, &body, Some("batch")) {
        Ok(r) => created(&r),
        Err(e) => e.response(),
    }
}

/// `POST /kapacitor/v1/replays/query`: run a query and replay its result.
pub async fn create_query(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match start(&state, &body, Some("query")) {
        Ok(r) => created(&r),
        Err(e) => e.response(),
    }
}

/// `GET /kapacitor/v1/replays/{id}`: 202 while running, 200 after.
pub async fn get(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Response {
    match state.kapacitor.replays.get(&id) {
        Some(r) => {
            let status = if r.status == "running" {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            (status, Json(replay_json(&r))).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            format!("no replay exists with ID {id}"),
        ),
    }
}

/// `DELETE /kapacitor/v1/replays/{id}` (204, also for unknown ids).
pub async fn delete(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Response {
    match state.kapacitor.replays.delete(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// `GET /kapacitor/v1/replays`.
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let items = state
        .kapacitor
        .replays
        .list()
        .iter()
        .map(replay_json)
        .collect();
    match list_page(&q, items) {
        Ok(v) => Json(serde_json::json!({ "replays": v })).into_response(),
        Err(r) => *r,
    }
}
