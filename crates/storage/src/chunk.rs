//! Columnar, append-only rows of one measurement in one time partition.
//!
//! A [`Chunk`] is both the unit a write request is grouped into and the unit
//! the write buffer holds: applying a request appends its chunks to the
//! buffer's chunks. Rows stay in arrival order; duplicates are resolved when a
//! chunk is turned into a sorted Arrow batch (see [`crate::dedup`]).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use ahash::RandomState;

use almanac_catalog::FieldType;
use almanac_lineproto::FieldValue;
use arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampNanosecondArray, UInt64Array,
};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::dedup::SortedRuns;
use crate::error::StorageError;
use crate::schema::{field_arrow_type, field_column_name, tag_arrow_type, TIME_COLUMN};

/// Values of one field column, padded with nulls to the chunk's row count.
#[derive(Debug, Clone)]
enum Values {
    Float(Vec<f64>),
    Integer(Vec<i64>),
    UInteger(Vec<u64>),
    Boolean(Vec<bool>),
    String { offsets: Vec<usize>, bytes: Vec<u8> },
}

impl Values {
    fn new(field_type: FieldType) -> Self {
        match field_type {
            FieldType::Float => Values::Float(Vec::new()),
            FieldType::Integer => Values::Integer(Vec::new()),
            FieldType::UInteger => Values::UInteger(Vec::new()),
            FieldType::Boolean => Values::Boolean(Vec::new()),
            FieldType::String => Values::String {
                offsets: vec![0],
                bytes: Vec::new(),
            },
        }
    }

    fn push_default(&mut self) {
        match self {
            Values::Float(v) => v.push(0.0),
            Values::Integer(v) => v.push(0),
            Values::UInteger(v) => v.push(0),
            Values::Boolean(v) => v.push(false),
            Values::String { offsets, bytes } => offsets.push(bytes.len()),
        }
    }

    /// Appends `value`; returns false (and appends nothing) when the type differs.
    fn push(&mut self, value: &FieldValue<'_>) -> bool {
        match (self, value) {
            (Values::Float(v), FieldValue::Float(x)) => v.push(*x),
            (Values::Integer(v), FieldValue::Integer(x)) => v.push(*x),
            (Values::UInteger(v), FieldValue::UInteger(x)) => v.push(*x),
            (Values::Boolean(v), FieldValue::Boolean(x)) => v.push(*x),
            (Values::String { offsets, bytes }, FieldValue::String(s)) => {
                bytes.extend_from_slice(s.as_bytes());
                offsets.push(bytes.len());
            }
            _ => return false,
        }
        true
    }

    /// The value at `row` (which must exist).
    fn get(&self, row: usize) -> FieldValue<'_> {
        match self {
            Values::Float(v) => FieldValue::Float(v[row]),
            Values::Integer(v) => FieldValue::Integer(v[row]),
            Values::UInteger(v) => FieldValue::UInteger(v[row]),
            Values::Boolean(v) => FieldValue::Boolean(v[row]),
            Values::String { offsets, bytes } => FieldValue::String(String::from_utf8_lossy(
                &bytes[offsets[row]..offsets[row + 1]],
            )),
        }
    }

    fn extend(&mut self, other: &Values) {
        match (self, other) {
            (Values::Float(a), Values::Float(b)) => a.extend_from_slice(b),
            (Values::Integer(a), Values::Integer(b)) => a.extend_from_slice(b),
            (Values::UInteger(a), Values::UInteger(b)) => a.extend_from_slice(b),
            (Values::Boolean(a), Values::Boolean(b)) => a.extend_from_slice(b),
            (
                Values::String { offsets, bytes },
                Values::String {
                    offsets: o2,
                    bytes: b2,
                },
            ) => {
                let base = bytes.len();
                bytes.extend_from_slice(b2);
                offsets.extend(o2[1..].iter().map(|o| o + base));
            }
            _ => unreachable!("column types are fixed by the catalog"),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Values::Float(v) => v.len() * 8,
            Values::Integer(v) => v.len() * 8,
            Values::UInteger(v) => v.len() * 8,
            Values::Boolean(v) => v.len(),
            Values::String { offsets, bytes } => offsets.len() * 8 + bytes.len(),
        }
    }

    fn to_array(&self, valid: &[bool]) -> ArrayRef {
        self.to_array_of(valid, 0..valid.len())
    }

    /// The values of rows `rows` (`valid` is the whole column's validity).
    fn to_array_of(&self, valid: &[bool], rows: Range<usize>) -> ArrayRef {
        let valid_rows = &valid[rows.clone()];
        let nulls = if valid_rows.iter().all(|v| *v) {
            None
        } else {
            Some(NullBuffer::from(valid_rows.to_vec()))
        };
        match self {
            Values::Float(v) => Arc::new(Float64Array::new(
                ScalarBuffer::from(v[rows].to_vec()),
                nulls,
            )),
            Values::Integer(v) => {
                Arc::new(Int64Array::new(ScalarBuffer::from(v[rows].to_vec()), nulls))
            }
            Values::UInteger(v) => Arc::new(UInt64Array::new(
                ScalarBuffer::from(v[rows].to_vec()),
                nulls,
            )),
            Values::Boolean(v) => Arc::new(BooleanArray::new(v[rows].to_vec().into(), nulls)),
            Values::String { offsets, bytes } => {
                let strings: StringArray = rows
                    .map(|i| {
                        if valid[i] {
                            // Bytes came from `&str` values, so every slice is UTF-8.
                            Some(
                                std::str::from_utf8(&bytes[offsets[i]..offsets[i + 1]])
                                    .unwrap_or(""),
                            )
                        } else {
                            None
                        }
                    })
                    .collect();
                Arc::new(strings)
            }
        }
    }
}

/// One typed field column with its validity.
#[derive(Debug, Clone)]
struct Column {
    field_type: FieldType,
    values: Values,
    valid: Vec<bool>,
}

impl Column {
    fn with_nulls(field_type: FieldType, rows: usize) -> Self {
        let mut column = Column {
            field_type,
            values: Values::new(field_type),
            valid: Vec::with_capacity(rows),
        };
        column.pad_to(rows);
        column
    }

    fn pad_to(&mut self, rows: usize) {
        while self.valid.len() < rows {
            self.values.push_default();
            self.valid.push(false);
        }
    }
}

/// A tag set interned within a chunk.
type TagSet = Arc<[(Arc<str>, Arc<str>)]>;

/// Strings shared by the tag sets of a chunk, so that a new series only
/// allocates the tag values no earlier series of the chunk had.
#[derive(Debug, Clone, Default)]
struct StringPool(HashSet<Arc<str>, RandomState>);

impl StringPool {
    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.0.insert(shared.clone());
        shared
    }
}

/// The distinct values of one tag column, in first-seen order.
#[derive(Default)]
struct TagDictionary<'a> {
    values: Vec<&'a str>,
    ids: HashMap<&'a str, i32, RandomState>,
}

impl<'a> TagDictionary<'a> {
    fn id(&mut self, value: &'a str) -> i32 {
        *self.ids.entry(value).or_insert_with(|| {
            self.values.push(value);
            self.values.len() as i32 - 1
        })
    }
}

/// Rows of one measurement within one partition, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    series_index: HashMap<Arc<str>, u32, RandomState>,
    /// Tag values of this chunk's series (see [`StringPool`]).
    values: StringPool,
    /// Tag keys of this chunk's series; a key new to this pool is added to
    /// `tag_keys` too, so a new series costs no ordered-map probes.
    keys: StringPool,
    series: Vec<TagSet>,
    series_ids: Vec<u32>,
    times: Vec<i64>,
    fields: BTreeMap<Arc<str>, Column>,
    tag_keys: BTreeMap<Arc<str>, ()>,
    /// Smallest WAL sequence number of any row (u64::MAX when empty).
    pub min_seq: u64,
    /// Largest WAL sequence number of any row.
    pub max_seq: u64,
    heap_bytes: usize,
}

impl Chunk {
    /// An empty chunk.
    pub fn new() -> Self {
        Chunk {
            min_seq: u64::MAX,
            ..Default::default()
        }
    }

    /// Number of rows (duplicates included).
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when the chunk holds no rows.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Approximate memory held by the chunk, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.heap_bytes
            + self.times.len() * 12
            + self
                .fields
                .values()
                .map(|c| c.values.heap_bytes() + c.valid.len())
                .sum::<usize>()
    }

    /// Smallest and largest timestamp, if any rows.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = self.times.iter().min()?;
        let max = self.times.iter().max()?;
        Some((*min, *max))
    }

    /// The chunk's id of a series, adding it (with the tag set `tags` makes)
    /// when it is new.
    fn intern_series(
        &mut self,
        key: &str,
        tags: impl FnOnce(&mut StringPool, &mut StringPool) -> TagSet,
    ) -> u32 {
        if let Some(id) = self.series_index.get(key) {
            return *id;
        }
        let known_keys = self.keys.0.len();
        let tags = tags(&mut self.keys, &mut self.values);
        if self.keys.0.len() != known_keys {
            for (k, _) in tags.iter() {
                if !self.tag_keys.contains_key(k) {
                    self.tag_keys.insert(k.clone(), ());
                }
            }
        }
        let id = self.series.len() as u32;
        self.heap_bytes += key.len() * 2
            + tags
                .iter()
                .map(|(k, v)| k.len() + v.len() + 32)
                .sum::<usize>()
            + 64;
        self.series.push(tags);
        self.series_index.insert(Arc::from(key), id);
        id
    }

    /// Appends one row. `tags` must be sorted by key (as the line-protocol
    /// parser leaves them). `fields` must already be validated against the
    /// catalog; a field whose type differs from the chunk's column is skipped
    /// and reported by returning false.
    pub fn push_row(
        &mut self,
        series_key: &str,
        tags: &[(&str, &str)],
        fields: &[(&str, &FieldValue<'_>)],
        time: i64,
        seq: u64,
    ) -> bool {
        let series_id = self.series_id(series_key, tags);
        self.push_row_of(series_id, fields, time, seq)
    }

    /// The chunk's id of the series `series_key` with tags `tags` (sorted by
    /// key), added when new; for [`Chunk::push_row_of`].
    pub fn series_id(&mut self, series_key: &str, tags: &[(&str, &str)]) -> u32 {
        self.intern_series(series_key, |keys, values| {
            tags.iter()
                .map(|(k, v)| (keys.intern(k), values.intern(v)))
                .collect::<Vec<_>>()
                .into()
        })
    }

    /// [`Chunk::push_row`] of a series the chunk already has
    /// ([`Chunk::series_id`]).
    pub fn push_row_of(
        &mut self,
        series_id: u32,
        fields: &[(&str, &FieldValue<'_>)],
        time: i64,
        seq: u64,
    ) -> bool {
        debug_assert!((series_id as usize) < self.series.len());
        let row = self.times.len();
        let mut ok = true;
        for (name, value) in fields {
            let field_type = value_type(value);
            let column = match self.fields.get_mut(*name) {
                Some(c) => c,
                None => {
                    self.fields
                        .insert(Arc::from(*name), Column::with_nulls(field_type, row));
                    self.fields.get_mut(*name).expect("just inserted")
                }
            };
            if column.valid.len() > row {
                // Duplicate key within a line; the parser already keeps the last.
                continue;
            }
            if column.values.push(value) {
                column.valid.push(true);
            } else {
                ok = false;
            }
        }
        self.series_ids.push(series_id);
        self.times.push(time);
        let rows = row + 1;
        for column in self.fields.values_mut() {
            column.pad_to(rows);
        }
        self.min_seq = self.min_seq.min(seq);
        self.max_seq = self.max_seq.max(seq);
        ok
    }

    /// Appends all rows of `other` after the rows of `self`.
    pub fn append(&mut self, other: &Chunk) {
        self.append_rows(other);
        if !other.is_empty() {
            self.min_seq = self.min_seq.min(other.min_seq);
            self.max_seq = self.max_seq.max(other.max_seq);
        }
    }

    /// Appends all rows of `other`, as written by WAL record `seq` (whatever
    /// sequence numbers `other` carries).
    pub fn append_at(&mut self, other: &Chunk, seq: u64) {
        self.append_rows(other);
        if !other.is_empty() {
            self.min_seq = self.min_seq.min(seq);
            self.max_seq = self.max_seq.max(seq);
        }
    }

    fn append_rows(&mut self, other: &Chunk) {
        let base = self.times.len();
        // The other chunk's tag keys, once, rather than per series.
        for key in other.tag_keys.keys() {
            let key = self.keys.intern(key);
            self.tag_keys.entry(key).or_insert(());
        }
        // Tag sets are shared with `other` (their strings stay in its pools).
        let mut remap = vec![0u32; other.series.len()];
        for (key, id) in other.series_index.iter() {
            let tags = other.series[*id as usize].clone();
            remap[*id as usize] = self.intern_series(key, |_, _| tags);
        }
        self.series_ids
            .extend(other.series_ids.iter().map(|id| remap[*id as usize]));
        self.times.extend_from_slice(&other.times);
        for (name, src) in &other.fields {
            let dst = match self.fields.get_mut(name) {
                Some(c) => c,
                None => {
                    self.fields
                        .insert(name.clone(), Column::with_nulls(src.field_type, base));
                    self.fields.get_mut(name).expect("just inserted")
                }
            };
            if dst.field_type == src.field_type {
                dst.values.extend(&src.values);
                dst.valid.extend_from_slice(&src.valid);
            }
        }
        let rows = self.times.len();
        for column in self.fields.values_mut() {
            column.pad_to(rows);
        }
    }

    /// Number of distinct series.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Series keys (as [`almanac_lineproto::Line::series_key`] makes them)
    /// by series id.
    pub fn series_keys(&self) -> Vec<Arc<str>> {
        let mut keys: Vec<Arc<str>> = vec![Arc::from(""); self.series.len()];
        for (key, id) in &self.series_index {
            keys[*id as usize] = key.clone();
        }
        keys
    }

    /// Series id of a row.
    pub fn row_series(&self, row: usize) -> u32 {
        self.series_ids[row]
    }

    /// Tags of a series, sorted by key.
    pub fn series_tags(&self, series: u32) -> &[(Arc<str>, Arc<str>)] {
        &self.series[series as usize]
    }

    /// Time of a row, ns.
    pub fn row_time(&self, row: usize) -> i64 {
        self.times[row]
    }

    /// The value of field `name` at `row`, if the row has it.
    pub fn row_field(&self, row: usize, name: &str) -> Option<FieldValue<'_>> {
        let column = self.fields.get(name)?;
        column.valid[row].then(|| column.values.get(row))
    }

    /// The fields a row has, sorted by name.
    pub fn row_fields(&self, row: usize) -> impl Iterator<Item = (&Arc<str>, FieldValue<'_>)> {
        self.fields
            .iter()
            .filter(move |(_, c)| c.valid[row])
            .map(move |(name, c)| (name, c.values.get(row)))
    }

    /// Tag keys seen in this chunk, sorted.
    pub fn tag_keys(&self) -> impl Iterator<Item = &str> {
        self.tag_keys.keys().map(|k| k.as_ref())
    }

    /// Field names and types in this chunk, sorted by name.
    pub fn field_types(&self) -> impl Iterator<Item = (&str, FieldType)> {
        self.fields.iter().map(|(k, c)| (k.as_ref(), c.field_type))
    }

    /// The rows as one Arrow batch in arrival order (not deduplicated).
    /// Columns: tags (sorted by key, dictionary strings), fields (sorted by
    /// name), then `time`.
    pub fn to_record_batch(&self) -> RecordBatch {
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (field, array) in self.tag_arrays() {
            fields.push(field);
            columns.push(array);
        }
        for (name, column) in &self.fields {
            fields.push(self.field_of(name, column));
            columns.push(column.values.to_array(&column.valid));
        }
        fields.push(time_field());
        columns.push(Arc::new(TimestampNanosecondArray::new(
            ScalarBuffer::from(self.times.clone()),
            None,
        )));
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        RecordBatch::try_new(schema, columns).expect("columns match schema")
    }

    /// Names of the columns [`Chunk::to_record_batch`] would fill with at
    /// least one value, without building the batch (queries ask for them
    /// to find which fields a measurement has).
    pub fn present_columns(&self) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<String> = self.tag_keys.keys().map(|k| k.to_string()).collect();
        for (name, column) in &self.fields {
            // Stops at the first value: the first row, for nearly every column.
            if column.valid.contains(&true) {
                out.push(field_column_name(name, self.tag_keys.contains_key(name)));
            }
        }
        out.push(TIME_COLUMN.to_string());
        out
    }

    /// The batch [`crate::dedup::sort_dedup`] makes of
    /// [`Chunk::to_record_batch`] (rows sorted by tags then time, equal keys
    /// merged), built without that batch: series are ordered once by their
    /// tag sets (not every row's encoded keys) and the output is gathered one
    /// column at a time, so persisting a partition holds the chunk, the
    /// output and one column of input rather than three copies of the rows.
    pub fn sorted_record_batch(&self) -> Result<RecordBatch, StorageError> {
        self.sorted_rows(0..self.times.len())
    }

    /// Rows `rows` of the chunk sorted and deduplicated as
    /// [`Chunk::sorted_record_batch`] does the whole chunk, in time
    /// proportional to `rows` (not to the chunk): the live chunk of a
    /// partition is sorted a stretch of new rows at a time.
    pub fn sorted_rows(&self, rows: Range<usize>) -> Result<RecordBatch, StorageError> {
        let whole = rows.start == 0 && rows.end == self.times.len();
        // The whole chunk (persistence) numbers rows by its own series ids,
        // without a copy of them.
        let (series, local): (Vec<u32>, std::borrow::Cow<'_, [u32]>) = if whole {
            (
                (0..self.series.len() as u32).collect(),
                std::borrow::Cow::Borrowed(&self.series_ids),
            )
        } else {
            let (series, local) = self.local_series(rows.clone());
            (series, std::borrow::Cow::Owned(local))
        };
        let times = &self.times[rows.clone()];
        let ranks = self.series_ranks(&series);
        let key = |row: usize| (ranks[local[row] as usize], times[row]);
        let n = times.len();
        if whole && (1..n).all(|r| key(r - 1) < key(r)) {
            return Ok(self.to_record_batch());
        }
        let mut keyed: Vec<(u32, i64, u32)> = (0..n)
            .map(|r| {
                let (rank, time) = key(r);
                (rank, time, r as u32)
            })
            .collect();
        keyed.sort_unstable();
        let order: Vec<u32> = keyed.iter().map(|k| k.2).collect();
        drop(keyed);
        let sorted = SortedRuns::new(order, |a, b| key(a as usize) == key(b as usize));
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (field, array) in self.tag_arrays_of(&series, &local) {
            columns.push(sorted.take_column(&field, array.as_ref())?);
            fields.push(field);
        }
        for (name, column) in &self.fields {
            let field = self.field_of(name, column);
            let array = column.values.to_array_of(&column.valid, rows.clone());
            columns.push(sorted.take_column(&field, array.as_ref())?);
            fields.push(field);
        }
        let times: Vec<i64> = sorted
            .first_rows()
            .values()
            .iter()
            .map(|r| times[*r as usize])
            .collect();
        debug_assert_eq!(times.len(), sorted.len());
        fields.push(time_field());
        columns.push(Arc::new(TimestampNanosecondArray::new(
            ScalarBuffer::from(times),
            None,
        )));
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?)
    }

    /// Each series' position among the chunk's series ordered by tag set as
    /// the sort keys order them (tag keys in order, a missing tag before any
    /// value, values byte-wise); series with equal tag sets share a rank.
    ///
    /// `series` lists the chunk's ids of the series to rank; the ranks are
    /// indexed as `series` is.
    fn series_ranks(&self, series: &[u32]) -> Vec<u32> {
        let mut by_tags: Vec<u32> = (0..series.len() as u32).collect();
        let tags = |s: u32| &self.series[series[s as usize] as usize][..];
        by_tags.sort_by(|a, b| cmp_tag_sets(tags(*a), tags(*b)));
        let mut ranks = vec![0u32; series.len()];
        let mut rank = 0;
        for (i, s) in by_tags.iter().enumerate() {
            if i > 0 && cmp_tag_sets(tags(by_tags[i - 1]), tags(*s)) != Ordering::Equal {
                rank += 1;
            }
            ranks[*s as usize] = rank;
        }
        ranks
    }

    /// The Arrow field of field column `name`.
    fn field_of(&self, name: &Arc<str>, column: &Column) -> Field {
        let column_name = field_column_name(name, self.tag_keys.contains_key(name));
        Field::new(column_name, field_arrow_type(column.field_type), true)
    }

    /// The series of rows `rows`, numbered in order of first appearance
    /// (their chunk ids), and each row's number.
    fn local_series(&self, rows: Range<usize>) -> (Vec<u32>, Vec<u32>) {
        let mut numbers: HashMap<u32, u32, RandomState> = HashMap::default();
        let mut series = Vec::new();
        let local = self.series_ids[rows]
            .iter()
            .map(|id| {
                *numbers.entry(*id).or_insert_with(|| {
                    series.push(*id);
                    series.len() as u32 - 1
                })
            })
            .collect();
        (series, local)
    }

    /// Every row's tag columns, sorted by key (dictionary strings).
    fn tag_arrays(&self) -> Vec<(Field, ArrayRef)> {
        let all: Vec<u32> = (0..self.series.len() as u32).collect();
        self.tag_arrays_of(&all, &self.series_ids)
    }

    /// The tag columns of rows whose series are `local` (indices into
    /// `series`, which holds chunk series ids), sorted by key.
    fn tag_arrays_of(&self, series: &[u32], local: &[u32]) -> Vec<(Field, ArrayRef)> {
        // Per tag key and series: the dictionary index of the series' value
        // (or null). Tag sets and `tag_keys` are both sorted by key, so one
        // merge walk per series fills every key's column.
        let tag_keys: Vec<&Arc<str>> = self.tag_keys.keys().collect();
        let mut dictionaries: Vec<TagDictionary<'_>> =
            tag_keys.iter().map(|_| TagDictionary::default()).collect();
        let mut per_series: Vec<Vec<Option<i32>>> = tag_keys
            .iter()
            .map(|_| Vec::with_capacity(series.len()))
            .collect();
        for tags in series.iter().map(|s| &self.series[*s as usize]) {
            let mut next = tags.iter().peekable();
            for (i, key) in tag_keys.iter().enumerate() {
                let id = match next.peek() {
                    // Keys from this chunk's pool compare by address first.
                    Some((k, v)) if Arc::ptr_eq(k, key) || k == *key => {
                        let id = dictionaries[i].id(v);
                        next.next();
                        Some(id)
                    }
                    _ => None,
                };
                per_series[i].push(id);
            }
            debug_assert!(next.next().is_none(), "tag sets are sorted by key");
        }
        let mut out = Vec::with_capacity(tag_keys.len());
        for ((key, dictionary), per_series) in tag_keys.iter().zip(dictionaries).zip(per_series) {
            let keys: Int32Array = local.iter().map(|id| per_series[*id as usize]).collect();
            let values = StringArray::from(dictionary.values);
            let dict =
                DictionaryArray::try_new(keys, Arc::new(values)).expect("keys index into values");
            out.push((
                Field::new(key.as_ref(), tag_arrow_type(), true),
                Arc::new(dict) as ArrayRef,
            ));
        }
        out
    }
}

/// The `time` column's field.
fn time_field() -> Field {
    Field::new(
        TIME_COLUMN,
        arrow::datatypes::DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, None),
        false,
    )
}

/// Orders two tag sets (each sorted by key) as rows with those tags sort:
/// tag key by tag key over the union of keys, a set without the key first.
fn cmp_tag_sets(a: &[(Arc<str>, Arc<str>)], b: &[(Arc<str>, Arc<str>)]) -> Ordering {
    let (mut a, mut b) = (a.iter(), b.iter());
    let (mut x, mut y) = (a.next(), b.next());
    loop {
        match (x, y) {
            (None, None) => return Ordering::Equal,
            // The other set lacks this key: a missing tag sorts first.
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (Some((ka, va)), Some((kb, vb))) => match ka.as_ref().cmp(kb.as_ref()) {
                Ordering::Equal => match va.as_ref().cmp(vb.as_ref()) {
                    Ordering::Equal => {
                        x = a.next();
                        y = b.next();
                    }
                    unequal => return unequal,
                },
                Ordering::Less => return Ordering::Greater,
                Ordering::Greater => return Ordering::Less,
            },
        }
    }
}

/// The catalog type of a line-protocol value.
pub fn value_type(value: &FieldValue<'_>) -> FieldType {
    match value {
        FieldValue::Float(_) => FieldType::Float,
        FieldValue::Integer(_) => FieldType::Integer,
        FieldValue::UInteger(_) => FieldType::UInteger,
        FieldValue::String(_) => FieldType::String,
        FieldValue::Boolean(_) => FieldType::Boolean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::util::pretty::pretty_format_batches;

    #[test]
    fn rows_and_append_keep_columns_aligned() {
        let mut a = Chunk::new();
        a.push_row(
            "m,h=a",
            &[("h", "a")],
            &[("x", &FieldValue::Float(1.0))],
            10,
            1,
        );
        let mut b = Chunk::new();
        b.push_row(
            "m,h=b",
            &[("h", "b")],
            &[("y", &FieldValue::Integer(2))],
            20,
            2,
        );
        b.push_row(
            "m,h=a",
            &[("h", "a")],
            &[("s", &FieldValue::String("hi".into()))],
            30,
            3,
        );
        a.append(&b);
        assert_eq!(a.len(), 3);
        assert_eq!((a.min_seq, a.max_seq), (1, 3));
        let text = pretty_format_batches(&[a.to_record_batch()])
            .unwrap()
            .to_string();
        let expected = "\
+---+----+-----+---+-------------------------------+
| h | s  | x   | y | time                          |
+---+----+-----+---+-------------------------------+
| a |    | 1.0 |   | 1970-01-01T00:00:00.000000010 |
| b |    |     | 2 | 1970-01-01T00:00:00.000000020 |
| a | hi |     |   | 1970-01-01T00:00:00.000000030 |
+---+----+-----+---+-------------------------------+";
        assert_eq!(text, expected);
    }
    /// Series whose tag sets exercise the ordering: no tags, missing keys,
    /// multi-byte values, and two series keys with one tag set.
    const SERIES: &[(&str, &[(&str, &str)])] = &[
        ("m", &[]),
        ("m,h=a", &[("h", "a")]),
        ("m,h=b", &[("h", "b")]),
        ("m,h=a,r=x", &[("h", "a"), ("r", "x")]),
        ("m,r=x", &[("r", "x")]),
        ("m,a=z", &[("a", "z")]),
        ("m,h=\u{e9}", &[("h", "\u{e9}")]),
        ("m,h=a ", &[("h", "a")]),
    ];

    fn field_value(kind: u8, v: i64) -> Option<(&'static str, FieldValue<'static>)> {
        match kind {
            0 => None,
            1 => Some(("x", FieldValue::Float(v as f64 / 2.0))),
            2 => Some(("y", FieldValue::Integer(v))),
            3 => Some(("s", FieldValue::String(format!("s{v}").into()))),
            4 => Some(("b", FieldValue::Boolean(v % 2 == 0))),
            _ => Some(("h", FieldValue::UInteger(v as u64))),
        }
    }

    proptest::proptest! {
        /// The chunk's own sort gives exactly the batch the generic sort
        /// and deduplication give.
        #[test]
        fn sorted_record_batch_matches_sort_dedup(
            rows in proptest::collection::vec(
                (0..SERIES.len(), 0i64..6, proptest::collection::vec((0u8..6, -3i64..3), 0..4)),
                0..60,
            )
        ) {
            let chunk = chunk_of(&rows);
            let mut present = chunk.present_columns();
            present.sort();
            let mut from_batch = crate::present_columns(&chunk.to_record_batch());
            from_batch.sort();
            proptest::prop_assert_eq!(present, from_batch);
            let expected = crate::dedup::sort_dedup(&chunk.to_record_batch()).unwrap();
            let got = chunk.sorted_record_batch().unwrap();
            proptest::prop_assert_eq!(got, expected);
        }

        /// Rows sorted a stretch at a time, then merged (a later stretch
        /// winning, as buffered batches do), give the whole chunk's sort;
        /// each stretch is the generic sort of its rows.
        #[test]
        fn stretches_sorted_apart_merge_to_the_whole_sort(
            rows in proptest::collection::vec(
                (0..SERIES.len(), 0i64..6, proptest::collection::vec((0u8..6, -3i64..3), 0..4)),
                1..60,
            ),
            cuts in proptest::collection::vec(0usize..60, 0..4),
        ) {
            let chunk = chunk_of(&rows);
            let n = chunk.len();
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
            bounds.push(0);
            bounds.push(n);
            bounds.sort_unstable();
            bounds.dedup();
            let whole = chunk.to_record_batch();
            let mut stretches = Vec::new();
            for w in bounds.windows(2) {
                let stretch = chunk.sorted_rows(w[0]..w[1]).unwrap();
                let expected =
                    crate::dedup::sort_dedup(&whole.slice(w[0], w[1] - w[0])).unwrap();
                proptest::prop_assert_eq!(plain(&stretch), plain(&expected));
                stretches.push(stretch);
            }
            let merged = crate::dedup::merge_batches(&stretches).unwrap();
            let expected = crate::schema::conform(
                &chunk.sorted_record_batch().unwrap(),
                &merged.schema(),
            )
            .unwrap();
            proptest::prop_assert_eq!(plain(&merged), plain(&expected));
        }
    }

    /// A chunk of generated rows: (index into SERIES, time, fields as
    /// (kind, value) for [`field_value`]).
    fn chunk_of(rows: &[(usize, i64, Vec<(u8, i64)>)]) -> Chunk {
        let mut chunk = Chunk::new();
        for (i, (series, time, fields)) in rows.iter().enumerate() {
            let (key, tags) = SERIES[*series];
            let mut values: Vec<(&str, FieldValue<'static>)> = fields
                .iter()
                .filter_map(|(k, v)| field_value(*k, *v))
                .collect();
            values.sort_by_key(|(name, _)| *name);
            values.dedup_by_key(|(name, _)| *name);
            let refs: Vec<(&str, &FieldValue<'_>)> = values.iter().map(|(n, v)| (*n, v)).collect();
            chunk.push_row(key, tags, &refs, *time, i as u64);
        }
        chunk
    }

    /// `batch` with dictionary columns as plain strings (stretches build
    /// dictionaries of their own rows' values).
    fn plain(batch: &RecordBatch) -> RecordBatch {
        let columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| match c.data_type() {
                arrow::datatypes::DataType::Dictionary(_, _) => {
                    arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).unwrap()
                }
                _ => c.clone(),
            })
            .collect();
        let fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .zip(&columns)
            .map(|(f, c)| Field::new(f.name(), c.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    }
}
