//! The Flux data source over the storage engine: `from |> range |> filter`
//! reads, `to()` writes and `buckets()`.
//!
//! It lives in the server (not in `almanac-query`) because it joins three
//! crates that do not otherwise know each other — `almanac-flux` (the trait
//! and the table model), `almanac-storage` (snapshots, the write path) and the
//! bucket naming of the HTTP API — and because it reads storage snapshots
//! directly: Flux wants one table per (series, field) sorted by time, which a
//! snapshot read grouped by series gives without a DataFusion plan.
//!
//! Pushdown: the time range selects partitions and files (and rows), the
//! measurement list selects which measurements are read at all, the field list
//! which field columns are loaded, and tag equalities become storage
//! [`TagFilter`]s that skip files and drop rows of other series before merging.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_catalog::{DatabaseDef, MeasurementSchema, Privilege, UserDef};
use almanac_flux::{
    series_table_with, BucketInfo, ColType, ConstColumns, Edge, FluxSource, PushdownPredicate,
    SeriesData, SeriesRead, Table, Value, WritePoint,
};
use almanac_lineproto::{write_line, FieldValue, Precision};
use almanac_storage::files::SeriesEnds;
use almanac_storage::schema::{field_column_name, measurement_schema, TIME_COLUMN};
use almanac_storage::{Storage, TagFilter};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, Float64Array, Int64Array, RecordBatch,
    StringArray, UInt32Array, UInt64Array,
};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type,
};

/// Maps a Flux bucket name to (database, retention policy): `db/rp`, or `db`
/// for the database's default retention policy (as `/api/v2/write` does).
/// The one place to replace when buckets get their own catalog entries.
pub fn resolve_bucket(storage: &Storage, bucket: &str) -> Option<(Arc<DatabaseDef>, String)> {
    let (db, rp) = match bucket.split_once('/') {
        Some((db, rp)) => (db, Some(rp).filter(|r| !r.is_empty())),
        None => (bucket, None),
    };
    let def = storage.catalog().database(db)?;
    let rp = def.rp(rp)?.name.clone();
    Some((def, rp))
}

/// Flux's source over one storage engine, reading and writing as one user.
pub struct StorageFluxSource {
    storage: Arc<Storage>,
    runtime: tokio::runtime::Handle,
    /// `Some` when authorization is enforced: the user (if any) the request
    /// authenticated as.
    auth: Option<Option<Arc<UserDef>>>,
    /// Set for `/api/v2/query`: buckets resolve through the v2 catalog (name
    /// or id, within the request's org) and the caller's permissions apply.
    v2: Option<V2Access>,
}

/// The v2 API's view of a request: who asks, within which organization.
pub struct V2Access {
    /// Server state (catalog, settings).
    pub state: crate::AppState,
    /// The authenticated caller.
    pub principal: crate::v2::token_auth::Principal,
    /// `org` of the request.
    pub org: Option<String>,
    /// `orgID` of the request.
    pub org_id: Option<String>,
}

/// A v2 API error as the Flux error of the same meaning.
fn flux_error(e: crate::error::ApiError) -> almanac_flux::Error {
    if e.status == axum::http::StatusCode::NOT_FOUND {
        almanac_flux::Error::NotFound(e.message)
    } else {
        almanac_flux::Error::PermissionDenied(e.message)
    }
}

impl StorageFluxSource {
    /// A source over `storage`; `runtime` runs the async write path for `to()`
    /// (queries themselves run on a blocking thread).
    pub fn new(storage: Arc<Storage>, runtime: tokio::runtime::Handle) -> Self {
        StorageFluxSource {
            storage,
            runtime,
            auth: None,
            v2: None,
        }
    }

    /// Resolve buckets and check access as the v2 API does for `access`.
    pub fn with_v2(mut self, access: V2Access) -> Self {
        self.v2 = Some(access);
        self
    }

    /// The database and retention policy of `bucket`, once the caller may
    /// read (or write) it.
    fn locate(
        &self,
        bucket: &str,
        need: Privilege,
    ) -> almanac_flux::Result<(Arc<DatabaseDef>, String)> {
        let Some(v2) = &self.v2 else {
            let (db, rp) =
                resolve_bucket(&self.storage, bucket).ok_or_else(|| not_found(bucket))?;
            self.check(&db.name, need)?;
            return Ok((db, rp));
        };
        let (db, rp) = crate::v2::token_auth::resolve_bucket(
            &v2.state,
            v2.org.as_deref(),
            v2.org_id.as_deref(),
            bucket,
        )
        .map_err(|_| not_found(bucket))?;
        let action = if need == Privilege::Write {
            almanac_catalog::Action::Write
        } else {
            almanac_catalog::Action::Read
        };
        crate::v2::token_auth::check_bucket(&v2.state, &v2.principal, (&db, &rp), action)
            .map_err(flux_error)?;
        let def = self
            .storage
            .catalog()
            .database(&db)
            .ok_or_else(|| not_found(bucket))?;
        Ok((def, rp))
    }

    /// The series of a read, in table order (measurements, then series keys,
    /// then fields).
    fn series(&self, req: &SeriesRead<'_>) -> almanac_flux::Result<Vec<SeriesData>> {
        let (db, rp) = self.locate(req.bucket, Privilege::Read)?;
        let (start, stop, pred) = (req.start, req.stop, req.pred);
        let mut out = Vec::new();
        if start >= stop {
            return Ok(out);
        }
        for (name, schema) in &db.measurements {
            if !pred.accepts_measurement(name) {
                continue;
            }
            // a tag the measurement never had is null on every row: no match
            if pred.tags.iter().any(|(k, _)| !schema.tags.contains(k)) {
                continue;
            }
            read_measurement(&self.storage, &db, &rp, schema, req, &mut out)?;
        }
        Ok(out)
    }

    /// Check every bucket read and written against `user`'s privileges.
    pub fn with_user(mut self, user: Option<Arc<UserDef>>) -> Self {
        self.auth = Some(user);
        self
    }

    fn check(&self, db: &str, need: Privilege) -> almanac_flux::Result<()> {
        let Some(user) = &self.auth else {
            return Ok(());
        };
        let what = if need == Privilege::Write {
            "write to"
        } else {
            "read from"
        };
        match user {
            Some(u) if u.authorize(db, need) => Ok(()),
            Some(u) => Err(almanac_flux::Error::PermissionDenied(format!(
                "user \"{}\" is not authorized to {what} database \"{db}\"",
                u.name
            ))),
            None => Err(almanac_flux::Error::PermissionDenied(format!(
                "a user is required to {what} database \"{db}\""
            ))),
        }
    }
}

fn source_err(e: impl std::fmt::Display) -> almanac_flux::Error {
    almanac_flux::Error::Source(e.to_string())
}

fn not_found(bucket: &str) -> almanac_flux::Error {
    almanac_flux::Error::NotFound(format!("could not find bucket \"{bucket}\""))
}

/// Points of one (series, field), in arrival order, as a typed column.
enum Points {
    Float(Vec<f64>),
    Int(Vec<i64>),
    UInt(Vec<u64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

impl Points {
    fn new(typ: ColType) -> Points {
        match typ {
            ColType::Int => Points::Int(Vec::new()),
            ColType::UInt => Points::UInt(Vec::new()),
            ColType::Bool => Points::Bool(Vec::new()),
            ColType::String => Points::Str(Vec::new()),
            _ => Points::Float(Vec::new()),
        }
    }

    /// Append row `row` of `col` (which must have this column's type);
    /// false when the array has another type.
    fn push(&mut self, col: &dyn Array, row: usize) -> bool {
        match self {
            Points::Float(v) => col
                .as_primitive_opt::<Float64Type>()
                .map(|a| v.push(a.value(row)))
                .is_some(),
            Points::Int(v) => col
                .as_primitive_opt::<Int64Type>()
                .map(|a| v.push(a.value(row)))
                .is_some(),
            Points::UInt(v) => col
                .as_primitive_opt::<UInt64Type>()
                .map(|a| v.push(a.value(row)))
                .is_some(),
            Points::Bool(v) => col.as_boolean_opt().map(|a| v.push(a.value(row))).is_some(),
            Points::Str(v) => match col.data_type() {
                DataType::Dictionary(_, _) => match TagCol::of_array(col) {
                    TagCol::Missing => false,
                    c => {
                        v.push(c.value(row).unwrap_or_default().to_string());
                        true
                    }
                },
                _ => col
                    .as_string_opt::<i32>()
                    .map(|a| v.push(a.value(row).to_string()))
                    .is_some(),
            },
        }
    }

    /// Append the non-null rows `a..b` of `col` and their times; false when
    /// the array has another type. Columns without nulls copy slices.
    fn push_range(
        &mut self,
        col: &dyn Array,
        a: usize,
        b: usize,
        times: &[i64],
        out_times: &mut Vec<i64>,
    ) -> bool {
        fn prim<T: arrow::datatypes::ArrowPrimitiveType>(
            v: &mut Vec<T::Native>,
            col: &dyn Array,
            (a, b): (usize, usize),
            times: &[i64],
            out_times: &mut Vec<i64>,
        ) -> bool {
            let Some(arr) = col.as_primitive_opt::<T>() else {
                return false;
            };
            if arr.null_count() == 0 {
                v.extend_from_slice(&arr.values()[a..b]);
                out_times.extend_from_slice(&times[a..b]);
            } else {
                for r in (a..b).filter(|r| arr.is_valid(*r)) {
                    v.push(arr.value(r));
                    out_times.push(times[r]);
                }
            }
            true
        }
        match self {
            Points::Float(v) => prim::<Float64Type>(v, col, (a, b), times, out_times),
            Points::Int(v) => prim::<Int64Type>(v, col, (a, b), times, out_times),
            Points::UInt(v) => prim::<UInt64Type>(v, col, (a, b), times, out_times),
            _ => {
                for r in (a..b).filter(|r| col.is_valid(*r)) {
                    if !self.push(col, r) {
                        return false;
                    }
                    out_times.push(times[r]);
                }
                true
            }
        }
    }

    /// Keep only the last value.
    fn keep_last(&mut self) {
        fn last<T>(v: &mut Vec<T>) {
            let n = v.len();
            if n > 1 {
                v.drain(..n - 1);
            }
        }
        match self {
            Points::Float(v) => last(v),
            Points::Int(v) => last(v),
            Points::UInt(v) => last(v),
            Points::Bool(v) => last(v),
            Points::Str(v) => last(v),
        }
    }

    fn into_array(self) -> ArrayRef {
        match self {
            Points::Float(v) => Arc::new(Float64Array::from(v)),
            Points::Int(v) => Arc::new(Int64Array::from(v)),
            Points::UInt(v) => Arc::new(UInt64Array::from(v)),
            Points::Bool(v) => Arc::new(BooleanArray::from(v)),
            Points::Str(v) => Arc::new(StringArray::from(v)),
        }
    }
}

/// Points of one (series, field).
struct Series {
    times: Vec<i64>,
    values: Points,
}

impl FluxSource for StorageFluxSource {
    fn read(
        &self,
        bucket: &str,
        start: i64,
        stop: i64,
        filter: Option<&PushdownPredicate>,
    ) -> almanac_flux::Result<Vec<Table>> {
        let all = PushdownPredicate::default();
        let req = SeriesRead {
            bucket,
            start,
            stop,
            pred: filter.unwrap_or(&all),
            edge: None,
        };
        let mut consts = ConstColumns::default();
        self.series(&req)?
            .iter()
            .map(|s| series_table_with(start, stop, s, &mut consts))
            .collect()
    }

    fn read_series(&self, req: &SeriesRead<'_>) -> almanac_flux::Result<Option<Vec<SeriesData>>> {
        self.series(req).map(Some)
    }

    fn write(&self, bucket: &str, points: &[WritePoint]) -> almanac_flux::Result<()> {
        let (db, rp) = self.locate(bucket, Privilege::Write)?;
        let mut body = String::new();
        for p in points {
            let tags: Vec<(&str, &str)> = p
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let fields: Vec<(&str, FieldValue<'_>)> = p
                .fields
                .iter()
                .filter_map(|(k, v)| {
                    let fv = match v {
                        Value::Float(x) => FieldValue::Float(*x),
                        Value::Int(x) => FieldValue::Integer(*x),
                        Value::UInt(x) => FieldValue::UInteger(*x),
                        Value::Bool(x) => FieldValue::Boolean(*x),
                        Value::String(s) => FieldValue::String(s.as_ref().into()),
                        _ => return None,
                    };
                    Some((k.as_str(), fv))
                })
                .collect();
            if fields.is_empty() {
                continue;
            }
            write_line(&mut body, &p.measurement, &tags, &fields, Some(p.time));
        }
        let storage = self.storage.clone();
        let db_name = db.name.clone();
        let write = || {
            self.runtime.block_on(async move {
                storage
                    .write(&db_name, Some(&rp), body.as_bytes(), Precision::Nanosecond)
                    .await
            })
        };
        // A script may run on a runtime worker (see `v2_query`): the
        // worker's other tasks move to another thread while this write
        // waits. Elsewhere (a blocking thread) the write just waits.
        let on_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let outcome = if on_worker {
            tokio::task::block_in_place(write)
        } else {
            write()
        }
        .map_err(source_err)?;
        match outcome.reason() {
            None => Ok(()),
            Some(reason) => Err(almanac_flux::Error::Runtime(format!(
                "to: partial write: {reason} dropped={}",
                outcome.dropped()
            ))),
        }
    }

    fn buckets(&self) -> almanac_flux::Result<Vec<BucketInfo>> {
        if let Some(v2) = &self.v2 {
            return Ok(v2_buckets(v2));
        }
        let mut out = Vec::new();
        for db in self.storage.catalog().databases() {
            if self.check(&db.name, Privilege::Read).is_err() {
                continue;
            }
            for (name, rp) in &db.retention_policies {
                out.push(BucketInfo {
                    name: format!("{}/{}", db.name, name),
                    id: format!("{:016x}", (db.id << 16) | (out.len() as u64 & 0xffff)),
                    org_id: format!("{:016x}", 0),
                    retention_policy: name.clone(),
                    retention_period: rp.duration_ns.unwrap_or(0),
                });
            }
        }
        Ok(out)
    }
}

/// The buckets the caller may read, named and numbered as `/api/v2/buckets` does.
fn v2_buckets(v2: &V2Access) -> Vec<BucketInfo> {
    let snap = v2.state.storage.catalog().snapshot();
    let mut out = Vec::new();
    for db in snap.databases.values() {
        for (rp, def) in &db.retention_policies {
            let id = almanac_catalog::bucket_id(db.id, rp);
            let org_id = snap.bucket_org_id(&id);
            if !v2.principal.allows(
                almanac_catalog::Action::Read,
                "buckets",
                org_id.as_deref(),
                Some(&id),
            ) {
                continue;
            }
            out.push(BucketInfo {
                name: snap.bucket_name(db, rp),
                id,
                org_id: org_id.unwrap_or_default(),
                retention_policy: rp.clone(),
                retention_period: def.duration_ns.unwrap_or(0),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A tag column of a batch, decoded per row lazily.
enum TagCol<'a> {
    Dict(&'a DictionaryArray<Int32Type>, &'a StringArray),
    Plain(&'a StringArray),
    Missing,
}

impl<'a> TagCol<'a> {
    fn of(batch: &'a RecordBatch, name: &str) -> TagCol<'a> {
        match batch.column_by_name(name) {
            Some(col) => TagCol::of_array(col.as_ref()),
            None => TagCol::Missing,
        }
    }

    fn of_array(col: &'a dyn Array) -> TagCol<'a> {
        match col.data_type() {
            DataType::Dictionary(_, _) => match col.as_dictionary_opt::<Int32Type>() {
                Some(dict) => match dict.values().as_string_opt::<i32>() {
                    Some(values) => TagCol::Dict(dict, values),
                    None => TagCol::Missing,
                },
                None => TagCol::Missing,
            },
            DataType::Utf8 => TagCol::Plain(col.as_string::<i32>()),
            _ => TagCol::Missing,
        }
    }

    /// Marks in `changed` every row whose value may differ from the previous
    /// row's (row 0 is left alone): dictionary keys are compared, plain
    /// strings by value.
    fn mark_changes(&self, changed: &mut [bool]) {
        match self {
            TagCol::Dict(d, _) => {
                let keys: &[i32] = d.keys().values();
                match d.nulls().filter(|n| n.null_count() > 0) {
                    None => {
                        for row in 1..keys.len().min(changed.len()) {
                            changed[row] |= keys[row] != keys[row - 1];
                        }
                    }
                    Some(nulls) => {
                        for row in 1..keys.len().min(changed.len()) {
                            let (p, c) = (nulls.is_valid(row - 1), nulls.is_valid(row));
                            changed[row] |= p != c || (c && keys[row] != keys[row - 1]);
                        }
                    }
                }
            }
            TagCol::Plain(_) => {
                for row in 1..changed.len() {
                    if !changed[row] {
                        changed[row] = self.value(row) != self.value(row - 1);
                    }
                }
            }
            TagCol::Missing => {}
        }
    }

    fn value(&self, row: usize) -> Option<&'a str> {
        match self {
            TagCol::Dict(d, values) => {
                if d.is_null(row) {
                    return None;
                }
                let k = d.keys().value(row) as usize;
                (values.is_valid(k)).then(|| values.value(k))
            }
            TagCol::Plain(s) => s.is_valid(row).then(|| s.value(row)),
            TagCol::Missing => None,
        }
        .filter(|s| !s.is_empty())
    }
}

fn read_measurement(
    storage: &Storage,
    db: &DatabaseDef,
    rp: &str,
    schema: &MeasurementSchema,
    req: &SeriesRead<'_>,
    out: &mut Vec<SeriesData>,
) -> almanac_flux::Result<()> {
    let (start, stop, pred) = (req.start, req.stop, req.pred);
    let fields: Vec<(&String, ColType)> = schema
        .fields
        .iter()
        .filter(|(f, _)| pred.accepts_field(f))
        .map(|(f, t)| (f, col_type(*t)))
        .collect();
    if fields.is_empty() {
        return Ok(());
    }
    let table_schema = measurement_schema(schema);
    let tags: Vec<&String> = schema.tags.iter().collect();
    let mut projection = Vec::new();
    for tag in &tags {
        if let Ok(i) = table_schema.index_of(tag) {
            projection.push(i);
        }
    }
    let field_columns: Vec<String> = fields
        .iter()
        .map(|(f, _)| field_column_name(f, schema.tags.contains(*f)))
        .collect();
    for c in &field_columns {
        projection.push(table_schema.index_of(c).map_err(source_err)?);
    }
    projection.push(table_schema.index_of(TIME_COLUMN).map_err(source_err)?);
    let filters: Vec<TagFilter> = pred
        .tags
        .iter()
        .map(|(k, v)| TagFilter::new(k.clone(), v.clone()))
        .collect();
    let snapshots = storage
        .table_snapshot_filtered(db.id, rp, &schema.name, start, stop - 1, &filters)
        .map_err(source_err)?;
    // series keys (tag values), found by their hash without building the
    // key; per series one slot per field
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut keys: Vec<Vec<Option<Arc<str>>>> = Vec::new();
    // tag values, one allocation per distinct value
    let mut interned: std::collections::HashSet<Arc<str>> = std::collections::HashSet::new();
    let hasher = std::hash::RandomState::new();
    let mut series: Vec<Vec<Series>> = Vec::new();
    // An edge needs one value per field and series: files are read at that
    // end of each series only.
    let ends = req.edge.map(|edge| SeriesEnds {
        rows: 1,
        newest: matches!(edge, Edge::Last),
        counting: field_columns.clone(),
        every: true,
    });
    for mut snap in snapshots {
        snap.ends = ends.clone();
        for batch in snap
            .read(&table_schema, Some(&projection))
            .map_err(source_err)?
        {
            let times = batch
                .column_by_name(TIME_COLUMN)
                .ok_or_else(|| source_err("time column missing"))?
                .as_primitive::<TimestampNanosecondType>()
                .clone();
            let tag_cols: Vec<TagCol<'_>> = tags.iter().map(|t| TagCol::of(&batch, t)).collect();
            let value_cols: Vec<Option<&ArrayRef>> = field_columns
                .iter()
                .map(|c| batch.column_by_name(c))
                .collect();
            let n = batch.num_rows();
            let time_values: &[i64] = times.values();
            // rows where the series may change: some tag differs from the
            // previous row's (dictionary keys first, strings where they differ)
            let mut changed = vec![false; n];
            for c in &tag_cols {
                c.mark_changes(&mut changed);
            }
            let all_in_range = time_values.iter().all(|t| *t >= start && *t < stop);
            let mut current = usize::MAX;
            // runs of rows of one series inside the time range
            let mut runs: Vec<(usize, usize, usize)> = Vec::new();
            let mut run_start: Option<usize> = None;
            // a row skipped (out of range) started another series
            let mut skipped_change = false;
            for row in 0..n {
                if !all_in_range {
                    let t = time_values[row];
                    if t < start || t >= stop {
                        if let Some(a) = run_start.take() {
                            runs.push((current, a, row));
                        }
                        skipped_change |= changed[row];
                        continue;
                    }
                }
                if current == usize::MAX || changed[row] || skipped_change {
                    skipped_change = false;
                    let hash = {
                        use std::hash::{BuildHasher, Hash, Hasher};
                        let mut h = hasher.build_hasher();
                        for c in &tag_cols {
                            c.value(row).hash(&mut h);
                        }
                        h.finish()
                    };
                    let same_key = |k: &[Option<Arc<str>>]| {
                        k.iter()
                            .zip(&tag_cols)
                            .all(|(v, c)| v.as_deref() == c.value(row))
                    };
                    let slot = index.entry(hash).or_default();
                    let next = match slot.iter().find(|&&i| same_key(&keys[i])) {
                        Some(i) => *i,
                        None => {
                            slot.push(keys.len());
                            keys.push(
                                tag_cols
                                    .iter()
                                    .map(|c| {
                                        c.value(row).map(|v| match interned.get(v) {
                                            Some(a) => a.clone(),
                                            None => {
                                                let a: Arc<str> = v.into();
                                                interned.insert(a.clone());
                                                a
                                            }
                                        })
                                    })
                                    .collect(),
                            );
                            series.push(
                                fields
                                    .iter()
                                    .map(|(_, typ)| Series {
                                        times: Vec::new(),
                                        values: Points::new(*typ),
                                    })
                                    .collect(),
                            );
                            keys.len() - 1
                        }
                    };
                    if next != current {
                        if let Some(a) = run_start.take() {
                            runs.push((current, a, row));
                        }
                        current = next;
                    }
                }
                run_start.get_or_insert(row);
            }
            if let Some(a) = run_start {
                runs.push((current, a, n));
            }
            // per run: whether its times ascend (storage sorts a source's
            // rows by series then time), so that an edge is found at once
            let ascending: Vec<bool> = match req.edge {
                Some(_) => runs
                    .iter()
                    .map(|&(_, a, b)| time_values[a..b].windows(2).all(|w| w[0] <= w[1]))
                    .collect(),
                None => Vec::new(),
            };
            for (fi, col) in value_cols.iter().enumerate() {
                let Some(col) = col else { continue };
                let unexpected = || {
                    source_err(format!(
                        "field {:?} of {:?} has an unexpected column type {}",
                        fields[fi].0,
                        schema.name,
                        col.data_type()
                    ))
                };
                for (ri, &(si, a, b)) in runs.iter().enumerate() {
                    let s = &mut series[si][fi];
                    let Some(edge) = req.edge else {
                        if !s
                            .values
                            .push_range(col.as_ref(), a, b, time_values, &mut s.times)
                        {
                            return Err(unexpected());
                        }
                        continue;
                    };
                    // one point per series is enough: the latest (the last
                    // read among equal times) or the earliest; first the
                    // run's candidate, then against what earlier runs kept
                    let mut pick: Option<usize> = None;
                    if ascending[ri] {
                        // the last valid row holds the latest time (the
                        // last read among equal ones), the first the earliest
                        pick = match edge {
                            Edge::Last => (a..b).rev().find(|r| col.is_valid(*r)),
                            Edge::First => (a..b).find(|r| col.is_valid(*r)),
                        };
                    } else {
                        for row in (a..b).filter(|r| col.is_valid(*r)) {
                            let t = time_values[row];
                            let better = match (pick, edge) {
                                (None, _) => true,
                                (Some(p), Edge::Last) => t >= time_values[p],
                                (Some(p), Edge::First) => t < time_values[p],
                            };
                            if better {
                                pick = Some(row);
                            }
                        }
                    }
                    let Some(row) = pick else { continue };
                    let t = time_values[row];
                    match edge {
                        Edge::Last if s.times.last().is_some_and(|l| *l > t) => continue,
                        Edge::First if s.times.last().is_some_and(|l| *l <= t) => continue,
                        _ => {}
                    }
                    if !s.values.push(col.as_ref(), row) {
                        return Err(unexpected());
                    }
                    s.times.push(t);
                    if s.times.len() > 1 {
                        s.times.drain(..s.times.len() - 1);
                        s.values.keep_last();
                    }
                }
            }
        }
    }
    // series in key order, fields in schema order; names shared by them
    let measurement: Arc<str> = schema.name.as_str().into();
    let field_names: Vec<Arc<str>> = fields.iter().map(|(f, _)| f.as_str().into()).collect();
    let tag_keys: Vec<Arc<str>> = tags.iter().map(|t| t.as_str().into()).collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
    out.reserve(keys.len() * fields.len());
    for si in order {
        let key = std::mem::take(&mut keys[si]);
        let mut tag_values: Vec<(Arc<str>, Arc<str>)> = tag_keys
            .iter()
            .zip(key)
            .filter_map(|(t, v)| v.map(|v| (t.clone(), v)))
            .collect();
        tag_values.sort();
        // one tag list shared by the series of every field
        let tag_values: Arc<[(Arc<str>, Arc<str>)]> = tag_values.into();
        for (fi, (_, typ)) in fields.iter().enumerate() {
            let s = std::mem::replace(
                &mut series[si][fi],
                Series {
                    times: Vec::new(),
                    values: Points::new(*typ),
                },
            );
            if s.times.is_empty() {
                continue;
            }
            out.push(sorted_series(
                measurement.clone(),
                field_names[fi].clone(),
                *typ,
                tag_values.clone(),
                s,
            )?);
        }
    }
    Ok(())
}

/// A series' points sorted by time (rows of several snapshots may arrive out
/// of order; equal times keep their arrival order).
fn sorted_series(
    measurement: Arc<str>,
    field: Arc<str>,
    typ: ColType,
    tags: Arc<[(Arc<str>, Arc<str>)]>,
    s: Series,
) -> almanac_flux::Result<SeriesData> {
    let mut times = s.times;
    let mut values = s.values.into_array();
    if !times.windows(2).all(|w| w[0] <= w[1]) {
        let mut order: Vec<u32> = (0..times.len() as u32).collect();
        order.sort_by_key(|&i| times[i as usize]);
        times = order.iter().map(|&i| times[i as usize]).collect();
        values = arrow::compute::take(values.as_ref(), &UInt32Array::from(order), None)
            .map_err(source_err)?;
    }
    Ok(SeriesData {
        measurement,
        tags,
        field,
        typ,
        times,
        values,
    })
}

fn col_type(t: almanac_catalog::FieldType) -> ColType {
    use almanac_catalog::FieldType;
    match t {
        FieldType::Float => ColType::Float,
        FieldType::Integer => ColType::Int,
        FieldType::UInteger => ColType::UInt,
        FieldType::String => ColType::String,
        FieldType::Boolean => ColType::Bool,
    }
}
