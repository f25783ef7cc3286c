//! Deletes: predicates over measurement, time range and tags, applied to the
//! buffer at once and to persisted files through tombstones.

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::kernels::cmp;
use arrow::compute::{and, not, or};
use arrow::datatypes::{Int32Type, TimestampNanosecondType};
use serde::{Deserialize, Serialize};

use crate::error::StorageError;
use crate::schema::TIME_COLUMN;
use crate::PartitionKey;

/// A tag condition of a delete: `key = value` or `key != value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagMatch {
    /// Tag key.
    pub key: String,
    /// Tag value ("" matches a missing tag, as in InfluxDB).
    pub value: String,
    /// True for `!=`.
    pub negated: bool,
}

/// Which rows a delete removes: all conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletePredicate {
    /// Database id.
    pub db_id: u64,
    /// Retention policy; `None` for all of the database's policies.
    pub rp: Option<String>,
    /// Measurement; `None` for every measurement.
    pub measurement: Option<String>,
    /// Smallest time deleted (inclusive).
    pub min_time: i64,
    /// Largest time deleted (inclusive).
    pub max_time: i64,
    /// Tag conditions.
    pub tags: Vec<TagMatch>,
}

/// A delete recorded for the persisted files older than it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// WAL sequence number of the delete; it applies to files with smaller `max_seq`.
    pub seq: u64,
    /// What it deletes.
    pub predicate: DeletePredicate,
}

impl DeletePredicate {
    /// Whether rows of this partition may be affected.
    pub fn touches(&self, key: &PartitionKey) -> bool {
        key.db_id == self.db_id
            && self.rp.as_deref().is_none_or(|rp| rp == &*key.rp)
            && self
                .measurement
                .as_deref()
                .is_none_or(|m| m == &*key.measurement)
            && key.start <= self.max_time
            && key.end > self.min_time
    }

    /// A mask that is true for the rows of `batch` this predicate deletes.
    pub fn delete_mask(&self, batch: &RecordBatch) -> Result<BooleanArray, StorageError> {
        let time = batch
            .column_by_name(TIME_COLUMN)
            .expect("every batch has a time column")
            .as_primitive::<TimestampNanosecondType>();
        let mut mask: BooleanArray = time
            .values()
            .iter()
            .map(|t| Some(*t >= self.min_time && *t <= self.max_time))
            .collect();
        for tag in &self.tags {
            let matches = match batch.column_by_name(&tag.key) {
                Some(col) if col.as_dictionary_opt::<Int32Type>().is_some() => {
                    let dict = col.as_dictionary::<Int32Type>();
                    let wanted = arrow::array::StringArray::new_scalar(tag.value.as_str());
                    let values_match = cmp::eq(dict.values(), &wanted)?;
                    let rows: BooleanArray = dict
                        .keys()
                        .iter()
                        .map(|k| match k {
                            Some(k) => Some(values_match.value(k as usize)),
                            None => Some(tag.value.is_empty()),
                        })
                        .collect();
                    rows
                }
                _ => BooleanArray::from(vec![tag.value.is_empty(); batch.num_rows()]),
            };
            let matches = if tag.negated { not(&matches)? } else { matches };
            mask = and(&mask, &matches)?;
        }
        Ok(mask)
    }
}

/// Removes from `batch` the rows any of `predicates` deletes.
pub fn apply_deletes<'a>(
    batch: RecordBatch,
    predicates: impl IntoIterator<Item = &'a DeletePredicate>,
) -> Result<RecordBatch, StorageError> {
    let mut combined: Option<BooleanArray> = None;
    for predicate in predicates {
        let mask = predicate.delete_mask(&batch)?;
        combined = Some(match combined {
            Some(c) => or(&c, &mask)?,
            None => mask,
        });
    }
    match combined {
        Some(mask) if mask.true_count() > 0 => {
            let keep = not(&mask)?;
            Ok(arrow::compute::filter_record_batch(&batch, &keep)?)
        }
        _ => Ok(batch),
    }
}
