//! What a read needs to know about a Parquet file before decoding it, built
//! once per file and cached: the parsed footer and page index, and where each
//! series' rows are.
//!
//! Files are sorted by series then time, so the rows of a series form one
//! run. The [`SeriesRuns`] of a file list every run's first row, time range
//! and tag values (as keys into one dictionary per tag column). With them a
//! read selects exactly the rows of the wanted series — page statistics of a
//! tag column only bound values lexicographically, so a page holding
//! `host_28` and `host_82` cannot rule out `host_42` — and builds the tag
//! columns of the rows it returns from the runs instead of decoding them
//! from the file (ten tag columns cost far more to decode than the one
//! field a small query asks for).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, DictionaryArray, Int32Array, StringArray};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::{Int32Type, TimestampNanosecondType};
use bytes::Bytes;
use parking_lot::Mutex;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::PageIndexPolicy;

use crate::error::StorageError;
use crate::prune::TagFilter;
use crate::schema::{is_tag, TIME_COLUMN};

/// Bytes of series runs the cache keeps at most (all files together).
pub const DEFAULT_CACHE_BYTES: usize = 256 << 20;

/// Runs of one file are kept only when they take at most this share of the
/// cache: a file of a million single-row series is read the plain way.
const MAX_SHARE_OF_CACHE: usize = 4;

/// Rows decoded per batch while building the runs.
const BUILD_BATCH_ROWS: usize = 64 * 1024;

/// A key that marks a run without the tag.
const MISSING: i32 = -1;

/// Every this many rows the index keeps the row's time, so a read can find
/// where a time range starts and ends inside a run (rows of a run are in
/// time order) to within this many rows without decoding the time column.
const TIME_STRIDE: usize = 64;

/// The cached facts about one file.
#[derive(Debug)]
pub struct FileIndex {
    /// The file's bytes, memory-mapped (see [`map_file`]): reads slice pages
    /// out of it without a system call or a copy.
    pub data: Bytes,
    /// Parsed footer and page index.
    pub metadata: ArrowReaderMetadata,
    /// Series runs, when the file is sorted into runs small enough to keep.
    pub runs: Option<SeriesRuns>,
    /// Columns stored as restart deltas (see [`crate::restart_delta`]).
    pub restart_deltas: Vec<String>,
    /// The rows at one end of every series, per kind of end read, decoded
    /// on first use (see `files::read_parquet_indexed`).
    pub(crate) end_rows: Mutex<Vec<Arc<EndRows>>>,
}

/// The first or last rows of every run of a file, all non-tag columns.
#[derive(Debug)]
pub(crate) struct EndRows {
    /// Which end.
    pub newest: bool,
    /// Rows per run at most.
    pub rows: usize,
    /// The rows, run after run.
    pub batch: arrow::array::RecordBatch,
    /// Where each run's rows start in `batch`, then its row count.
    pub offsets: Vec<usize>,
    bytes: usize,
}

/// Bytes all files' [`EndRows`] hold together.
static END_ROWS_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// [`EndRows`] of all files take at most this many bytes; past it end reads
/// are not cached.
const MAX_END_ROWS_BYTES: usize = 64 << 20;

impl EndRows {
    /// Counts the rows against the process-wide budget; `None` when they
    /// do not fit.
    pub fn new(
        newest: bool,
        rows: usize,
        batch: arrow::array::RecordBatch,
        offsets: Vec<usize>,
    ) -> Option<EndRows> {
        use std::sync::atomic::Ordering;
        let bytes = batch.get_array_memory_size() + offsets.len() * 8;
        let before = END_ROWS_BYTES.fetch_add(bytes, Ordering::Relaxed);
        if before + bytes > MAX_END_ROWS_BYTES {
            END_ROWS_BYTES.fetch_sub(bytes, Ordering::Relaxed);
            return None;
        }
        Some(EndRows {
            newest,
            rows,
            batch,
            offsets,
            bytes,
        })
    }
}

impl Drop for EndRows {
    fn drop(&mut self) {
        END_ROWS_BYTES.fetch_sub(self.bytes, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The tag values of one tag column per run.
#[derive(Debug)]
struct TagRuns {
    name: String,
    /// Every value the column holds in the file.
    values: Arc<StringArray>,
    /// Per run, the index of its value in `values`, or [`MISSING`].
    keys: Vec<i32>,
}

/// Where each series' rows are in a file (see the module docs).
#[derive(Debug)]
pub struct SeriesRuns {
    /// First row of each run, then the file's row count.
    starts: Vec<usize>,
    /// Smallest time of each run.
    min_time: Vec<i64>,
    /// Largest time of each run.
    max_time: Vec<i64>,
    tags: Vec<TagRuns>,
    /// The time of every [`TIME_STRIDE`]-th row of the file; empty when a
    /// run is not in time order (then runs are read whole).
    time_samples: Vec<i64>,
}

impl SeriesRuns {
    /// Number of runs.
    pub fn len(&self) -> usize {
        self.min_time.len()
    }

    /// Whether the file has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows of run `run`.
    pub fn run_rows(&self, run: usize) -> Range<usize> {
        self.starts[run]..self.starts[run + 1]
    }

    /// Whether `column` is one of the tag columns the runs describe.
    pub fn has_tag(&self, column: &str) -> bool {
        self.tags.iter().any(|t| t.name == column)
    }

    /// The tags of run `run` that it has, as (name, value) sorted by name.
    pub fn tag_set(&self, run: usize) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .tags
            .iter()
            .filter_map(|t| match t.keys[run] {
                MISSING => None,
                k => Some((t.name.as_str(), t.values.value(k as usize))),
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Bytes the runs take in memory, roughly.
    fn memory_bytes(&self) -> usize {
        let per_run = 3 * 8 + self.tags.len() * 4;
        let samples = self.time_samples.len() * 8;
        let values: usize = self
            .tags
            .iter()
            .map(|t| t.values.get_array_memory_size())
            .sum();
        self.len() * per_run + values + samples
    }

    /// The part of `rows` (one run's rows, or a part of them) that can hold
    /// times in `[min, max]`, found from the time samples: exact to within
    /// [`TIME_STRIDE`] rows at each end; empty when no row can.
    fn narrow(&self, rows: Range<usize>, (min, max): (i64, i64)) -> Range<usize> {
        if self.time_samples.is_empty() || rows.is_empty() {
            return rows;
        }
        // Samples at rows inside `rows`: indices first..last.
        let first = rows.start.div_ceil(TIME_STRIDE);
        let last = ((rows.end - 1) / TIME_STRIDE + 1).min(self.time_samples.len());
        if first >= last {
            return rows;
        }
        let samples = &self.time_samples[first..last];
        // Rows up to the last sample before `min` are all before it.
        let start = match samples.partition_point(|t| *t < min) {
            0 => rows.start,
            p => (first + p - 1) * TIME_STRIDE + 1,
        };
        // Rows from the first sample after `max` on are all after it.
        let end = match samples.partition_point(|t| *t <= max) {
            q if first + q < last => (first + q) * TIME_STRIDE,
            _ => rows.end,
        };
        start..end.max(start)
    }

    /// The rows of runs that can pass every filter and hold a time in the
    /// inclusive range `time`: sorted, disjoint, joined where they touch.
    pub fn select(&self, filters: &[TagFilter], time: Option<(i64, i64)>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        for (_, rows) in self.select_runs(filters, time) {
            crate::page_select::push_range(&mut out, rows);
        }
        out
    }

    /// How many rows [`SeriesRuns::select`] picks.
    pub fn selected_rows(&self, filters: &[TagFilter], time: Option<(i64, i64)>) -> usize {
        self.select_runs(filters, time)
            .iter()
            .map(|(_, rows)| rows.len())
            .sum()
    }

    /// Like [`SeriesRuns::select`], one entry per run: its rows (those
    /// that can hold times in `time`, see [`SeriesRuns::narrow`]).
    pub fn select_runs(
        &self,
        filters: &[TagFilter],
        time: Option<(i64, i64)>,
    ) -> Vec<(usize, Range<usize>)> {
        // Per filter, which dictionary keys it accepts (and whether a run
        // without the tag passes).
        let accepted: Vec<(Option<&TagRuns>, Vec<bool>, bool)> = filters
            .iter()
            .map(|f| {
                let tag = self.tags.iter().find(|t| t.name == f.column);
                let wanted = tag.map_or_else(Vec::new, |t| {
                    (0..t.values.len())
                        .map(|i| {
                            t.values.is_valid(i) && f.values.iter().any(|v| v == t.values.value(i))
                        })
                        .collect()
                });
                (tag, wanted, f.accepts_missing())
            })
            .collect();
        let mut out = Vec::new();
        for run in 0..self.len() {
            if let Some((min, max)) = time {
                if self.max_time[run] < min || self.min_time[run] > max {
                    continue;
                }
            }
            let passes = accepted.iter().all(|(tag, wanted, missing)| match tag {
                None => *missing,
                Some(t) => match t.keys[run] {
                    MISSING => *missing,
                    k => wanted[k as usize],
                },
            });
            if !passes {
                continue;
            }
            let rows = self.starts[run]..self.starts[run + 1];
            let rows = match time {
                Some(range) => self.narrow(rows, range),
                None => rows,
            };
            if !rows.is_empty() {
                out.push((run, rows));
            }
        }
        out
    }

    /// The tag columns named by `wanted` of the rows in `ranges` (in
    /// order), one dictionary-encoded array per tag column, named.
    pub fn tag_columns(
        &self,
        ranges: &[Range<usize>],
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<(String, ArrayRef)> {
        let rows: usize = ranges.iter().map(|r| r.len()).sum();
        // The run and length of each stretch of selected rows.
        let mut stretches: Vec<(usize, usize)> = Vec::new();
        for r in ranges {
            let mut row = r.start;
            let mut run = self.starts.partition_point(|s| *s <= row) - 1;
            while row < r.end {
                let end = self.starts[run + 1].min(r.end);
                stretches.push((run, end - row));
                row = end;
                run += 1;
            }
        }
        self.tags
            .iter()
            .filter(|t| wanted(&t.name))
            .map(|t| {
                let mut keys: Vec<i32> = Vec::with_capacity(rows);
                let mut valid: Vec<bool> = Vec::new();
                let any_missing = stretches.iter().any(|(run, _)| t.keys[*run] == MISSING);
                if any_missing {
                    valid.reserve(rows);
                }
                for &(run, len) in &stretches {
                    let k = t.keys[run];
                    keys.resize(keys.len() + len, k.max(0));
                    if any_missing {
                        valid.resize(valid.len() + len, k != MISSING);
                    }
                }
                let nulls = any_missing.then(|| NullBuffer::from(valid));
                let keys = Int32Array::new(ScalarBuffer::from(keys), nulls);
                let values: ArrayRef = t.values.clone();
                debug_assert!(t.keys.iter().all(|k| *k < t.values.len() as i32));
                // SAFETY: every key is a run's key, which `find_runs` took
                // from `values` (or `MISSING`, masked and stored as 0).
                let array = unsafe { DictionaryArray::<Int32Type>::new_unchecked(keys, values) };
                (t.name.clone(), Arc::new(array) as ArrayRef)
            })
            .collect()
    }
}

impl FileIndex {
    /// Reads the footer and page index of `path` and finds its series runs.
    pub fn load(path: &Path, max_run_bytes: usize) -> Result<FileIndex, StorageError> {
        let data = map_file(path)?;
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
        let metadata =
            ArrowReaderMetadata::load(&data, options).map_err(|e| StorageError::Manifest {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let runs = find_runs(data.clone(), &metadata, max_run_bytes)?;
        let restart_deltas = crate::restart_delta::columns_of(metadata.metadata());
        Ok(FileIndex {
            data,
            metadata,
            runs,
            restart_deltas,
            end_rows: Mutex::new(Vec::new()),
        })
    }
}

/// The bytes of the Parquet file at `path`, memory-mapped. Persisted files
/// are never modified (compaction writes new ones, and a removed file is
/// unlinked only once no snapshot reads it), so the mapping stays valid for
/// as long as the index that holds it.
pub fn map_file(path: &Path) -> Result<Bytes, StorageError> {
    let file = File::open(path).map_err(|e| StorageError::io(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| StorageError::io(path, e))?
        .len();
    if len == 0 {
        return Ok(Bytes::new());
    }
    // SAFETY: the file is immutable while mapped (see above); the mapping is
    // read-only and owned by the returned `Bytes`.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| StorageError::io(path, e))?;
    Ok(Bytes::from_owner(map))
}

/// Decodes the tag and time columns of a file once and cuts them into runs;
/// `None` when the file has no time column or the runs would take more than
/// `max_bytes`.
fn find_runs(
    file: Bytes,
    metadata: &ArrowReaderMetadata,
    max_bytes: usize,
) -> Result<Option<SeriesRuns>, StorageError> {
    let schema = metadata.schema().clone();
    let tag_names: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| is_tag(f))
        .map(|f| f.name().clone())
        .collect();
    let Some(time_index) = schema.fields().iter().position(|f| f.name() == TIME_COLUMN) else {
        return Ok(None);
    };
    let indices: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(i, f)| *i == time_index || is_tag(f))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(metadata.parquet_schema(), indices);
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
        .with_projection(mask)
        .with_batch_size(BUILD_BATCH_ROWS)
        .build()?;

    let mut interners: Vec<HashMap<String, i32>> = vec![HashMap::new(); tag_names.len()];
    let mut dictionaries: Vec<Vec<String>> = vec![Vec::new(); tag_names.len()];
    let mut starts: Vec<usize> = Vec::new();
    let mut min_time: Vec<i64> = Vec::new();
    let mut max_time: Vec<i64> = Vec::new();
    let mut run_keys: Vec<Vec<i32>> = vec![Vec::new(); tag_names.len()];
    let mut current: Vec<i32> = Vec::new();
    let mut time_samples: Vec<i64> = Vec::new();
    let mut in_time_order = true;
    let mut row = 0usize;
    let per_run = 3 * 8 + tag_names.len() * 4;
    for batch in reader {
        let batch = batch?;
        let times = batch
            .column_by_name(TIME_COLUMN)
            .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
            .ok_or_else(|| {
                StorageError::Arrow(arrow::error::ArrowError::SchemaError(
                    "time column is not a nanosecond timestamp".into(),
                ))
            })?;
        let keys: Vec<Vec<i32>> = tag_names
            .iter()
            .enumerate()
            .map(|(t, name)| {
                file_keys(
                    batch.column_by_name(name).map(|c| c.as_ref()),
                    batch.num_rows(),
                    &mut interners[t],
                    &mut dictionaries[t],
                )
            })
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            let t = times.value(i);
            if row.is_multiple_of(TIME_STRIDE) {
                time_samples.push(t);
            }
            let new_run = starts.is_empty() || keys.iter().zip(&current).any(|(k, c)| k[i] != *c);
            if new_run {
                current.clear();
                current.extend(keys.iter().map(|k| k[i]));
                for (column, k) in run_keys.iter_mut().zip(&current) {
                    column.push(*k);
                }
                starts.push(row);
                min_time.push(t);
                max_time.push(t);
                if starts.len() * per_run > max_bytes {
                    return Ok(None);
                }
            } else {
                let last = min_time.len() - 1;
                in_time_order &= t >= max_time[last];
                min_time[last] = min_time[last].min(t);
                max_time[last] = max_time[last].max(t);
            }
            row += 1;
        }
    }
    starts.push(row);
    let tags = tag_names
        .into_iter()
        .zip(dictionaries)
        .zip(run_keys)
        .map(|((name, values), keys)| TagRuns {
            name,
            values: Arc::new(StringArray::from(values)),
            keys,
        })
        .collect();
    let runs = SeriesRuns {
        starts,
        min_time,
        max_time,
        tags,
        time_samples: if in_time_order {
            time_samples
        } else {
            Vec::new()
        },
    };
    Ok((runs.memory_bytes() <= max_bytes).then_some(runs))
}

/// The file-wide dictionary key of each row of a tag column (interning its
/// values into `interner`/`dictionary`); [`MISSING`] for nulls.
fn file_keys(
    column: Option<&dyn Array>,
    rows: usize,
    interner: &mut HashMap<String, i32>,
    dictionary: &mut Vec<String>,
) -> Result<Vec<i32>, StorageError> {
    let mut intern = |v: &str| -> i32 {
        if let Some(k) = interner.get(v) {
            return *k;
        }
        let k = dictionary.len() as i32;
        dictionary.push(v.to_string());
        interner.insert(v.to_string(), k);
        k
    };
    let Some(column) = column else {
        return Ok(vec![MISSING; rows]);
    };
    if let Some(dict) = column.as_dictionary_opt::<Int32Type>() {
        let values = dict.values().as_string::<i32>();
        let remap: Vec<i32> = (0..values.len())
            .map(|i| {
                if values.is_valid(i) {
                    intern(values.value(i))
                } else {
                    MISSING
                }
            })
            .collect();
        let keys = dict.keys();
        return Ok((0..rows)
            .map(|i| {
                if keys.is_null(i) {
                    MISSING
                } else {
                    remap[keys.value(i) as usize]
                }
            })
            .collect());
    }
    if let Some(strings) = column.as_string_opt::<i32>() {
        return Ok(strings
            .iter()
            .map(|v| v.map_or(MISSING, &mut intern))
            .collect());
    }
    Err(StorageError::Arrow(arrow::error::ArrowError::SchemaError(
        format!("tag column has type {}", column.data_type()),
    )))
}

/// File indexes by file id, bounded by the bytes of their runs.
#[derive(Debug)]
pub struct IndexCache {
    max_bytes: usize,
    inner: Mutex<CacheState>,
    /// One gate per file being loaded: concurrent first reads of a file
    /// wait for one load instead of each decoding the file's tags.
    loading: Mutex<HashMap<u64, Arc<Mutex<()>>>>,
}

#[derive(Debug, Default)]
struct CacheState {
    entries: HashMap<u64, (Arc<FileIndex>, usize)>,
    /// Ids in insertion order, oldest first (evicted first).
    order: VecDeque<u64>,
    bytes: usize,
}

impl Default for IndexCache {
    fn default() -> Self {
        IndexCache::new(DEFAULT_CACHE_BYTES)
    }
}

impl IndexCache {
    /// A cache keeping at most `max_bytes` of series runs.
    pub fn new(max_bytes: usize) -> Self {
        IndexCache {
            max_bytes,
            inner: Mutex::new(CacheState::default()),
            loading: Mutex::new(HashMap::new()),
        }
    }

    /// The index of file `id` at `path`, loaded on first use.
    pub fn get(&self, id: u64, path: &Path) -> Result<Arc<FileIndex>, StorageError> {
        if let Some(index) = self.peek(id) {
            return Ok(index);
        }
        let gate = self.loading.lock().entry(id).or_default().clone();
        let loaded = {
            let _loading = gate.lock();
            match self.peek(id) {
                Some(index) => Ok(index),
                None => self.load(id, path),
            }
        };
        let mut loading = self.loading.lock();
        if loading.get(&id).is_some_and(|g| Arc::ptr_eq(g, &gate)) {
            loading.remove(&id);
        }
        loaded
    }

    /// Loads the index of file `id` and caches it.
    fn load(&self, id: u64, path: &Path) -> Result<Arc<FileIndex>, StorageError> {
        let index = Arc::new(FileIndex::load(path, self.max_bytes / MAX_SHARE_OF_CACHE)?);
        let bytes = index.runs.as_ref().map_or(0, SeriesRuns::memory_bytes) + 4096;
        let mut state = self.inner.lock();
        if let Some((existing, _)) = state.entries.get(&id) {
            return Ok(existing.clone());
        }
        while state.bytes + bytes > self.max_bytes {
            let Some(old) = state.order.pop_front() else {
                break;
            };
            if let Some((_, b)) = state.entries.remove(&old) {
                state.bytes -= b;
            }
        }
        state.entries.insert(id, (index.clone(), bytes));
        state.order.push_back(id);
        state.bytes += bytes;
        Ok(index)
    }

    /// The index of file `id` if it is cached (never loads it).
    pub fn peek(&self, id: u64) -> Option<Arc<FileIndex>> {
        self.inner
            .lock()
            .entries
            .get(&id)
            .map(|(index, _)| index.clone())
    }

    /// Forgets file `id` (removed by compaction, retention or a drop).
    pub fn remove(&self, id: u64) {
        let mut state = self.inner.lock();
        if let Some((_, b)) = state.entries.remove(&id) {
            state.bytes -= b;
            state.order.retain(|i| *i != id);
        }
    }

    /// Files cached now.
    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{Float64Array, RecordBatch, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use proptest::prelude::*;

    use crate::files::{
        read_parquet, read_parquet_indexed, read_parquet_where, write_parquet, FileCodec,
        SeriesEnds,
    };
    use crate::prune::filter_batch;
    use crate::schema::{conform, tag_arrow_type, time_arrow_type};

    /// Series of (host, dc) with `points[i]` rows each, sorted by series
    /// then time as persisted; every third series lacks `dc`. Fields: `n`
    /// (integer, small steps, some nulls) and `v` (float).
    fn file_batch(points: &[usize]) -> RecordBatch {
        let (mut hosts, mut dcs, mut times, mut values) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut ints: Vec<Option<i64>> = Vec::new();
        let mut series: Vec<(String, Option<String>)> = (0..points.len())
            .map(|i| {
                let dc = (i % 3 != 2).then(|| format!("dc{}", i % 4));
                (format!("host_{i}"), dc)
            })
            .collect();
        series.sort();
        for ((host, dc), n) in series.iter().zip(points) {
            for t in 0..*n as i64 {
                hosts.push(Some(host.clone()));
                dcs.push(dc.clone());
                times.push(t * 10 + (host.len() as i64));
                values.push(t as f64);
                ints.push((t % 11 != 5).then_some((t * t) % 97 - 40));
            }
        }
        let schema = Schema::new(vec![
            Field::new("dc", tag_arrow_type(), true),
            Field::new("host", tag_arrow_type(), true),
            Field::new("n", DataType::Int64, true),
            Field::new("v", DataType::Float64, true),
            Field::new(TIME_COLUMN, time_arrow_type(), false),
        ]);
        let dcs: arrow::array::DictionaryArray<Int32Type> =
            dcs.iter().map(|d| d.as_deref()).collect();
        let hosts: arrow::array::DictionaryArray<Int32Type> =
            hosts.iter().map(|d| d.as_deref()).collect();
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(dcs),
                Arc::new(hosts),
                Arc::new(arrow::array::Int64Array::from(ints)),
                Arc::new(Float64Array::from(values)),
                Arc::new(TimestampNanosecondArray::from(times)),
            ],
        )
        .unwrap()
    }

    /// Rows as comparable strings, after exact tag and time filtering.
    fn exact_rows(
        batches: Vec<RecordBatch>,
        schema: &arrow::datatypes::SchemaRef,
        filters: &[TagFilter],
        time: Option<(i64, i64)>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for b in batches {
            let b = filter_batch(conform(&b, schema).unwrap(), filters).unwrap();
            let text = arrow::util::pretty::pretty_format_batches(&[b])
                .unwrap()
                .to_string();
            for line in text
                .lines()
                .filter(|l| l.starts_with("| ") && !l.contains(" time "))
            {
                let t: i64 = line
                    .rsplit('|')
                    .nth(1)
                    .map(|s| s.trim())
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                if time.is_none_or(|(lo, hi)| t >= lo && t <= hi) {
                    out.push(line.to_string());
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The indexed read returns exactly the plain read's matching rows,
        /// in the same order, for any tag filter, time range and projection,
        /// and both are the rows written, from persisted (LZ4) and compacted
        /// (restart deltas) files alike.
        #[test]
        fn indexed_read_equals_plain_read_filtered(
            points in prop::collection::vec(1usize..900, 1..30),
            hosts in prop::collection::vec(0usize..35, 0..3),
            dc in prop::option::of(prop::sample::select(vec!["", "dc0", "dc1", "dc3", "dc9"])),
            time in prop::option::of((0i64..6000, 0i64..6000)),
            with_host_column in any::<bool>(),
            compact in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f.parquet");
            let codec = if compact { FileCodec::Compact } else { FileCodec::Fast };
            let written = file_batch(&points);
            write_parquet(&path, &written, codec).unwrap();
            let mut filters = Vec::new();
            if !hosts.is_empty() {
                filters.push(TagFilter::new("host", hosts.iter().map(|h| format!("host_{h}")).collect()));
            }
            if let Some(dc) = dc {
                filters.push(TagFilter::new("dc", vec![dc.to_string()]));
            }
            let time = time.map(|(a, b)| (a.min(b), a.max(b)));
            let mut columns = vec!["dc".to_string(), "n".to_string(), "v".to_string(), TIME_COLUMN.to_string()];
            if with_host_column {
                columns.push("host".into());
            }
            let schema: arrow::datatypes::SchemaRef = Arc::new(Schema::new(
                file_batch(&[1]).schema().fields().iter()
                    .filter(|f| columns.contains(f.name()))
                    .cloned()
                    .collect::<Vec<_>>(),
            ));
            let index = FileIndex::load(&path, usize::MAX).unwrap();
            prop_assert!(index.runs.as_ref().is_some_and(|r| r.len() == points.len()));
            prop_assert_eq!(!index.restart_deltas.is_empty(), compact);
            let expected = exact_rows(vec![written], &schema, &filters, time);
            let plain = exact_rows(read_parquet(&path, Some(&columns)).unwrap(), &schema, &filters, time);
            prop_assert_eq!(&plain, &expected);
            let paged = exact_rows(read_parquet_where(&path, Some(&columns), &filters, time).unwrap(), &schema, &filters, time);
            prop_assert_eq!(&paged, &expected);
            let indexed = exact_rows(
                read_parquet_indexed(&index, Some(&columns), &filters, time, None).unwrap().collect::<Result<Vec<_>, _>>().unwrap(),
                &schema,
                &filters,
                time,
            );
            prop_assert_eq!(indexed, expected);
        }
    }

    /// Concurrent first reads of a file share one load, and leave no gate.
    #[test]
    fn concurrent_first_reads_share_one_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        write_parquet(&path, &file_batch(&[500; 20]), FileCodec::Fast).unwrap();
        let cache = IndexCache::default();
        let indexes: Vec<Arc<FileIndex>> = std::thread::scope(|scope| {
            let readers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| cache.get(7, &path).unwrap()))
                .collect();
            readers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert!(indexes.iter().all(|i| Arc::ptr_eq(i, &indexes[0])));
        assert!(cache.loading.lock().is_empty());
        assert!(Arc::ptr_eq(&cache.get(7, &path).unwrap(), &indexes[0]));
    }

    /// Reads larger than one batch build each batch's tag columns from the
    /// rows that batch holds (batches end inside and between series runs).
    #[test]
    fn multi_batch_reads_keep_tags_aligned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let points = vec![5_000usize; 36];
        for codec in [FileCodec::Fast, FileCodec::Compact] {
            multi_batch_read(&path, &points, codec);
        }
    }

    fn multi_batch_read(path: &Path, points: &[usize], codec: FileCodec) {
        let written = file_batch(points);
        write_parquet(path, &written, codec).unwrap();
        let index = FileIndex::load(path, usize::MAX).unwrap();
        let columns: Vec<String> = ["dc", "host", "n", "v", TIME_COLUMN]
            .iter()
            .map(|c| c.to_string())
            .collect();
        let schema = file_batch(&[1]).schema();
        let every_other = TagFilter::new(
            "host",
            (0..36).step_by(2).map(|h| format!("host_{h}")).collect(),
        );
        for (filters, time) in [
            (vec![], None),
            (vec![every_other.clone()], None),
            (vec![every_other], Some((1_000, 40_000))),
        ] {
            let batches: Vec<RecordBatch> =
                read_parquet_indexed(&index, Some(&columns), &filters, time, None)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            assert!(rows > 64 * 1024 || !filters.is_empty(), "{rows} rows");
            let plain = exact_rows(
                read_parquet(path, Some(&columns)).unwrap(),
                &schema,
                &filters,
                time,
            );
            assert_eq!(
                plain,
                exact_rows(vec![written.clone()], &schema, &filters, time)
            );
            assert_eq!(plain, exact_rows(batches, &schema, &filters, time));
        }
    }

    /// Per series (host), the `n` newest or oldest (time, w) pairs among
    /// rows in `time` whose `w` has a value.
    fn series_ends(
        batches: &[RecordBatch],
        n: usize,
        newest: bool,
        time: Option<(i64, i64)>,
    ) -> std::collections::BTreeMap<String, Vec<(i64, i64)>> {
        let mut all: std::collections::BTreeMap<String, Vec<(i64, i64)>> = Default::default();
        for b in batches {
            let hosts = b
                .column_by_name("host")
                .unwrap()
                .as_dictionary::<Int32Type>();
            let names = hosts.values().as_string::<i32>();
            let w = b
                .column_by_name("w")
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>();
            let t = b
                .column_by_name(TIME_COLUMN)
                .unwrap()
                .as_primitive::<TimestampNanosecondType>();
            for r in 0..b.num_rows() {
                if w.is_null(r) || time.is_some_and(|(lo, hi)| t.value(r) < lo || t.value(r) > hi) {
                    continue;
                }
                let host = names.value(hosts.keys().value(r) as usize).to_string();
                all.entry(host).or_default().push((t.value(r), w.value(r)));
            }
        }
        for v in all.values_mut() {
            v.sort();
            if newest {
                v.reverse();
            }
            v.truncate(n);
        }
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Reading only the ends of each series keeps every row a `LIMIT n`
        /// answer needs, also where the newest rows lack the counted field.
        #[test]
        fn series_ends_keep_the_rows_a_limit_needs(
            points in prop::collection::vec(1usize..300, 1..12),
            gaps in prop::collection::vec(0usize..40, 12),
            n in 1usize..4,
            newest in any::<bool>(),
            time in prop::option::of((0i64..3000, 0i64..3000)),
            compact in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f.parquet");
            let base = file_batch(&points);
            // `w`: null in the first and last `gaps[i]` rows of series i.
            let hosts = base.column_by_name("host").unwrap().as_dictionary::<Int32Type>().clone();
            let names = hosts.values().as_string::<i32>().clone();
            let mut w: Vec<Option<i64>> = Vec::new();
            let mut r = 0;
            while r < base.num_rows() {
                let key = hosts.keys().value(r);
                let len = (r..base.num_rows()).take_while(|i| hosts.keys().value(*i) == key).count();
                let i: usize = names.value(key as usize)[5..].parse().unwrap();
                for j in 0..len {
                    let gap = gaps[i % gaps.len()];
                    w.push((j >= gap && j + gap < len).then_some(j as i64));
                }
                r += len;
            }
            let mut fields: Vec<arrow::datatypes::FieldRef> = base.schema().fields().iter().cloned().collect();
            fields.insert(4, Arc::new(Field::new("w", DataType::Int64, true)));
            let mut columns: Vec<ArrayRef> = base.columns().to_vec();
            columns.insert(4, Arc::new(arrow::array::Int64Array::from(w)));
            let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
            let codec = if compact { FileCodec::Compact } else { FileCodec::Fast };
            write_parquet(&path, &batch, codec).unwrap();

            let time = time.map(|(a, b)| (a.min(b), a.max(b)));
            let wanted: Vec<String> = ["host", "w", TIME_COLUMN].iter().map(|s| s.to_string()).collect();
            let index = FileIndex::load(&path, usize::MAX).unwrap();
            let ends = SeriesEnds { rows: n, newest, counting: vec!["w".into()], every: false };
            let clipped = read_parquet_indexed(&index, Some(&wanted), &[], time, Some(&ends)).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
            let plain = read_parquet(&path, Some(&wanted)).unwrap();
            prop_assert_eq!(series_ends(&plain, n, newest, time), series_ends(&clipped, n, newest, time));
            prop_assert_eq!(series_ends(&plain, n, newest, time), series_ends(std::slice::from_ref(&batch), n, newest, time));
            // Again, now from the end rows the first read cached (when every
            // series' end was in range), also for other columns.
            let again = read_parquet_indexed(&index, Some(&wanted), &[], time, Some(&ends)).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
            prop_assert_eq!(series_ends(&plain, n, newest, time), series_ends(&again, n, newest, time));
            let fewer: Vec<String> = ["w", TIME_COLUMN].iter().map(|s| s.to_string()).collect();
            let narrow = read_parquet_indexed(&index, Some(&fewer), &[], time, Some(&ends)).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
            for b in &narrow {
                prop_assert_eq!(b.num_columns(), 2);
            }
            let rows = |bs: &[RecordBatch]| bs.iter().map(|b| b.num_rows()).sum::<usize>();
            prop_assert_eq!(rows(&narrow), rows(&again));
        }
    }

    #[test]
    fn runs_select_only_the_wanted_series() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        write_parquet(&path, &file_batch(&[100, 200, 300, 400]), FileCodec::Fast).unwrap();
        let index = FileIndex::load(&path, usize::MAX).unwrap();
        let runs = index.runs.as_ref().unwrap();
        assert_eq!(runs.len(), 4);
        // host_1 (dc1) is the second series in sorted order.
        let one = runs.select(&[TagFilter::new("host", vec!["host_1".into()])], None);
        assert_eq!(one, vec![100..300]);
        // host_2 has no dc: only a filter accepting "" selects it.
        assert_eq!(
            runs.select(&[TagFilter::new("dc", vec!["".into()])], None),
            vec![300..600]
        );
        // Times: host_0's rows span 6..=996; a range past it skips the run,
        // and the others are cut to within 64 rows (the time samples) of
        // their rows in range: host_1's are 250..260 (times 1506..=1596),
        // host_2's 450..460, host_3's 750..760.
        let late = runs.select(&[], Some((1500, 1600)));
        assert_eq!(late, vec![193..300, 449..512, 705..768]);
        // A range between two samples' times, holding no row, selects rows
        // between those samples (the runs cannot tell which hold nothing).
        assert_eq!(
            runs.select(&[], Some((1501, 1505))),
            vec![193..256, 449..512, 705..768]
        );
        // Too small a budget keeps no runs.
        assert!(FileIndex::load(&path, 16).unwrap().runs.is_none());
    }

    #[test]
    fn the_cache_loads_once_and_forgets_removed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        write_parquet(&path, &file_batch(&[10, 10]), FileCodec::Fast).unwrap();
        let cache = IndexCache::new(1 << 20);
        let a = cache.get(7, &path).unwrap();
        let b = cache.get(7, &path).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(cache.len(), 1);
        cache.remove(7);
        assert!(cache.is_empty());
    }
}
