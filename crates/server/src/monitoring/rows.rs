//! Rows of Flux results as checks and rules see them: pivoted so that each
//! field is a column (`v1.fieldsAsCols()`), grouped into series; and the
//! way back out: line protocol for `_monitoring` (group-key columns become
//! tags, the others fields, as `experimental.to` does) and JSON bodies.

use std::collections::{BTreeMap, BTreeSet};

use almanac_flux::{Table, Value};
use almanac_lineproto::{write_line, FieldValue};

/// One pivoted row: column → value, and which columns are in its group key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// Columns.
    pub cols: BTreeMap<String, Value>,
    /// Group-key columns (written as tags).
    pub key: BTreeSet<String>,
}

impl Row {
    /// A string column.
    pub fn str(&self, col: &str) -> Option<&str> {
        match self.cols.get(col) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// A time column, ns.
    pub fn time(&self, col: &str) -> Option<i64> {
        match self.cols.get(col) {
            Some(Value::Time(t)) => Some(*t),
            Some(Value::Int(t)) => Some(*t),
            _ => None,
        }
    }

    /// A numeric column as f64.
    pub fn number(&self, col: &str) -> Option<f64> {
        match self.cols.get(col) {
            Some(Value::Float(f)) => Some(*f),
            Some(Value::Int(i)) => Some(*i as f64),
            Some(Value::UInt(u)) => Some(*u as f64),
            _ => None,
        }
    }

    /// Sets a column; `tag` puts it in the group key.
    pub fn set(&mut self, col: &str, v: Value, tag: bool) {
        self.cols.insert(col.to_string(), v);
        if tag {
            self.key.insert(col.to_string());
        }
    }

    /// The row as a Flux record (for message templates).
    pub fn record(&self) -> Value {
        Value::Record(std::sync::Arc::new(almanac_flux::value::Record {
            fields: self
                .cols
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }))
    }

    /// The series this row belongs to: its group-key values except `skip`.
    pub fn series_key(&self, skip: &[&str]) -> String {
        let mut out = String::new();
        for k in &self.key {
            if skip.contains(&k.as_str()) {
                continue;
            }
            let v = self.cols.get(k).map(|v| v.to_string()).unwrap_or_default();
            out.push_str(&format!("{k}={v}\u{1f}"));
        }
        out
    }
}

/// Pivots result tables: one row per (table without `_field`, `_time`), each
/// field a column named after it; rows of a series in time order. Tables
/// without `_field`/`_value` are taken as they are.
pub fn fields_as_cols(tables: &[Table]) -> Vec<Vec<Row>> {
    let mut series: BTreeMap<String, BTreeMap<i64, Row>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for t in tables {
        let field_idx = t.index("_field");
        let value_idx = t.index("_value");
        let pivot = field_idx.is_some() && value_idx.is_some();
        let key: BTreeSet<String> = t
            .key
            .labels()
            .into_iter()
            .filter(|l| !pivot || *l != "_field")
            .map(str::to_string)
            .collect();
        for r in 0..t.len() {
            let mut row = Row {
                cols: BTreeMap::new(),
                key: key.clone(),
            };
            let mut field = None;
            let mut value = Value::Null;
            for (i, c) in t.cols.iter().enumerate() {
                if pivot && Some(i) == field_idx {
                    field = Some(t.value(i, r).to_string());
                } else if pivot && Some(i) == value_idx {
                    value = t.value(i, r);
                } else {
                    row.cols.insert(c.label.clone(), t.value(i, r));
                }
            }
            let id = row.series_key(&[]);
            let time = row.time("_time").unwrap_or(i64::MIN);
            if !series.contains_key(&id) {
                order.push(id.clone());
            }
            let slot = series.entry(id).or_default().entry(time).or_insert(Row {
                cols: BTreeMap::new(),
                key: key.clone(),
            });
            for (k, v) in row.cols {
                slot.cols.insert(k, v);
            }
            if let Some(f) = field {
                slot.cols.insert(f, value);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| series.remove(&id))
        .map(|rows| rows.into_values().collect())
        .collect()
}

/// Columns `experimental.to` never writes.
const SKIPPED: &[&str] = &["_time", "_start", "_stop", "_measurement"];

/// Appends `row` as a line of `measurement` at `time`: string group-key
/// columns are tags, other columns fields (times as integer ns).
pub fn write_row(out: &mut String, measurement: &str, row: &Row, time: i64) {
    let mut tags: Vec<(&str, String)> = Vec::new();
    let mut fields: Vec<(&str, FieldValue<'_>)> = Vec::new();
    for (k, v) in &row.cols {
        if SKIPPED.contains(&k.as_str()) || k.is_empty() {
            continue;
        }
        if row.key.contains(k) {
            match v {
                Value::Null => {}
                Value::String(s) if s.is_empty() => {}
                other => tags.push((k.as_str(), plain_string(other))),
            }
            continue;
        }
        let fv = match v {
            Value::Float(x) => FieldValue::Float(*x),
            Value::Int(x) => FieldValue::Integer(*x),
            Value::UInt(x) => FieldValue::UInteger(*x),
            Value::Bool(x) => FieldValue::Boolean(*x),
            Value::Time(t) => FieldValue::Integer(*t),
            Value::String(s) => FieldValue::String(s.as_ref().into()),
            _ => continue,
        };
        fields.push((k.as_str(), fv));
    }
    if fields.is_empty() {
        return;
    }
    let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (*k, v.as_str())).collect();
    write_line(out, measurement, &tags, &fields, Some(time));
}

/// A value as plain text (strings without quotes).
pub fn plain_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Time(t) => crate::v2::rfc3339(*t),
        other => other.to_string(),
    }
}

/// A value as JSON, as Flux's `json.encode` writes it (times RFC 3339).
pub fn json_value(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::UInt(u) => J::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::String(s) => J::String(s.to_string()),
        Value::Time(t) => J::String(crate::v2::rfc3339(*t)),
        other => J::String(other.to_string()),
    }
}

/// A row as a JSON object with sorted keys (Flux's `json.encode` of a record).
pub fn json_object(row: &Row) -> String {
    let map: BTreeMap<&str, serde_json::Value> = row
        .cols
        .iter()
        .map(|(k, v)| (k.as_str(), json_value(v)))
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_flux::{ColMeta, ColType, GroupKey};

    fn meta(label: &str, typ: ColType) -> ColMeta {
        ColMeta {
            label: label.into(),
            typ,
        }
    }

    fn table(field: &str, values: &[(i64, f64)]) -> Table {
        let key = GroupKey::new(vec![
            (meta("_field", ColType::String), Value::String(field.into())),
            (
                meta("_measurement", ColType::String),
                Value::String("cpu".into()),
            ),
            (meta("host", ColType::String), Value::String("a".into())),
        ]);
        let n = values.len();
        Table::from_columns(
            key,
            vec![
                (
                    meta("_time", ColType::Time),
                    values.iter().map(|v| Value::Time(v.0)).collect(),
                ),
                (
                    meta("_value", ColType::Float),
                    values.iter().map(|v| Value::Float(v.1)).collect(),
                ),
                (
                    meta("_field", ColType::String),
                    vec![Value::String(field.into()); n],
                ),
                (
                    meta("_measurement", ColType::String),
                    vec![Value::String("cpu".into()); n],
                ),
                (
                    meta("host", ColType::String),
                    vec![Value::String("a".into()); n],
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn pivots_and_writes() {
        let series = fields_as_cols(&[
            table("idle", &[(1, 5.0), (2, 6.0)]),
            table("user", &[(2, 1.0)]),
        ]);
        assert_eq!(series.len(), 1);
        let rows = &series[0];
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].number("idle"), Some(6.0));
        assert_eq!(rows[1].number("user"), Some(1.0));
        assert_eq!(rows[0].number("user"), None);
        assert!(rows[0].key.contains("host") && !rows[0].key.contains("_field"));
        let mut row = rows[1].clone();
        row.set("_level", Value::String("crit".into()), true);
        row.set("_message", Value::String("m".into()), false);
        let mut out = String::new();
        write_row(&mut out, "statuses", &row, 10);
        assert_eq!(
            out.trim_end(),
            "statuses,_level=crit,host=a _message=\"m\",idle=6.0,user=1.0 10"
        );
        assert_eq!(
            json_object(&row),
            "{\"_level\":\"crit\",\"_measurement\":\"cpu\",\"_message\":\"m\",\"_time\":\"1970-01-01T00:00:00.000000002Z\",\"host\":\"a\",\"idle\":6.0,\"user\":1.0}"
        );
    }
}
