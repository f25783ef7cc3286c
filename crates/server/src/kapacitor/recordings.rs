//! `/kapacitor/v1/recordings`: data captured for replays.
//!
//! - `stream`: the writes the server accepts for a stream task's
//!   database/retention policy pairs, until the `stop` time;
//! - `batch`: the results of a batch task's queries, run at every `every`
//!   over `[start, stop)`;
//! - `query`: the result of one InfluxQL `SELECT`, kept as points (`stream`)
//!   or batches (`batch`).
//!
//! Data goes to `<data>/kapacitor/recordings/<id>.srpl` (per point three
//! lines: database, retention policy, the point as line protocol with a
//! nanosecond time) or `<id>.brpl` (one JSON batch per line with its
//! `source`, the index of the task's query node it came from). The recording
//! metadata is a `recording` document in `kapacitor.redb`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use almanac_influxql::ast::{Source, Statement};
use almanac_influxql_exec::{ExecContext, Executor};
use almanac_storage::stream::WriteEvent;
use almanac_tasks::engine::BatchQuerier;
use almanac_tasks::manager::Dbrp;
use almanac_tasks::model::{format_time, parse_time, Batch, Dimensions, FieldValue, Point};
use almanac_tasks::Store;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{error, new_id, now_ns};
use crate::AppState;

/// Store kind of recording documents.
const KIND: &str = "recording";

/// What a recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingType {
    /// Points (replayed into stream tasks).
    Stream,
    /// Batches by query node (replayed into batch tasks).
    Batch,
}

impl RecordingType {
    /// `stream` or `batch`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingType::Stream => "stream",
            RecordingType::Batch => "batch",
        }
    }

    /// From a task type or an API `type`.
    pub fn parse(s: &str) -> Option<RecordingType> {
        match s {
            "stream" => Some(RecordingType::Stream),
            "batch" => Some(RecordingType::Batch),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            RecordingType::Stream => "srpl",
            RecordingType::Batch => "brpl",
        }
    }
}

/// A recording's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordingInfo {
    /// Id.
    pub id: String,
    /// Stream or batch.
    #[serde(rename = "type")]
    pub kind: RecordingType,
    /// Bytes on disk.
    pub size: u64,
    /// When it finished (or started, while running), RFC 3339.
    pub date: String,
    /// Why it failed.
    pub error: String,
    /// `running`, `finished` or `failed`.
    pub status: String,
    /// 0 to 1.
    pub progress: f64,
    /// Stream recordings: when recording began and stops (ns), for progress.
    #[serde(default)]
    pub window: Option<(i64, i64)>,
}

/// Kapacitor's recording JSON.
pub fn recording_json(r: &RecordingInfo) -> serde_json::Value {
    let mut progress = r.progress;
    if r.status == "running" {
        if let Some((from, to)) = r.window {
            if to > from {
                progress = ((now_ns() - from) as f64 / (to - from) as f64).clamp(0.0, 0.99);
            }
        }
    }
    serde_json::json!({
        "link": {"rel": "self", "href": format!("/kapacitor/v1/recordings/{}", r.id)},
        "id": r.id,
        "type": r.kind.as_str(),
        "size": r.size,
        "date": r.date,
        "error": r.error,
        "status": r.status,
        "progress": progress,
    })
}

/// The recordings of the server.
pub struct Recordings {
    dir: PathBuf,
    store: Arc<dyn Store>,
    items: Mutex<BTreeMap<String, RecordingInfo>>,
    running: Mutex<HashMap<String, tokio::task::AbortHandle>>,
}

/// A recording request that cannot start (400 or 404).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// 400.
    #[error("{0}")]
    Invalid(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 500.
    #[error("{0}")]
    Internal(String),
}

impl RecordError {
    /// Kapacitor's error response.
    pub fn response(&self) -> Response {
        let status = match self {
            RecordError::Invalid(_) => StatusCode::BAD_REQUEST,
            RecordError::NotFound(_) => StatusCode::NOT_FOUND,
            RecordError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        error(status, self.to_string())
    }
}

impl From<almanac_tasks::TaskError> for RecordError {
    fn from(e: almanac_tasks::TaskError) -> Self {
        match e {
            almanac_tasks::TaskError::NotFound(m) => RecordError::NotFound(m),
            almanac_tasks::TaskError::Invalid(m) => RecordError::Invalid(m),
            almanac_tasks::TaskError::Internal(m) => RecordError::Internal(m),
        }
    }
}

/// Whether `id` is a valid Kapacitor id (letters, digits, `-`, `.`, `_`).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_')
}

impl Recordings {
    /// Opens `<data>/kapacitor/recordings` and the stored metadata; a
    /// recording interrupted by a restart is marked failed.
    pub fn open(data_dir: &Path, store: Arc<dyn Store>) -> Result<Recordings, String> {
        let dir = data_dir.join("kapacitor").join("recordings");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut items = BTreeMap::new();
        for doc in store.list(KIND)? {
            let mut r: RecordingInfo =
                serde_json::from_value(doc).map_err(|e| format!("stored recording: {e}"))?;
            if r.status == "running" {
                r.status = "failed".into();
                r.error = "the server stopped while recording".into();
                store.put(
                    KIND,
                    &r.id,
                    &serde_json::to_value(&r).map_err(|e| e.to_string())?,
                )?;
            }
            items.insert(r.id.clone(), r);
        }
        Ok(Recordings {
            dir,
            store,
            items: Mutex::new(items),
            running: Mutex::new(HashMap::new()),
        })
    }

    /// The data file of a recording.
    pub fn path(&self, id: &str, kind: RecordingType) -> PathBuf {
        self.dir.join(format!("{id}.{}", kind.extension()))
    }

    /// One recording.
    pub fn get(&self, id: &str) -> Option<RecordingInfo> {
        self.items.lock().get(id).cloned()
    }

    /// Every recording, by date.
    pub fn list(&self) -> Vec<RecordingInfo> {
        let mut v: Vec<RecordingInfo> = self.items.lock().values().cloned().collect();
        v.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
        v
    }

    /// Deletes a recording (stops it when running); unknown ids are fine.
    pub fn delete(&self, id: &str) -> Result<(), String> {
        if let Some(h) = self.running.lock().remove(id) {
            h.abort();
        }
        if let Some(r) = self.items.lock().remove(id) {
            let p = self.path(id, r.kind);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
        self.store.delete(KIND, id)
    }

    fn begin(
        &self,
        id: Option<String>,
        kind: RecordingType,
        window: Option<(i64, i64)>,
    ) -> Result<RecordingInfo, RecordError> {
        let id = match id.filter(|i| !i.is_empty()) {
            Some(id) => id,
            None => new_id(now_ns() as u64),
        };
        if !valid_id(&id) {
            return Err(RecordError::Invalid(format!(
                "recording ID must contain only letters, numbers, '-', '.' and '_'. {id:?}"
            )));
        }
        let mut items = self.items.lock();
        if items.contains_key(&id) {
            return Err(RecordError::Invalid(format!(
                "a recording with ID {id} already exists"
            )));
        }
        let r = RecordingInfo {
            id: id.clone(),
            kind,
            size: 0,
            date: format_time(now_ns()),
            error: String::new(),
            status: "running".into(),
            progress: 0.0,
            window,
        };
        self.persist(&r).map_err(RecordError::Internal)?;
        items.insert(id, r.clone());
        Ok(r)
    }

    fn persist(&self, r: &RecordingInfo) -> Result<(), String> {
        let doc = serde_json::to_value(r).map_err(|e| e.to_string())?;
        self.store.put(KIND, &r.id, &doc)
    }

    fn set_progress(&self, id: &str, progress: f64, size: u64) {
        if let Some(r) = self.items.lock().get_mut(id) {
            r.progress = progress;
            r.size = size;
        }
    }

    /// Marks a recording finished (or failed) and stores it.
    fn finish(&self, id: &str, result: Result<(), String>) {
        self.running.lock().remove(id);
        let mut items = self.items.lock();
        let Some(r) = items.get_mut(id) else {
            return; // deleted meanwhile
        };
        let path = self.dir.join(format!("{id}.{}", r.kind.extension()));
        r.size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        r.date = format_time(now_ns());
        r.progress = 1.0;
        match result {
            Ok(()) => r.status = "finished".into(),
            Err(e) => {
                r.status = "failed".into();
                r.error = e;
            }
        }
        let r = r.clone();
        drop(items);
        if let Err(e) = self.persist(&r) {
            tracing::warn!(recording = %id, error = %e, "kapacitor: recording metadata not stored");
        }
    }

    fn spawn<F>(self: &Arc<Self>, id: String, work: F)
    where
        F: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        let this = self.clone();
        let id2 = id.clone();
        let mut running = self.running.lock();
        let h = tokio::spawn(async move {
            let r = work.await;
            this.finish(&id2, r);
        });
        running.insert(id, h.abort_handle());
    }
}

/// Appends a point as a stream record (database, retention policy, line).
pub fn write_point(out: &mut String, p: &Point) {
    out.push_str(&p.database);
    out.push('\n');
    out.push_str(&p.retention_policy);
    out.push('\n');
    let tags: Vec<(&str, &str)> = p
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let fields: Vec<(&str, almanac_lineproto::FieldValue<'_>)> =
        p.fields.iter().map(|(k, v)| (&**k, v.to_line())).collect();
    almanac_lineproto::write_line(out, &p.name, &tags, &fields, Some(p.time));
}

/// Reads stream records one at a time.
pub struct StreamReader<R> {
    reader: R,
    line: usize,
    /// Bytes read so far (for progress).
    pub bytes: u64,
}

impl<R: BufRead> StreamReader<R> {
    /// Reads records from `reader`.
    pub fn new(reader: R) -> Self {
        StreamReader {
            reader,
            line: 0,
            bytes: 0,
        }
    }

    fn next_line(&mut self) -> Result<Option<String>, String> {
        let mut s = String::new();
        let n = self
            .reader
            .read_line(&mut s)
            .map_err(|e| format!("line {}: {e}", self.line + 1))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        self.bytes += n as u64;
        Ok(Some(s.trim_end_matches('\n').to_string()))
    }

    /// The next point, `None` at the end.
    pub fn next_point(&mut self) -> Result<Option<Point>, String> {
        let Some(db) = self.next_line()? else {
            return Ok(None);
        };
        let (Some(rp), Some(line)) = (self.next_line()?, self.next_line()?) else {
            return Err(format!("line {}: truncated record", self.line));
        };
        let mut points = almanac_tasks::manager::parse_points(&db, &rp, line.as_bytes(), 1, 0)
            .map_err(|e| format!("line {}: {e}", self.line))?;
        match points.pop() {
            Some(p) if points.is_empty() => Ok(Some(p)),
            _ => Err(format!("line {}: expected one point", self.line)),
        }
    }
}

/// A batch with the index of the query node it came from.
pub type SourcedBatch = (usize, Batch);

/// One batch record as JSON.
pub fn batch_json(source: usize, b: &Batch) -> serde_json::Value {
    let points: Vec<serde_json::Value> = b
        .points
        .iter()
        .map(|p| {
            let fields: serde_json::Map<String, serde_json::Value> = p
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect();
            serde_json::json!({"time": format_time(p.time), "tags": &*p.tags, "fields": fields})
        })
        .collect();
    serde_json::json!({
        "source": source,
        "name": &*b.name,
        "tmax": format_time(b.tmax),
        "group-by": b.dims.tag_names,
        "by-name": b.dims.by_name,
        "tags": &*b.tags,
        "points": points,
    })
}

fn json_field(v: &serde_json::Value) -> Option<FieldValue> {
    use serde_json::Value as J;
    Some(match v {
        J::Bool(b) => FieldValue::Bool(*b),
        J::String(s) => FieldValue::Str(s.clone()),
        J::Number(n) => {
            if n.is_f64() {
                FieldValue::Float(n.as_f64()?)
            } else if let Some(i) = n.as_i64() {
                FieldValue::Int(i)
            } else {
                FieldValue::UInt(n.as_u64()?)
            }
        }
        _ => return None,
    })
}

fn json_tags(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Parses one batch record.
pub fn batch_from_json(v: &serde_json::Value) -> Result<SourcedBatch, String> {
    let source = v["source"].as_u64().ok_or("missing \"source\"")? as usize;
    let name = v["name"].as_str().unwrap_or_default().to_string();
    let tmax = v["tmax"]
        .as_str()
        .and_then(parse_time)
        .ok_or("missing or invalid \"tmax\"")?;
    let dims = Arc::new(Dimensions {
        by_name: v["by-name"].as_bool().unwrap_or(false),
        tag_names: v["group-by"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        star: false,
    });
    let mut points = Vec::new();
    for (i, p) in v["points"].as_array().into_iter().flatten().enumerate() {
        let time = p["time"]
            .as_str()
            .and_then(parse_time)
            .ok_or_else(|| format!("point {i}: missing or invalid \"time\""))?;
        let fields = p["fields"]
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), json_field(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        let mut pt = Point::new("", "", &name, json_tags(&p["tags"]), fields, time);
        pt.dims = dims.clone();
        points.push(pt);
    }
    Ok((
        source,
        Batch {
            name: name.into(),
            tags: Arc::new(json_tags(&v["tags"])),
            tmax,
            dims,
            points,
        },
    ))
}

/// Reads every batch record of a `.brpl` file.
pub fn read_batches(path: &Path) -> Result<Vec<SourcedBatch>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))?;
        out.push(
            batch_from_json(&v).map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))?,
        );
    }
    Ok(out)
}

/// Runs a batch task's queries over `[start, stop)`: its batches with
/// their source index; `progress` gets (done, total) after each query.
pub async fn batch_task_data(
    state: &AppState,
    task: &str,
    start: i64,
    stop: i64,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<SourcedBatch>, String> {
    let (def, mut instance) = state
        .kapacitor
        .manager
        .scratch_instance(task)
        .map_err(|e| e.to_string())?;
    if def.task_type != "batch" {
        return Err(format!(
            "task {task} is a {} task, not a batch task",
            def.task_type
        ));
    }
    let sources = instance.query_nodes();
    let queries = instance.queries_between(start, stop);
    drop(instance);
    let querier = super::querier::InfluxQlQuerier {
        executor: state.influxql.clone(),
    };
    let mut out = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let source = sources.iter().position(|n| *n == q.node).unwrap_or(0);
        let batches = querier
            .query(q)
            .await
            .map_err(|e| format!("query {:?}: {e}", q.query))?;
        out.extend(batches.into_iter().map(|b| (source, b)));
        progress(i + 1, queries.len());
    }
    Ok(out)
}

/// Runs one InfluxQL `SELECT`: each result series as a batch (stamped with
/// its last point's time) whose points carry the source's database and
/// retention policy.
pub async fn query_data(
    executor: &Executor,
    state: &AppState,
    query: &str,
) -> Result<Vec<Batch>, String> {
    use almanac_influxql_exec::result::Value as V;
    let parsed = almanac_influxql::parse_query(query).map_err(|e| format!("invalid query: {e}"))?;
    let stmt = match parsed.statements.as_slice() {
        [s @ Statement::Select(_)] => s.clone(),
        _ => {
            return Err(format!(
                "query must be a single SELECT statement: {query:?}"
            ))
        }
    };
    let Statement::Select(sel) = &stmt else {
        unreachable!("matched above")
    };
    let (db, rp) = match sel.sources.first() {
        Some(Source::Measurement(m)) => match &m.database {
            Some(db) => (
                db.clone(),
                m.retention_policy.clone().filter(|r| !r.is_empty()),
            ),
            None => {
                return Err(
                    "query must name its database: SELECT … FROM \"db\".\"rp\".\"measurement\""
                        .into(),
                )
            }
        },
        _ => return Err("query must select from a measurement".into()),
    };
    let rp = match rp {
        Some(rp) => rp,
        None => state
            .storage
            .catalog()
            .database(&db)
            .map(|d| d.default_rp.clone())
            .ok_or_else(|| format!("database not found: {db}"))?,
    };
    let ctx = ExecContext {
        database: Some(db.clone()),
        retention_policy: None,
        now: now_ns(),
        read_only: true,
        user: None,
    };
    let result = executor.execute(&stmt, &ctx).await;
    if let Some(e) = result.error {
        return Err(e);
    }
    let mut out = Vec::new();
    for s in result.series {
        let dims = Arc::new(Dimensions {
            tag_names: s.tags.keys().cloned().collect(),
            ..Default::default()
        });
        let time_col = s.columns.iter().position(|c| c == "time");
        let tags = Arc::new(s.tags.clone());
        let mut points = Vec::new();
        for row in &s.values {
            let time = match time_col.and_then(|i| row.get(i)) {
                Some(V::Time(t)) | Some(V::Integer(t)) => *t,
                _ => 0,
            };
            let fields: almanac_tasks::model::Fields = s
                .columns
                .iter()
                .zip(row)
                .enumerate()
                .filter(|(i, _)| Some(*i) != time_col)
                .filter_map(|(_, (c, v))| {
                    let f = match v {
                        V::Null => return None,
                        V::Float(f) => FieldValue::Float(*f),
                        V::Integer(i) | V::Time(i) => FieldValue::Int(*i),
                        V::Unsigned(u) => FieldValue::UInt(*u),
                        V::String(s) => FieldValue::Str(s.clone()),
                        V::Boolean(b) => FieldValue::Bool(*b),
                        #[allow(unreachable_patterns)]
                        _ => return None,
                    };
                    Some((c.clone(), f))
                })
                .collect();
            if fields.is_empty() {
                continue;
            }
            let mut p = Point::new(&db, &rp, &s.name, Default::default(), fields, time);
            p.tags = tags.clone();
            p.dims = dims.clone();
            points.push(p);
        }
        let tmax = points.last().map(|p| p.time).unwrap_or(0);
        out.push(Batch {
            name: s.name.as_str().into(),
            tags,
            tmax,
            dims,
            points,
        });
    }
    Ok(out)
}

/// Parses an RFC 3339 time field of a request.
pub fn time_field(name: &str, v: Option<&str>) -> Result<Option<i64>, RecordError> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_time(s).map(Some).ok_or_else(|| {
            RecordError::Invalid(format!("invalid {name} time {s:?}: must be RFC 3339"))
        }),
    }
}

/// Parses a duration field (`1h`, `90m`, Go's `1h30m0s`, or nanoseconds).
pub fn duration_field(name: &str, v: &serde_json::Value) -> Result<Option<i64>, RecordError> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| RecordError::Invalid(format!("invalid {name} duration {n}"))),
        serde_json::Value::String(s) if s.is_empty() => Ok(None),
        serde_json::Value::String(s) => almanac_tasks::lambda::parse_duration_text(s)
            .or_else(|| go_duration(s))
            .map(Some)
            .ok_or_else(|| RecordError::Invalid(format!("invalid {name} duration {s:?}"))),
        other => Err(RecordError::Invalid(format!(
            "invalid {name} duration {other}"
        ))),
    }
}

/// Go's `time.Duration` text (`1h30m0s`, `1.5s`).
fn go_duration(s: &str) -> Option<i64> {
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        total += n * match &rest[..u_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[u_end..];
    }
    Some(total as i64)
}

/// The body of `POST /recordings/stream|batch|query` (and direct replays).
#[derive(Debug, Default, Deserialize)]
pub struct RecordRequest {
    /// Recording id.
    pub id: Option<String>,
    /// Task id (stream, batch).
    pub task: Option<String>,
    /// Stream: record until; batch: latest time (default now).
    pub stop: Option<String>,
    /// Batch: earliest time.
    pub start: Option<String>,
    /// Batch: `start` as a duration before `stop` (the CLI's `-past`).
    #[serde(default)]
    pub past: serde_json::Value,
    /// Query: `stream` or `batch`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Query: the InfluxQL `SELECT`.
    pub query: Option<String>,
    /// InfluxDB cluster name: Almanac has one, so only empty or `default`.
    pub cluster: Option<String>,
}

impl RecordRequest {
    /// Parses a request body.
    pub fn parse(body: &[u8]) -> Result<RecordRequest, RecordError> {
        serde_json::from_slice(body).map_err(|e| RecordError::Invalid(format!("invalid JSON: {e}")))
    }

    /// The task id (required).
    pub fn task(&self) -> Result<String, RecordError> {
        self.task
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RecordError::Invalid("must provide task ID".into()))
    }

    /// Checks `cluster` (Almanac is its own single cluster).
    pub fn check_cluster(&self) -> Result<(), RecordError> {
        match self.cluster.as_deref() {
            None | Some("") | Some("default") => Ok(()),
            Some(c) => Err(RecordError::Invalid(format!(
                "unknown InfluxDB cluster {c:?}: Almanac queries its own storage"
            ))),
        }
    }

    /// The batch range `[start, stop)`: `stop` defaults to now, `start`
    /// comes from `start` or `past`.
    pub fn batch_range(&self) -> Result<(i64, i64), RecordError> {
        let stop = time_field("stop", self.stop.as_deref())?.unwrap_or_else(now_ns);
        let start = match (
            time_field("start", self.start.as_deref())?,
            duration_field("past", &self.past)?,
        ) {
            (Some(s), _) => s,
            (None, Some(p)) => stop - p,
            (None, None) => {
                return Err(RecordError::Invalid(
                    "must provide start time or past duration".into(),
                ))
            }
        };
        if start >= stop {
            return Err(RecordError::Invalid(
                "start time must be before stop time".into(),
            ));
        }
        Ok((start, stop))
    }
}

fn created(r: &RecordingInfo) -> Response {
    (StatusCode::CREATED, Json(recording_json(r))).into_response()
}

/// `POST /kapacitor/v1/recordings/stream`.
pub async fn record_stream(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match start_stream(&state, &body) {
        Ok(r) => created(&r),
        Err(e) => e.response(),
    }
}

fn start_stream(state: &AppState, body: &[u8]) -> Result<RecordingInfo, RecordError> {
    let req = RecordRequest::parse(body)?;
    let task = req.task()?;
    let def = state.kapacitor.manager.get(&task)?.def;
    if def.task_type != "stream" {
        return Err(RecordError::Invalid(format!(
            "task {task} is a {} task: stream recordings need a stream task",
            def.task_type
        )));
    }
    let stop = time_field("stop", req.stop.as_deref())?
        .ok_or_else(|| RecordError::Invalid("must provide stop time".into()))?;
    let now = now_ns();
    let recs = state.kapacitor.recordings.clone();
    let r = recs.begin(req.id.clone(), RecordingType::Stream, Some((now, stop)))?;
    let path = recs.path(&r.id, RecordingType::Stream);
    let file = std::fs::File::create(&path)
        .map_err(|e| RecordError::Internal(format!("{}: {e}", path.display())))?;
    let rx = state.storage.write_stream().subscribe();
    let wait = Duration::from_nanos(stop.saturating_sub(now).max(0) as u64);
    let id = r.id.clone();
    let recs2 = recs.clone();
    recs.spawn(
        r.id.clone(),
        record_stream_until(rx, def.dbrps, file, wait, move |size| {
            recs2.set_progress(&id, 0.0, size)
        }),
    );
    Ok(r)
}

async fn record_stream_until(
    mut rx: broadcast::Receiver<Arc<WriteEvent>>,
    dbrps: Vec<Dbrp>,
    file: std::fs::File,
    wait: Duration,
    size: impl Fn(u64) + Send + 'static,
) -> Result<(), String> {
    let mut w = std::io::BufWriter::new(file);
    let mut written = 0u64;
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    let mut missed = 0u64;
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if !dbrps.iter().any(|d| d.db == ev.database && d.rp == ev.retention_policy) {
                        continue;
                    }
                    let points = almanac_tasks::manager::parse_points(
                        &ev.database,
                        &ev.retention_policy,
                        &ev.lines,
                        ev.precision_nanos,
                        ev.default_time,
                    )?;
                    let mut s = String::new();
                    for p in &points {
                        write_point(&mut s, p);
                    }
                    w.write_all(s.as_bytes()).map_err(|e| e.to_string())?;
                    written += s.len() as u64;
                    size(written);
                }
                Err(broadcast::error::RecvError::Lagged(n)) => missed += n,
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    w.flush().map_err(|e| e.to_string())?;
    if missed > 0 {
        return Err(format!(
            "the recording fell behind the write stream and missed {missed} writes"
        ));
    }
    Ok(())
}

/// `POST /kapacitor/v1/recordings/batch`.
pub async fn record_batch(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match start_batch(&state, &body) {
        Ok(r) => created(&r),
        Err(e) => e.response(),
    }
}

fn start_batch(state: &AppState, body: &[u8]) -> Result<RecordingInfo, RecordError> {
    let req = RecordRequest::parse(body)?;
    req.check_cluster()?;
    let task = req.task()?;
    let def = state.kapacitor.manager.get(&task)?.def;
    if def.task_type != "batch" {
        return Err(RecordError::Invalid(format!(
            "task {task} is a {} task: batch recordings need a batch task",
            def.task_type
        )));
    }
    let (start, stop) = req.batch_range()?;
    let recs = state.kapacitor.recordings.clone();
    let r = recs.begin(req.id.clone(), RecordingType::Batch, None)?;
    let path = recs.path(&r.id, RecordingType::Batch);
    let state2 = state.clone();
    let id = r.id.clone();
    let recs2 = recs.clone();
    recs.spawn(r.id.clone(), async move {
        let data = batch_task_data(&state2, &task, start, stop, |done, total| {
            recs2.set_progress(&id, done as f64 / total.max(1) as f64, 0)
        })
        .await?;
        write_batches(&path, &data)
    });
    Ok(r)
}

/// Writes batch records to `path`.
pub fn write_batches(path: &Path, data: &[SourcedBatch]) -> Result<(), String> {
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
    );
    for (source, b) in data {
        serde_json::to_writer(&mut w, &batch_json(*source, b)).map_err(|e| e.to_string())?;
        w.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())
}

/// `POST /kapacitor/v1/recordings/query`.
pub async fn record_query(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match start_query(&state, &body) {
        Ok(r) => created(&r),
        Err(e) => e.response(),
    }
}

fn start_query(state: &AppState, body: &[u8]) -> Result<RecordingInfo, RecordError> {
    let req = RecordRequest::parse(body)?;
    req.check_cluster()?;
    let kind = req
        .kind
        .as_deref()
        .and_then(RecordingType::parse)
        .ok_or_else(|| {
            RecordError::Invalid(format!(
                "invalid recording type {:?}: must be stream or batch",
                req.kind.clone().unwrap_or_default()
            ))
        })?;
    let query = req
        .query
        .clone()
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| RecordError::Invalid("must provide query".into()))?;
    // Reject a malformed query before answering.
    almanac_influxql::parse_query(&query)
        .map_err(|e| RecordError::Invalid(format!("invalid query: {e}")))?;
    let recs = state.kapacitor.recordings.clone();
    let r = recs.begin(req.id.clone(), kind, None)?;
    let path = recs.path(&r.id, kind);
    let state2 = state.clone();
    recs.spawn(r.id.clone(), async move {
        let batches = query_data(&state2.influxql, &state2, &query).await?;
        match kind {
            RecordingType::Batch => {
                let data: Vec<SourcedBatch> = batches.into_iter().map(|b| (0, b)).collect();
                write_batches(&path, &data)
            }
            RecordingType::Stream => {
                let mut points: Vec<Point> = batches.into_iter().flat_map(|b| b.points).collect();
                points.sort_by_key(|p| p.time);
                let mut s = String::new();
                for p in &points {
                    write_point(&mut s, p);
                }
                std::fs::write(&path, s).map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    });
    Ok(r)
}

/// `GET /kapacitor/v1/recordings/{id}`: 202 while running, 200 after.
pub async fn get(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Response {
    match state.kapacitor.recordings.get(&id) {
        Some(r) => {
            let status = if r.status == "running" {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            (status, Json(recording_json(&r))).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            format!("no recording exists with ID {id}"),
        ),
    }
}

/// `DELETE /kapacitor/v1/recordings/{id}` (204, also for unknown ids).
pub async fn delete(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Response {
    match state.kapacitor.recordings.delete(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// `pattern`, `fields`, `offset`, `limit` of a list request applied to
/// items as JSON (`id` and `link` always kept).
pub fn list_page(
    q: &HashMap<String, String>,
    items: Vec<serde_json::Value>,
) -> Result<Vec<serde_json::Value>, Box<Response>> {
    let bad = |m: &str| Box::new(error(StatusCode::BAD_REQUEST, m.to_string()));
    let pattern = q.get("pattern").cloned().unwrap_or_default();
    let offset: usize = q
        .get("offset")
        .map(|s| s.parse())
        .transpose()
        .map_err(|_| bad("invalid offset"))?
        .unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .map(|s| s.parse())
        .transpose()
        .map_err(|_| bad("invalid limit"))?
        .unwrap_or(100);
    let fields: Vec<&str> = q
        .get("fields")
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(items
        .into_iter()
        .filter(|j| super::tasks::glob(&pattern, j["id"].as_str().unwrap_or_default()))
        .skip(offset)
        .take(limit)
        .map(|mut j| {
            if !fields.is_empty() {
                if let Some(o) = j.as_object_mut() {
                    o.retain(|k, _| k == "id" || k == "link" || fields.contains(&k.as_str()));
                }
            }
            j
        })
        .collect())
}

/// `GET /kapacitor/v1/recordings`.
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let items = state
        .kapacitor
        .recordings
        .list()
        .iter()
        .map(recording_json)
        .collect();
    match list_page(&q, items) {
        Ok(v) => Json(serde_json::json!({ "recordings": v })).into_response(),
        Err(r) => *r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_records_round_trip() {
        let mut tags = almanac_tasks::model::Tags::new();
        tags.insert("host".into(), "a b".into());
        let mut fields = almanac_tasks::model::Fields::new();
        fields.insert("v".into(), FieldValue::Float(1.5));
        fields.insert("n".into(), FieldValue::Int(3));
        fields.insert("s".into(), FieldValue::Str("x\"y".into()));
        let p = Point::new(
            "db",
            "autogen",
            "cpu",
            tags,
            fields,
            1_700_000_000_123_456_789,
        );
        let mut s = String::new();
        write_point(&mut s, &p);
        write_point(&mut s, &p);
        let mut r = StreamReader::new(std::io::Cursor::new(s.into_bytes()));
        assert_eq!(r.next_point().unwrap().unwrap(), p);
        assert_eq!(r.next_point().unwrap().unwrap(), p);
        assert!(r.next_point().unwrap().is_none());
        let mut bad = StreamReader::new(std::io::Cursor::new(b"db\nrp\n".to_vec()));
        assert_eq!(bad.next_point().unwrap_err(), "line 2: truncated record");
    }

    #[test]
    fn batch_records_round_trip() {
        let dims = Arc::new(Dimensions {
            tag_names: vec!["host".into()],
            ..Default::default()
        });
        let mut tags = almanac_tasks::model::Tags::new();
        tags.insert("host".into(), "a".into());
        let mut fields = almanac_tasks::model::Fields::new();
        fields.insert("mean".into(), FieldValue::Float(2.0));
        fields.insert("count".into(), FieldValue::Int(2));
        let mut p = Point::new("", "", "cpu", tags.clone(), fields, 10_000_000_000);
        p.dims = dims.clone();
        let b = Batch {
            name: "cpu".into(),
            tags: Arc::new(tags),
            tmax: 20_000_000_000,
            dims,
            points: vec![p],
        };
        let j = batch_json(1, &b);
        let (source, back) = batch_from_json(&j).unwrap();
        assert_eq!(source, 1);
        assert_eq!(back, b);
        assert!(batch_from_json(&serde_json::json!({"source": 0})).is_err());
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(
            duration_field("past", &serde_json::json!("1h30m0s")).unwrap(),
            Some(5_400_000_000_000)
        );
        assert_eq!(
            duration_field("past", &serde_json::json!("10m")).unwrap(),
            Some(600_000_000_000)
        );
        assert!(duration_field("past", &serde_json::json!("soon")).is_err());
        assert!(time_field("start", Some("yesterday")).is_err());
        let req = RecordRequest {
            stop: Some("2026-01-01T01:00:00Z".into()),
            past: serde_json::json!("1h"),
            ..Default::default()
        };
        let (start, stop) = req.batch_range().unwrap();
        assert_eq!(stop - start, 3_600_000_000_000);
    }
}
