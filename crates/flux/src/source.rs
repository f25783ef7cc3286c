//! The data source `from()` reads: a trait the server implements over storage,
//! plus an in-memory implementation for tests.

use crate::error::Result;
use crate::table::{ColMeta, ColType, GroupKey, Table};
use crate::value::Value;
use std::collections::BTreeMap;
use std::sync::RwLock;

/// Equality predicates a source may apply while reading (all must hold).
/// Each list means "one of these values"; `None` means no constraint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushdownPredicate {
    /// `_measurement == …` (one of).
    pub measurements: Option<Vec<String>>,
    /// `_field == …` (one of).
    pub fields: Option<Vec<String>>,
    /// `tag == value` (one of the values) per tag; every entry must hold.
    pub tags: Vec<(String, Vec<String>)>,
}

impl PushdownPredicate {
    /// Whether a series (measurement, tags, field) passes the predicate.
    pub fn accepts(&self, measurement: &str, tags: &BTreeMap<String, String>, field: &str) -> bool {
        self.accepts_measurement(measurement)
            && self.accepts_field(field)
            && self
                .tags
                .iter()
                .all(|(k, vals)| tags.get(k).is_some_and(|v| vals.contains(v)))
    }

    /// Whether a measurement name passes.
    pub fn accepts_measurement(&self, m: &str) -> bool {
        self.measurements
            .as_ref()
            .is_none_or(|l| l.iter().any(|x| x == m))
    }

    /// Whether a field name passes.
    pub fn accepts_field(&self, f: &str) -> bool {
        self.fields
            .as_ref()
            .is_none_or(|l| l.iter().any(|x| x == f))
    }

    /// Add a constraint `column ∈ values` (intersecting with what is there).
    pub fn constrain(&mut self, column: &str, values: Vec<String>) {
        fn intersect(slot: &mut Option<Vec<String>>, values: Vec<String>) {
            *slot = Some(match slot.take() {
                Some(old) => old.into_iter().filter(|v| values.contains(v)).collect(),
                None => values,
            });
        }
        match column {
            "_measurement" => intersect(&mut self.measurements, values),
            "_field" => intersect(&mut self.fields, values),
            tag => self.tags.push((tag.to_string(), values)),
        }
    }
}

/// One point `to()` writes: a measurement, its tags, fields and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct WritePoint {
    /// Measurement name.
    pub measurement: String,
    /// Tags (sorted by key).
    pub tags: BTreeMap<String, String>,
    /// Field values (float, int, uint, string or bool).
    pub fields: Vec<(String, Value)>,
    /// Timestamp, ns since the epoch.
    pub time: i64,
}

/// A bucket as `buckets()` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketInfo {
    /// Bucket name (`db/rp`).
    pub name: String,
    /// Bucket id.
    pub id: String,
    /// Organization id.
    pub org_id: String,
    /// Retention policy name.
    pub retention_policy: String,
    /// Retention period in ns (0 = forever).
    pub retention_period: i64,
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

    /// Write points into a bucket (`to()`); returns once they are durable.
    fn write(&self, bucket: &str, points: &[WritePoint]) -> Result<()> {
        let _ = (bucket, points);
        Err(crate::Error::unsupported(
            "writing with to() on this source",
        ))
    }

    /// The buckets this source knows (`buckets()`).
    fn buckets(&self) -> Result<Vec<BucketInfo>> {
        Ok(Vec::new())
    }
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

    /// Create an empty bucket (no-op when it exists).
    pub fn create_bucket(&self, bucket: &str) {
        if let Ok(mut b) = self.buckets.write() {
            b.entry(bucket.to_string()).or_default();
        }
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
            if filter.is_some_and(|f| !f.accepts(&p.measurement, &p.tags, &p.field)) {
                continue;
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

    fn write(&self, bucket: &str, points: &[WritePoint]) -> Result<()> {
        let mut buckets = self
            .buckets
            .write()
            .map_err(|_| crate::Error::Source("lock poisoned".into()))?;
        let Some(stored) = buckets.get_mut(bucket) else {
            return Err(crate::Error::Source(format!("bucket {bucket:?} not found")));
        };
        for p in points {
            for (field, value) in &p.fields {
                // a later point replaces the same (series, field, time)
                stored.retain(|q| {
                    !(q.time == p.time
                        && q.field == *field
                        && q.measurement == p.measurement
                        && q.tags == p.tags)
                });
                stored.push(MemPoint {
                    measurement: p.measurement.clone(),
                    tags: p.tags.clone(),
                    field: field.clone(),
                    time: p.time,
                    value: value.clone(),
                });
            }
        }
        Ok(())
    }

    fn buckets(&self) -> Result<Vec<BucketInfo>> {
        let buckets = self
            .buckets
            .read()
            .map_err(|_| crate::Error::Source("lock poisoned".into()))?;
        Ok(buckets
            .keys()
            .enumerate()
            .map(|(i, name)| BucketInfo {
                name: name.clone(),
                id: format!("{:016x}", i + 1),
                org_id: format!("{:016x}", 1),
                retention_policy: "autogen".into(),
                retention_period: 0,
            })
            .collect())
    }
}
