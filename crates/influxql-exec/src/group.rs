//! Turning scanned record batches into series groups.
//!
//! Works in two passes so that work per row stays small: the first pass
//! assigns every row its group and series (comparing dictionary keys, so the
//! tag strings are only looked at where a new series starts — storage
//! returns rows sorted by series), the second materializes the values of the
//! rows that are kept. A raw `LIMIT` query keeps only the rows each group can
//! still return, so the rest are never converted. The second pass runs per
//! group when the group is used ([`Group::materialize`]), so that a query
//! holds the values of one group at a time beside the batches read.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, PrimitiveArray, RecordBatch, StringArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type,
};

use crate::result::Value;
use crate::scan::Group;
use crate::ExecError;

/// How many rows per group a raw query can return at most, and from which
/// end of the time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowBudget {
    /// `OFFSET + LIMIT`.
    pub rows: usize,
    /// `ORDER BY time DESC`: the latest rows are the ones returned.
    pub from_end: bool,
    /// Per requested column: whether a value in it makes the row a result row
    /// (fields do; tags alone do not).
    pub counts: Vec<bool>,
}

/// Where the columns of a scanned batch are: `t`, the group tags, the
/// requested columns, then the series-key tags.
pub struct Layout<'a> {
    /// Number of `GROUP BY` tag columns.
    pub n_tags: usize,
    /// Number of requested columns.
    pub n_cols: usize,
    /// Tags forming the series key (empty when groups are single series).
    pub series_tags: &'a [&'a str],
}

/// A tag column: dictionary-encoded (as stored), plain strings, or absent
/// (all null). A null tag reads as "".
enum TagColumn<'a> {
    Dictionary {
        keys: &'a PrimitiveArray<Int32Type>,
        values: &'a StringArray,
    },
    Plain(&'a StringArray),
    Null,
}

impl<'a> TagColumn<'a> {
    fn new(a: &'a dyn Array) -> Result<TagColumn<'a>, ExecError> {
        match a.data_type() {
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = a.as_dictionary::<Int32Type>();
                Ok(TagColumn::Dictionary {
                    keys: d.keys(),
                    values: d.values().as_string::<i32>(),
                })
            }
            DataType::Utf8 => Ok(TagColumn::Plain(a.as_string::<i32>())),
            DataType::Null => Ok(TagColumn::Null),
            other => Err(ExecError::Query(format!(
                "unsupported tag column type {other} in scan"
            ))),
        }
    }

    fn value(&self, row: usize) -> &'a str {
        match self {
            TagColumn::Dictionary { keys, values } => {
                if keys.is_null(row) {
                    ""
                } else {
                    values.value(keys.value(row) as usize)
                }
            }
            TagColumn::Plain(a) => {
                if a.is_null(row) {
                    ""
                } else {
                    a.value(row)
                }
            }
            TagColumn::Null => "",
        }
    }

    /// Marks in `changed` every row whose value differs from the previous
    /// row's (row 0 is left alone). Dictionaries compare keys first, so the
    /// strings are only looked at where keys differ.
    fn mark_changes(&self, changed: &mut [bool]) {
        match self {
            TagColumn::Null => {}
            TagColumn::Dictionary { keys, .. } => {
                let k = keys.values();
                match keys.nulls() {
                    None => {
                        for row in 1..k.len() {
                            if k[row] != k[row - 1] && !changed[row] {
                                changed[row] = !self.same_as_previous(row);
                            }
                        }
                    }
                    Some(_) => {
                        for row in 1..k.len() {
                            if !changed[row] {
                                changed[row] = !self.same_as_previous(row);
                            }
                        }
                    }
                }
            }
            TagColumn::Plain(a) => {
                for row in 1..a.len() {
                    if !changed[row] {
                        changed[row] = !self.same_as_previous(row);
                    }
                }
            }
        }
    }

    /// Whether rows `row - 1` and `row` hold the same value; for dictionaries
    /// equal keys settle it without looking at the strings.
    fn same_as_previous(&self, row: usize) -> bool {
        if let TagColumn::Dictionary { keys, .. } = self {
            let (a, b) = (keys.is_null(row - 1), keys.is_null(row));
            if (a && b) || (!a && !b && keys.value(row - 1) == keys.value(row)) {
                return true;
            }
        }
        matches!(self, TagColumn::Null) || self.value(row - 1) == self.value(row)
    }
}

/// A value column of a batch, typed once so rows convert without matching
/// the data type again.
pub(crate) enum ValueColumn<'a> {
    Float(&'a PrimitiveArray<Float64Type>),
    Integer(&'a PrimitiveArray<Int64Type>),
    Unsigned(&'a PrimitiveArray<UInt64Type>),
    String(&'a StringArray),
    Boolean(&'a datafusion::arrow::array::BooleanArray),
    Time(&'a PrimitiveArray<TimestampNanosecondType>),
    /// A tag read as a value, still dictionary-encoded: only the rows kept
    /// are turned into strings.
    Dictionary {
        keys: &'a PrimitiveArray<Int32Type>,
        values: &'a StringArray,
    },
    Null,
}

impl<'a> ValueColumn<'a> {
    pub(crate) fn new(a: &'a dyn Array) -> Result<ValueColumn<'a>, ExecError> {
        Ok(match a.data_type() {
            DataType::Float64 => ValueColumn::Float(a.as_primitive()),
            DataType::Int64 => ValueColumn::Integer(a.as_primitive()),
            DataType::UInt64 => ValueColumn::Unsigned(a.as_primitive()),
            DataType::Utf8 => ValueColumn::String(a.as_string::<i32>()),
            DataType::Boolean => ValueColumn::Boolean(a.as_boolean()),
            DataType::Timestamp(_, _) => ValueColumn::Time(a.as_primitive()),
            DataType::Null => ValueColumn::Null,
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = a.as_dictionary::<Int32Type>();
                ValueColumn::Dictionary {
                    keys: d.keys(),
                    values: d.values().as_string::<i32>(),
                }
            }
            other => {
                return Err(ExecError::Query(format!(
                    "unsupported column type {other} in scan"
                )))
            }
        })
    }

    /// Whether `row` has no value ([`ValueColumn::value`] would be null).
    pub(crate) fn is_null(&self, row: usize) -> bool {
        match self {
            ValueColumn::Float(a) => a.is_null(row),
            ValueColumn::Integer(a) => a.is_null(row),
            ValueColumn::Unsigned(a) => a.is_null(row),
            ValueColumn::String(a) => a.is_null(row),
            ValueColumn::Boolean(a) => a.is_null(row),
            ValueColumn::Time(a) => a.is_null(row),
            ValueColumn::Dictionary { keys, values } => {
                keys.is_null(row) || values.is_null(keys.value(row) as usize)
            }
            ValueColumn::Null => true,
        }
    }

    pub(crate) fn value(&self, row: usize) -> Value {
        match self {
            ValueColumn::Float(a) if a.is_valid(row) => Value::Float(a.value(row)),
            ValueColumn::Integer(a) if a.is_valid(row) => Value::Integer(a.value(row)),
            ValueColumn::Unsigned(a) if a.is_valid(row) => Value::Unsigned(a.value(row)),
            ValueColumn::String(a) if a.is_valid(row) => Value::String(a.value(row).to_string()),
            ValueColumn::Boolean(a) if a.is_valid(row) => Value::Boolean(a.value(row)),
            ValueColumn::Time(a) if a.is_valid(row) => Value::Time(a.value(row)),
            ValueColumn::Dictionary { keys, values } if keys.is_valid(row) => {
                let k = keys.value(row) as usize;
                if values.is_valid(k) {
                    Value::String(values.value(k).to_string())
                } else {
                    Value::Null
                }
            }
            _ => Value::Null,
        }
    }
}

/// One row's place: its time, series (id, later rank), batch and row.
#[derive(Clone, Copy)]
struct RowRef {
    time: i64,
    series: u32,
    batch: u32,
    row: u32,
}

/// Budgets up to this many rows are applied per run of one series while
/// rows are gathered (larger ones after sorting each group).
const RUN_BUDGET_MAX: usize = 64;

/// Adds `r` to the current run (`rows[run_start..]`, rows of one series of
/// one batch), which keeps only the rows `budget` can return: the latest
/// (or earliest) `budget.rows` by time. A group's result rows are among
/// the rows its runs keep, so most rows of a long scan are never stored.
fn keep_in_run(rows: &mut Vec<RowRef>, run_start: usize, r: RowRef, budget: &RowBudget) {
    let run = &mut rows[run_start..];
    if run.len() < budget.rows {
        rows.push(r);
        return;
    }
    if budget.rows == 0 {
        return;
    }
    // Replace the run's least wanted row when `r` is wanted more.
    let worst = if budget.from_end {
        run.iter().enumerate().min_by_key(|(_, x)| x.time)
    } else {
        run.iter().enumerate().max_by_key(|(_, x)| x.time)
    };
    if let Some((i, w)) = worst {
        let better = if budget.from_end {
            r.time > w.time
        } else {
            r.time < w.time
        };
        if better {
            run[i] = r;
        }
    }
}

/// Groups the rows of `batches` (laid out as `layout` says) by their
/// `GROUP BY` tags, each group sorted by (time, series key).
pub fn group_batches(
    batches: &[RecordBatch],
    layout: &Layout<'_>,
    budget: Option<&RowBudget>,
) -> Result<Vec<Group>, ExecError> {
    let (n_tags, n_cols) = (layout.n_tags, layout.n_cols);
    let with_series = !layout.series_tags.is_empty();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut rows: Vec<Vec<RowRef>> = Vec::new();
    let mut series_ids: HashMap<String, u32> = HashMap::new();
    let mut series_key = String::new();
    let mut key_buf: Vec<String> = Vec::with_capacity(n_tags);

    // Pass 1: group and series of every row that can be a result row.
    for (b, batch) in batches.iter().enumerate() {
        let times = batch.column(0).as_primitive::<TimestampNanosecondType>();
        let tag_cols: Vec<TagColumn> = (0..n_tags)
            .map(|i| TagColumn::new(batch.column(1 + i).as_ref()))
            .collect::<Result<_, _>>()?;
        let key_cols: Vec<TagColumn> = (0..layout.series_tags.len())
            .map(|i| TagColumn::new(batch.column(1 + n_tags + n_cols + i).as_ref()))
            .collect::<Result<_, _>>()?;
        // Validity of the columns that make a row count, for budgets.
        let counting: Vec<Option<NullBuffer>> = match budget {
            Some(budget) => (0..n_cols)
                .filter(|c| budget.counts.get(*c).copied().unwrap_or(false))
                .map(|c| batch.column(1 + n_tags + c).logical_nulls())
                .collect(),
            None => Vec::new(),
        };
        // Rows where the group (and, beyond it, the series) changes.
        let n = batch.num_rows();
        let mut group_changed = vec![false; n];
        for c in &tag_cols {
            c.mark_changes(&mut group_changed);
        }
        let mut series_changed = group_changed.clone();
        if with_series {
            for c in &key_cols {
                c.mark_changes(&mut series_changed);
            }
        }
        let mut gi = 0;
        let mut series = 0;
        // The row whose group and series `gi`/`series` hold.
        let mut last: Option<usize> = None;
        // Where the current run (rows of one series in a row) starts in its
        // group's row list.
        let mut run_start = 0usize;
        for row in 0..n {
            if budget.is_some()
                && !counting
                    .iter()
                    .any(|nulls| nulls.as_ref().is_none_or(|n| n.is_valid(row)))
            {
                continue;
            }
            let follows = row > 0 && last == Some(row - 1);
            last = Some(row);
            let same_group = follows && !group_changed[row];
            if !same_group {
                key_buf.clear();
                key_buf.extend(tag_cols.iter().map(|c| c.value(row).to_string()));
                gi = match index.get(&key_buf) {
                    Some(i) => *i,
                    None => {
                        index.insert(key_buf.clone(), keys.len());
                        keys.push(key_buf.clone());
                        rows.push(Vec::new());
                        keys.len() - 1
                    }
                };
            }
            if with_series {
                let same_series = same_group && !series_changed[row];
                if !same_series {
                    series_key.clear();
                    for (t, c) in layout.series_tags.iter().zip(&key_cols) {
                        let v = c.value(row);
                        if !v.is_empty() {
                            series_key.push(',');
                            series_key.push_str(t);
                            series_key.push('=');
                            series_key.push_str(v);
                        }
                    }
                    let next = series_ids.len() as u32;
                    series = *series_ids.entry(series_key.clone()).or_insert(next);
                }
            }
            let same_run = same_group && (!with_series || !series_changed[row]);
            if !same_run {
                run_start = rows[gi].len();
            }
            let r = RowRef {
                time: times.value(row),
                series,
                batch: b as u32,
                row: row as u32,
            };
            match budget {
                Some(budget) if budget.rows <= RUN_BUDGET_MAX => {
                    keep_in_run(&mut rows[gi], run_start, r, budget);
                }
                _ => rows[gi].push(r),
            }
        }
    }

    // Series ids become ranks in series-key order (ties in time are ordered
    // by series key, as InfluxDB merges series).
    if with_series {
        let mut sorted: Vec<(&String, u32)> = series_ids.iter().map(|(k, v)| (k, *v)).collect();
        sorted.sort();
        let mut rank = vec![0u32; sorted.len()];
        for (r, (_, id)) in sorted.iter().enumerate() {
            rank[*id as usize] = r as u32;
        }
        for group in &mut rows {
            for r in group.iter_mut() {
                r.series = rank[r.series as usize];
            }
        }
    }

    // Pass 2: order and cut to the budget; values are read per group later.
    // Checked here, so that materializing cannot fail.
    for batch in batches {
        for c in 0..n_cols {
            ValueColumn::new(batch.column(1 + n_tags + c).as_ref())?;
        }
    }
    let shared: Arc<[RecordBatch]> = batches.iter().cloned().collect();
    let mut groups = Vec::with_capacity(keys.len());
    for (key, mut refs) in keys.into_iter().zip(rows) {
        let in_order = refs
            .windows(2)
            .all(|w| (w[0].time, w[0].series) <= (w[1].time, w[1].series));
        if !in_order {
            refs.sort_by_key(|r| (r.time, r.series));
        }
        if let Some(budget) = budget {
            if refs.len() > budget.rows {
                if budget.from_end {
                    refs.drain(..refs.len() - budget.rows);
                } else {
                    refs.truncate(budget.rows);
                }
            }
        }
        groups.push(Group {
            key,
            times: refs.iter().map(|r| r.time).collect(),
            columns: Vec::new(),
            series: if with_series {
                refs.iter().map(|r| r.series).collect()
            } else {
                Vec::new()
            },
            pending: Some(PendingRows {
                batches: shared.clone(),
                first_column: 1 + n_tags,
                n_cols,
                rows: refs.iter().map(|r| (r.batch, r.row)).collect(),
                share: None,
            }),
        });
    }
    Ok(groups)
}

/// A group's rows still in the batches read, in the group's order.
#[derive(Debug, Clone)]
pub struct PendingRows {
    batches: Arc<[RecordBatch]>,
    /// Index of the first value column in every batch.
    first_column: usize,
    n_cols: usize,
    /// (batch, row) of each row.
    rows: Vec<(u32, u32)>,
    /// The scan's share of the memory budget, returned when the last group
    /// holding these batches lets them go.
    share: Option<crate::scan_memory::ScanShare>,
}

impl PendingRows {
    /// Per batch, a reader of each value column.
    fn readers(&self) -> Vec<Vec<ValueColumn<'_>>> {
        self.batches
            .iter()
            .map(|batch| {
                (0..self.n_cols)
                    .map(|c| {
                        ValueColumn::new(batch.column(self.first_column + c).as_ref())
                            .unwrap_or(ValueColumn::Null)
                    })
                    .collect()
            })
            .collect()
    }

    /// The rows where one of the columns `any_of` has a value: their
    /// indices (in the group's order) and their values of `columns`, each
    /// row with room for one more value. Built from the batches directly,
    /// without a column of values first.
    pub(crate) fn rows_with_values(
        &self,
        columns: &[usize],
        any_of: &[usize],
    ) -> (Vec<usize>, Vec<Vec<Value>>) {
        let readers = self.readers();
        let mut kept = Vec::new();
        let mut rows = Vec::new();
        for (i, (b, r)) in self.rows.iter().enumerate() {
            let (batch, row) = (&readers[*b as usize], *r as usize);
            if any_of.iter().all(|c| batch[*c].is_null(row)) {
                continue;
            }
            let mut values = Vec::with_capacity(columns.len() + 1);
            values.extend(columns.iter().map(|c| batch[*c].value(row)));
            kept.push(i);
            rows.push(values);
        }
        (kept, rows)
    }

    /// The values of each column at the rows.
    fn values(&self) -> Vec<Vec<Value>> {
        let columns = self.readers();
        (0..self.n_cols)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|(b, r)| columns[*b as usize][c].value(*r as usize))
                    .collect()
            })
            .collect()
    }
}

impl Group {
    /// Ties the scan's memory share to the batches this group holds.
    pub(crate) fn hold_share(&mut self, share: &crate::scan_memory::ScanShare) {
        if let Some(pending) = self.pending.as_mut() {
            pending.share = Some(share.clone());
        }
    }

    /// Fills [`Group::columns`] from the batches the rows were read from
    /// (groups come from a scan with their values still there).
    pub fn materialize(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.columns = pending.values();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::{DictionaryArray, Float64Array, TimestampNanosecondArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    /// `t`, one group tag (dictionary) and one float column.
    fn batch(rows: &[(i64, &str, Option<f64>)]) -> RecordBatch {
        let tags: DictionaryArray<Int32Type> = rows.iter().map(|r| r.1).collect();
        let schema = Schema::new(vec![
            Field::new(
                "t",
                DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None),
                false,
            ),
            Field::new("g0", tags.data_type().clone(), true),
            Field::new("c0", DataType::Float64, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(TimestampNanosecondArray::from_iter_values(
                    rows.iter().map(|r| r.0),
                )),
                Arc::new(tags),
                Arc::new(rows.iter().map(|r| r.2).collect::<Float64Array>()),
            ],
        )
        .unwrap()
    }

    const LAYOUT: Layout<'static> = Layout {
        n_tags: 1,
        n_cols: 1,
        series_tags: &[],
    };

    #[test]
    fn groups_rows_by_tag_and_sorts_by_time() {
        let b1 = batch(&[(5, "a", Some(1.0)), (1, "a", Some(2.0)), (3, "b", None)]);
        let b2 = batch(&[(2, "b", Some(4.0)), (4, "a", Some(5.0))]);
        let mut groups = group_batches(&[b1, b2], &LAYOUT, None).unwrap();
        groups.iter_mut().for_each(Group::materialize);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].key, vec!["a".to_string()]);
        assert_eq!(groups[0].times, vec![1, 4, 5]);
        assert_eq!(
            groups[0].columns[0],
            vec![Value::Float(2.0), Value::Float(5.0), Value::Float(1.0)]
        );
        assert_eq!(groups[1].times, vec![2, 3]);
        assert_eq!(groups[1].columns[0], vec![Value::Float(4.0), Value::Null]);
    }

    #[test]
    fn budget_keeps_the_rows_a_limit_returns_and_skips_rows_without_values() {
        // Row 2 (host b, no value) is skipped; row 3 must still start group b.
        let b = batch(&[
            (1, "a", Some(1.0)),
            (2, "b", None),
            (3, "b", Some(2.0)),
            (4, "a", Some(3.0)),
            (5, "b", None),
        ]);
        let latest = RowBudget {
            rows: 1,
            from_end: true,
            counts: vec![true],
        };
        let groups = group_batches(std::slice::from_ref(&b), &LAYOUT, Some(&latest)).unwrap();
        let by_key: Vec<(String, Vec<i64>)> = groups
            .iter()
            .map(|g| (g.key[0].clone(), g.times.clone()))
            .collect();
        assert_eq!(
            by_key,
            vec![("a".to_string(), vec![4]), ("b".to_string(), vec![3])]
        );
        let earliest = RowBudget {
            rows: 2,
            from_end: false,
            counts: vec![true],
        };
        let groups = group_batches(&[b], &LAYOUT, Some(&earliest)).unwrap();
        assert_eq!(groups[0].times, vec![1, 4]);
        assert_eq!(groups[1].times, vec![3]);
    }

    /// Budgets applied per run while gathering give the same rows as
    /// cutting each sorted group afterwards.
    #[test]
    fn run_budgets_match_cutting_sorted_groups() {
        let hosts = ["a", "b", "c"];
        let mut rows: Vec<(i64, &str, Option<f64>)> = Vec::new();
        let mut x = 7u64;
        for i in 0..300i64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let host = hosts[((x >> 33) % 3) as usize];
            let value = ((x >> 40) % 5 != 0).then_some(i as f64);
            rows.push(((i * 7) % 300, host, value));
        }
        let b = batch(&rows);
        for from_end in [true, false] {
            for n in [1usize, 3, 10] {
                let budget = RowBudget {
                    rows: n,
                    from_end,
                    counts: vec![true],
                };
                let mut got =
                    group_batches(std::slice::from_ref(&b), &LAYOUT, Some(&budget)).unwrap();
                let mut all = group_batches(std::slice::from_ref(&b), &LAYOUT, None).unwrap();
                got.iter_mut()
                    .chain(all.iter_mut())
                    .for_each(Group::materialize);
                for (g, full) in got.iter().zip(&all) {
                    assert_eq!(g.key, full.key);
                    let counted: Vec<(i64, Value)> = full
                        .times
                        .iter()
                        .zip(&full.columns[0])
                        .filter(|(_, v)| **v != Value::Null)
                        .map(|(t, v)| (*t, v.clone()))
                        .collect();
                    let want: Vec<(i64, Value)> = if from_end {
                        counted[counted.len().saturating_sub(n)..].to_vec()
                    } else {
                        counted.iter().take(n).cloned().collect()
                    };
                    let have: Vec<(i64, Value)> = g
                        .times
                        .iter()
                        .zip(&g.columns[0])
                        .map(|(t, v)| (*t, v.clone()))
                        .collect();
                    assert_eq!(have, want, "from_end={from_end} n={n} key={:?}", g.key);
                }
            }
        }
    }
}
