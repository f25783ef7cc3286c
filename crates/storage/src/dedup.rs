//! Sorting and deduplication: rows with the same tag set and time merge into
//! one, and for every field the value of the latest row (the one furthest
//! down the input) that has it wins.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, Rows, SortField};

use crate::error::StorageError;
use crate::schema::{conform, is_tag, union_schema, TIME_COLUMN};

/// Concatenates `batches` (oldest first) into one batch of their union
/// schema, then sorts and deduplicates it.
pub fn merge_batches(batches: &[RecordBatch]) -> Result<RecordBatch, StorageError> {
    let schema = union_schema(batches.iter().map(|b| b.schema_ref()));
    merge_batches_into(batches, &schema)
}

/// Like [`merge_batches`] but producing exactly the columns of `schema`.
pub fn merge_batches_into(
    batches: &[RecordBatch],
    schema: &SchemaRef,
) -> Result<RecordBatch, StorageError> {
    let conformed = batches
        .iter()
        .map(|b| conform(b, schema))
        .collect::<Result<Vec<_>, _>>()?;
    let all = concat_batches(schema, &conformed)?;
    sort_dedup(&all)
}

/// Sort keys of a batch: its tag columns in order, then `time`.
fn key_columns(batch: &RecordBatch) -> Vec<ArrayRef> {
    let schema = batch.schema();
    let mut keys: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| is_tag(f))
        .map(|(i, _)| batch.column(i).clone())
        .collect();
    if let Some(time) = batch.column_by_name(TIME_COLUMN) {
        keys.push(time.clone());
    }
    keys
}

fn encode_keys(batch: &RecordBatch) -> Result<Rows, StorageError> {
    let keys = key_columns(batch);
    let converter = RowConverter::new(
        keys.iter()
            .map(|k| SortField::new(k.data_type().clone()))
            .collect(),
    )?;
    Ok(converter.convert_columns(&keys)?)
}

/// Sorts `batch` by (tags, time) and merges rows with equal keys; later rows
/// win per field. Returns the input unchanged when it is already sorted and
/// free of duplicates.
pub fn sort_dedup(batch: &RecordBatch) -> Result<RecordBatch, StorageError> {
    let n = batch.num_rows();
    if n <= 1 {
        return Ok(batch.clone());
    }
    let rows = encode_keys(batch)?;
    if (1..n).all(|i| rows.row(i - 1) < rows.row(i)) {
        return Ok(batch.clone());
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by(|a, b| {
        rows.row(*a as usize)
            .cmp(&rows.row(*b as usize))
            .then(a.cmp(b))
    });
    // Runs of equal keys in sorted order: [start, end) into `order`.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        if i == n || rows.row(order[i] as usize) != rows.row(order[start] as usize) {
            runs.push((start, i));
            start = i;
        }
    }
    let first: UInt32Array = runs.iter().map(|(s, _)| order[*s]).collect();
    let schema = batch.schema();
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (i, field) in schema.fields().iter().enumerate() {
        let column = batch.column(i);
        if is_tag(field) || field.name() == TIME_COLUMN || column.null_count() == 0 {
            // Keys are equal within a run; a field without nulls takes the
            // latest row of each run.
            if is_tag(field) || field.name() == TIME_COLUMN {
                columns.push(take(column.as_ref(), &first, None)?);
            } else {
                let last: UInt32Array = runs.iter().map(|(_, e)| order[*e - 1]).collect();
                columns.push(take(column.as_ref(), &last, None)?);
            }
            continue;
        }
        let picks: UInt32Array = runs
            .iter()
            .map(|(s, e)| {
                order[*s..*e]
                    .iter()
                    .rev()
                    .find(|idx| column.is_valid(**idx as usize))
                    .copied()
            })
            .collect();
        columns.push(take(column.as_ref(), &picks, None)?);
    }
    Ok(RecordBatch::try_new(Arc::clone(&schema), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::Chunk;
    use almanac_lineproto::FieldValue;
    use arrow::util::pretty::pretty_format_batches;

    #[test]
    fn later_rows_win_per_field() {
        let mut c = Chunk::new();
        c.push_row(
            "m,h=b",
            &[("h", "b")],
            &[("x", &FieldValue::Float(1.0))],
            5,
            1,
        );
        c.push_row(
            "m,h=a",
            &[("h", "a")],
            &[
                ("x", &FieldValue::Float(1.0)),
                ("y", &FieldValue::Integer(1)),
            ],
            5,
            1,
        );
        c.push_row(
            "m,h=a",
            &[("h", "a")],
            &[("x", &FieldValue::Float(2.0))],
            5,
            2,
        );
        c.push_row(
            "m,h=a",
            &[("h", "a")],
            &[("x", &FieldValue::Float(3.0))],
            1,
            3,
        );
        let out = sort_dedup(&c.to_record_batch()).unwrap();
        let text = pretty_format_batches(&[out]).unwrap().to_string();
        let expected = "\
+---+-----+---+-------------------------------+
| h | x   | y | time                          |
+---+-----+---+-------------------------------+
| a | 3.0 |   | 1970-01-01T00:00:00.000000001 |
| a | 2.0 | 1 | 1970-01-01T00:00:00.000000005 |
| b | 1.0 |   | 1970-01-01T00:00:00.000000005 |
+---+-----+---+-------------------------------+";
        assert_eq!(text, expected);
    }

    #[test]
    fn merging_batches_with_different_columns() {
        let mut old = Chunk::new();
        old.push_row("m", &[], &[("x", &FieldValue::Float(1.0))], 1, 1);
        let mut new = Chunk::new();
        new.push_row(
            "m,h=a",
            &[("h", "a")],
            &[("y", &FieldValue::Boolean(true))],
            1,
            2,
        );
        new.push_row("m", &[], &[("y", &FieldValue::Boolean(false))], 1, 2);
        let out = merge_batches(&[old.to_record_batch(), new.to_record_batch()]).unwrap();
        let text = pretty_format_batches(&[out]).unwrap().to_string();
        let expected = "\
+---+-----+-------+-------------------------------+
| h | x   | y     | time                          |
+---+-----+-------+-------------------------------+
|   | 1.0 | false | 1970-01-01T00:00:00.000000001 |
| a |     | true  | 1970-01-01T00:00:00.000000001 |
+---+-----+-------+-------------------------------+";
        assert_eq!(text, expected);
    }
}
