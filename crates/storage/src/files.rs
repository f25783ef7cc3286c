//! Parquet files: writing sorted, deduplicated batches and reading them back.

use std::fs::{self, File};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, FieldRef, Schema, TimestampNanosecondType};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::StorageError;
use crate::file_index::{EndRows, FileIndex, SeriesRuns};
use crate::page_select;
use crate::prune::TagFilter;
use crate::restart_delta;
use crate::schema::TIME_COLUMN;

/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// Rows per record batch read from a file at most.
const MAX_BATCH_ROWS: usize = 64 * 1024;

/// Rows per data page at most: the page index prunes at this granularity
/// (a series of a day at 10 s spans about one page).
const PAGE_ROWS: usize = 8192;

/// How a file's data pages are compressed: the files persistence writes
/// (the newest data, which dashboards read again and again) for read speed,
/// the files compaction writes (older data merged) for size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCodec {
    /// LZ4 (raw blocks): 6–8 % larger than ZSTD on TSBS data, and opening a
    /// column chunk costs nothing. The parquet crate makes a ZSTD
    /// compression and decompression context per column chunk read, and
    /// each asks the CPU for its features (`cpuid`, a VM exit): on this
    /// project's 2-core VM that was 21 % of a ten-field one-host query.
    Fast,
    /// ZSTD level 3.
    Compact,
}

impl FileCodec {
    fn compression(self) -> Compression {
        match self {
            FileCodec::Fast => Compression::LZ4_RAW,
            FileCodec::Compact => Compression::ZSTD(ZstdLevel::try_new(3).expect("valid level")),
        }
    }
}

/// Encodings per column: integers (and the time column) as deltas, which
/// then compress to a small multiple of the data's entropy (metrics move in
/// small steps: TSBS's integer fields take 0.38 bytes per value this way
/// against 0.86 with dictionaries); everything else dictionary-encoded,
/// falling back to plain where a dictionary does not pay. Tag columns are
/// stored without compression: their dictionary-encoded pages are already a
/// few run-length bytes (rows are sorted by series), and a compressed column
/// costs every read a new codec (parquet's ZSTD codec allocates a compression
/// and a decompression context per column chunk: ~9 % of the CPU of a Flux
/// query reading ten tags, before this). The time column is LZ4 in every
/// file (a few bytes per thousand rows either way, and every read decodes
/// it). The other columns use `codec`, except the `restart_deltas` columns
/// (see [`crate::restart_delta`]): byte-stream-split, ZSTD at a high level,
/// no statistics.
fn writer_properties(
    schema: &Schema,
    codec: FileCodec,
    restart_deltas: &[String],
) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(codec.compression())
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_column_dictionary_enabled(ColumnPath::from(TIME_COLUMN), false)
        .set_column_encoding(ColumnPath::from(TIME_COLUMN), Encoding::DELTA_BINARY_PACKED)
        .set_column_compression(ColumnPath::from(TIME_COLUMN), Compression::LZ4_RAW);
    for field in schema.fields() {
        let path = ColumnPath::from(field.name().as_str());
        if crate::schema::is_tag(field) {
            builder = builder.set_column_compression(path, Compression::UNCOMPRESSED);
        } else if restart_deltas.contains(field.name()) {
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path.clone(), Encoding::BYTE_STREAM_SPLIT)
                .set_column_statistics_enabled(path.clone(), EnabledStatistics::None)
                .set_column_compression(path, restart_delta_compression());
        } else if matches!(field.data_type(), DataType::Int64 | DataType::UInt64) {
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
        }
    }
    if !restart_deltas.is_empty() {
        builder = builder
            .set_key_value_metadata(Some(vec![restart_delta::metadata_entry(restart_deltas)]));
    }
    builder.build()
}

/// Compression of restart-delta columns. ZSTD's optimal parsing (level 15
/// and up) keeps it from spending matches on a stream of small numbers
/// whose best code is per byte: on TSBS's integer fields in 8,192-row pages
/// levels 1–12 give 2.7–2.9 bits per value, 15 and 19 2.4, and 15 writes
/// 2.6× as fast as 19.
fn restart_delta_compression() -> Compression {
    Compression::ZSTD(ZstdLevel::try_new(15).expect("valid level"))
}

/// Writes `batch` to `path` (through a temporary file, fsynced) and returns
/// the file's size in bytes.
pub fn write_parquet(
    path: &Path,
    batch: &RecordBatch,
    codec: FileCodec,
) -> Result<u64, StorageError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| StorageError::io(parent, e))?;
    }
    let tmp = path.with_extension("parquet.tmp");
    let file = File::create(&tmp).map_err(|e| StorageError::io(&tmp, e))?;
    // Compacted files store integer fields as restart deltas.
    let (encoded, restart_deltas) = match codec {
        FileCodec::Compact => restart_delta::encode(batch)?,
        FileCodec::Fast => (batch.clone(), Vec::new()),
    };
    let mut writer = ArrowWriter::try_new(
        file,
        encoded.schema(),
        Some(writer_properties(&encoded.schema(), codec, &restart_deltas)),
    )?;
    writer.write(&encoded)?;
    let file = writer.into_inner()?;
    file.sync_all().map_err(|e| StorageError::io(&tmp, e))?;
    let bytes = file
        .metadata()
        .map_err(|e| StorageError::io(&tmp, e))?
        .len();
    drop(file);
    fs::rename(&tmp, path).map_err(|e| StorageError::io(path, e))?;
    if let Some(parent) = path.parent() {
        File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| StorageError::io(parent, e))?;
    }
    Ok(bytes)
}

/// Reads the columns named in `columns` (all when `None`) of a Parquet file;
/// names the file does not have are skipped.
pub fn read_parquet(
    path: &Path,
    columns: Option<&[String]>,
) -> Result<Vec<RecordBatch>, StorageError> {
    read_parquet_where(path, columns, &[], None)
}

/// Like [`read_parquet`], but decodes only the pages that can hold rows
/// matching `filters` and the inclusive time range `time` (by the file's
/// page index). The result may still hold rows that do not match.
pub fn read_parquet_where(
    path: &Path,
    columns: Option<&[String]>,
    filters: &[TagFilter],
    time: Option<(i64, i64)>,
) -> Result<Vec<RecordBatch>, StorageError> {
    let file = File::open(path).map_err(|e| StorageError::io(path, e))?;
    let with_index = !filters.is_empty() || time.is_some();
    let options = ArrowReaderOptions::new().with_page_index_policy(if with_index {
        PageIndexPolicy::Optional
    } else {
        PageIndexPolicy::Skip
    });
    let metadata =
        ArrowReaderMetadata::load(&file, options).map_err(|e| StorageError::Manifest {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    read_paged(file, metadata, columns, filters, time)?.collect()
}

/// Only the first or last rows of each series are wanted (raw queries with
/// a `LIMIT`, `first()`/`last()` selectors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesEnds {
    /// Rows wanted per series.
    pub rows: usize,
    /// The newest rows (else the oldest).
    pub newest: bool,
    /// Columns whose values make a row count toward `rows`.
    pub counting: Vec<String>,
    /// Whether each counting column needs `rows` values (else a row counts
    /// when any of them has a value).
    pub every: bool,
}

/// Like [`read_parquet_where`], with the file's cached [`FileIndex`]: the
/// footer is not parsed again, and when the index knows the file's series
/// runs exactly the rows of the series `filters` accept (in runs that reach
/// into `time`) are decoded, and tag columns are built from the runs
/// instead of being decoded. With `ends`, only the rows at that end of each
/// series are decoded (more where those lack values or fall outside
/// `time`); the result holds every row of the series' answer, and possibly
/// more.
pub fn read_parquet_indexed<'a>(
    index: &'a FileIndex,
    columns: Option<&[String]>,
    filters: &[TagFilter],
    time: Option<(i64, i64)>,
    ends: Option<&SeriesEnds>,
) -> Result<Batches<'a>, StorageError> {
    let Some(runs) = &index.runs else {
        return read_paged(
            index.data.clone(),
            index.metadata.clone(),
            columns,
            filters,
            time,
        );
    };
    let metadata = index.metadata.metadata();
    let mut selected = runs.select_runs(filters, time);
    if let Some(pages) = page_select::selected_ranges(metadata, &[], time) {
        selected = selected
            .into_iter()
            .filter_map(|(run, rows)| {
                let kept = page_select::intersect(std::slice::from_ref(&rows), &pages);
                let first = kept.first()?.start;
                let last = kept.last()?.end;
                Some((run, first..last))
            })
            .collect();
    }
    let Some(ends) = ends.filter(|e| e.rows > 0 && !e.counting.is_empty()) else {
        return run_batches(index, runs, joined(&selected), columns);
    };
    let clipped: Vec<(usize, Range<usize>)> = selected
        .iter()
        .map(|(run, rows)| (*run, clip(rows, ends)))
        .collect();
    let batches = match cached_ends(index, runs, &clipped, columns, ends)? {
        Some(batches) => batches,
        None => read_runs(index, runs, &joined(&clipped), columns)?,
    };
    let short = short_runs(&batches, &clipped, &selected, ends, time)?;
    if short.is_empty() {
        return Ok(Box::new(batches.into_iter().map(Ok)));
    }
    // Some series lack values at their end: read them whole.
    let ranges: Vec<(usize, Range<usize>)> = clipped
        .into_iter()
        .zip(&selected)
        .enumerate()
        .map(|(i, (c, whole))| if short.contains(&i) { whole.clone() } else { c })
        .collect();
    run_batches(index, runs, joined(&ranges), columns)
}

/// Runs times rows per run of the end reads a file caches at most.
const MAX_CACHED_END_ROWS: usize = 16 * 1024;

/// Kinds of end reads (which end, how many rows) a file caches at most.
const MAX_END_KINDS: usize = 4;

/// The rows `clipped` names, from the file's cached [`EndRows`] (decoded
/// once for all runs, on first use), when every one of them is the end of
/// its whole run: the newest point of each series is read again and again
/// (dashboards' "last value"), and reaching it decodes every page before it.
/// `None` when the rows must be read from the file.
fn cached_ends(
    index: &FileIndex,
    runs: &SeriesRuns,
    clipped: &[(usize, Range<usize>)],
    columns: Option<&[String]>,
    ends: &SeriesEnds,
) -> Result<Option<Vec<RecordBatch>>, StorageError> {
    if clipped.is_empty()
        || runs.len().saturating_mul(ends.rows) > MAX_CACHED_END_ROWS
        || clipped
            .iter()
            .any(|(run, rows)| *rows != clip(&runs.run_rows(*run), ends))
    {
        return Ok(None);
    }
    let Some(cached) = end_rows(index, runs, ends)? else {
        return Ok(None);
    };
    let indices: arrow::array::UInt32Array = clipped
        .iter()
        .flat_map(|(run, _)| cached.offsets[*run] as u32..cached.offsets[*run + 1] as u32)
        .collect();
    let wanted = |name: &str| columns.is_none_or(|c| c.iter().any(|n| n == name));
    let mut fields: Vec<FieldRef> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (field, array) in cached
        .batch
        .schema()
        .fields()
        .iter()
        .zip(cached.batch.columns())
    {
        if wanted(field.name()) {
            fields.push(field.clone());
            arrays.push(arrow::compute::take(array, &indices, None)?);
        }
    }
    let schema = index.metadata.schema();
    for (name, array) in runs.tag_columns(&joined(clipped), wanted) {
        if let Ok(field) = schema.field_with_name(&name) {
            fields.push(Arc::new(field.clone()));
            arrays.push(array);
        }
    }
    Ok(Some(vec![RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(indices.len())),
    )?]))
}

/// The file's [`EndRows`] for `ends`, decoded now if not yet; `None` when
/// the cache is full.
fn end_rows(
    index: &FileIndex,
    runs: &SeriesRuns,
    ends: &SeriesEnds,
) -> Result<Option<Arc<EndRows>>, StorageError> {
    let found = |kinds: &[Arc<EndRows>]| {
        kinds
            .iter()
            .find(|e| e.newest == ends.newest && e.rows == ends.rows)
            .cloned()
    };
    {
        let kinds = index.end_rows.lock();
        if let Some(e) = found(&kinds) {
            return Ok(Some(e));
        }
        if kinds.len() >= MAX_END_KINDS {
            return Ok(None);
        }
    }
    let all: Vec<(usize, Range<usize>)> = (0..runs.len())
        .map(|run| (run, clip(&runs.run_rows(run), ends)))
        .collect();
    let non_tags: Vec<String> = index
        .metadata
        .schema()
        .fields()
        .iter()
        .filter(|f| !runs.has_tag(f.name()))
        .map(|f| f.name().clone())
        .collect();
    let batches = read_runs(index, runs, &joined(&all), Some(&non_tags))?;
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let batch = arrow::compute::concat_batches(&first.schema(), &batches)?;
    let mut offsets = Vec::with_capacity(all.len() + 1);
    offsets.push(0);
    for (_, rows) in &all {
        offsets.push(offsets.last().copied().unwrap_or(0) + rows.len());
    }
    let Some(built) = EndRows::new(ends.newest, ends.rows, batch, offsets) else {
        return Ok(None);
    };
    let mut kinds = index.end_rows.lock();
    if let Some(e) = found(&kinds) {
        return Ok(Some(e));
    }
    let built = Arc::new(built);
    kinds.push(built.clone());
    Ok(Some(built))
}

/// The rows of `rows` at the end `ends` asks for.
fn clip(rows: &Range<usize>, ends: &SeriesEnds) -> Range<usize> {
    if rows.len() <= ends.rows {
        rows.clone()
    } else if ends.newest {
        rows.end - ends.rows..rows.end
    } else {
        rows.start..rows.start + ends.rows
    }
}

/// The ranges, joined where they touch.
fn joined(runs: &[(usize, Range<usize>)]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (_, rows) in runs {
        page_select::push_range(&mut out, rows.clone());
    }
    out
}

/// Indices (into `clipped`) of the clipped runs whose rows do not hold
/// `ends.rows` counting rows inside `time` although the whole run has more
/// rows. `batches` hold the clipped rows in order.
fn short_runs(
    batches: &[RecordBatch],
    clipped: &[(usize, Range<usize>)],
    whole: &[(usize, Range<usize>)],
    ends: &SeriesEnds,
    time: Option<(i64, i64)>,
) -> Result<Vec<usize>, StorageError> {
    let batch = match batches {
        [] => return Ok(Vec::new()),
        [one] => one.clone(),
        many => arrow::compute::concat_batches(&many[0].schema(), many)?,
    };
    let times = batch
        .column_by_name(TIME_COLUMN)
        .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>());
    let counting: Vec<Option<&ArrayRef>> = ends
        .counting
        .iter()
        .map(|c| batch.column_by_name(c))
        .collect();
    let mut short = Vec::new();
    let mut offset = 0usize;
    for (i, ((_, rows), (_, all))) in clipped.iter().zip(whole).enumerate() {
        let in_time = |row: usize| match (times, time) {
            (Some(t), Some((min, max))) => (min..=max).contains(&t.value(row)),
            _ => true,
        };
        let rows_here = offset..offset + rows.len();
        offset += rows.len();
        if rows.len() == all.len() {
            continue;
        }
        let enough = if ends.every {
            counting.iter().all(|c| {
                rows_here
                    .clone()
                    .filter(|r| in_time(*r) && c.is_some_and(|c| c.is_valid(*r)))
                    .count()
                    >= ends.rows
            })
        } else {
            rows_here
                .filter(|r| {
                    in_time(*r) && counting.iter().any(|c| c.is_some_and(|c| c.is_valid(*r)))
                })
                .count()
                >= ends.rows
        };
        if !enough {
            short.push(i);
        }
    }
    Ok(short)
}

/// Decodes `ranges` of the file (sorted, disjoint) with the tag columns
/// built from `runs`, all at once.
fn read_runs(
    index: &FileIndex,
    runs: &SeriesRuns,
    ranges: &[Range<usize>],
    columns: Option<&[String]>,
) -> Result<Vec<RecordBatch>, StorageError> {
    run_batches(index, runs, ranges.to_vec(), columns)?.collect()
}

/// Decodes `ranges` of the file (sorted, disjoint) batch by batch, with
/// the tag columns of each batch built from `runs`.
fn run_batches<'a>(
    index: &FileIndex,
    runs: &'a SeriesRuns,
    ranges: Vec<Range<usize>>,
    columns: Option<&[String]>,
) -> Result<Batches<'a>, StorageError> {
    if ranges.is_empty() {
        return Ok(Box::new(std::iter::empty()));
    }
    let total = index.metadata.metadata().file_metadata().num_rows().max(0) as usize;
    let wanted = |name: &str| columns.is_none_or(|c| c.iter().any(|n| n == name));
    let schema = index.metadata.schema().clone();
    // Decoded: the wanted columns that are not tags, and always the time
    // (a reader needs one column to count rows by).
    let decoded: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !runs.has_tag(f.name()) && (wanted(f.name()) || f.name() == TIME_COLUMN))
        .map(|(i, _)| i)
        .collect();
    let tags: Vec<FieldRef> = schema
        .fields()
        .iter()
        .filter(|f| runs.has_tag(f.name()) && wanted(f.name()))
        .cloned()
        .collect();
    // Restart-delta columns decode from the start of their stretch.
    let deltas = restart_delta::Decoder::new(index.restart_deltas.clone())
        .filter(|d| d.touches(decoded.iter().map(|i| schema.field(*i).name().as_str())));
    let (ranges, wanted_rows) = match &deltas {
        Some(_) => {
            let expanded = restart_delta::expand(&ranges);
            let wanted = (expanded != ranges).then_some(ranges);
            (expanded, wanted)
        }
        None => (ranges, None),
    };
    let selected: usize = ranges.iter().map(|r| r.len()).sum();
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
        index.data.clone(),
        index.metadata.clone(),
    )
    .with_projection(ProjectionMask::roots(
        index.metadata.parquet_schema(),
        decoded,
    ))
    .with_row_selection(RowSelection::from_consecutive_ranges(
        ranges.iter().cloned(),
        total,
    ))
    .with_batch_size(selected.clamp(1, MAX_BATCH_ROWS))
    .build()?;
    Ok(Box::new(RunBatches {
        reader,
        runs,
        tags,
        keep_time: wanted(TIME_COLUMN),
        rows: FileRows::new(ranges),
        deltas,
        wanted_rows,
    }))
}

/// Batches of one read, produced one at a time: a caller that filters or
/// aggregates them holds one decoded batch at a time, not the whole read.
pub type Batches<'a> = Box<dyn Iterator<Item = Result<RecordBatch, StorageError>> + 'a>;

/// The file rows a reader returns, batch after batch: the selected ranges
/// in order.
struct FileRows {
    ranges: Vec<Range<usize>>,
    /// Where the next batch starts: a range and a row offset inside it.
    next: (usize, usize),
}

impl FileRows {
    fn new(ranges: Vec<Range<usize>>) -> Self {
        FileRows {
            ranges,
            next: (0, 0),
        }
    }

    /// The file rows of the next `rows` selected rows.
    fn take(&mut self, mut rows: usize) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        while rows > 0 {
            let Some(range) = self.ranges.get(self.next.0) else {
                break;
            };
            let start = range.start + self.next.1;
            let len = (range.end - start).min(rows);
            out.push(start..start + len);
            rows -= len;
            if start + len == range.end {
                self.next = (self.next.0 + 1, 0);
            } else {
                self.next.1 += len;
            }
        }
        out
    }
}

/// Decodes a batch's restart-delta columns and drops the rows read only to
/// reach a restart (those outside `wanted_rows`).
fn decode_deltas(
    batch: RecordBatch,
    file_rows: &[Range<usize>],
    deltas: Option<&mut restart_delta::Decoder>,
    wanted_rows: Option<&[Range<usize>]>,
) -> Result<RecordBatch, StorageError> {
    let Some(decoder) = deltas else {
        return Ok(batch);
    };
    let batch = decoder.decode(batch, file_rows)?;
    Ok(match wanted_rows {
        Some(wanted) => arrow::compute::filter_record_batch(
            &batch,
            &restart_delta::keep_mask(file_rows, wanted),
        )?,
        None => batch,
    })
}

/// The batches of [`run_batches`].
struct RunBatches<'a> {
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    runs: &'a SeriesRuns,
    /// Tag columns to build, in the file's order.
    tags: Vec<FieldRef>,
    keep_time: bool,
    /// The file rows of the reader's rows.
    rows: FileRows,
    /// Restart-delta columns to decode, if the read has any.
    deltas: Option<restart_delta::Decoder>,
    /// The rows asked for, when the read reaches back further (to restarts).
    wanted_rows: Option<Vec<Range<usize>>>,
}

impl RunBatches<'_> {
    fn assemble(&mut self, batch: RecordBatch) -> Result<RecordBatch, StorageError> {
        let rows = batch.num_rows();
        let file_rows = self.rows.take(rows);
        let mut fields: Vec<FieldRef> = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            if self.keep_time || field.name() != TIME_COLUMN {
                fields.push(field.clone());
                arrays.push(array.clone());
            }
        }
        let tags = &self.tags;
        let wanted = |name: &str| tags.iter().any(|f| f.name() == name);
        for (name, array) in self.runs.tag_columns(&file_rows, wanted) {
            if let Some(field) = tags.iter().find(|f| *f.name() == name) {
                fields.push(field.clone());
                arrays.push(array);
            }
        }
        let batch = RecordBatch::try_new_with_options(
            Arc::new(Schema::new(fields)),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?;
        decode_deltas(
            batch,
            &file_rows,
            self.deltas.as_mut(),
            self.wanted_rows.as_deref(),
        )
    }
}

impl Iterator for RunBatches<'_> {
    type Item = Result<RecordBatch, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = match self.reader.next()? {
            Ok(batch) => batch,
            Err(e) => return Some(Err(e.into())),
        };
        Some(self.assemble(batch))
    }
}

/// The batches of [`read_paged`] for a file with restart-delta columns.
struct PagedDeltas {
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    rows: FileRows,
    deltas: restart_delta::Decoder,
    wanted_rows: Option<Vec<Range<usize>>>,
}

impl Iterator for PagedDeltas {
    type Item = Result<RecordBatch, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = match self.reader.next()? {
            Ok(batch) => batch,
            Err(e) => return Some(Err(e.into())),
        };
        let file_rows = self.rows.take(batch.num_rows());
        Some(decode_deltas(
            batch,
            &file_rows,
            Some(&mut self.deltas),
            self.wanted_rows.as_deref(),
        ))
    }
}

/// The file rows a row selection selects.
fn ranges_of(selection: &RowSelection) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut row = 0;
    for s in selection.iter() {
        if !s.skip {
            page_select::push_range(&mut out, row..row + s.row_count);
        }
        row += s.row_count;
    }
    out
}

/// Reads `file` (whose footer is `metadata`) through its page index.
fn read_paged<T: parquet::file::reader::ChunkReader + 'static>(
    file: T,
    metadata: ArrowReaderMetadata,
    columns: Option<&[String]>,
    filters: &[TagFilter],
    time: Option<(i64, i64)>,
) -> Result<Batches<'static>, StorageError> {
    let total = metadata.metadata().file_metadata().num_rows().max(0) as usize;
    let wanted = |name: &str| columns.is_none_or(|c| c.iter().any(|n| n == name));
    let deltas = restart_delta::Decoder::new(restart_delta::columns_of(metadata.metadata()))
        .filter(|d| {
            d.touches(
                metadata
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .filter(|n| wanted(n)),
            )
        });
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata)
        .with_batch_size(MAX_BATCH_ROWS);
    let selection = page_select::row_selection(builder.metadata(), filters, time);
    // Restart-delta columns decode from the start of their stretch: the
    // selection reaches back to it, the rows before are dropped after.
    let (selection, rows, wanted_rows) = match (&deltas, selection) {
        (None, selection) => (selection, Vec::new(), None),
        (Some(_), None) => (None, std::iter::once(0..total).collect(), None),
        (Some(_), Some(selection)) => {
            let wanted = ranges_of(&selection);
            let expanded = restart_delta::expand(&wanted);
            let selection = RowSelection::from_consecutive_ranges(expanded.iter().cloned(), total);
            let wanted = (expanded != wanted).then_some(wanted);
            (Some(selection), expanded, wanted)
        }
    };
    let builder = match selection {
        // Batches no larger than the selection: the reader allocates (and
        // zeroes) buffers for a whole batch per column.
        Some(selection) => {
            let rows = selection.row_count().clamp(1, MAX_BATCH_ROWS);
            builder.with_row_selection(selection).with_batch_size(rows)
        }
        None => builder,
    };
    let builder = match columns {
        Some(names) => {
            let schema = builder.schema().clone();
            let indices: Vec<usize> = schema
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| names.iter().any(|n| n == f.name()))
                .map(|(i, _)| i)
                .collect();
            let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
            builder.with_projection(mask)
        }
        None => builder,
    };
    let reader = builder.build()?;
    Ok(match deltas {
        Some(deltas) => Box::new(PagedDeltas {
            reader,
            rows: FileRows::new(rows),
            deltas,
            wanted_rows,
        }),
        None => Box::new(reader.map(|b| b.map_err(StorageError::from))),
    })
}
