//! Tag predicates a scan applies before anything else: files whose recorded
//! tag ranges cannot hold a wanted value are skipped, and rows of other
//! series are dropped before sources are merged.
//!
//! Only predicates that select whole series are accepted (a tag equal to one
//! of a set of values), so filtering before the merge cannot change which
//! row wins for a key: every row of a kept series is kept.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::Int32Type;
use serde::{Deserialize, Serialize};

use crate::error::StorageError;
use crate::manifest::FileMeta;
use crate::schema::is_tag;

/// Rows are kept when tag `column` is one of `values` (a missing tag reads
/// as `""`, as in InfluxDB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    /// Tag key.
    pub column: String,
    /// Accepted values; never empty.
    pub values: Vec<String>,
}

/// Smallest and largest value of one tag column in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRange {
    /// Smallest value.
    pub min: String,
    /// Largest value.
    pub max: String,
}

impl TagFilter {
    /// A filter keeping rows whose `column` is one of `values`.
    pub fn new(column: impl Into<String>, values: Vec<String>) -> Self {
        TagFilter {
            column: column.into(),
            values,
        }
    }

    /// Whether rows without the tag pass.
    pub fn accepts_missing(&self) -> bool {
        self.values.iter().any(String::is_empty)
    }

    /// Whether `file` may hold a row that passes (false only when its
    /// recorded columns or ranges rule that out).
    pub fn may_match_file(&self, file: &FileMeta) -> bool {
        if self.accepts_missing() {
            return true;
        }
        if let Some(columns) = &file.columns {
            if !columns.iter().any(|c| c == &self.column) {
                return false;
            }
        }
        match file.tag_ranges.as_ref().and_then(|r| r.get(&self.column)) {
            Some(range) => self
                .values
                .iter()
                .any(|v| range.min.as_str() <= v.as_str() && v.as_str() <= range.max.as_str()),
            None => true,
        }
    }

    /// A mask that is true for the rows of `batch` that pass.
    pub fn mask(&self, batch: &RecordBatch) -> Result<BooleanArray, StorageError> {
        let rows = batch.num_rows();
        let Some(column) = batch.column_by_name(&self.column) else {
            return Ok(BooleanArray::from(vec![self.accepts_missing(); rows]));
        };
        let missing = self.accepts_missing();
        if let Some(dict) = column.as_dictionary_opt::<Int32Type>() {
            let values = dict.values().as_string::<i32>();
            let wanted: Vec<bool> = (0..values.len())
                .map(|i| values.is_valid(i) && self.values.iter().any(|v| v == values.value(i)))
                .collect();
            let keys = dict.keys();
            let bits = BooleanBuffer::collect_bool(rows, |i| {
                if keys.is_null(i) {
                    missing
                } else {
                    wanted.get(keys.value(i) as usize).copied().unwrap_or(false)
                }
            });
            return Ok(BooleanArray::new(bits, None));
        }
        if let Some(strings) = column.as_string_opt::<i32>() {
            return Ok(strings
                .iter()
                .map(|v| Some(v.map_or(missing, |v| self.values.iter().any(|w| w == v))))
                .collect());
        }
        Err(StorageError::Arrow(
            arrow::error::ArrowError::InvalidArgumentError(format!(
                "tag column {} has type {}",
                self.column,
                column.data_type()
            )),
        ))
    }
}

/// Keeps the rows of `batch` that pass every filter.
pub fn filter_batch(
    batch: RecordBatch,
    filters: &[TagFilter],
) -> Result<RecordBatch, StorageError> {
    if filters.is_empty() || batch.num_rows() == 0 {
        return Ok(batch);
    }
    let mut keep: Option<BooleanArray> = None;
    for filter in filters {
        let mask = filter.mask(&batch)?;
        keep = Some(match keep {
            Some(k) => arrow::compute::and(&k, &mask)?,
            None => mask,
        });
    }
    match keep {
        Some(k) if k.true_count() == batch.num_rows() => Ok(batch),
        Some(k) => Ok(arrow::compute::filter_record_batch(&batch, &k)?),
        None => Ok(batch),
    }
}

/// The range of every tag column of `batch` that has a value.
pub fn tag_ranges(batch: &RecordBatch) -> BTreeMap<String, TagRange> {
    let mut out = BTreeMap::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if !is_tag(field) || column.null_count() == column.len() {
            continue;
        }
        let strings: Option<&StringArray> = match column.as_dictionary_opt::<Int32Type>() {
            Some(dict) => dict.values().as_string_opt::<i32>(),
            None => column.as_string_opt::<i32>(),
        };
        let Some(strings) = strings else { continue };
        let mut min: Option<&str> = None;
        let mut max: Option<&str> = None;
        for v in strings.iter().flatten() {
            if min.is_none_or(|m| v < m) {
                min = Some(v);
            }
            if max.is_none_or(|m| v > m) {
                max = Some(v);
            }
        }
        if let (Some(min), Some(max)) = (min, max) {
            out.insert(
                field.name().clone(),
                TagRange {
                    min: min.to_string(),
                    max: max.to_string(),
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{DictionaryArray, Float64Array};
    use arrow::datatypes::{DataType, Field, Schema};

    use crate::schema::tag_arrow_type;

    fn batch() -> RecordBatch {
        let host: DictionaryArray<Int32Type> = vec![Some("a"), Some("b"), None, Some("c")]
            .into_iter()
            .collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("host", tag_arrow_type(), true),
            Field::new("v", DataType::Float64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(host),
                Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])),
            ],
        )
        .unwrap()
    }

    fn meta(columns: Option<Vec<&str>>, range: Option<(&str, &str)>) -> FileMeta {
        FileMeta {
            id: 1,
            path: String::new(),
            min_time: 0,
            max_time: 0,
            rows: 1,
            bytes: 1,
            max_seq: 0,
            columns: columns.map(|c| c.into_iter().map(String::from).collect()),
            tag_ranges: range.map(|(min, max)| {
                BTreeMap::from([(
                    "host".to_string(),
                    TagRange {
                        min: min.into(),
                        max: max.into(),
                    },
                )])
            }),
        }
    }

    #[test]
    fn rows_of_other_series_are_dropped() {
        let f = TagFilter::new("host", vec!["b".into(), "c".into()]);
        let out = filter_batch(batch(), &[f]).unwrap();
        assert_eq!(out.num_rows(), 2);
        let missing = TagFilter::new("host", vec!["".into()]);
        assert_eq!(filter_batch(batch(), &[missing]).unwrap().num_rows(), 1);
        let absent = TagFilter::new("region", vec!["x".into()]);
        assert_eq!(filter_batch(batch(), &[absent]).unwrap().num_rows(), 0);
        let absent_missing = TagFilter::new("region", vec!["".into()]);
        assert_eq!(
            filter_batch(batch(), &[absent_missing]).unwrap().num_rows(),
            4
        );
    }

    #[test]
    fn files_are_skipped_only_when_ranges_exclude_every_value() {
        let f = TagFilter::new("host", vec!["m".into()]);
        assert!(!f.may_match_file(&meta(Some(vec!["time"]), None)));
        assert!(f.may_match_file(&meta(None, None)));
        assert!(f.may_match_file(&meta(Some(vec!["host"]), Some(("a", "z")))));
        assert!(!f.may_match_file(&meta(Some(vec!["host"]), Some(("n", "z")))));
        assert!(!f.may_match_file(&meta(Some(vec!["host"]), Some(("a", "l")))));
        let missing = TagFilter::new("host", vec!["".into()]);
        assert!(missing.may_match_file(&meta(Some(vec!["host"]), Some(("n", "z")))));
    }

    #[test]
    fn ranges_cover_the_values_present() {
        let ranges = tag_ranges(&batch());
        assert_eq!(
            ranges.get("host"),
            Some(&TagRange {
                min: "a".into(),
                max: "c".into()
            })
        );
        assert!(!ranges.contains_key("v"));
    }
}
