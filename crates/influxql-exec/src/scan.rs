//! Reading a measurement: time range and series filters pushed into storage,
//! the rest of the condition evaluated on the rows read, rows grouped into
//! series by the `GROUP BY` tags and sorted by time.

use std::sync::Arc;

use almanac_catalog::MeasurementSchema;
use almanac_influxql::Expr;
use almanac_query::tag_filter;
use almanac_storage::files::SeriesEnds;
use almanac_storage::schema::{field_column_name, measurement_schema, TIME_COLUMN};
use almanac_storage::{PartitionSnapshot, Storage, TagFilter};
use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, RecordBatch,
};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimestampNanosecondType};
use datafusion::common::{ScalarValue, TableReference};
use datafusion::logical_expr::{cast as df_cast, col, lit, Expr as DfExpr, Operator};
use datafusion::prelude::SessionContext;

use crate::condition::{quoted, to_filter};
pub use crate::group::RowBudget;
use crate::group::{group_batches, Layout, ValueColumn};
use crate::result::Value;
use crate::time::TimeRange;
use crate::ExecError;

/// A column a statement reads, by the key its expressions use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnRef {
    /// Field or tag name.
    pub name: String,
    /// True when the reference asked for the tag (`::tag`).
    pub tag: bool,
}

impl ColumnRef {
    /// The key expressions look the column up by.
    pub fn key(&self) -> String {
        if self.tag {
            format!("{}::tag", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// The rows of one series group, sorted by time.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Values of the `GROUP BY` tags ("" when a series lacks one).
    pub key: Vec<String>,
    /// Times in ns.
    pub times: Vec<i64>,
    /// One column per requested [`ColumnRef`], aligned with `times` (empty
    /// until [`Group::materialize`] for a group a scan returned).
    pub columns: Vec<Vec<Value>>,
    /// Rank of each row's series key (rows at the same time are ordered by
    /// series key, as InfluxDB merges series); empty when not needed.
    pub series: Vec<u32>,
    /// Where `columns` are still to be read from, until
    /// [`Group::materialize`] fills them (a scan leaves them there).
    pub pending: Option<crate::group::PendingRows>,
}

/// What to read from one measurement.
pub struct ScanRequest<'a> {
    /// Database.
    pub db: &'a str,
    /// The database's catalog id (storage keys partitions by it).
    pub db_id: u64,
    /// Retention policy.
    pub rp: &'a str,
    /// Measurement schema.
    pub schema: &'a MeasurementSchema,
    /// Time range.
    pub range: TimeRange,
    /// Non-time part of the condition.
    pub condition: Option<&'a Expr>,
    /// Tags to group by.
    pub group_tags: &'a [String],
    /// Columns to return.
    pub columns: &'a [ColumnRef],
    /// Rows each group needs at most (raw `LIMIT` queries), if bounded.
    pub budget: Option<RowBudget>,
}

fn ts(t: i64) -> DfExpr {
    lit(ScalarValue::TimestampNanosecond(Some(t), None))
}

fn column_expr(c: &ColumnRef, schema: &MeasurementSchema) -> DfExpr {
    let is_tag = schema.tags.contains(&c.name);
    if c.tag {
        return if is_tag {
            df_cast(col(quoted(&c.name)), DataType::Utf8)
        } else {
            lit(ScalarValue::Utf8(None))
        };
    }
    if schema.fields.contains_key(&c.name) {
        DfExpr::Column(quoted(&field_column_name(&c.name, is_tag)))
    } else if is_tag {
        df_cast(col(quoted(&c.name)), DataType::Utf8)
    } else {
        lit(ScalarValue::Null)
    }
}

/// The DataFusion plan of a scan (before execution).
pub async fn scan_frame(
    ctx: &SessionContext,
    req: &ScanRequest<'_>,
) -> Result<datafusion::dataframe::DataFrame, ExecError> {
    let table = TableReference::full(req.db, req.rp, req.schema.name.as_str());
    let df = ctx.table(table).await?;
    let mut filter = col(TIME_COLUMN)
        .gt_eq(ts(req.range.min))
        .and(col(TIME_COLUMN).lt_eq(ts(req.range.max)));
    if let Some(c) = req.condition {
        filter = filter.and(to_filter(c, req.schema)?);
    }
    let mut exprs = vec![col(TIME_COLUMN).alias("t")];
    // Tag columns stay dictionary-encoded: grouping compares dictionary keys
    // and only looks at the strings when a row starts a new series.
    for (i, tag) in req.group_tags.iter().enumerate() {
        let e = if req.schema.tags.contains(tag) {
            col(quoted(tag))
        } else {
            lit(ScalarValue::Utf8(None))
        };
        exprs.push(e.alias(format!("g{i}")));
    }
    for (i, c) in req.columns.iter().enumerate() {
        exprs.push(column_expr(c, req.schema).alias(format!("c{i}")));
    }
    if series_key_needed(req) {
        for (i, tag) in req.schema.tags.iter().enumerate() {
            exprs.push(col(quoted(tag)).alias(format!("s{i}")));
        }
    }
    Ok(df.filter(filter)?.select(exprs)?)
}

/// Whether several series can share a group, so that rows at equal times
/// must be ordered by series key.
fn series_key_needed(req: &ScanRequest<'_>) -> bool {
    req.schema.tags.iter().any(|t| !req.group_tags.contains(t))
}

/// Groups batches laid out as [`scan_frame`] selects them.
/// Series keys (`s…` columns) are read only when `with_series`.
fn group_scanned(
    req: &ScanRequest<'_>,
    batches: &[RecordBatch],
    with_series: bool,
) -> Result<Vec<Group>, ExecError> {
    let series_tags: Vec<&str> = if with_series {
        req.schema.tags.iter().map(String::as_str).collect()
    } else {
        Vec::new()
    };
    group_batches(
        batches,
        &Layout {
            n_tags: req.group_tags.len(),
            n_cols: req.columns.len(),
            series_tags: &series_tags,
        },
        req.budget.as_ref(),
    )
}

/// The condition split into the series filters storage applies exactly and
/// the rest (conditions on fields, regexes…), which [`RowCondition`]
/// evaluates on the rows read.
fn split_condition(
    req: &ScanRequest<'_>,
    table_schema: &SchemaRef,
) -> Result<(Vec<TagFilter>, Vec<DfExpr>), ExecError> {
    let Some(condition) = req.condition else {
        return Ok((Vec::new(), Vec::new()));
    };
    let filter = to_filter(condition, req.schema)?;
    let mut conjuncts = Vec::new();
    split_conjunction(&filter, &mut conjuncts);
    let (mut series, mut rest) = (Vec::new(), Vec::new());
    for c in conjuncts {
        match tag_filter(c, table_schema) {
            Some(f) => series.push(f),
            None => rest.push(c.clone()),
        }
    }
    Ok((series, rest))
}

/// The non-series part of a condition, compiled once per scan and
/// evaluated on each batch read (rows where it is not true are dropped, as
/// a DataFusion filter does).
struct RowCondition {
    predicate: Arc<dyn datafusion::physical_plan::PhysicalExpr>,
}

impl RowCondition {
    /// Compiles the conjunction of `conjuncts` against the columns a read
    /// returns (with DataFusion's type coercion).
    fn new(conjuncts: Vec<DfExpr>, schema: &SchemaRef) -> Result<Option<Self>, ExecError> {
        let Some(condition) = conjuncts.into_iter().reduce(DfExpr::and) else {
            return Ok(None);
        };
        use datafusion::logical_expr::simplify::SimplifyContext;
        use datafusion::optimizer::simplify_expressions::ExprSimplifier;
        static COMPILER: std::sync::OnceLock<SessionContext> = std::sync::OnceLock::new();
        let df_schema = Arc::new(datafusion::common::DFSchema::try_from(
            schema.as_ref().clone(),
        )?);
        // Coerced and simplified as a plan's filter would be (regex matches
        // on tags are rewritten there, for one).
        let simplifier = ExprSimplifier::new(
            SimplifyContext::builder()
                .with_schema(df_schema.clone())
                .build(),
        );
        let condition = simplifier.simplify(simplifier.coerce(condition, &df_schema)?)?;
        let predicate = COMPILER
            .get_or_init(SessionContext::new)
            .create_physical_expr(condition, &df_schema)?;
        Ok(Some(RowCondition { predicate }))
    }

    fn filter(&self, batch: &RecordBatch) -> Result<RecordBatch, ExecError> {
        let mask = self
            .predicate
            .evaluate(batch)?
            .into_array(batch.num_rows())?;
        let mask = mask
            .as_boolean_opt()
            .ok_or_else(|| ExecError::Query("condition is not a boolean".into()))?;
        Ok(filter_record_batch(batch, mask)?)
    }
}

fn split_conjunction<'e>(e: &'e DfExpr, out: &mut Vec<&'e DfExpr>) {
    match e {
        DfExpr::BinaryExpr(b) if b.op == Operator::And => {
            split_conjunction(&b.left, out);
            split_conjunction(&b.right, out);
        }
        other => out.push(other),
    }
}

/// Runs the scan straight over storage snapshots, without a DataFusion
/// session or plan (their fixed cost dominated small queries): series
/// filters go to storage, the rest of the condition is evaluated on the
/// rows read ([`RowCondition`]). [`scan_frame`] is the same scan as a
/// DataFusion plan, for `EXPLAIN`.
pub async fn scan_direct(
    storage: &Arc<Storage>,
    req: &ScanRequest<'_>,
) -> Result<Vec<Group>, ExecError> {
    let table_schema = measurement_schema(req.schema);
    let (filters, rest) = split_condition(req, &table_schema)?;
    let snapshots = storage.table_snapshot_filtered(
        req.db_id,
        req.rp,
        &req.schema.name,
        req.range.min,
        req.range.max,
        &filters,
    )?;
    // Rows at equal times are ordered by series key; when each partition
    // (a time window of its own) reads one series, no two rows of a group
    // share a time, and the tags that make the key need not be read.
    let with_series = series_key_needed(req) && !one_series_per_window(&snapshots);
    // Columns the rest of the condition reads are read too.
    let mut wanted = direct_columns(req, with_series);
    for c in &rest {
        for column in c.column_refs() {
            if !wanted.contains(&column.name) {
                wanted.push(column.name.clone());
            }
        }
    }
    let projection: Vec<usize> = table_schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted.iter().any(|w| w == f.name()))
        .map(|(i, _)| i)
        .collect();
    let condition = RowCondition::new(rest, &Arc::new(table_schema.project(&projection)?))?;
    // A row budget counts rows that pass the whole condition: storage cannot
    // stop at a series' end when the condition may still drop rows there.
    let budget = req.budget.as_ref().filter(|_| condition.is_none());
    let ends = budget.map(|b| SeriesEnds {
        rows: b.rows,
        newest: b.from_end,
        counting: req
            .columns
            .iter()
            .zip(&b.counts)
            .filter(|(c, counts)| **counts && !c.tag && req.schema.fields.contains_key(&c.name))
            .map(|(c, _)| field_column_name(&c.name, req.schema.tags.contains(&c.name)))
            .collect(),
        every: false,
    });
    let schema = table_schema.clone();
    let condition = condition.map(Arc::new);
    let read = move |mut snapshot: PartitionSnapshot| -> Result<Vec<RecordBatch>, ExecError> {
        snapshot.ends = ends.clone();
        // The condition runs on each batch as it is decoded: a query keeps
        // the rows that pass, not the whole partition.
        let mut kept = Vec::new();
        snapshot.read_each(&schema, Some(&projection), |batch| {
            let batch = match &condition {
                Some(c) => c.filter(&batch)?,
                None => batch,
            };
            if batch.num_rows() > 0 {
                kept.push(batch);
            }
            Ok::<(), ExecError>(())
        })?;
        Ok(kept)
    };
    let estimated_rows: usize = snapshots
        .iter()
        .map(PartitionSnapshot::estimated_rows)
        .sum();
    // Small reads run here: handing them to a blocking thread and back
    // costs more than the read.
    if estimated_rows <= INLINE_READ_ROWS {
        let mut batches = Vec::new();
        for s in snapshots {
            batches.extend(read(s)?);
        }
        return group_read(req, &batches, with_series);
    }
    let tags = wanted
        .iter()
        .filter(|c| req.schema.tags.contains(*c))
        .count();
    let share = crate::scan_memory::reserve(crate::scan_memory::estimate_mib(
        estimated_rows,
        wanted.len() - tags,
        tags,
    ))
    .await;
    // Partitions are read on blocking threads, one reader per core at most,
    // each taking every n-th partition.
    let readers = cores().min(snapshots.len()).max(1);
    let mut shares: Vec<Vec<PartitionSnapshot>> = vec![Vec::new(); readers];
    for (i, s) in snapshots.into_iter().enumerate() {
        shares[i % readers].push(s);
    }
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let read = read.clone();
            tokio::task::spawn_blocking(move || {
                share.into_iter().map(&read).collect::<Result<Vec<_>, _>>()
            })
        })
        .collect();
    let mut batches = Vec::new();
    for t in tasks {
        let out = t
            .await
            .map_err(|e| ExecError::Query(format!("scan task failed: {e}")))??;
        batches.extend(out.into_iter().flatten());
    }
    let mut groups = group_read(req, &batches, with_series)?;
    if let Some(share) = &share {
        for g in &mut groups {
            g.hold_share(share);
        }
    }
    Ok(groups)
}

/// Rows a direct scan reads on the query's own thread at most.
const INLINE_READ_ROWS: usize = 32 * 1024;

/// Lays out and groups the batches a direct scan read.
fn group_read(
    req: &ScanRequest<'_>,
    batches: &[RecordBatch],
    with_series: bool,
) -> Result<Vec<Group>, ExecError> {
    let laid_out = batches
        .iter()
        .filter_map(|b| lay_out(req, b, with_series).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    group_scanned(req, &laid_out, with_series)
}

/// Whether every snapshot reads one series at most and their time windows
/// do not overlap: then no two rows read share a time unless they are of
/// one series.
fn one_series_per_window(snapshots: &[PartitionSnapshot]) -> bool {
    let mut windows: Vec<(i64, i64)> = snapshots.iter().map(|s| (s.key.start, s.key.end)).collect();
    windows.sort_unstable();
    windows.windows(2).all(|w| w[0].1 <= w[1].0)
        && snapshots.iter().all(PartitionSnapshot::single_series)
}

/// The cores this process may use, asked once: the answer comes from cgroup
/// files, and reading them cost ~12 % of a small query.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Storage columns a direct scan reads.
fn direct_columns(req: &ScanRequest<'_>, with_series: bool) -> Vec<String> {
    let mut out = vec![TIME_COLUMN.to_string()];
    out.extend(req.group_tags.iter().cloned());
    for c in req.columns {
        let is_tag = req.schema.tags.contains(&c.name);
        if !c.tag && req.schema.fields.contains_key(&c.name) {
            out.push(field_column_name(&c.name, is_tag));
        } else if is_tag {
            out.push(c.name.clone());
        }
    }
    if with_series {
        out.extend(req.schema.tags.iter().cloned());
    }
    out
}

/// One storage batch in the layout of [`scan_frame`] (`t`, `g…`, `c…`,
/// `s…`), keeping only rows in the time range; `None` when none are left.
fn lay_out(
    req: &ScanRequest<'_>,
    batch: &RecordBatch,
    with_series: bool,
) -> Result<Option<RecordBatch>, ExecError> {
    let column = |name: &str| batch.column_by_name(name).cloned();
    let time =
        column(TIME_COLUMN).ok_or_else(|| ExecError::Query("scan lost its time column".into()))?;
    let times = time.as_primitive::<TimestampNanosecondType>();
    let (min, max) = (req.range.min, req.range.max);
    let keep: Option<BooleanArray> = if times.values().iter().all(|t| *t >= min && *t <= max) {
        None
    } else {
        Some(
            times
                .values()
                .iter()
                .map(|t| Some(*t >= min && *t <= max))
                .collect(),
        )
    };
    if keep.as_ref().is_some_and(|k| k.true_count() == 0) {
        return Ok(None);
    }
    let n = batch.num_rows();
    let mut out: Vec<(String, ArrayRef)> = vec![("t".into(), time.clone())];
    for (i, tag) in req.group_tags.iter().enumerate() {
        let a = match column(tag) {
            Some(a) if req.schema.tags.contains(tag) => a,
            _ => new_null_array(&DataType::Utf8, n),
        };
        out.push((format!("g{i}"), a));
    }
    for (i, c) in req.columns.iter().enumerate() {
        let is_tag = req.schema.tags.contains(&c.name);
        // Tags stay dictionary-encoded: only the rows kept become strings.
        let a = if c.tag {
            match column(&c.name) {
                Some(a) if is_tag => a,
                _ => new_null_array(&DataType::Utf8, n),
            }
        } else if req.schema.fields.contains_key(&c.name) {
            column(&field_column_name(&c.name, is_tag))
                .unwrap_or_else(|| new_null_array(&DataType::Null, n))
        } else if is_tag {
            match column(&c.name) {
                Some(a) => a,
                None => new_null_array(&DataType::Utf8, n),
            }
        } else {
            new_null_array(&DataType::Null, n)
        };
        out.push((format!("c{i}"), a));
    }
    if with_series {
        for (i, tag) in req.schema.tags.iter().enumerate() {
            let a = column(tag).unwrap_or_else(|| new_null_array(&DataType::Utf8, n));
            out.push((format!("s{i}"), a));
        }
    }
    let laid_out = RecordBatch::try_from_iter(out)?;
    Ok(Some(match keep {
        Some(k) => filter_record_batch(&laid_out, &k)?,
        None => laid_out,
    }))
}

/// Converts an Arrow column to values.
pub fn to_values(a: &dyn Array) -> Result<Vec<Value>, ExecError> {
    let column = ValueColumn::new(a)?;
    Ok((0..a.len()).map(|row| column.value(row)).collect())
}
