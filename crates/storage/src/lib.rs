//! Storage engine of Almanac.
//!
//! Write path: a request body is parsed and validated against the catalog
//! ([`write::prepare_write`]), the accepted lines are appended to the
//! [write-ahead log](wal) with group commit, and once durable they are applied
//! to the in-memory [write buffer](buffer) — then the write is acknowledged.
//!
//! Persistence: a partition's buffered rows are frozen, sorted by
//! (tags, time), deduplicated (later writes win per field) and written as a
//! Parquet file (LZ4 pages, for read speed: see [`files::FileCodec`]); the
//! [manifest] is replaced atomically and WAL segments that hold nothing
//! unpersisted are deleted. Compaction merges a partition's files into one
//! with ZSTD pages (for size); retention drops expired partitions; deletes
//! filter the buffer and leave tombstones for older files.
//!
//! Read path: [`Storage::table_snapshot`] returns the files and buffered
//! batches of one measurement's partitions in a time range; each
//! [`PartitionSnapshot`] reads and merges its sources.

#![warn(missing_docs)]

pub mod buffer;
pub mod chunk;
pub mod dedup;
pub mod delete;
pub mod error;
pub mod file_index;
pub mod files;
pub mod leases;
pub mod manifest;
pub mod page_select;
pub mod prune;
pub mod restart_delta;
pub mod schema;
pub mod stream;
pub mod wal;
pub mod write;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use almanac_catalog::Catalog;
use almanac_lineproto::Precision;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

pub use buffer::Buffer;
pub use delete::{DeletePredicate, TagMatch, Tombstone};
pub use error::StorageError;
pub use manifest::{FileMeta, Manifest};
pub use prune::{TagFilter, TagRange};
pub use write::WriteOutcome;

use crate::dedup::merge_batches_into;
use crate::delete::apply_deletes;
use crate::schema::{conform, is_tag, TIME_COLUMN};
use crate::write::{precision_from_nanos, prepare_write, WalRecord};

/// Columns of `batch` that hold at least one non-null value.
pub fn present_columns(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(_, c)| c.null_count() < c.len())
        .map(|(f, _)| f.name().clone())
        .collect()
}

/// Identifies one time partition of one measurement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartitionKey {
    /// Database id (see the catalog).
    pub db_id: u64,
    /// Retention policy name.
    pub rp: String,
    /// Measurement name.
    pub measurement: String,
    /// Start of the shard-group window (inclusive), ns.
    pub start: i64,
    /// End of the window (exclusive), ns.
    pub end: i64,
}

/// Tunables of the storage engine.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Root directory: `wal/`, `data/`, `manifest.json`.
    pub data_dir: PathBuf,
    /// WAL segment size before rotation.
    pub wal_segment_bytes: u64,
    /// Buffer memory that triggers persistence; writers wait at twice this.
    pub buffer_limit_bytes: usize,
    /// Rows in one partition's live chunk that trigger its persistence.
    pub persist_rows: usize,
    /// Age of a live chunk that triggers its persistence.
    pub persist_age: Duration,
    /// Files in one partition that trigger compaction.
    pub compaction_files: usize,
    /// How often background maintenance runs.
    pub maintenance_interval: Duration,
}

impl StorageConfig {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        StorageConfig {
            data_dir: data_dir.into(),
            wal_segment_bytes: 64 << 20,
            buffer_limit_bytes: 512 << 20,
            persist_rows: 2_000_000,
            persist_age: Duration::from_secs(600),
            compaction_files: 4,
            maintenance_interval: Duration::from_secs(1),
        }
    }
}

/// Counters exposed on `/metrics`.
#[derive(Debug, Default)]
pub struct StorageStats {
    /// Write requests handled.
    pub write_requests: AtomicU64,
    /// Lines stored.
    pub lines_written: AtomicU64,
    /// Lines rejected.
    pub lines_rejected: AtomicU64,
    /// Request body bytes received.
    pub bytes_written: AtomicU64,
    /// Parquet files written by persistence.
    pub files_persisted: AtomicU64,
    /// Compactions done.
    pub compactions: AtomicU64,
    /// Partitions dropped by retention.
    pub partitions_expired: AtomicU64,
}

/// One partition as a query sees it.
#[derive(Debug, Clone)]
pub struct PartitionSnapshot {
    /// The partition.
    pub key: PartitionKey,
    /// Persisted files, oldest first, with the deletes that apply to each.
    pub files: Vec<(PathBuf, FileMeta, Vec<DeletePredicate>)>,
    /// Buffered sorted batches, oldest first (newer than every file).
    pub buffered: Vec<RecordBatch>,
    /// Series filters applied to every source before merging.
    pub filters: Vec<TagFilter>,
    /// Inclusive time range the query asked for: file pages entirely
    /// outside it are not decoded (rows outside it may still be returned).
    pub time_range: Option<(i64, i64)>,
    /// The storage's cache of file footers and series runs.
    pub indexes: Arc<file_index::IndexCache>,
    /// When set, files are read only at that end of each series (buffered
    /// rows are read whole): see [`files::SeriesEnds`].
    pub ends: Option<files::SeriesEnds>,
    /// Keeps `files` on disk while the snapshot lives, even if compaction
    /// or retention removes them meanwhile.
    pub lease: Option<Arc<leases::Lease>>,
}

impl PartitionSnapshot {
    /// Whether sources may hold the same rows and must be merged.
    pub fn needs_merge(&self) -> bool {
        self.files.len() + self.buffered.len() > 1
    }

    /// The oldest time the partition's sources hold (files by their
    /// recorded range: rows a tombstone hides may be older than any read
    /// returns); `None` when it holds nothing.
    pub fn oldest_time(&self) -> Option<i64> {
        let files = self.files.iter().map(|(_, meta, _)| meta.min_time);
        let buffered = self.buffered.iter().filter_map(|b| {
            let time = b.column_by_name(TIME_COLUMN)?;
            arrow::compute::min(
                time.as_any()
                    .downcast_ref::<arrow::array::TimestampNanosecondArray>()?,
            )
        });
        files.chain(buffered).min()
    }

    /// Roughly how many rows a read would return, from what is known
    /// without touching a file: the rows the series runs of files whose
    /// index is cached select (their whole row count otherwise) and the
    /// buffered rows.
    pub fn estimated_rows(&self) -> usize {
        let files: usize = self
            .files
            .iter()
            .map(|(_, meta, _)| {
                match self
                    .indexes
                    .peek(meta.id)
                    .as_ref()
                    .and_then(|i| i.runs.as_ref())
                {
                    Some(runs) => runs.selected_rows(&self.filters, self.time_range),
                    None => meta.rows as usize,
                }
            })
            .sum();
        files + self.buffered.iter().map(|b| b.num_rows()).sum::<usize>()
    }

    /// Whether the rows a read of this snapshot returns (through its
    /// filters and time range) all belong to one series, as the file
    /// indexes tell: `false` when that cannot be told (buffered rows, a file
    /// without series runs).
    pub fn single_series(&self) -> bool {
        if !self.buffered.is_empty() {
            return false;
        }
        let mut indexes = Vec::with_capacity(self.files.len());
        for (path, meta, _) in &self.files {
            match self.indexes.get(meta.id, path) {
                Ok(index) if index.runs.is_some() => indexes.push(index),
                _ => return false,
            }
        }
        let mut first: Option<Vec<(&str, &str)>> = None;
        for runs in indexes.iter().filter_map(|i| i.runs.as_ref()) {
            for (run, _) in runs.select_runs(&self.filters, self.time_range) {
                let tags = runs.tag_set(run);
                match &first {
                    None => first = Some(tags),
                    Some(seen) if *seen == tags => {}
                    Some(_) => return false,
                }
            }
        }
        true
    }

    /// Reads the partition as batches with exactly the columns of
    /// `table_schema.project(projection)`; duplicates across sources are
    /// merged (newer sources win per field).
    pub fn read(
        &self,
        table_schema: &SchemaRef,
        projection: Option<&[usize]>,
    ) -> Result<Vec<RecordBatch>, StorageError> {
        let mut out = Vec::new();
        self.read_each(table_schema, projection, |batch| {
            out.push(batch);
            Ok::<(), StorageError>(())
        })?;
        Ok(out)
    }

    /// [`PartitionSnapshot::read`], handing each batch to `each` as it is
    /// decoded: a partition with one source (nothing to merge) is never
    /// held whole, so a caller that filters or reduces the batches holds
    /// one decoded batch at a time. Empty batches are skipped.
    pub fn read_each<E: From<StorageError>>(
        &self,
        table_schema: &SchemaRef,
        projection: Option<&[usize]>,
        mut each: impl FnMut(RecordBatch) -> Result<(), E>,
    ) -> Result<(), E> {
        let output: SchemaRef = match projection {
            Some(p) => Arc::new(table_schema.project(p).map_err(StorageError::from)?),
            None => table_schema.clone(),
        };
        let merge = self.needs_merge();
        // Columns to load: the output, plus keys when merging, plus what
        // tombstones look at.
        let mut wanted: BTreeSet<String> =
            output.fields().iter().map(|f| f.name().clone()).collect();
        wanted.insert(TIME_COLUMN.to_string());
        if merge {
            for f in table_schema.fields() {
                if is_tag(f) {
                    wanted.insert(f.name().clone());
                }
            }
        }
        for (_, _, deletes) in &self.files {
            for d in deletes {
                wanted.extend(d.tags.iter().map(|t| t.key.clone()));
            }
        }
        wanted.extend(self.filters.iter().map(|f| f.column.clone()));
        let wanted: Vec<String> = wanted.into_iter().collect();
        let load_schema: SchemaRef = Arc::new(arrow::datatypes::Schema::new(
            table_schema
                .fields()
                .iter()
                .filter(|f| wanted.contains(f.name()))
                .cloned()
                .collect::<Vec<_>>(),
        ));
        // Without a merge, each batch goes out as soon as it is read.
        let mut sources: Vec<RecordBatch> = Vec::new();
        let mut source = |batch: RecordBatch| -> Result<(), E> {
            if batch.num_rows() == 0 {
                Ok(())
            } else if merge {
                sources.push(batch);
                Ok(())
            } else {
                each(conform(&batch, &output)?)
            }
        };
        for (path, meta, deletes) in &self.files {
            let index = self.indexes.get(meta.id, path)?;
            for batch in files::read_parquet_indexed(
                &index,
                Some(&wanted),
                &self.filters,
                self.time_range,
                // Deleted rows are dropped after the read: an end that a
                // delete empties would hide the rows before it.
                self.ends.as_ref().filter(|_| deletes.is_empty()),
            )? {
                let batch = conform(&batch?, &load_schema)?;
                let batch = prune::filter_batch(batch, &self.filters)?;
                source(apply_deletes(batch, deletes)?)?;
            }
        }
        for batch in &self.buffered {
            let batch = prune::filter_batch(batch.clone(), &self.filters)?;
            source(conform(&batch, &load_schema)?)?;
        }
        match sources.len() {
            0 => Ok(()),
            1 => each(conform(&sources[0], &output)?),
            _ => {
                let merged = merge_batches_into(&sources, &load_schema)?;
                each(conform(&merged, &output)?)
            }
        }
    }
}

/// The storage engine.
pub struct Storage {
    config: StorageConfig,
    catalog: Catalog,
    wal: wal::Wal,
    buffer: Arc<Buffer>,
    manifest: Mutex<Manifest>,
    /// Serializes persistence, compaction and retention.
    maintenance: Mutex<()>,
    /// Wakes writers waiting for buffer space.
    space: tokio::sync::Notify,
    stopped: AtomicBool,
    /// Accepted writes, for in-process subscribers (stream tasks).
    stream: stream::WriteStream,
    /// Footers and series runs of files, for reads.
    indexes: Arc<file_index::IndexCache>,
    /// Files snapshots still read.
    leases: Arc<leases::FileLeases>,
    /// Counters for monitoring.
    pub stats: StorageStats,
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

impl Storage {
    /// Opens (or creates) the engine in `config.data_dir`, replaying the WAL.
    pub fn open(config: StorageConfig, catalog: Catalog) -> Result<Arc<Storage>, StorageError> {
        let dir = &config.data_dir;
        std::fs::create_dir_all(dir.join("data")).map_err(|e| StorageError::io(dir, e))?;
        let manifest = Manifest::load(dir)?;
        remove_orphans(dir, &manifest)?;
        let buffer = Arc::new(Buffer::default());
        let mut replayed = 0usize;
        let mut deletes = Vec::new();
        let (closed, last_seq) = wal::replay(&dir.join("wal"), |record| {
            replayed += 1;
            replay_record(
                &catalog,
                &buffer,
                &manifest,
                record.seq,
                &record.payload,
                &mut deletes,
            )
        })?;
        tracing::info!(records = replayed, last_seq, "WAL replayed");
        // A delete's tombstone may be missing from the manifest if the
        // process died between logging the delete and saving the manifest.
        let mut manifest = manifest;
        let tombstones = manifest.tombstones.len();
        for (seq, predicate) in &deletes {
            add_tombstone(&mut manifest, *seq, predicate);
        }
        if manifest.tombstones.len() != tombstones {
            manifest.save(dir)?;
        }
        // Sequence numbers must keep growing across restarts even when every
        // segment was deleted after a full persist: the manifest remembers
        // the largest one it refers to.
        let last_seq = last_seq.max(manifest.max_seq());
        let wal = wal::Wal::start(&dir.join("wal"), last_seq, closed, config.wal_segment_bytes)?;
        let storage = Arc::new(Storage {
            config,
            catalog,
            wal,
            buffer,
            manifest: Mutex::new(manifest),
            maintenance: Mutex::new(()),
            space: tokio::sync::Notify::new(),
            stopped: AtomicBool::new(false),
            stream: stream::WriteStream::default(),
            indexes: Arc::new(file_index::IndexCache::default()),
            leases: Arc::new(leases::FileLeases::default()),
            stats: StorageStats::default(),
        });
        Ok(storage)
    }

    /// The catalog the engine validates against.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The engine's configuration.
    pub fn config(&self) -> &StorageConfig {
        &self.config
    }

    /// The write-ahead log (for statistics).
    pub fn wal(&self) -> &wal::Wal {
        &self.wal
    }

    /// The write buffer (for statistics).
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// The stream of accepted writes (subscribe to receive them).
    pub fn write_stream(&self) -> &stream::WriteStream {
        &self.stream
    }

    /// A copy of the current manifest.
    pub fn manifest(&self) -> Manifest {
        self.manifest.lock().clone()
    }

    /// Writes a line-protocol body into `db`/`rp` (default RP when `None`).
    /// Returns once accepted lines are durable and visible.
    pub async fn write(
        &self,
        db: &str,
        rp: Option<&str>,
        body: &[u8],
        precision: Precision,
    ) -> Result<WriteOutcome, StorageError> {
        self.write_as_sent(db, rp, body, None, precision).await
    }

    /// [`Storage::write`] of a body that arrived gzipped: `gzipped` is the
    /// request as sent, `body` its decompressed text. When every line is
    /// accepted the WAL keeps `gzipped` (a tenth of the bytes) instead of
    /// the text.
    pub async fn write_as_sent(
        &self,
        db: &str,
        rp: Option<&str>,
        body: &[u8],
        gzipped: Option<&[u8]>,
        precision: Precision,
    ) -> Result<WriteOutcome, StorageError> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(StorageError::ShuttingDown);
        }
        self.wait_for_space().await;
        let def = self
            .catalog
            .database(db)
            .ok_or_else(|| StorageError::DatabaseNotFound(db.to_string()))?;
        let rp_def = def
            .rp(rp)
            .ok_or_else(|| {
                StorageError::RetentionPolicyNotFound(rp.unwrap_or(&def.default_rp).to_string())
            })?
            .clone();
        let now = now_ns();
        let write::Prepared {
            grouped,
            order,
            wal_text: lines,
            outcome,
        } = prepare_write(
            &self.catalog,
            &def,
            &rp_def,
            body,
            precision,
            now,
            &|_| false,
            gzipped.is_none() || self.stream.is_active(),
        )?;
        self.stats.write_requests.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes_written
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        self.stats
            .lines_rejected
            .fetch_add(outcome.dropped() as u64, Ordering::Relaxed);
        if outcome.accepted == 0 {
            return Ok(outcome);
        }
        let payload = match (&lines, gzipped) {
            (Some(lines), _) => {
                WalRecord::encode_write(def.id, &rp_def.name, precision.nanos(), now, lines)
            }
            (None, Some(gzipped)) => WalRecord::encode_gzipped_write(
                def.id,
                &rp_def.name,
                precision.nanos(),
                now,
                gzipped,
            ),
            (None, None) => {
                return Err(StorageError::Wal(
                    "a write reached the log without its lines".into(),
                ))
            }
        };
        let buffer = self.buffer.clone();
        // Shared with the write stream's event, which hands the parsed rows
        // to subscribers.
        let grouped = Arc::new(grouped);
        let applied = grouped.clone();
        self.wal
            .append(
                payload,
                Box::new(move |seq| {
                    for (key, chunk) in applied.iter() {
                        buffer.apply_at(key, chunk, seq);
                    }
                }),
            )
            .await?;
        self.stats
            .lines_written
            .fetch_add(outcome.accepted as u64, Ordering::Relaxed);
        // The accepted lines' text is published as gathered (no copy), only
        // while someone listens. (A listener that arrived after
        // `prepare_write` looked finds no text when the WAL kept the gzipped
        // body; it hears from the next write.)
        if let (true, Some(lines)) = (self.stream.is_active(), lines) {
            self.stream.publish(stream::WriteEvent {
                database: db.to_string(),
                retention_policy: rp_def.name.clone(),
                precision_nanos: precision.nanos(),
                default_time: now,
                lines,
                rows: Some(Arc::new(stream::AcceptedRows::new(grouped, order))),
            });
        }
        Ok(outcome)
    }

    async fn wait_for_space(&self) {
        let hard_limit = self.config.buffer_limit_bytes.saturating_mul(2);
        while self.buffer.bytes() > hard_limit && !self.stopped.load(Ordering::Acquire) {
            let notified = self.space.notified();
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }

    /// Deletes the rows `predicate` selects; with `drop_schema` the
    /// measurement is also removed from the catalog.
    pub async fn delete(
        self: &Arc<Self>,
        predicate: DeletePredicate,
        drop_schema: bool,
    ) -> Result<(), StorageError> {
        let record = WalRecord::Delete {
            predicate: predicate.clone(),
            drop_schema,
        };
        let buffer = self.buffer.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let applied = predicate.clone();
        let seq = self
            .wal
            .append(
                record.encode(),
                Box::new(move |_seq| {
                    let _ = tx.send(buffer.delete(&applied));
                }),
            )
            .await?;
        rx.await.map_err(|_| StorageError::ShuttingDown)??;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            {
                let _guard = this.maintenance.lock();
                let mut manifest = this.manifest.lock();
                add_tombstone(&mut manifest, seq, &predicate);
                manifest.save(&this.config.data_dir)?;
            }
            if drop_schema {
                if let Some(m) = &predicate.measurement {
                    this.catalog.drop_measurement(predicate.db_id, m)?;
                }
            }
            Ok(())
        })
        .await
        .map_err(|_| StorageError::ShuttingDown)?
    }

    /// Names of the columns holding at least one value in `measurement` of
    /// retention policy `rp` (buffered or persisted); `None` when a file
    /// predates column tracking and the answer is unknown.
    pub fn present_columns(
        &self,
        db_id: u64,
        rp: &str,
        measurement: &str,
    ) -> Option<std::collections::BTreeSet<String>> {
        let mut out = std::collections::BTreeSet::new();
        {
            // Names are copied once each, not once per file.
            let manifest = self.manifest.lock();
            let mut names: std::collections::BTreeSet<&String> = Default::default();
            for (key, p) in manifest.partitions.iter() {
                if key.db_id != db_id || key.rp != rp || key.measurement != measurement {
                    continue;
                }
                for f in &p.files {
                    names.extend(f.columns.as_ref()?);
                }
            }
            out.extend(names.into_iter().cloned());
        }
        self.buffer.columns_where(
            |k| k.db_id == db_id && k.rp == rp && k.measurement == measurement,
            &mut out,
        );
        Some(out)
    }

    /// Every partition holding data, buffered or persisted, sorted.
    pub fn partition_keys(&self) -> Vec<PartitionKey> {
        let mut keys: std::collections::BTreeSet<PartitionKey> =
            self.manifest.lock().partitions.keys().cloned().collect();
        keys.extend(self.buffer.stats().into_iter().map(|s| s.key));
        keys.into_iter().collect()
    }

    /// Removes every stored row of a database (after the catalog dropped it).
    pub fn drop_database(&self, db_id: u64) -> Result<(), StorageError> {
        self.drop_partitions(|k| k.db_id == db_id)
    }

    /// Removes all rows of one retention policy (after the catalog dropped it).
    pub fn drop_retention_policy(&self, db_id: u64, rp: &str) -> Result<(), StorageError> {
        self.drop_partitions(|k| k.db_id == db_id && k.rp == rp)
    }

    fn drop_partitions(&self, filter: impl Fn(&PartitionKey) -> bool) -> Result<(), StorageError> {
        let _guard = self.maintenance.lock();
        self.buffer.drop_where(&filter);
        let doomed: Vec<FileMeta> = {
            let mut manifest = self.manifest.lock();
            let keys: Vec<PartitionKey> = manifest
                .partitions
                .keys()
                .filter(|k| filter(k))
                .cloned()
                .collect();
            let mut doomed = Vec::new();
            for key in keys {
                if let Some(p) = manifest.partitions.remove(&key) {
                    doomed.extend(p.files);
                }
            }
            manifest.save(&self.config.data_dir)?;
            doomed
        };
        self.remove_files(&doomed);
        self.space.notify_waiters();
        Ok(())
    }

    fn remove_files(&self, files: &[FileMeta]) {
        for f in files {
            self.indexes.remove(f.id);
            self.leases.remove(f.id, self.config.data_dir.join(&f.path));
        }
    }

    /// Everything stored for one measurement whose partitions overlap
    /// `[min_time, max_time]`.
    pub fn table_snapshot(
        &self,
        db_id: u64,
        rp: &str,
        measurement: &str,
        min_time: i64,
        max_time: i64,
    ) -> Result<Vec<PartitionSnapshot>, StorageError> {
        self.table_snapshot_filtered(db_id, rp, measurement, min_time, max_time, &[])
    }

    /// Like [`Storage::table_snapshot`], also skipping files that hold no
    /// series `filters` accept; reads of the snapshot apply `filters`.
    pub fn table_snapshot_filtered(
        &self,
        db_id: u64,
        rp: &str,
        measurement: &str,
        min_time: i64,
        max_time: i64,
        filters: &[TagFilter],
    ) -> Result<Vec<PartitionSnapshot>, StorageError> {
        let selects = |k: &PartitionKey| {
            k.db_id == db_id
                && k.rp == rp
                && k.measurement == measurement
                && k.start <= max_time
                && k.end > min_time
        };
        let bounded = (min_time > i64::MIN || max_time < i64::MAX).then_some((min_time, max_time));
        // Buffer first, then the manifest: a chunk persisted in between is
        // seen twice (and merged), never missed.
        let buffered = self.buffer.snapshot(selects)?;
        let manifest = self.manifest.lock();
        let mut partitions: HashMap<PartitionKey, PartitionSnapshot> = HashMap::new();
        for (key, files) in manifest.partitions.range(..) {
            if !selects(key) {
                continue;
            }
            let entry = partitions
                .entry(key.clone())
                .or_insert_with(|| PartitionSnapshot {
                    key: key.clone(),
                    files: Vec::new(),
                    buffered: Vec::new(),
                    filters: filters.to_vec(),
                    time_range: bounded,
                    indexes: self.indexes.clone(),
                    ends: None,
                    lease: None,
                });
            for f in &files.files {
                if f.max_time < min_time
                    || f.min_time > max_time
                    || !filters.iter().all(|t| t.may_match_file(f))
                {
                    continue;
                }
                let deletes = manifest
                    .tombstones
                    .iter()
                    .filter(|t| t.seq > f.max_seq && t.predicate.touches(key))
                    .map(|t| t.predicate.clone())
                    .collect();
                entry
                    .files
                    .push((self.config.data_dir.join(&f.path), f.clone(), deletes));
            }
        }
        // Leased before the manifest is unlocked: a file removed after this
        // stays on disk until the snapshot is dropped.
        for p in partitions.values_mut() {
            if !p.files.is_empty() {
                let ids = p.files.iter().map(|(_, meta, _)| meta.id).collect();
                p.lease = Some(Arc::new(self.leases.lease(ids)));
            }
        }
        drop(manifest);
        for b in buffered {
            partitions
                .entry(b.key.clone())
                .or_insert_with(|| PartitionSnapshot {
                    key: b.key.clone(),
                    files: Vec::new(),
                    buffered: Vec::new(),
                    filters: filters.to_vec(),
                    time_range: bounded,
                    indexes: self.indexes.clone(),
                    ends: None,
                    lease: None,
                })
                .buffered = b.batches;
        }
        let mut out: Vec<PartitionSnapshot> = partitions
            .into_values()
            .filter(|p| !p.files.is_empty() || !p.buffered.is_empty())
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Persists one partition's live chunk; returns whether a file was written.
    pub fn persist_partition(&self, key: &PartitionKey) -> Result<bool, StorageError> {
        let _guard = self.maintenance.lock();
        self.persist_locked(key)
    }

    fn persist_locked(&self, key: &PartitionKey) -> Result<bool, StorageError> {
        let Some(frozen) = self.buffer.freeze(key) else {
            return Ok(false);
        };
        let batch = frozen.sorted()?;
        if batch.num_rows() > 0 {
            let id = self.manifest.lock().allocate_file_id();
            let meta = self.write_file(key, id, &batch, frozen.max_seq, files::FileCodec::Fast)?;
            let mut manifest = self.manifest.lock();
            let entry = manifest.partitions.entry(key.clone()).or_default();
            entry.files.push(meta);
            entry.persisted_through = entry.persisted_through.max(frozen.max_seq);
            manifest.save(&self.config.data_dir)?;
        } else {
            let mut manifest = self.manifest.lock();
            let entry = manifest.partitions.entry(key.clone()).or_default();
            entry.persisted_through = entry.persisted_through.max(frozen.max_seq);
            manifest.save(&self.config.data_dir)?;
        }
        self.buffer.release(key, frozen.id);
        self.stats.files_persisted.fetch_add(1, Ordering::Relaxed);
        self.space.notify_waiters();
        Ok(true)
    }

    fn write_file(
        &self,
        key: &PartitionKey,
        id: u64,
        batch: &RecordBatch,
        max_seq: u64,
        codec: files::FileCodec,
    ) -> Result<FileMeta, StorageError> {
        let relative = format!("data/{}/{:012}.parquet", key.db_id, id);
        let path = self.config.data_dir.join(&relative);
        let bytes = files::write_parquet(&path, batch, codec)?;
        let time = batch
            .column_by_name(TIME_COLUMN)
            .expect("time column")
            .as_any()
            .downcast_ref::<arrow::array::TimestampNanosecondArray>()
            .expect("time is ns timestamps");
        let min_time = arrow::compute::min(time).unwrap_or(0);
        let max_time = arrow::compute::max(time).unwrap_or(0);
        Ok(FileMeta {
            id,
            path: relative,
            min_time,
            max_time,
            rows: batch.num_rows() as u64,
            bytes,
            max_seq,
            columns: Some(present_columns(batch)),
            tag_ranges: Some(prune::tag_ranges(batch)),
        })
    }

    /// Persists every buffered partition and deletes WAL segments no longer needed.
    pub fn persist_all(&self) -> Result<usize, StorageError> {
        let _guard = self.maintenance.lock();
        let mut written = 0;
        for stat in self.buffer.stats() {
            if self.persist_locked(&stat.key)? {
                written += 1;
            }
        }
        self.wal.rotate_blocking();
        self.truncate_wal()?;
        Ok(written)
    }

    fn truncate_wal(&self) -> Result<(), StorageError> {
        let min_needed = self.buffer.min_seq().unwrap_or(self.wal.last_seq() + 1);
        self.wal.truncate_before(min_needed)?;
        Ok(())
    }

    /// One round of background work: persistence by size, age and memory,
    /// compaction, retention, WAL truncation.
    pub fn maintain(&self) -> Result<(), StorageError> {
        let _guard = self.maintenance.lock();
        let mut stats = self.buffer.stats();
        let mut persisted = false;
        for stat in &stats {
            let old = stat
                .live_since
                .is_some_and(|t| t.elapsed() >= self.config.persist_age);
            if stat.live_rows >= self.config.persist_rows || old {
                persisted |= self.persist_locked(&stat.key)?;
            }
        }
        if self.buffer.bytes() > self.config.buffer_limit_bytes {
            stats.sort_by_key(|s| std::cmp::Reverse(s.bytes));
            for stat in stats {
                if self.buffer.bytes() <= self.config.buffer_limit_bytes / 2 {
                    break;
                }
                persisted |= self.persist_locked(&stat.key)?;
            }
        }
        if persisted {
            self.wal.rotate_blocking();
            self.truncate_wal()?;
        }
        self.enforce_retention()?;
        self.compact_some()?;
        Ok(())
    }

    fn enforce_retention(&self) -> Result<(), StorageError> {
        let snapshot = self.catalog.snapshot();
        let now = now_ns();
        let expired = |k: &PartitionKey| {
            let Some(db) = snapshot.database_by_id(k.db_id) else {
                return true;
            };
            let Some(rp) = db.retention_policies.get(&k.rp) else {
                return true;
            };
            rp.duration_ns
                .is_some_and(|d| k.end <= now.saturating_sub(d))
        };
        let before = self.manifest.lock().partitions.len();
        self.buffer.drop_where(expired);
        let doomed: Vec<FileMeta> = {
            let mut manifest = self.manifest.lock();
            let keys: Vec<PartitionKey> = manifest
                .partitions
                .keys()
                .filter(|k| expired(k))
                .cloned()
                .collect();
            if keys.is_empty() {
                return Ok(());
            }
            let mut doomed = Vec::new();
            for key in &keys {
                if let Some(p) = manifest.partitions.remove(key) {
                    doomed.extend(p.files);
                }
            }
            manifest.save(&self.config.data_dir)?;
            self.stats.partitions_expired.fetch_add(
                (before - manifest.partitions.len()) as u64,
                Ordering::Relaxed,
            );
            doomed
        };
        self.remove_files(&doomed);
        Ok(())
    }

    fn compact_some(&self) -> Result<(), StorageError> {
        let candidates: Vec<PartitionKey> = {
            let manifest = self.manifest.lock();
            manifest
                .partitions
                .iter()
                .filter(|(key, p)| {
                    p.files.len() >= self.config.compaction_files
                        || (!p.files.is_empty()
                            && manifest.tombstones.iter().any(|t| {
                                t.predicate.touches(key)
                                    && p.files.iter().any(|f| f.max_seq < t.seq)
                            }))
                })
                .map(|(k, _)| k.clone())
                .collect()
        };
        for key in candidates {
            self.compact_locked(&key)?;
        }
        self.prune_tombstones()
    }

    /// Merges all files of one partition into one, applying tombstones.
    pub fn compact_partition(&self, key: &PartitionKey) -> Result<(), StorageError> {
        let _guard = self.maintenance.lock();
        self.compact_locked(key)?;
        self.prune_tombstones()
    }

    fn compact_locked(&self, key: &PartitionKey) -> Result<(), StorageError> {
        let (files, tombstones) = {
            let manifest = self.manifest.lock();
            let Some(p) = manifest.partitions.get(key) else {
                return Ok(());
            };
            (p.files.clone(), manifest.tombstones.clone())
        };
        if files.is_empty() {
            return Ok(());
        }
        let mut batches = Vec::new();
        for f in &files {
            let deletes: Vec<&DeletePredicate> = tombstones
                .iter()
                .filter(|t| t.seq > f.max_seq && t.predicate.touches(key))
                .map(|t| &t.predicate)
                .collect();
            for batch in files::read_parquet(&self.config.data_dir.join(&f.path), None)? {
                batches.push(apply_deletes(batch, deletes.iter().copied())?);
            }
        }
        let merged = dedup::merge_batches(&batches)?;
        let max_seq = files.iter().map(|f| f.max_seq).max().unwrap_or(0);
        let new_file = if merged.num_rows() > 0 {
            let id = self.manifest.lock().allocate_file_id();
            Some(self.write_file(key, id, &merged, max_seq, files::FileCodec::Compact)?)
        } else {
            None
        };
        {
            let mut manifest = self.manifest.lock();
            let entry = manifest.partitions.entry(key.clone()).or_default();
            let ids: BTreeSet<u64> = files.iter().map(|f| f.id).collect();
            // Files persisted while we compacted stay, after the new one.
            let newer: Vec<FileMeta> = entry
                .files
                .iter()
                .filter(|f| !ids.contains(&f.id))
                .cloned()
                .collect();
            entry.files = new_file.into_iter().chain(newer).collect();
            manifest.save(&self.config.data_dir)?;
        }
        self.remove_files(&files);
        self.stats.compactions.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Drops tombstones that no longer apply to any file.
    fn prune_tombstones(&self) -> Result<(), StorageError> {
        let mut manifest = self.manifest.lock();
        let before = manifest.tombstones.len();
        let partitions = manifest.partitions.clone();
        manifest.tombstones.retain(|t| {
            partitions.iter().any(|(key, p)| {
                t.predicate.touches(key) && p.files.iter().any(|f| f.max_seq < t.seq)
            })
        });
        if manifest.tombstones.len() != before {
            manifest.save(&self.config.data_dir)?;
        }
        Ok(())
    }

    /// Runs [`Storage::maintain`] every `maintenance_interval` until shutdown.
    pub fn start_background(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let storage = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(storage.config.maintenance_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if storage.stopped.load(Ordering::Acquire) {
                    break;
                }
                let s = storage.clone();
                match tokio::task::spawn_blocking(move || s.maintain()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "storage maintenance failed"),
                    Err(e) => tracing::error!(error = %e, "storage maintenance panicked"),
                }
            }
        })
    }

    /// Stops taking writes, persists the buffer and stops the WAL writer.
    pub fn shutdown(&self) -> Result<(), StorageError> {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let result = self.persist_all();
        self.wal.shutdown();
        result.map(|_| ())
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("data_dir", &self.config.data_dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        self.wal.shutdown();
    }
}

fn add_tombstone(manifest: &mut Manifest, seq: u64, predicate: &DeletePredicate) {
    if manifest.tombstones.iter().any(|t| t.seq == seq) {
        return;
    }
    let applies = manifest
        .partitions
        .iter()
        .any(|(k, p)| predicate.touches(k) && p.files.iter().any(|f| f.max_seq < seq));
    if applies {
        manifest.tombstones.push(Tombstone {
            seq,
            predicate: predicate.clone(),
        });
    }
}

fn replay_record(
    catalog: &Catalog,
    buffer: &Buffer,
    manifest: &Manifest,
    seq: u64,
    payload: &[u8],
    deletes: &mut Vec<(u64, DeletePredicate)>,
) -> Result<(), StorageError> {
    let record = match WalRecord::decode(seq, payload) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "skipping undecodable WAL record");
            return Ok(());
        }
    };
    match record {
        WalRecord::Write {
            db_id,
            rp,
            precision_nanos,
            default_time,
            lines,
        } => {
            let snapshot = catalog.snapshot();
            let Some(db) = snapshot.database_by_id(db_id) else {
                return Ok(()); // database dropped since
            };
            let Some(rp_def) = db.retention_policies.get(&rp) else {
                return Ok(());
            };
            let skip = |k: &PartitionKey| {
                manifest
                    .partitions
                    .get(k)
                    .is_some_and(|p| p.persisted_through >= seq)
            };
            let write::Prepared {
                grouped: groups,
                outcome,
                ..
            } = prepare_write(
                catalog,
                db,
                rp_def,
                &lines,
                precision_from_nanos(precision_nanos),
                default_time,
                &skip,
                false,
            )?;
            if outcome.dropped() > 0 {
                tracing::debug!(seq, dropped = outcome.dropped(), "WAL replay dropped lines");
            }
            for (key, mut chunk) in groups {
                chunk.min_seq = seq;
                chunk.max_seq = seq;
                buffer.apply(&key, &chunk);
            }
        }
        WalRecord::Delete {
            predicate,
            drop_schema,
        } => {
            buffer.delete(&predicate)?;
            deletes.push((seq, predicate.clone()));
            if drop_schema {
                if let Some(m) = &predicate.measurement {
                    catalog.drop_measurement(predicate.db_id, m)?;
                }
            }
        }
    }
    Ok(())
}

/// Removes Parquet files the manifest does not reference (left by a crash
/// between writing a file and saving the manifest).
fn remove_orphans(dir: &Path, manifest: &Manifest) -> Result<(), StorageError> {
    let known: BTreeSet<PathBuf> = manifest.file_paths().map(|p| dir.join(p)).collect();
    let data = dir.join("data");
    let Ok(dbs) = std::fs::read_dir(&data) else {
        return Ok(());
    };
    for db in dbs.flatten() {
        let Ok(entries) = std::fs::read_dir(db.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !known.contains(&path) {
                tracing::info!(path = %path.display(), "removing file not in the manifest");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    Ok(())
}
