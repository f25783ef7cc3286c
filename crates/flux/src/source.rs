//! The data source `from()` reads: a trait the server implements over storage,
//! plus an in-memory implementation for tests.

use crate::error::Result;
use crate::table::{ColMeta, ColType, GroupKey, Table};
use crate::value::Value;
use arrow::array::{Array, ArrayRef, StringArray, TimestampNanosecondArray};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

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

/// Which single point of each series a read needs (`last()`/`first()`
/// right after the read): a source may keep only that point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// The earliest point (the first one read among equal times).
    First,
    /// The latest point (the last one read among equal times).
    Last,
}

/// A series read: what [`FluxSource::read_series`] is asked for.
#[derive(Debug, Clone)]
pub struct SeriesRead<'a> {
    /// Bucket name.
    pub bucket: &'a str,
    /// Range start (inclusive), ns.
    pub start: i64,
    /// Range stop (exclusive), ns.
    pub stop: i64,
    /// Series predicate.
    pub pred: &'a PushdownPredicate,
    /// Only this point of each series is needed, when set (a hint: a source
    /// may return more).
    pub edge: Option<Edge>,
}

/// One (series, field) as storage holds it: compact columns instead of a
/// full-width Flux table. `times` ascend; `values` is an Arrow array of a
/// Flux column type, aligned with `times`.
#[derive(Debug, Clone)]
pub struct SeriesData {
    /// Measurement name.
    pub measurement: Arc<str>,
    /// Tags the series has (non-empty values), sorted by key; shared by
    /// the series of one tag set (its fields), keys and values interned.
    pub tags: Arc<[(Arc<str>, Arc<str>)]>,
    /// Field name.
    pub field: Arc<str>,
    /// Type of `values`.
    pub typ: ColType,
    /// Point times, ascending.
    pub times: Vec<i64>,
    /// Point values.
    pub values: ArrayRef,
}

impl SeriesData {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when the series has no points.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The group key of the series' table as [`series_table`] builds it.
    pub fn key(&self, start: i64, stop: i64) -> GroupKey {
        let meta = |l: &str, t| ColMeta {
            label: l.to_string(),
            typ: t,
        };
        let mut key = vec![
            (meta("_start", ColType::Time), Value::Time(start)),
            (meta("_stop", ColType::Time), Value::Time(stop)),
            (
                meta("_field", ColType::String),
                Value::String(self.field.clone()),
            ),
            (
                meta("_measurement", ColType::String),
                Value::String(self.measurement.clone()),
            ),
        ];
        for (k, v) in self.tags.iter() {
            key.push((meta(k, ColType::String), Value::String(v.clone())));
        }
        GroupKey::new(key)
    }

    /// Column labels and types of the series' table, in table order.
    pub fn columns(&self) -> Vec<ColMeta> {
        let meta = |l: &str, t| ColMeta {
            label: l.to_string(),
            typ: t,
        };
        let mut cols = vec![
            meta("_start", ColType::Time),
            meta("_stop", ColType::Time),
            meta("_time", ColType::Time),
            meta("_value", self.typ),
            meta("_field", ColType::String),
            meta("_measurement", ColType::String),
        ];
        cols.extend(self.tags.iter().map(|(k, _)| meta(k, ColType::String)));
        cols
    }
}

/// A column repeating one time `n` times.
pub(crate) fn const_time(t: i64, n: usize) -> ArrayRef {
    Arc::new(TimestampNanosecondArray::from(vec![t; n]))
}

/// A column repeating one string `n` times.
pub(crate) fn const_str(s: &str, n: usize) -> ArrayRef {
    let len = s.len();
    // the text repeated (doubling copies), offsets every `len` bytes
    let offsets = match i32::try_from(len.saturating_mul(n)) {
        Ok(_) => (0..=n).map(|i| (i * len) as i32).collect::<Vec<i32>>(),
        Err(_) => return Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, n))),
    };
    let values = arrow::buffer::Buffer::from_vec(s.repeat(n).into_bytes());
    let offsets = arrow::buffer::OffsetBuffer::new(offsets.into());
    Arc::new(StringArray::new(offsets, values, None))
}

/// A table from labelled Arrow columns (types must be Flux column types).
pub(crate) fn table_of(key: GroupKey, cols: Vec<(ColMeta, ArrayRef)>, n: usize) -> Result<Table> {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(m, _)| Field::new(&m.label, m.typ.arrow(), true))
        .collect();
    let metas = cols.iter().map(|(m, _)| m.clone()).collect();
    let arrays = cols.into_iter().map(|(_, a)| a).collect();
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(n)),
    )?;
    Ok(Table {
        key,
        cols: metas,
        batch,
    })
}

/// The Flux table of one series in storage layout: `_start, _stop, _time,
/// _value, _field, _measurement, tags…`, keyed by everything but `_time`
/// and `_value`.
pub fn series_table(start: i64, stop: i64, s: &SeriesData) -> Result<Table> {
    series_table_with(start, stop, s, &mut ConstColumns::default())
}

/// Constant columns shared by the tables of one read: the tables of a
/// series' fields, or of many one-row series, repeat the same `_start`,
/// `_stop`, `_measurement`, `_field` and tag columns.
#[derive(Default)]
pub struct ConstColumns {
    times: std::collections::HashMap<(i64, usize), ArrayRef>,
    /// Per string seen (looked up by `&str`, without allocating): its
    /// group-key value and its constant columns by row count (a host's tags
    /// recur in the tables of each of its fields).
    strings: std::collections::HashMap<String, (Value, Vec<(usize, ArrayRef)>)>,
    /// The layouts of the tables built so far, by value type and tag keys.
    shapes: Vec<Arc<Shape>>,
}

/// What the tables of series with one value type and one set of tag keys
/// share: schema, column metadata, and the group key's column order.
struct Shape {
    typ: ColType,
    tag_keys: Vec<Arc<str>>,
    schema: arrow::datatypes::SchemaRef,
    cols: Vec<ColMeta>,
    /// The key's columns sorted by label, each with its place in
    /// `[_start, _stop, _field, _measurement, tags…]`.
    key: Vec<(ColMeta, usize)>,
}

impl Shape {
    /// The layout of `s`'s table; `None` when a tag is named like one of
    /// the fixed columns (the general key building sorts that out).
    fn of(s: &SeriesData) -> Option<Shape> {
        let fixed = [
            "_start",
            "_stop",
            "_field",
            "_measurement",
            "_time",
            "_value",
        ];
        if s.tags.iter().any(|(k, _)| fixed.contains(&&**k))
            || !s.tags.windows(2).all(|w| w[0].0 < w[1].0)
        {
            return None;
        }
        let cols = s.columns();
        let fields: Vec<Field> = cols
            .iter()
            .map(|m| Field::new(&m.label, m.typ.arrow(), true))
            .collect();
        let mut key: Vec<(ColMeta, usize)> = s
            .key(0, 0)
            .cols
            .into_iter()
            .map(|(meta, _)| {
                let place = match meta.label.as_str() {
                    "_start" => 0,
                    "_stop" => 1,
                    "_field" => 2,
                    "_measurement" => 3,
                    label => 4 + s.tags.iter().position(|(k, _)| **k == *label).unwrap_or(0),
                };
                (meta, place)
            })
            .collect();
        key.sort_by(|a, b| a.0.label.cmp(&b.0.label));
        Some(Shape {
            typ: s.typ,
            tag_keys: s.tags.iter().map(|(k, _)| k.clone()).collect(),
            schema: Arc::new(Schema::new(fields)),
            cols,
            key,
        })
    }

    fn fits(&self, s: &SeriesData) -> bool {
        self.typ == s.typ
            && self.tag_keys.len() == s.tags.len()
            && self
                .tag_keys
                .iter()
                .zip(s.tags.iter())
                .all(|(a, (b, _))| a == b)
    }
}

impl ConstColumns {
    /// An `n`-row column of time `t` (shared between the tables asking).
    pub(crate) fn time(&mut self, t: i64, n: usize) -> ArrayRef {
        self.times
            .entry((t, n))
            .or_insert_with(|| const_time(t, n))
            .clone()
    }

    fn shape(&mut self, s: &SeriesData) -> Option<Arc<Shape>> {
        if let Some(shape) = self.shapes.iter().find(|x| x.fits(s)) {
            return Some(shape.clone());
        }
        let shape = Arc::new(Shape::of(s)?);
        self.shapes.push(shape.clone());
        Some(shape)
    }

    /// The group-key value and an `n`-row constant column of `s`.
    pub(crate) fn string(&mut self, s: &str, n: usize) -> (Value, ArrayRef) {
        if let Some((value, arrays)) = self.strings.get_mut(s) {
            let array = match arrays.iter().find(|(len, _)| *len == n) {
                Some((_, a)) => a.clone(),
                None => {
                    let a = const_str(s, n);
                    arrays.push((n, a.clone()));
                    a
                }
            };
            return (value.clone(), array);
        }
        let (value, array) = (Value::str(s), const_str(s, n));
        self.strings
            .insert(s.to_string(), (value.clone(), vec![(n, array.clone())]));
        (value, array)
    }
}

/// Like [`series_table`], taking constant columns from `consts`.
pub fn series_table_with(
    start: i64,
    stop: i64,
    s: &SeriesData,
    consts: &mut ConstColumns,
) -> Result<Table> {
    let times = Arc::new(TimestampNanosecondArray::from(s.times.clone()));
    table_of_series(start, stop, s, times, s.values.clone(), consts)
}

/// The one-row table of point `i` of `s` (as [`series_table_with`] would
/// build it for a series of that point alone).
pub fn point_table_with(
    start: i64,
    stop: i64,
    s: &SeriesData,
    i: usize,
    consts: &mut ConstColumns,
) -> Result<Table> {
    let times = Arc::new(TimestampNanosecondArray::from(vec![s.times[i]]));
    table_of_series(start, stop, s, times, s.values.slice(i, 1), consts)
}

/// The table of `s`'s identity (measurement, field, tags) over `times` and
/// `values`.
fn table_of_series(
    start: i64,
    stop: i64,
    s: &SeriesData,
    times: ArrayRef,
    values: ArrayRef,
    consts: &mut ConstColumns,
) -> Result<Table> {
    let n = times.len();
    let (field, field_array) = consts.string(&s.field, n);
    let (measurement, measurement_array) = consts.string(&s.measurement, n);
    let mut arrays: Vec<ArrayRef> = vec![
        consts.time(start, n),
        consts.time(stop, n),
        times,
        values,
        field_array,
        measurement_array,
    ];
    let mut key_values = vec![Value::Time(start), Value::Time(stop), field, measurement];
    for (_, v) in s.tags.iter() {
        let (value, array) = consts.string(v, n);
        arrays.push(array);
        key_values.push(value);
    }
    let Some(shape) = consts.shape(s) else {
        let cols = s.columns().into_iter().zip(arrays).collect();
        return table_of(s.key(start, stop), cols, n);
    };
    let key = shape
        .key
        .iter()
        .map(|(meta, place)| (meta.clone(), key_values[*place].clone()))
        .collect();
    let batch = RecordBatch::try_new_with_options(
        shape.schema.clone(),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(n)),
    )?;
    Ok(Table {
        key: GroupKey { cols: key },
        cols: shape.cols.clone(),
        batch,
    })
}

/// Series of tables in storage layout (as [`series_table`] builds them);
/// `None` when a table has another shape.
pub fn series_from_tables(tables: &[Table]) -> Option<Vec<SeriesData>> {
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let cols = &t.cols;
        let fixed = [
            "_start",
            "_stop",
            "_time",
            "_value",
            "_field",
            "_measurement",
        ];
        if cols.len() < fixed.len()
            || cols.iter().zip(fixed).any(|(c, l)| c.label != l)
            || cols[2].typ != ColType::Time
        {
            return None;
        }
        let string_of = |label: &str| match t.key.get(label) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let mut tags: Vec<(Arc<str>, Arc<str>)> = Vec::new();
        for c in &cols[6..] {
            if c.typ != ColType::String {
                return None;
            }
            tags.push((c.label.as_str().into(), string_of(&c.label)?));
        }
        if !tags.windows(2).all(|w| w[0].0 < w[1].0) {
            return None;
        }
        let times = t
            .batch
            .column(2)
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()?;
        if times.null_count() > 0 || !times.values().windows(2).all(|w| w[0] <= w[1]) {
            return None;
        }
        let s = SeriesData {
            measurement: string_of("_measurement")?,
            tags: tags.into(),
            field: string_of("_field")?,
            typ: cols[3].typ,
            times: times.values().to_vec(),
            values: t.batch.column(3).clone(),
        };
        let (Some(Value::Time(start)), Some(Value::Time(stop))) =
            (t.key.get("_start"), t.key.get("_stop"))
        else {
            return None;
        };
        if s.key(*start, *stop) != t.key {
            return None;
        }
        out.push(s);
    }
    Some(out)
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

    /// Read `[start, stop)` of a bucket as compact series, in the order and
    /// with the contents [`FluxSource::read`] would give as tables (one
    /// [`SeriesData`] per table, see [`series_table`]). `None` when the
    /// source cannot: operations pushed into the read then run on tables.
    fn read_series(&self, req: &SeriesRead<'_>) -> Result<Option<Vec<SeriesData>>> {
        let _ = req;
        Ok(None)
    }

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

    fn read_series(&self, req: &SeriesRead<'_>) -> Result<Option<Vec<SeriesData>>> {
        let tables = self.read(req.bucket, req.start, req.stop, Some(req.pred))?;
        Ok(series_from_tables(&tables))
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    #[test]
    fn constant_strings_repeat_their_text() {
        for text in ["", "a", "us-east-1", "é§ü"] {
            for n in [0, 1, 2, 7, 720] {
                let built = const_str(text, n);
                let plain: ArrayRef =
                    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(text, n)));
                assert_eq!(&built, &plain, "{text:?} × {n}");
            }
        }
    }

    fn series(field: &str, tags: &[(&str, &str)], typ: ColType, times: Vec<i64>) -> SeriesData {
        let values: ArrayRef = match typ {
            ColType::Int => Arc::new(Int64Array::from_iter_values(times.iter().map(|t| t * 2))),
            _ => Arc::new(StringArray::from_iter_values(
                times.iter().map(|t| t.to_string()),
            )),
        };
        SeriesData {
            measurement: "cpu".into(),
            tags: tags
                .iter()
                .map(|(k, v)| (Arc::from(*k), Arc::from(*v)))
                .collect(),
            field: field.into(),
            typ,
            times,
            values,
        }
    }

    /// The table built column by column, without the shared constants.
    fn plain(start: i64, stop: i64, s: &SeriesData) -> Table {
        let n = s.len();
        let mut arrays: Vec<ArrayRef> = vec![
            const_time(start, n),
            const_time(stop, n),
            Arc::new(TimestampNanosecondArray::from(s.times.clone())),
            s.values.clone(),
            const_str(&s.field, n),
            const_str(&s.measurement, n),
        ];
        arrays.extend(s.tags.iter().map(|(_, v)| const_str(v, n)));
        table_of(
            s.key(start, stop),
            s.columns().into_iter().zip(arrays).collect(),
            n,
        )
        .unwrap()
    }

    fn same(a: &Table, b: &Table) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.cols, b.cols);
        assert_eq!(a.batch, b.batch);
    }

    #[test]
    fn shared_shapes_and_constants_build_the_plain_tables() {
        let all = [
            series(
                "usage",
                &[("host", "a"), ("region", "eu")],
                ColType::Int,
                vec![1, 2, 3],
            ),
            series(
                "usage",
                &[("host", "b"), ("region", "eu")],
                ColType::Int,
                vec![4],
            ),
            // Same tag keys, other value type; then other tag keys.
            series(
                "state",
                &[("host", "a"), ("region", "eu")],
                ColType::String,
                vec![5, 6],
            ),
            series(
                "usage",
                &[("dc", "x"), ("host", "a")],
                ColType::Int,
                vec![7],
            ),
            // A tag sorting before `_field`, and one named like a fixed
            // column (the general key building decides).
            series("usage", &[("A", "1"), ("host", "a")], ColType::Int, vec![8]),
            series(
                "usage",
                &[("_field", "odd"), ("host", "a")],
                ColType::Int,
                vec![9],
            ),
            series("usage", &[], ColType::Int, vec![10, 11]),
        ];
        let mut consts = ConstColumns::default();
        for round in 0..2 {
            for s in &all {
                same(
                    &series_table_with(0, 100, s, &mut consts).unwrap(),
                    &plain(0, 100, s),
                );
                for i in 0..s.len() {
                    let one = SeriesData {
                        times: vec![s.times[i]],
                        values: s.values.slice(i, 1),
                        ..s.clone()
                    };
                    let got = point_table_with(0, 100, s, i, &mut consts).unwrap();
                    same(&got, &plain(0, 100, &one));
                }
            }
            assert_eq!(consts.shapes.len(), 5, "round {round}");
        }
    }
}
