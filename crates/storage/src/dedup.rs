//! Sorting and deduplication: rows with the same tag set and time merge into
//! one, and for every field the value of the latest row (the one furthest
//! down the input) that has it wins.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take};
use arrow::datatypes::{Field, SchemaRef};
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
    let sorted = SortedRuns::new(order, |a, b| rows.row(a as usize) == rows.row(b as usize));
    let schema = batch.schema();
    let columns = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| sorted.take_column(field, column.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(Arc::clone(&schema), columns)?)
}

/// Rows in key order (ties in arrival order) cut into runs of equal keys:
/// what deduplication gathers the output from, one column at a time.
pub(crate) struct SortedRuns {
    order: Vec<u32>,
    /// Runs as `[start, end)` into `order`.
    runs: Vec<(usize, usize)>,
    /// The first row of each run (its keys are the run's keys).
    first: UInt32Array,
    /// The latest row of each run.
    last: UInt32Array,
}

impl SortedRuns {
    /// `order` holds every row sorted by key, equal keys in arrival order;
    /// `same_key` tells whether two rows have equal keys.
    pub(crate) fn new(order: Vec<u32>, same_key: impl Fn(u32, u32) -> bool) -> Self {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        for i in 1..=order.len() {
            if i == order.len() || !same_key(order[i], order[start]) {
                runs.push((start, i));
                start = i;
            }
        }
        let first = runs.iter().map(|(s, _)| order[*s]).collect();
        let last = runs.iter().map(|(_, e)| order[*e - 1]).collect();
        SortedRuns {
            order,
            runs,
            first,
            last,
        }
    }

    /// Rows in the output.
    pub(crate) fn len(&self) -> usize {
        self.runs.len()
    }

    /// The input row each output row takes its keys from.
    pub(crate) fn first_rows(&self) -> &UInt32Array {
        &self.first
    }

    /// `column` of the output: keys (tags, time) from each run's first row;
    /// a field's value from the latest row of the run that has one.
    pub(crate) fn take_column(
        &self,
        field: &Field,
        column: &dyn Array,
    ) -> Result<ArrayRef, StorageError> {
        if is_tag(field) || field.name() == TIME_COLUMN {
            return Ok(take(column, &self.first, None)?);
        }
        if column.null_count() == 0 {
            return Ok(take(column, &self.last, None)?);
        }
        let picks: UInt32Array = self
            .runs
            .iter()
            .map(|(s, e)| {
                self.order[*s..*e]
                    .iter()
                    .rev()
                    .find(|idx| column.is_valid(**idx as usize))
                    .copied()
            })
            .collect();
        Ok(take(column, &picks, None)?)
    }
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
