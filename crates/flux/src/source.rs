//! The data source `from()` reads: a trait the server implements over storage,
//! plus an in-memory implementation for tests.

use crate::error::Result;
use crate::table::{ColMeta, ColType, GroupKey, Table};
use crate::value::Value;
use std::collections::BTreeMap;
use std::sync::RwLock;

/// Equality predicates a source may apply while reading (all must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushdownPredicate {
    /// `_measurement == …`.
    pub measurement: Option<String>,
    /// `_field == …`.
    pub field: Option<String>,
    /// `tag == value` pairs.
    pub tags: Vec<(String, String)>,
}

/// Where `from(bucket:)` reads data. Tables come back in Flux's storage layout:
/// `_start, _stop, _time, _value, _field, _measurement` + tag columns, one table
/// per series key and field, grouped by everything except `_time` and `_value`.
pub trait FluxSource: Send + Sync {
    /// Read `[start_ns, stop_ns)` of a bucket.
    fn read(
        &self,
        bucket: &str,
        start_ns: i64,
        stop_ns: i64,
        filter: Option<&PushdownPredicate>,
    ) -> Result<Vec<Table>>;
}

/// A source with no data at all.
#[derive(Debug, Default)]
pub struct EmptySource;

impl FluxSource for EmptySource {
    fn read(&self, _: &str, _: i64, _: i64, _: Option<&PushdownPredicate>) -> Result<Vec<Table>> {
        Ok(Vec::new())
    }
}

/// (measurement, tags, field) of a stored series.
type SeriesId = (String, Vec<(String, String)>, String);

/// One stored point of the in-memory source.
#[derive(Debug, Clone)]
pub struct MemPoint {
    pub measurement: String,
    pub tags: BTreeMap<String, String>,
    pub field: String,
    pub time: i64,
    pub value: Value,
}

/// In-memory source for tests: buckets of points.
#[derive(Debug, Default)]
pub struct MemorySource {
    buckets: RwLock<BTreeMap<String, Vec<MemPoint>>>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a point to a bucket.
    pub fn insert(&self, bucket: &str, p: MemPoint) {
        if let Ok(mut b) = self.buckets.write() {
            b.entry(bucket.to_string()).or_default().push(p);
        }
    }
}

impl FluxSource for MemorySource {
    fn read(
        &self,
        bucket: &str,
        start: i64,
        stop: i64,
        filter: Option<&PushdownPredicate>,
    ) -> Result<Vec<Table>> {
        let buckets = self
            .buckets
            .read()
            .map_err(|_| crate::Error::Source("lock poisoned".into()))?;
        let Some(points) = buckets.get(bucket) else {
            return Err(crate::Error::Source(format!("bucket {bucket:?} not found")));
        };
        // series key + field -> rows
        let mut series: BTreeMap<SeriesId, Vec<&MemPoint>> = BTreeMap::new();
        for p in points.iter().filter(|p| p.time >= start && p.time < stop) {
            if let Some(f) = filter {
                if f.measurement.as_ref().is_some_and(|m| *m != p.measurement)
                    || f.field.as_ref().is_some_and(|x| *x != p.field)
                    || f.tags.iter().any(|(k, v)| p.tags.get(k) != Some(v))
                {
                    continue;
                }
            }
            let tags: Vec<_> = p.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            series
                .entry((p.measurement.clone(), tags, p.field.clone()))
                .or_default()
                .push(p);
        }
        let mut out = Vec::new();
        for ((m, tags, field), mut pts) in series {
            pts.sort_by_key(|p| p.time);
            let Some(vt) = pts.iter().find_map(|p| ColType::of(&p.value)) else {
                continue;
            };
            let meta = |l: &str, t| ColMeta {
                label: l.to_string(),
                typ: t,
            };
            let mut key = vec![
                (meta("_start", ColType::Time), Value::Time(start)),
                (meta("_stop", ColType::Time), Value::Time(stop)),
                (meta("_field", ColType::String), Value::str(&field)),
                (meta("_measurement", ColType::String), Value::str(&m)),
            ];
            for (k, v) in &tags {
                key.push((meta(k, ColType::String), Value::str(v)));
            }
            let n = pts.len();
            let mut cols = vec![
                (meta("_start", ColType::Time), vec![Value::Time(start); n]),
                (meta("_stop", ColType::Time), vec![Value::Time(stop); n]),
                (
                    meta("_time", ColType::Time),
                    pts.iter().map(|p| Value::Time(p.time)).collect(),
                ),
                (
                    meta("_value", vt),
                    pts.iter().map(|p| p.value.clone()).collect(),
                ),
                (meta("_field", ColType::String), vec![Value::str(&field); n]),
                (
                    meta("_measurement", ColType::String),
                    vec![Value::str(&m); n],
                ),
            ];
            for (k, v) in &tags {
                cols.push((meta(k, ColType::String), vec![Value::str(v); n]));
            }
            out.push(Table::from_columns(GroupKey::new(key), cols)?);
        }
        Ok(out)
    }
}
