//! Reading a measurement through DataFusion: time range and condition pushed
//! into the scan, rows grouped into series by the `GROUP BY` tags and sorted
//! by time.

use almanac_catalog::MeasurementSchema;
use almanac_influxql::Expr;
use almanac_storage::schema::{field_column_name, TIME_COLUMN};
use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, TableReference};
use datafusion::logical_expr::{cast, col, lit, Expr as DfExpr};
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
    /// One column per requested [`ColumnRef`], aligned with `times`.
    pub columns: Vec<Vec<Value>>,
    /// Rank of each row's series key (rows at the same time are ordered by
    /// series key, as InfluxDB merges series); empty when not needed.
    pub series: Vec<u32>,
}

/// What to read from one measurement.
pub struct ScanRequest<'a> {
    /// Database.
    pub db: &'a str,
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
            cast(col(quoted(&c.name)), DataType::Utf8)
        } else {
            lit(ScalarValue::Utf8(None))
        };
    }
    if schema.fields.contains_key(&c.name) {
        DfExpr::Column(quoted(&field_column_name(&c.name, is_tag)))
    } else if is_tag {
        cast(col(quoted(&c.name)), DataType::Utf8)
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

/// Runs the scan and groups its rows.
pub async fn scan(ctx: &SessionContext, req: &ScanRequest<'_>) -> Result<Vec<Group>, ExecError> {
    let batches = scan_frame(ctx, req).await?.collect().await?;
    let series_tags: Vec<&str> = if series_key_needed(req) {
        req.schema.tags.iter().map(String::as_str).collect()
    } else {
        Vec::new()
    };
    group_batches(
        &batches,
        &Layout {
            n_tags: req.group_tags.len(),
            n_cols: req.columns.len(),
            series_tags: &series_tags,
        },
        req.budget.as_ref(),
    )
}

/// Converts an Arrow column to values.
pub fn to_values(a: &dyn Array) -> Result<Vec<Value>, ExecError> {
    let column = ValueColumn::new(a)?;
    Ok((0..a.len()).map(|row| column.value(row)).collect())
}
