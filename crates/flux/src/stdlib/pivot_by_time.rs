//! `pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
//! the common shape (fields of a read side by side), without a record per
//! row: one row per distinct time, each input table's values written into
//! its column by the time's place in the sorted list of times.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, StringArray};
use arrow::datatypes::TimestampNanosecondType;

use crate::error::Result;
use crate::table::{ColMeta, ColType, GroupKey, Table};
use crate::value::Value;

/// The pivot of the tables `ts` sharing the output group key `key`, when
/// the row key is one time column without nulls and the column key one
/// string column without nulls; `None` otherwise (the general pivot then
/// runs). The answer is the general pivot's: columns in the same order,
/// rows by time, later values winning.
pub(super) fn pivot(
    key: &GroupKey,
    ts: &[&Table],
    row_key: &[String],
    col_key: &[String],
    value_col: &str,
) -> Result<Option<Table>> {
    let ([row_key], [col_key]) = (row_key, col_key) else {
        return Ok(None);
    };
    let mut types: Vec<(String, ColType)> = Vec::new();
    // New columns: name and value type, in the order first seen.
    let mut new_cols: Vec<(String, ColType)> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    // Per table: its time and value columns and each row's new column.
    let mut inputs: Vec<(usize, usize, Vec<usize>)> = Vec::with_capacity(ts.len());
    for t in ts {
        let (Some(tc), Some(cc), Some(vc)) =
            (t.index(row_key), t.index(col_key), t.index(value_col))
        else {
            return Ok(None);
        };
        if t.cols[tc].typ != ColType::Time || t.cols[cc].typ != ColType::String {
            return Ok(None);
        }
        for c in &t.cols {
            if (key.has(&c.label) || c.label == *row_key)
                && !types.iter().any(|(l, _)| *l == c.label)
            {
                types.push((c.label.clone(), c.typ));
            }
        }
        let (times, names) = (t.batch.column(tc), t.batch.column(cc));
        let Some(names) = names.as_any().downcast_ref::<StringArray>() else {
            return Ok(None);
        };
        if times.null_count() > 0
            || times
                .as_primitive_opt::<TimestampNanosecondType>()
                .is_none()
            || names.null_count() > 0
        {
            return Ok(None);
        }
        let vtype = t.cols[vc].typ;
        let mut row_cols = Vec::with_capacity(t.len());
        let mut last: Option<(&str, usize)> = None;
        for r in 0..t.len() {
            let name = names.value(r);
            let column = match last {
                Some((n, column)) if n == name => column,
                _ => {
                    let column = match by_name.get(name) {
                        Some(&column) if new_cols[column].1 != vtype => return Ok(None),
                        Some(&column) => column,
                        None => {
                            new_cols.push((t.value(cc, r).to_string(), vtype));
                            by_name.insert(name.to_string(), new_cols.len() - 1);
                            new_cols.len() - 1
                        }
                    };
                    last = Some((name, column));
                    column
                }
            };
            row_cols.push(column);
        }
        inputs.push((tc, vc, row_cols));
    }
    let time_values = |i: usize| {
        ts[i]
            .batch
            .column(inputs[i].0)
            .as_primitive::<TimestampNanosecondType>()
            .values()
            .clone()
    };
    let mut times: Vec<i64> = (0..ts.len())
        .flat_map(|i| time_values(i).to_vec())
        .collect();
    times.sort_unstable();
    times.dedup();
    let rows = times.len();
    let mut values: Vec<Vec<Value>> = vec![vec![Value::Null; rows]; new_cols.len()];
    for (i, (_, vc, row_cols)) in inputs.iter().enumerate() {
        for (r, t) in time_values(i).iter().enumerate() {
            if let Ok(at) = times.binary_search(t) {
                values[row_cols[r]][at] = ts[i].value(*vc, r);
            }
        }
    }
    let mut cols: Vec<(ColMeta, Vec<Value>)> = Vec::with_capacity(types.len() + new_cols.len());
    for (label, typ) in types {
        let column = if label == *row_key {
            times.iter().map(|t| Value::Time(*t)).collect()
        } else {
            vec![key.get(&label).cloned().unwrap_or(Value::Null); rows]
        };
        cols.push((ColMeta { label, typ }, column));
    }
    for ((label, typ), column) in new_cols.into_iter().zip(values) {
        cols.push((ColMeta { label, typ }, column));
    }
    Table::from_columns(key.clone(), cols).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stdlib::universe::pivot_group;
    use proptest::prelude::*;

    fn meta(label: &str, typ: ColType) -> ColMeta {
        ColMeta {
            label: label.into(),
            typ,
        }
    }

    /// A table of one field of one host: `_time`, `_value`, `_field`, `host`.
    fn input(field: &str, host: &str, float: bool, rows: &[(i64, Option<i64>)]) -> Table {
        let key = GroupKey::new(vec![
            (meta("_field", ColType::String), Value::str(field)),
            (meta("host", ColType::String), Value::str(host)),
        ]);
        let value = |v: Option<i64>| match (v, float) {
            (None, _) => Value::Null,
            (Some(v), true) => Value::Float(v as f64 / 4.0),
            (Some(v), false) => Value::Int(v),
        };
        Table::from_columns(
            key,
            vec![
                (
                    meta("_time", ColType::Time),
                    rows.iter().map(|r| Value::Time(r.0)).collect(),
                ),
                (
                    meta("_value", if float { ColType::Float } else { ColType::Int }),
                    rows.iter().map(|r| value(r.1)).collect(),
                ),
                (
                    meta("_field", ColType::String),
                    rows.iter().map(|_| Value::str(field)).collect(),
                ),
                (
                    meta("host", ColType::String),
                    rows.iter().map(|_| Value::str(host)).collect(),
                ),
            ],
        )
        .unwrap()
    }

    /// The rows of `ts` (same columns and types) as one table without a key.
    fn concat(ts: &[Table]) -> Table {
        let cols: Vec<(ColMeta, Vec<Value>)> = ts[0]
            .cols
            .iter()
            .enumerate()
            .map(|(c, m)| {
                let values = ts
                    .iter()
                    .flat_map(|t| (0..t.len()).map(move |r| t.value(c, r)))
                    .collect();
                (m.clone(), values)
            })
            .collect();
        Table::from_columns(GroupKey::default(), cols).unwrap()
    }

    fn fast(ts: &[Table]) -> Option<Table> {
        let refs: Vec<&Table> = ts.iter().collect();
        let key = GroupKey::new(vec![(meta("host", ColType::String), Value::str("h"))]);
        let (rk, ck) = (vec!["_time".to_string()], vec!["_field".to_string()]);
        pivot(&key, &refs, &rk, &ck, "_value").unwrap()
    }

    fn both(ts: &[Table]) -> (Option<Table>, Table) {
        let refs: Vec<&Table> = ts.iter().collect();
        let key = GroupKey::new(vec![(meta("host", ColType::String), Value::str("h"))]);
        let (rk, ck) = (vec!["_time".to_string()], vec!["_field".to_string()]);
        let general = pivot_group(key, &refs, &rk, &ck, "_value").unwrap();
        (fast(ts), general)
    }

    #[test]
    fn other_shapes_take_the_general_pivot() {
        // One field's values of two types.
        let mixed = fast(&[
            input("a", "h", true, &[(1, Some(1))]),
            input("a", "h", false, &[(2, Some(2))]),
        ]);
        assert!(mixed.is_none());
        // A null column key.
        let mut t = input("a", "h", false, &[(1, Some(1)), (2, Some(2))]);
        let names =
            crate::table::build_array(ColType::String, &[Value::str("a"), Value::Null], "_field")
                .unwrap();
        let mut columns = t.batch.columns().to_vec();
        columns[2] = names;
        t.batch = arrow::array::RecordBatch::try_new(t.batch.schema(), columns).unwrap();
        assert!(fast(&[t]).is_none());
    }

    proptest! {
        #[test]
        fn the_time_pivot_answers_as_the_general_pivot(
            tables in proptest::collection::vec(
                (0usize..4, any::<bool>(), proptest::collection::vec((0i64..30, proptest::option::weighted(0.8, -50i64..50)), 0..25)),
                1..6,
            ),
            merged in any::<bool>(),
        ) {
            let fields = ["usage_user", "usage_idle", "b", "a"];
            // A field keeps one value type (the first table's) so that the
            // fast path takes it; mixed types are the other test's.
            let mut float_of: Vec<Option<bool>> = vec![None; 4];
            // Merged into one table (as after `group()`), one value type.
            if merged {
                float_of = vec![Some(tables[0].1); 4];
            }
            let ts: Vec<Table> = tables.iter().map(|(f, float, rows)| {
                let float = *float_of[*f].get_or_insert(*float);
                input(fields[*f], "h", float, rows)
            }).collect();
            let ts = if merged { vec![concat(&ts)] } else { ts };
            let (fast, general) = both(&ts);
            let fast = fast.expect("the time pivot takes these tables");
            prop_assert_eq!(&fast.cols, &general.cols);
            prop_assert_eq!(fast.len(), general.len());
            for c in 0..fast.cols.len() {
                for r in 0..fast.len() {
                    prop_assert_eq!(fast.value(c, r), general.value(c, r), "column {} row {}", c, r);
                }
            }
        }
    }
}
