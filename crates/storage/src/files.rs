//! Parquet files: writing sorted, deduplicated batches and reading them back.

use std::fs::{self, File};
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::StorageError;
use crate::page_select;
use crate::prune::TagFilter;
use crate::schema::TIME_COLUMN;

/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// Rows per record batch read from a file at most.
const MAX_BATCH_ROWS: usize = 64 * 1024;

/// Rows per data page at most: the page index prunes at this granularity
/// (a series of a day at 10 s spans about one page).
const PAGE_ROWS: usize = 8192;

/// Encodings per column: integers (and the time column) as deltas, which
/// then compress to a small multiple of the data's entropy (metrics move in
/// small steps: TSBS's integer fields take 0.38 bytes per value this way
/// against 0.86 with dictionaries); everything else dictionary-encoded,
/// falling back to plain where a dictionary does not pay. Tag columns are
/// stored without compression: their dictionary-encoded pages are already a
/// few run-length bytes (rows are sorted by series), and a compressed column
/// costs every read a new codec (parquet's ZSTD codec allocates a compression
/// and a decompression context per column chunk: ~9 % of the CPU of a Flux
/// query reading ten tags, before this).
fn writer_properties(schema: &Schema) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid level"),
        ))
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_column_dictionary_enabled(ColumnPath::from(TIME_COLUMN), false)
        .set_column_encoding(ColumnPath::from(TIME_COLUMN), Encoding::DELTA_BINARY_PACKED);
    for field in schema.fields() {
        if crate::schema::is_tag(field) {
            builder = builder.set_column_compression(
                ColumnPath::from(field.name().as_str()),
                Compression::UNCOMPRESSED,
            );
        }
        if matches!(field.data_type(), DataType::Int64 | DataType::UInt64) {
            let path = ColumnPath::from(field.name().as_str());
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
        }
    }
    builder.build()
}

/// Writes `batch` to `path` (through a temporary file, fsynced) and returns
/// the file's size in bytes.
pub fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<u64, StorageError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| StorageError::io(parent, e))?;
    }
    let tmp = path.with_extension("parquet.tmp");
    let file = File::create(&tmp).map_err(|e| StorageError::io(&tmp, e))?;
    let mut writer = ArrowWriter::try_new(
        file,
        batch.schema(),
        Some(writer_properties(&batch.schema())),
    )?;
    writer.write(batch)?;
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
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
        .map_err(|e| StorageError::Manifest {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
        .with_batch_size(MAX_BATCH_ROWS);
    let builder = match page_select::row_selection(builder.metadata(), filters, time) {
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
    reader
        .map(|b| b.map_err(StorageError::from))
        .collect::<Result<Vec<_>, _>>()
}
