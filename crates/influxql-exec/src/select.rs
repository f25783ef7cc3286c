//! `SELECT`: sources and wildcards resolved against the catalog, rows read
//! through [`crate::scan`], then windows, aggregates, fill, transformations,
//! ordering and limits applied as InfluxDB 1.x does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use almanac_catalog::{DatabaseDef, FieldType, MeasurementSchema};
use almanac_influxql::{
    function_kind, Dimension, Expr, Field, Fill, FunctionKind, MeasurementName, SelectStatement,
    Source, TimeOffset, VarType,
};

use crate::functions::{aggregate, is_multi_row, is_selector, AggArgs, AggOut, Point};
use crate::result::{Series, Value};
use crate::scan::{scan_direct, ColumnRef, Group, RowBudget, ScanRequest};
use crate::time::{split_time_condition, window_start, TimeRange};
use crate::transform::{is_math_function, is_sequence_transform, math_function, sequence};
use crate::value_ops::{as_f64, math};
use crate::{ExecError, Executor};

/// Upper bound on windows per series, so a typo'd interval cannot exhaust memory.
const MAX_WINDOWS: i64 = 1_000_000;

/// Collects `EXPLAIN` output while a statement is planned (and, for
/// `EXPLAIN ANALYZE`, run).
pub(crate) struct Trace {
    lines: std::sync::Mutex<Vec<String>>,
    plan_only: bool,
}

/// A measurement a statement reads.
/// DataFusion sessions by database, made only for scans that need one.
type Sessions = HashMap<String, datafusion::prelude::SessionContext>;

struct Input {
    db: Arc<DatabaseDef>,
    rp: String,
    schema: Arc<MeasurementSchema>,
    /// For a subquery source: its series named like this input, and which
    /// of their columns hold tag values.
    subquery: Option<(Vec<Series>, BTreeSet<String>)>,
    /// Tags a subquery's rows carry that its `*` does not show.
    hidden_tags: BTreeSet<String>,
}

/// Which fields (by name and type) a wildcard or regex argument selects.
type FieldMatcher = Box<dyn Fn(&str, FieldType) -> bool>;

/// Everything derived from the statement before any data is read.
struct Plan {
    fields: Vec<Field>,
    columns: Vec<String>,
    group_tags: Vec<String>,
    needed: Vec<ColumnRef>,
    aggregates: Vec<AggCall>,
    is_aggregate: bool,
    interval: Option<i64>,
    offset: i64,
    range: TimeRange,
    fill: Fill,
    has_transform: bool,
    tag_columns: Vec<bool>,
    /// Names of output columns holding tag values.
    tag_column_names: BTreeSet<String>,
    /// Only tags are selected: InfluxDB answers with no series.
    only_tags: bool,
    /// `ORDER BY time DESC` with transformations: they run over the
    /// reversed rows, as InfluxDB computes them.
    transform_desc: bool,
    /// Per needed column: whether it is a field (a raw row exists when one has a value).
    field_needed: Vec<bool>,
    /// Rows per series a raw `LIMIT` query can return (the scan drops the rest).
    budget: Option<RowBudget>,
    /// When `range` was widened by one window for the transformations of
    /// aggregates: the first and last window starts that are output.
    output_windows: Option<(i64, i64)>,
}

/// One aggregate or selector call of the statement.
struct AggCall {
    /// The type of the result when it is not a float: numeric `fill()`
    /// values are cast to it, as influxd's fill iterators do.
    out_type: Option<FieldType>,
    key: String,
    name: String,
    input: Option<ColumnRef>,
    count_distinct: bool,
    args: AggArgs,
    tag_args: Vec<ColumnRef>,
}

impl Executor {
    /// Runs a `SELECT` against database `db` (default RP `rp` when sources
    /// do not name one) and returns its series.
    pub(crate) async fn select(
        &self,
        stmt: &SelectStatement,
        db: &str,
        rp: Option<&str>,
        now: i64,
    ) -> Result<Vec<Series>, ExecError> {
        Ok(self.select_with_tags(stmt, db, rp, now, None).await?.0)
    }

    /// `EXPLAIN [ANALYZE]`: the lines of the `QUERY PLAN` / `EXPLAIN ANALYZE` series.
    pub(crate) async fn explain(
        &self,
        stmt: &SelectStatement,
        db: &str,
        rp: Option<&str>,
        now: i64,
        analyze: bool,
    ) -> Result<Vec<String>, ExecError> {
        let trace = Trace {
            lines: std::sync::Mutex::new(Vec::new()),
            plan_only: !analyze,
        };
        let started = std::time::Instant::now();
        let (series, _) = self
            .select_with_tags(stmt, db, rp, now, Some(&trace))
            .await?;
        let mut lines = trace.lines.into_inner().unwrap_or_default();
        if analyze {
            let rows: usize = series.iter().map(|s| s.values.len()).sum();
            lines.insert(0, format!("total_time: {:?}", started.elapsed()));
            lines.push(format!("result: {} series, {rows} rows", series.len()));
        }
        Ok(lines)
    }

    /// Like [`Self::select`], also naming the result columns that hold tag
    /// values (a subquery's outer statement treats them as tags).
    async fn select_with_tags(
        &self,
        stmt: &SelectStatement,
        db: &str,
        rp: Option<&str>,
        now: i64,
        trace: Option<&Trace>,
    ) -> Result<(Vec<Series>, BTreeSet<String>), ExecError> {
        let tz = match &stmt.timezone {
            Some(name) => Some(
                name.parse::<chrono_tz::Tz>()
                    .map_err(|_| ExecError::Query(format!("unable to find time zone {name}")))?,
            ),
            None => None,
        };
        let (mut range, condition) = split_time_condition(stmt.condition.as_ref(), now, tz)?;
        let (mut inputs, tags_without_data) = self.resolve_sources(stmt, db, rp)?;
        let mut sub_series = Vec::new();
        let mut sub_tags = BTreeSet::new();
        let mut has_subquery = false;
        let mut hide_series_tags = false;
        // Every subquery aggregates into one window per series: influxd then
        // hands the outer statement their rows series by series.
        let mut inner_rows_by_series = true;
        for source in &stmt.sources {
            if let Source::Subquery(inner) = source {
                let mut inner = (**inner).clone();
                narrow_time(&mut inner, range);
                // Raw rows of a subquery keep their series' tags, so the
                // outer statement can group by any of them.
                let inner_raw = !inner.fields.iter().any(|f| contains_aggregate(&f.expr));
                let inner_windows = inner.group_by_interval().is_some_and(|i| i > 0);
                inner_rows_by_series &= !inner_raw && !inner_windows;
                if inner_raw
                    && !inner
                        .dimensions
                        .iter()
                        .any(|d| matches!(d, Dimension::Wildcard))
                {
                    inner.dimensions.push(Dimension::Wildcard);
                    hide_series_tags = true;
                }
                let (series, tags) =
                    Box::pin(self.select_with_tags(&inner, db, rp, now, None)).await?;
                sub_series.extend(series);
                sub_tags.extend(tags);
                has_subquery = true;
            }
        }
        if has_subquery {
            inputs.extend(subquery_inputs(
                sub_series,
                sub_tags,
                db,
                self,
                hide_series_tags,
            )?);
        }
        let plan_fields = expand_fields(stmt, &inputs, &tags_without_data)?;
        let is_aggregate = plan_fields.iter().any(|f| contains_aggregate(&f.expr));
        // influxd: `time(0s)` is no interval at all; a negative interval counts
        // as one for the checks but groups nothing (one window, as without it).
        let declared = stmt.group_by_interval().filter(|i| *i != 0);
        if declared.is_some() && !is_aggregate {
            return Err(ExecError::Query(
                "GROUP BY requires at least one aggregate function".into(),
            ));
        }
        if declared.is_some() && !range.has_max() {
            range.max = now;
        }
        let interval = declared.filter(|i| *i > 0);
        let offset = match (interval, stmt.group_by_offset()) {
            // The offset is only read for a positive interval.
            (None, _) | (_, None) => 0,
            (Some(i), Some(TimeOffset::Duration(d))) => d.rem_euclid(i),
            (Some(_), Some(TimeOffset::Now)) => now,
            (Some(_), Some(TimeOffset::Time(t))) => {
                return Err(ExecError::Query(format!(
                    "invalid time dimension offset: {}",
                    almanac_influxql::quote_string(t)
                )))
            }
        };
        let offset = match (interval, tz) {
            (Some(i), Some(tz)) if i >= 3_600_000_000_000 => offset - tz_offset_ns(tz, range, now),
            _ => offset,
        };
        let mut plan = build_plan(
            plan_fields,
            stmt,
            &inputs,
            is_aggregate,
            (declared, interval),
            offset,
            range,
        )?;
        let (schema_fields, schema_tags) = union_schema(&inputs);
        crate::types::check_field_types(
            plan.fields.iter().map(|f| &f.expr),
            &schema_fields,
            &schema_tags,
        )?;
        widen_for_transforms(&mut plan, stmt.order_desc);
        if inputs.is_empty() || range.is_empty() || plan.only_tags {
            return Ok((Vec::new(), BTreeSet::new()));
        }

        let mut sessions = Sessions::new();
        let mut read = ReadContext {
            inputs: &inputs,
            condition: condition.as_ref(),
            trace,
            sessions: &mut sessions,
            subquery_rows_by_series: inner_rows_by_series,
        };
        let scanned = match leading_windows(stmt, &plan, has_subquery) {
            Some(n) => {
                self.scan_leading_windows(&mut read, &mut plan, stmt, n)
                    .await?
            }
            None => self.scan_inputs(&mut read, &plan).await?,
        };
        let first_time = first_time(&scanned).unwrap_or(i64::MAX);
        if !plan.range.has_min() && first_time != i64::MAX && plan.interval.is_some() {
            plan.range.min = first_time;
        }

        let raw_from_storage = !plan.is_aggregate && !plan.has_transform && !has_subquery;
        let mut series = Vec::new();
        for (name, groups) in scanned {
            for g in groups {
                let tags: BTreeMap<String, String> = plan
                    .group_tags
                    .iter()
                    .cloned()
                    .zip(g.key.iter().cloned())
                    .collect();
                let mut g = g;
                let (times, rows) = match raw_rows_pending(&plan, &g) {
                    Some(rows) => rows,
                    None => {
                        g.materialize();
                        if plan.transform_desc && !plan.is_aggregate {
                            reverse_group(&mut g);
                        }
                        if plan.is_aggregate {
                            evaluate_aggregate(&plan, &g)?
                        } else {
                            evaluate_raw(&plan, &g)?
                        }
                    }
                };
                drop(g);
                if rows.is_empty() {
                    continue;
                }
                let mut values: Vec<Vec<Value>> = times
                    .into_iter()
                    .zip(rows)
                    .filter(|(t, _)| {
                        plan.output_windows
                            .is_none_or(|(first, last)| (first..=last).contains(t))
                    })
                    .map(|(t, mut r)| {
                        r.insert(0, Value::Time(t));
                        r
                    })
                    .collect();
                if stmt.order_desc && !plan.transform_desc {
                    reverse_windows(&plan, &mut values);
                }
                let offset = stmt.offset.unwrap_or(0) as usize;
                let values: Vec<Vec<Value>> = match stmt.limit {
                    Some(l) if l > 0 => values.into_iter().skip(offset).take(l as usize).collect(),
                    // influxd 1.6.7 answers a raw query with an OFFSET but no
                    // LIMIT (or LIMIT 0) with the one row after the offset.
                    _ if offset > 0 && raw_from_storage => {
                        values.into_iter().skip(offset).take(1).collect()
                    }
                    _ => values.into_iter().skip(offset).collect(),
                };
                if values.is_empty() {
                    continue;
                }
                series.push(Series {
                    name: name.clone(),
                    tags,
                    columns: plan.columns.clone(),
                    values,
                    csv_name_columns: Vec::new(),
                });
            }
        }
        series.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.tags.cmp(&b.tags)));
        if stmt.order_desc {
            series.reverse();
        }
        let soffset = stmt.soffset.unwrap_or(0) as usize;
        let series: Vec<Series> = match stmt.slimit {
            Some(l) if l > 0 => series.into_iter().skip(soffset).take(l as usize).collect(),
            _ => series.into_iter().skip(soffset).collect(),
        };
        Ok((series, plan.tag_column_names))
    }

    /// Reads every input over `plan.range`; one entry per measurement.
    async fn scan_inputs(
        &self,
        read: &mut ReadContext<'_>,
        plan: &Plan,
    ) -> Result<Vec<(String, Vec<Group>)>, ExecError> {
        let mut scanned: Vec<(String, Vec<Group>)> = Vec::new();
        for input in read.inputs {
            let groups = match &input.subquery {
                Some((series, tag_columns)) => crate::subquery::groups(
                    series,
                    tag_columns,
                    &plan.group_tags,
                    &plan.needed,
                    plan.range,
                    read.condition,
                    read.subquery_rows_by_series && !plan.is_aggregate,
                )?,
                None => match read.trace {
                    Some(trace) => {
                        self.traced_scan(trace, read.sessions, input, plan, read.condition)
                            .await?
                    }
                    None => self.scan_one(input, plan, read.condition).await?,
                },
            };
            scanned.push((input.schema.name.clone(), groups));
        }
        Ok(merge_same_measurements(scanned))
    }

    /// Reads only the time range of the `n` windows a `LIMIT` keeps (see
    /// [`leading_windows`]), narrowing `plan.range` to them. Without a lower
    /// time bound the windows start at the first point: the oldest time
    /// storage holds is a guess checked against the rows read (a delete or
    /// the condition can drop the oldest rows), and a wrong guess reads again.
    async fn scan_leading_windows(
        &self,
        read: &mut ReadContext<'_>,
        plan: &mut Plan,
        stmt: &SelectStatement,
        n: i64,
    ) -> Result<Vec<(String, Vec<Group>)>, ExecError> {
        let interval = plan.interval.expect("leading windows need an interval");
        let span = n.saturating_mul(interval);
        let full = plan.range;
        let scanned = if stmt.order_desc {
            // The last `n` windows up to the upper bound (there is a lower one).
            let last = window_start(full.max, interval, plan.offset);
            let first = last.saturating_sub(span.saturating_sub(interval));
            plan.range.min = full.min.max(first);
            self.scan_inputs(read, plan).await?
        } else {
            let guess = if full.has_min() {
                Some(full.min)
            } else {
                self.oldest_stored_time(read.inputs)?
            };
            let Some(guess) = guess else {
                return self.scan_inputs(read, plan).await;
            };
            let start = window_start(guess, interval, plan.offset);
            plan.range.max = full.max.min(start.saturating_add(span).saturating_sub(1));
            let scanned = self.scan_inputs(read, plan).await?;
            match first_time(&scanned) {
                Some(t) if full.has_min() || window_start(t, interval, plan.offset) == start => {
                    scanned
                }
                // Everything up to the narrowed bound was read, so `t` is
                // the first point: read its windows.
                Some(t) => {
                    let start = window_start(t, interval, plan.offset);
                    plan.range.max = full.max.min(start.saturating_add(span).saturating_sub(1));
                    self.scan_inputs(read, plan).await?
                }
                None => Vec::new(),
            }
        };
        // A measurement is answered (with filled windows) when it has
        // points anywhere in the statement's range: one without any in the
        // windows read needs the whole read to know.
        let answered = scanned
            .iter()
            .all(|(_, groups)| groups.iter().any(|g| !g.times.is_empty()));
        if !scanned.is_empty() && answered {
            return Ok(scanned);
        }
        plan.range = full;
        self.scan_inputs(read, plan).await
    }

    /// The oldest time stored for any (non-subquery) input; `None` when
    /// nothing is stored. Never later than the first point a scan finds.
    fn oldest_stored_time(&self, inputs: &[Input]) -> Result<Option<i64>, ExecError> {
        let mut oldest: Option<i64> = None;
        for input in inputs.iter().filter(|i| i.subquery.is_none()) {
            for snapshot in self.storage().table_snapshot(
                input.db.id,
                &input.rp,
                &input.schema.name,
                i64::MIN,
                i64::MAX,
            )? {
                if let Some(t) = snapshot.oldest_time() {
                    oldest = Some(oldest.map_or(t, |o| o.min(t)));
                }
            }
        }
        Ok(oldest)
    }

    /// The DataFusion session of `db`, made on first use.
    fn session<'s>(
        &self,
        sessions: &'s mut Sessions,
        db: &str,
    ) -> Result<&'s datafusion::prelude::SessionContext, ExecError> {
        if !sessions.contains_key(db) {
            sessions.insert(db.to_string(), self.engine().session(db)?);
        }
        Ok(&sessions[db])
    }

    async fn scan_one(
        &self,
        input: &Input,
        plan: &Plan,
        condition: Option<&Expr>,
    ) -> Result<Vec<Group>, ExecError> {
        let req = ScanRequest {
            db: &input.db.name,
            db_id: input.db.id,
            rp: &input.rp,
            schema: &input.schema,
            range: plan.range,
            condition,
            group_tags: &plan.group_tags,
            columns: &plan.needed,
            budget: plan.budget.clone(),
        };
        scan_direct(self.storage(), &req).await
    }

    async fn traced_scan(
        &self,
        trace: &Trace,
        sessions: &mut Sessions,
        input: &Input,
        plan: &Plan,
        condition: Option<&Expr>,
    ) -> Result<Vec<Group>, ExecError> {
        let req = ScanRequest {
            db: &input.db.name,
            db_id: input.db.id,
            rp: &input.rp,
            schema: &input.schema,
            range: plan.range,
            condition,
            group_tags: &plan.group_tags,
            columns: &plan.needed,
            budget: plan.budget.clone(),
        };
        let push = |line: String| {
            if let Ok(mut lines) = trace.lines.lock() {
                lines.push(line);
            }
        };
        let fields: Vec<String> = plan.fields.iter().map(|f| f.expr.to_string()).collect();
        push(format!("EXPRESSION: {}", fields.join(", ")));
        push(format!(
            "SOURCE: {}.{}.{}",
            input.db.name, input.rp, input.schema.name
        ));
        if trace.plan_only {
            let ctx = self.session(sessions, &input.db.name)?;
            let frame = crate::scan::scan_frame(ctx, &req).await?;
            let logical = frame.into_optimized_plan()?;
            for line in logical.display_indent().to_string().lines() {
                push(format!("PLAN: {line}"));
            }
            return Ok(Vec::new());
        }
        let started = std::time::Instant::now();
        let groups = scan_direct(self.storage(), &req).await?;
        let rows: usize = groups.iter().map(|g| g.times.len()).sum();
        push(format!(
            "scan: {} series, {rows} rows in {:?}",
            groups.len(),
            started.elapsed()
        ));
        Ok(groups)
    }

    /// The measurements a statement reads, and the tags of those a regex
    /// source matches that have no data in its retention policy (influxd's
    /// tag index is per database, so `*` still shows them).
    fn resolve_sources(
        &self,
        stmt: &SelectStatement,
        db: &str,
        rp: Option<&str>,
    ) -> Result<(Vec<Input>, BTreeSet<String>), ExecError> {
        let catalog = self.storage().catalog();
        let mut inputs: Vec<Input> = Vec::new();
        let mut tags_without_data = BTreeSet::new();
        for source in &stmt.sources {
            let m = match source {
                Source::Measurement(m) => m,
                Source::Subquery(_) => continue,
            };
            let db_name = m.database.as_deref().unwrap_or(db);
            if db_name.is_empty() {
                return Err(ExecError::Query("database name required".into()));
            }
            let def = catalog
                .database(db_name)
                .ok_or_else(|| ExecError::Query(format!("database not found: {db_name}")))?;
            let rp_name = m
                .retention_policy
                .as_deref()
                .or(if m.database.is_some() { None } else { rp })
                .unwrap_or(&def.default_rp)
                .to_string();
            if !def.retention_policies.contains_key(&rp_name) {
                return Err(ExecError::Query(format!(
                    "retention policy not found: {rp_name}"
                )));
            }
            match &m.name {
                MeasurementName::Name(n) => {
                    if let Some(schema) = def
                        .measurements
                        .get(n)
                        .and_then(|s| self.rp_schema(&def, &rp_name, s))
                    {
                        inputs.push(Input {
                            db: def.clone(),
                            rp: rp_name,
                            schema: schema.clone(),
                            subquery: None,
                            hidden_tags: BTreeSet::new(),
                        });
                    }
                }
                MeasurementName::Regex(re) => {
                    let re = regex::Regex::new(re).map_err(|e| {
                        ExecError::Query(format!("invalid regular expression: {e}"))
                    })?;
                    for (name, schema) in &def.measurements {
                        if !re.is_match(name) {
                            continue;
                        }
                        match self.rp_schema(&def, &rp_name, schema) {
                            Some(schema) => inputs.push(Input {
                                db: def.clone(),
                                rp: rp_name.clone(),
                                schema: schema.clone(),
                                subquery: None,
                                hidden_tags: BTreeSet::new(),
                            }),
                            None => tags_without_data.extend(schema.tags.iter().cloned()),
                        }
                    }
                }
            }
        }
        inputs.sort_by(|a, b| a.schema.name.cmp(&b.schema.name));
        inputs
            .dedup_by(|a, b| a.schema.name == b.schema.name && a.rp == b.rp && a.db.id == b.db.id);
        Ok((inputs, tags_without_data))
    }
}

/// What the scans of one statement read with.
struct ReadContext<'a> {
    inputs: &'a [Input],
    condition: Option<&'a Expr>,
    trace: Option<&'a Trace>,
    sessions: &'a mut Sessions,
    /// Subquery rows are handed over series by series (see `select_with_tags`).
    subquery_rows_by_series: bool,
}

/// The time of the first row scanned, if any.
fn first_time(scanned: &[(String, Vec<Group>)]) -> Option<i64> {
    scanned
        .iter()
        .flat_map(|(_, groups)| groups.iter().filter_map(|g| g.times.first().copied()))
        .min()
}

/// How many windows of a `GROUP BY time()` statement its `LIMIT` and
/// `OFFSET` can reach, when only those need to be read: every window then
/// gives exactly one row whose value depends on that window's points alone
/// (no `fill(none)`, which skips windows, or `fill(linear)`, which looks at
/// the next one; no transformation, multi-row selector or `integral()`,
/// which carries across windows; no subquery). Only without `GROUP BY`
/// tags: which series are answered depends on points anywhere in the
/// range (for each measurement that is checked after the read; for tag
/// groups it is not known without reading them all). `ORDER BY time DESC` needs
/// a lower time bound (without one, the windows start at the first point,
/// which only a full read finds).
fn leading_windows(stmt: &SelectStatement, plan: &Plan, has_subquery: bool) -> Option<i64> {
    let limit = stmt.limit.filter(|l| *l > 0)?;
    plan.interval?;
    let window_local = plan.is_aggregate
        && plan.group_tags.is_empty()
        && !plan.has_transform
        && plan.output_windows.is_none()
        && !has_subquery
        && matches!(
            plan.fill,
            Fill::Null | Fill::Previous | Fill::Number(_) | Fill::Integer(_)
        )
        && plan
            .aggregates
            .iter()
            .all(|a| !is_multi_row(&a.name) && a.name != "integral")
        && (!stmt.order_desc || plan.range.has_min());
    if !window_local {
        return None;
    }
    i64::try_from(limit)
        .ok()?
        .checked_add(i64::try_from(stmt.offset.unwrap_or(0)).ok()?)
}

/// Gives a subquery the outer statement's time range where it has none of
/// its own bounds (InfluxDB propagates the outer range inward).
fn narrow_time(inner: &mut SelectStatement, outer: TimeRange) {
    use almanac_influxql::BinaryOp;
    let mut cond = inner.condition.take();
    let mut add = |op: BinaryOp, t: i64| {
        let c = Expr::binary(op, Expr::var("time"), Expr::Integer(t));
        cond = Some(match cond.take() {
            Some(existing) => Expr::binary(BinaryOp::And, Expr::Paren(Box::new(existing)), c),
            None => c,
        });
    };
    if outer.has_min() {
        add(BinaryOp::GtEq, outer.min);
    }
    if outer.has_max() {
        add(BinaryOp::LtEq, outer.max);
    }
    inner.condition = cond;
}

/// The inputs a subquery's series form: one per series name, with a schema
/// inferred from the values (columns are fields, series tags are tags).
fn subquery_inputs(
    series: Vec<Series>,
    tag_columns: BTreeSet<String>,
    db: &str,
    exec: &Executor,
    hide_series_tags: bool,
) -> Result<Vec<Input>, ExecError> {
    let def = match exec.storage().catalog().database(db) {
        Some(d) => d,
        None => return Err(ExecError::Query(format!("database not found: {db}"))),
    };
    let mut by_name: BTreeMap<String, Vec<Series>> = BTreeMap::new();
    for s in series {
        by_name.entry(s.name.clone()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (name, series) in by_name {
        let mut schema = MeasurementSchema::new(name);
        for s in &series {
            schema.tags.extend(s.tags.keys().cloned());
            for (i, c) in s.columns.iter().enumerate().skip(1) {
                if tag_columns.contains(c) {
                    schema.tags.insert(c.clone());
                    continue;
                }
                if schema.fields.contains_key(c) {
                    continue;
                }
                let t = s.values.iter().find_map(|row| match &row[i] {
                    Value::Float(_) => Some(FieldType::Float),
                    Value::Integer(_) | Value::Time(_) => Some(FieldType::Integer),
                    Value::Unsigned(_) => Some(FieldType::UInteger),
                    Value::String(_) | Value::Strings(_) => Some(FieldType::String),
                    Value::Boolean(_) => Some(FieldType::Boolean),
                    Value::Null => None,
                });
                if let Some(t) = t {
                    schema.fields.insert(c.clone(), t);
                }
            }
        }
        let hidden_tags = if hide_series_tags {
            schema.tags.difference(&tag_columns).cloned().collect()
        } else {
            BTreeSet::new()
        };
        out.push(Input {
            db: def.clone(),
            rp: def.default_rp.clone(),
            schema: Arc::new(schema),
            hidden_tags,
            subquery: Some((series, tag_columns.clone())),
        });
    }
    Ok(out)
}

fn tz_offset_ns(tz: chrono_tz::Tz, range: TimeRange, now: i64) -> i64 {
    use chrono::{Offset, TimeZone};
    let at = if range.has_min() { range.min } else { now };
    let utc = chrono::DateTime::from_timestamp_nanos(at);
    let local = tz.from_utc_datetime(&utc.naive_utc());
    local.offset().fix().local_minus_utc() as i64 * 1_000_000_000
}

fn is_aggregate_call(e: &Expr) -> bool {
    match e {
        Expr::Call { name, .. } => matches!(
            function_kind(name),
            Some(FunctionKind::Aggregate | FunctionKind::Selector)
        ),
        Expr::Distinct(_) => true,
        _ => false,
    }
}

fn contains_aggregate(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| found |= is_aggregate_call(x));
    found
}

/// Union of the measurements' fields (first type wins) and tags.
fn union_schema(inputs: &[Input]) -> (BTreeMap<String, FieldType>, BTreeSet<String>) {
    let mut fields = BTreeMap::new();
    let mut tags = BTreeSet::new();
    for i in inputs {
        for (k, t) in &i.schema.fields {
            fields.entry(k.clone()).or_insert(*t);
        }
        tags.extend(i.schema.tags.iter().cloned());
    }
    (fields, tags)
}

fn group_tags(stmt: &SelectStatement, tags: &BTreeSet<String>) -> Result<Vec<String>, ExecError> {
    let mut out = BTreeSet::new();
    for d in &stmt.dimensions {
        match d {
            Dimension::Time { .. } => {}
            Dimension::Tag(t) => {
                out.insert(t.clone());
            }
            Dimension::Wildcard => out.extend(tags.iter().cloned()),
            Dimension::Regex(r) => {
                let re = regex::Regex::new(r)
                    .map_err(|e| ExecError::Query(format!("invalid regular expression: {e}")))?;
                out.extend(tags.iter().filter(|t| re.is_match(t)).cloned());
            }
        }
    }
    Ok(out.into_iter().collect())
}

fn type_matches(t: FieldType, want: Option<VarType>) -> bool {
    match want {
        None | Some(VarType::Field) => true,
        Some(VarType::Float) => t == FieldType::Float,
        Some(VarType::Integer) => t == FieldType::Integer,
        Some(VarType::Unsigned) => t == FieldType::UInteger,
        Some(VarType::String) => t == FieldType::String,
        Some(VarType::Boolean) => t == FieldType::Boolean,
        Some(VarType::Tag) => false,
    }
}

/// Expands `*`, `*::field`, `/regex/` and `fn(*)` / `fn(/regex/)`.
fn expand_fields(
    stmt: &SelectStatement,
    inputs: &[Input],
    extra_tags: &BTreeSet<String>,
) -> Result<Vec<Field>, ExecError> {
    let (fields, mut tags) = union_schema(inputs);
    tags.extend(extra_tags.iter().cloned());
    let mut grouped: BTreeSet<String> = group_tags(stmt, &tags)?.into_iter().collect();
    // Hidden subquery tags never show in `*` (treated like grouped ones).
    for i in inputs {
        grouped.extend(i.hidden_tags.iter().cloned());
    }
    let mut out = Vec::new();
    for f in &stmt.fields {
        match &f.expr {
            Expr::Wildcard { data_type } => {
                let mut names: Vec<(String, Option<VarType>)> = Vec::new();
                if *data_type != Some(VarType::Tag) {
                    names.extend(
                        fields
                            .iter()
                            .filter(|(_, t)| type_matches(**t, *data_type))
                            .map(|(k, _)| (k.clone(), None)),
                    );
                }
                if data_type.is_none() || *data_type == Some(VarType::Tag) {
                    names.extend(tags.iter().filter(|t| !grouped.contains(*t)).map(|t| {
                        let vt = if fields.contains_key(t) {
                            Some(VarType::Tag)
                        } else {
                            None
                        };
                        (t.clone(), vt)
                    }));
                }
                names.sort_by(|a, b| a.0.cmp(&b.0));
                for (n, vt) in names {
                    out.push(Field {
                        expr: Expr::VarRef {
                            name: n,
                            data_type: vt,
                        },
                        alias: None,
                    });
                }
            }
            Expr::Regex(r) => {
                let re = regex::Regex::new(r)
                    .map_err(|e| ExecError::Query(format!("invalid regular expression: {e}")))?;
                let mut names: Vec<String> =
                    fields.keys().filter(|k| re.is_match(k)).cloned().collect();
                names.extend(
                    tags.iter()
                        .filter(|t| re.is_match(t) && !grouped.contains(*t))
                        .cloned(),
                );
                names.sort();
                names.dedup();
                for n in names {
                    out.push(Field {
                        expr: Expr::var(n),
                        alias: None,
                    });
                }
            }
            Expr::Call { name, args }
                if matches!(args.first(), Some(Expr::Wildcard { .. } | Expr::Regex(_))) =>
            {
                // Types influxd expands a wildcard argument to.
                let any_type = matches!(
                    name.as_str(),
                    "count" | "first" | "last" | "distinct" | "elapsed" | "mode" | "sample"
                );
                let with_booleans = matches!(name.as_str(), "min" | "max");
                let matcher: FieldMatcher = match &args[0] {
                    Expr::Regex(r) => {
                        let re = regex::Regex::new(r).map_err(|e| {
                            ExecError::Query(format!("invalid regular expression: {e}"))
                        })?;
                        Box::new(move |k: &str, _| re.is_match(k))
                    }
                    Expr::Wildcard { data_type } => {
                        let dt = *data_type;
                        Box::new(move |_: &str, t| type_matches(t, dt))
                    }
                    _ => unreachable!("matched above"),
                };
                for (k, t) in &fields {
                    let accepted = any_type
                        || match t {
                            FieldType::Float | FieldType::Integer | FieldType::UInteger => true,
                            FieldType::Boolean => with_booleans,
                            FieldType::String => false,
                        };
                    if !matcher(k, *t) || !accepted {
                        continue;
                    }
                    let mut new_args = args.clone();
                    new_args[0] = Expr::var(k.clone());
                    out.push(Field {
                        expr: Expr::call(name.clone(), new_args),
                        alias: Some(format!("{}_{k}", f.alias.as_deref().unwrap_or(name))),
                    });
                }
            }
            _ => out.push(f.clone()),
        }
    }
    let before = out.len();
    out.retain(|f| !f.expr.is_time_ref());
    if before > 0 && out.is_empty() {
        return Err(ExecError::Query(
            "at least 1 non-time field must be queried".into(),
        ));
    }
    Ok(out)
}

/// The name InfluxDB gives a projection without an alias.
fn column_name(e: &Expr) -> String {
    match e {
        Expr::VarRef { name, .. } => name.clone(),
        Expr::Call { name, .. } => name.clone(),
        Expr::Distinct(_) => "distinct".into(),
        Expr::Paren(inner) => column_name(inner),
        Expr::Binary { lhs, rhs, .. } => {
            let l = column_name(lhs);
            let r = column_name(rhs);
            match (l.is_empty(), r.is_empty()) {
                (false, false) => format!("{l}_{r}"),
                (false, true) => l,
                _ => r,
            }
        }
        _ => String::new(),
    }
}

fn var_ref(name: &str, data_type: Option<VarType>) -> ColumnRef {
    ColumnRef {
        name: name.to_string(),
        tag: data_type == Some(VarType::Tag),
    }
}

fn literal_f64(e: &Expr) -> Option<f64> {
    match e.unparen() {
        Expr::Integer(i) => Some(*i as f64),
        Expr::Number(f) => Some(*f),
        Expr::Unsigned(u) => Some(*u as f64),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_plan(
    fields: Vec<Field>,
    stmt: &SelectStatement,
    inputs: &[Input],
    is_aggregate: bool,
    (declared_interval, interval): (Option<i64>, Option<i64>),
    offset: i64,
    range: TimeRange,
) -> Result<Plan, ExecError> {
    let (schema_fields, tags) = union_schema(inputs);
    let group_tags = group_tags(stmt, &tags)?;
    for f in &fields {
        validate_field(&f.expr, declared_interval, stmt.limit, fields.len())?;
    }
    if fields.is_empty() && !inputs.is_empty() {
        return Err(ExecError::Query(
            "statement must have at least one field in select clause".into(),
        ));
    }
    let mut columns = vec!["time".to_string()];
    // InfluxDB reserves aliases first, then numbers repeated generated names.
    let mut used: HashMap<String, usize> = HashMap::new();
    for f in &fields {
        if let Some(a) = &f.alias {
            used.insert(a.clone(), 1);
        }
    }
    let mut tag_columns = Vec::new();
    let mut tag_column_names = BTreeSet::new();
    let mut has_transform = false;
    for f in &fields {
        let name = match &f.alias {
            Some(a) => a.clone(),
            None => {
                let base = column_name(&f.expr);
                match used.get(&base).copied() {
                    None => {
                        used.insert(base.clone(), 1);
                        base
                    }
                    Some(mut count) => loop {
                        let candidate = format!("{base}_{count}");
                        if !used.contains_key(&candidate) {
                            used.insert(candidate.clone(), 1);
                            used.insert(base.clone(), count + 1);
                            break candidate;
                        }
                        count += 1;
                    },
                }
            }
        };
        columns.push(name.clone());
        let is_tag = match &f.expr {
            Expr::VarRef { name, data_type } => {
                *data_type == Some(VarType::Tag)
                    || (tags.contains(name) && !schema_fields.contains_key(name))
            }
            _ => false,
        };
        tag_columns.push(is_tag);
        if is_tag {
            tag_column_names.insert(name);
        }
        f.expr.walk(&mut |e| {
            if let Expr::Call { name, .. } = e {
                has_transform |= is_sequence_transform(name)
                    || crate::analysis::is_technical_analysis(name)
                    || crate::analysis::is_predictor(name);
            }
        });
        // top(v, host, 2) / bottom(...) also project their tag arguments.
        if let Expr::Call { name, args } = &f.expr {
            if matches!(name.as_str(), "top" | "bottom") && args.len() > 2 {
                for a in &args[1..args.len() - 1] {
                    if let Expr::VarRef { name, .. } = a {
                        columns.push(name.clone());
                        tag_column_names.insert(name.clone());
                    }
                }
            }
        }
    }
    let only_tags = !is_aggregate && tag_columns.iter().all(|t| *t);

    let mut needed: Vec<ColumnRef> = Vec::new();
    let mut aggregates: Vec<AggCall> = Vec::new();
    let mut raw_outside = false;
    for f in &fields {
        collect(
            &f.expr,
            false,
            &mut needed,
            &mut aggregates,
            &mut raw_outside,
        )?;
    }
    let field_needed: Vec<bool> = needed
        .iter()
        .map(|c| !c.tag && schema_fields.contains_key(&c.name))
        .collect();
    for a in &mut aggregates {
        if a.input
            .as_ref()
            .is_some_and(|i| i.tag || !schema_fields.contains_key(&i.name))
        {
            a.input = None;
        }
        a.args.descending = stmt.order_desc;
        let input_type = a
            .input
            .as_ref()
            .and_then(|i| schema_fields.get(&i.name).copied());
        a.out_type = aggregate_output_type(&a.name, a.count_distinct, input_type);
    }
    if is_aggregate {
        let selectors = aggregates.iter().filter(|a| is_selector(&a.name)).count();
        if raw_outside && !(aggregates.len() == 1 && selectors == 1) {
            return Err(ExecError::Query(
                "mixing aggregate and non-aggregate queries is not supported".into(),
            ));
        }
        if let Some(multi) = aggregates.iter().find(|a| is_multi_row(&a.name)) {
            if aggregates.len() > 1 {
                return Err(ExecError::Query(format!(
                    "selector function {}() cannot be combined with other functions",
                    multi.name
                )));
            }
        }
    }
    // influxd's integral() over windows emits only the windows it saw points
    // in, whatever fill() says.
    let fill = if !aggregates.is_empty() && aggregates.iter().all(|a| a.name == "integral") {
        Fill::None
    } else {
        stmt.fill.clone()
    };
    Ok(Plan {
        fields,
        columns,
        group_tags,
        needed,
        aggregates,
        is_aggregate,
        interval,
        offset,
        range,
        fill,
        has_transform,
        tag_columns,
        tag_column_names,
        budget: match stmt.limit {
            // A raw query returns at most OFFSET + LIMIT rows per series, from
            // one end of the time order: the scan keeps only those.
            Some(limit) if limit > 0 && !is_aggregate && !has_transform => Some(RowBudget {
                rows: (limit as usize).saturating_add(stmt.offset.unwrap_or(0) as usize),
                from_end: stmt.order_desc,
                counts: field_needed.clone(),
            }),
            _ => None,
        },
        only_tags,
        field_needed,
        transform_desc: stmt.order_desc && has_transform,
        output_windows: None,
    })
}

fn push_needed(needed: &mut Vec<ColumnRef>, c: ColumnRef) {
    if !needed.contains(&c) {
        needed.push(c);
    }
}

/// Records the columns and aggregate calls an expression uses.
fn collect(
    e: &Expr,
    inside_aggregate: bool,
    needed: &mut Vec<ColumnRef>,
    aggs: &mut Vec<AggCall>,
    raw_outside: &mut bool,
) -> Result<(), ExecError> {
    match e {
        Expr::VarRef { name, data_type } => {
            if name.eq_ignore_ascii_case("time") {
                return Ok(());
            }
            if !inside_aggregate {
                *raw_outside = true;
            }
            push_needed(needed, var_ref(name, *data_type));
        }
        Expr::Distinct(name) => {
            let input = var_ref(name, None);
            push_needed(needed, input.clone());
            push_agg(
                aggs,
                e,
                "distinct",
                Some(input),
                false,
                AggArgs::default(),
                vec![],
            );
        }
        Expr::Call { name, args } if is_aggregate_call(e) => {
            let (input, count_distinct) = match args.first() {
                Some(Expr::VarRef { name, data_type }) => (Some(var_ref(name, *data_type)), false),
                Some(Expr::Distinct(inner)) if name == "count" => {
                    (Some(var_ref(inner, None)), true)
                }
                Some(Expr::Call {
                    name: inner,
                    args: inner_args,
                }) if name == "count" && inner == "distinct" => match inner_args.first() {
                    Some(Expr::VarRef { name, data_type }) => {
                        (Some(var_ref(name, *data_type)), true)
                    }
                    _ => {
                        return Err(ExecError::Query(
                            "expected field argument in distinct()".into(),
                        ))
                    }
                },
                Some(Expr::Call { .. }) => {
                    return Err(ExecError::Query(format!(
                        "expected field argument in {name}()"
                    )))
                }
                _ => {
                    return Err(ExecError::Query(format!(
                        "expected field argument in {name}()"
                    )))
                }
            };
            let mut agg_args = AggArgs::default();
            let mut tag_args = Vec::new();
            match name.as_str() {
                "top" | "bottom" => {
                    if args.len() < 2 {
                        return Err(ExecError::Query(format!(
                            "invalid number of arguments for {name}, expected at least 2, got {}",
                            args.len()
                        )));
                    }
                    let n = literal_f64(&args[args.len() - 1]).ok_or_else(|| {
                        ExecError::Query(format!(
                            "expected integer as last argument in {name}(), found {}",
                            args[args.len() - 1]
                        ))
                    })?;
                    agg_args.n = Some(n);
                    for a in &args[1..args.len() - 1] {
                        match a {
                            Expr::VarRef { name: t, .. } => {
                                let c = ColumnRef {
                                    name: t.clone(),
                                    tag: true,
                                };
                                push_needed(needed, c.clone());
                                tag_args.push(c);
                            }
                            other => {
                                return Err(ExecError::Query(format!(
                                    "only fields or tags are allowed in {name}(), found {other}"
                                )))
                            }
                        }
                    }
                }
                "percentile" | "sample" => {
                    let n = args.get(1).and_then(literal_f64).ok_or_else(|| {
                        ExecError::Query(format!(
                            "invalid number of arguments for {name}, expected 2, got {}",
                            args.len()
                        ))
                    })?;
                    agg_args.n = Some(n);
                }
                "integral" => {
                    if let Some(Expr::Duration(d)) = args.get(1) {
                        agg_args.unit = Some(*d);
                    }
                }
                _ => {
                    if args.len() != 1 {
                        return Err(ExecError::Query(format!(
                            "invalid number of arguments for {name}, expected 1, got {}",
                            args.len()
                        )));
                    }
                }
            }
            if let Some(i) = &input {
                push_needed(needed, i.clone());
            }
            push_agg(aggs, e, name, input, count_distinct, agg_args, tag_args);
        }
        Expr::Call { name, args } => {
            match function_kind(name) {
                Some(FunctionKind::Transform) => {}
                Some(FunctionKind::TechnicalAnalysis) => {
                    crate::analysis::parse_ta_args(name, args)?;
                }
                Some(FunctionKind::Predictor) => {
                    crate::analysis::parse_holt_winters_args(name, args)?;
                    if !matches!(args.first(), Some(a) if is_aggregate_call(a)) {
                        return Err(ExecError::Query(format!(
                            "must use aggregate function with {name}"
                        )));
                    }
                }
                _ if name == "now" => return Ok(()),
                _ => return Err(ExecError::Query(format!("undefined function {name}()"))),
            }
            for a in args {
                collect(a, inside_aggregate, needed, aggs, raw_outside)?;
            }
        }
        Expr::Binary { lhs, rhs, .. } => {
            collect(lhs, inside_aggregate, needed, aggs, raw_outside)?;
            collect(rhs, inside_aggregate, needed, aggs, raw_outside)?;
        }
        Expr::Paren(inner) => collect(inner, inside_aggregate, needed, aggs, raw_outside)?,
        _ => {}
    }
    Ok(())
}

fn push_agg(
    aggs: &mut Vec<AggCall>,
    e: &Expr,
    name: &str,
    input: Option<ColumnRef>,
    count_distinct: bool,
    args: AggArgs,
    tag_args: Vec<ColumnRef>,
) {
    let key = e.to_string();
    if aggs.iter().any(|a| a.key == key) {
        return;
    }
    aggs.push(AggCall {
        out_type: None,
        key,
        name: name.to_string(),
        input,
        count_distinct,
        args,
        tag_args,
    });
}

/// Rows of a table being evaluated: times and named columns.
struct Table<'a> {
    times: Vec<i64>,
    columns: HashMap<String, std::borrow::Cow<'a, [Value]>>,
    /// Default unit of derivatives (the interval for aggregated rows).
    derivative_unit: i64,
}

fn cast_value(v: &Value, to: Option<VarType>) -> Value {
    match (to, v) {
        (None | Some(VarType::Field) | Some(VarType::Tag), v) => v.clone(),
        (_, Value::Null) => Value::Null,
        (Some(VarType::Float), v) => as_f64(v).map(Value::Float).unwrap_or(Value::Null),
        (Some(VarType::Integer), Value::Integer(i)) => Value::Integer(*i),
        (Some(VarType::Integer), Value::Float(f)) => Value::Integer(*f as i64),
        (Some(VarType::Integer), Value::Unsigned(u)) => Value::Integer(*u as i64),
        (Some(VarType::Unsigned), Value::Unsigned(u)) => Value::Unsigned(*u),
        (Some(VarType::Unsigned), Value::Integer(i)) => Value::Unsigned(*i as u64),
        (Some(VarType::Unsigned), Value::Float(f)) => Value::Unsigned(*f as u64),
        (Some(VarType::String), Value::String(s)) => Value::String(s.clone()),
        (Some(VarType::Boolean), Value::Boolean(b)) => Value::Boolean(*b),
        _ => Value::Null,
    }
}

fn eval(e: &Expr, t: &Table) -> Result<Vec<Value>, ExecError> {
    let n = t.times.len();
    Ok(match e {
        Expr::VarRef { name, data_type } => {
            if name.eq_ignore_ascii_case("time") {
                return Ok(t.times.iter().map(|x| Value::Integer(*x)).collect());
            }
            let key = var_ref(name, *data_type).key();
            match t.columns.get(&key) {
                Some(col) => col.iter().map(|v| cast_value(v, *data_type)).collect(),
                None => vec![Value::Null; n],
            }
        }
        Expr::Call { .. } | Expr::Distinct(_) if is_aggregate_call(e) => {
            let key = e.to_string();
            match t.columns.get(&key) {
                Some(col) => col.to_vec(),
                None => vec![Value::Null; n],
            }
        }
        Expr::Call { name, args } if is_sequence_transform(name) => {
            let input = args.first().ok_or_else(|| {
                ExecError::Query(format!(
                    "invalid number of arguments for {name}, expected at least 1, got 0"
                ))
            })?;
            let values = eval(input, t)?;
            let (unit, window) = match name.as_str() {
                "moving_average" => {
                    let n = args.get(1).and_then(literal_f64).ok_or_else(|| {
                        ExecError::Query(format!(
                            "invalid number of arguments for moving_average, expected 2, got {}",
                            args.len()
                        ))
                    })?;
                    if n < 2.0 {
                        return Err(ExecError::Query(format!(
                            "moving_average window must be greater than 1, got {n}"
                        )));
                    }
                    (1, n as usize)
                }
                "elapsed" => (
                    match args.get(1) {
                        Some(Expr::Duration(d)) => *d,
                        _ => 1,
                    },
                    0,
                ),
                "derivative" | "non_negative_derivative" => (
                    match args.get(1) {
                        Some(Expr::Duration(d)) => *d,
                        _ => t.derivative_unit,
                    },
                    0,
                ),
                _ => (1, 0),
            };
            sequence(name, &t.times, &values, unit, window)?
        }
        Expr::Call { name, args } if crate::analysis::is_technical_analysis(name) => {
            let ta = crate::analysis::parse_ta_args(name, args)?;
            let values = eval(&args[0], t)?;
            crate::analysis::technical_analysis(name, &t.times, &values, &ta)?
        }
        Expr::Call { name, args } if is_math_function(name) => {
            let cols: Vec<Vec<Value>> =
                args.iter().map(|a| eval(a, t)).collect::<Result<_, _>>()?;
            math_function(name, &cols)?
        }
        Expr::Call { name, .. } => {
            return Err(ExecError::Query(format!("undefined function {name}()")))
        }
        Expr::Binary { op, lhs, rhs } if op.is_math() => {
            let l = eval(lhs, t)?;
            let r = eval(rhs, t)?;
            l.iter()
                .zip(r.iter())
                .map(|(a, b)| math(*op, a, b))
                .collect()
        }
        Expr::Binary { op, .. } => {
            return Err(ExecError::Query(format!(
                "invalid operator {} in field expression",
                op.as_str()
            )))
        }
        Expr::Paren(inner) => eval(inner, t)?,
        Expr::Integer(i) => vec![Value::Integer(*i); n],
        Expr::Unsigned(u) => vec![Value::Unsigned(*u); n],
        Expr::Number(f) => vec![Value::Float(*f); n],
        Expr::String(s) => vec![Value::String(s.clone()); n],
        Expr::Boolean(b) => vec![Value::Boolean(*b); n],
        Expr::Duration(d) => vec![Value::Integer(*d); n],
        Expr::Nil => vec![Value::Null; n],
        other => {
            return Err(ExecError::Query(format!(
                "invalid expression in select: {other}"
            )))
        }
    })
}

fn rows_from_columns(cols: Vec<Vec<Value>>, n: usize) -> Vec<Vec<Value>> {
    // Room for the time the answer puts first: growing every row by one
    // value would double its allocation.
    let mut rows: Vec<Vec<Value>> = (0..n).map(|_| Vec::with_capacity(cols.len() + 1)).collect();
    for col in cols {
        for (i, v) in col.into_iter().enumerate() {
            rows[i].push(v);
        }
    }
    rows
}

/// Raw rows of one series: fields evaluated per point; rows whose field
/// columns are all null are dropped.
fn evaluate_raw(plan: &Plan, g: &Group) -> Result<(Vec<i64>, Vec<Vec<Value>>), ExecError> {
    if let Some(direct) = raw_rows_direct(plan, g) {
        return Ok(direct);
    }
    let mut columns = HashMap::new();
    for (c, values) in plan.needed.iter().zip(&g.columns) {
        columns.insert(c.key(), std::borrow::Cow::Borrowed(values.as_slice()));
    }
    let table = Table {
        times: g.times.clone(),
        columns,
        derivative_unit: 1_000_000_000,
    };
    let cols: Vec<Vec<Value>> = plan
        .fields
        .iter()
        .map(|f| eval(&f.expr, &table))
        .collect::<Result<_, _>>()?;
    let rows = rows_from_columns(cols, table.times.len());
    let mut times = Vec::new();
    let mut kept = Vec::new();
    for (i, (t, row)) in table.times.into_iter().zip(rows).enumerate() {
        // A point is a row when one of the fields it reads has a value
        // (even if the expression is null); transformations emit a row only
        // where they produce a value.
        let any = if plan.has_transform {
            row.iter()
                .zip(&plan.tag_columns)
                .any(|(v, is_tag)| !is_tag && !v.is_null())
        } else {
            g.columns
                .iter()
                .zip(&plan.field_needed)
                .any(|(c, is_field)| *is_field && !c[i].is_null())
        };
        if any {
            times.push(t);
            kept.push(row);
        }
    }
    Ok((times, kept))
}

/// The columns (indices into [`Plan::needed`]) and casts of a raw
/// query whose fields all name a column read (`SELECT *`, `SELECT a, b`);
/// `None` for any other field list.
fn plain_raw_sources(plan: &Plan) -> Option<Vec<(usize, Option<VarType>)>> {
    if plan.is_aggregate || plan.has_transform {
        return None;
    }
    plan.fields
        .iter()
        .map(|f| match &f.expr {
            Expr::VarRef { name, data_type } if !name.eq_ignore_ascii_case("time") => {
                let key = var_ref(name, *data_type).key();
                let column = plan.needed.iter().position(|c| c.key() == key)?;
                Some((column, *data_type))
            }
            _ => None,
        })
        .collect()
}

/// [`evaluate_raw`] of a plain raw query ([`plain_raw_sources`]) on a group
/// whose rows are still in the batches read: each row kept is built
/// straight from the batches, without a column of values first.
fn raw_rows_pending(plan: &Plan, g: &Group) -> Option<(Vec<i64>, Vec<Vec<Value>>)> {
    let pending = g.pending.as_ref()?;
    let sources = plain_raw_sources(plan)?;
    let columns: Vec<usize> = sources.iter().map(|(c, _)| *c).collect();
    let fields: Vec<usize> = (0..plan.needed.len())
        .filter(|c| plan.field_needed[*c])
        .collect();
    let (kept, mut rows) = pending.rows_with_values(&columns, &fields);
    for row in &mut rows {
        for (v, (_, to)) in row.iter_mut().zip(&sources) {
            if !matches!(to, None | Some(VarType::Field) | Some(VarType::Tag)) {
                *v = cast_value(v, *to);
            }
        }
    }
    let times = kept.into_iter().map(|i| g.times[i]).collect();
    Some((times, rows))
}

/// [`evaluate_raw`] for a plain raw query ([`plain_raw_sources`]): rows are
/// built straight from the group's columns, without an evaluated copy of
/// each column, and only for the points kept.
fn raw_rows_direct(plan: &Plan, g: &Group) -> Option<(Vec<i64>, Vec<Vec<Value>>)> {
    let sources = plain_raw_sources(plan)?;
    let fields: Vec<&Vec<Value>> = g
        .columns
        .iter()
        .zip(&plan.field_needed)
        .filter(|(_, is_field)| **is_field)
        .map(|(c, _)| c)
        .collect();
    let mut times = Vec::new();
    let mut rows = Vec::new();
    for (i, t) in g.times.iter().enumerate() {
        // A point is a row when one of the fields it reads has a value.
        if !fields.iter().any(|c| !c[i].is_null()) {
            continue;
        }
        // Room for the time the answer puts first.
        let mut row = Vec::with_capacity(sources.len() + 1);
        row.extend(
            sources
                .iter()
                .map(|(column, to)| cast_value(&g.columns[*column][i], *to)),
        );
        times.push(*t);
        rows.push(row);
    }
    Some((times, rows))
}

/// One window of a series.
struct Window {
    start: i64,
    outs: Vec<AggOut>,
}

fn compute_windows(plan: &Plan, g: &Group) -> Result<Vec<Window>, ExecError> {
    let index: HashMap<String, usize> = plan
        .needed
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key(), i))
        .collect();
    // Row ranges per window (rows are sorted by time).
    let mut bounds: Vec<(i64, usize, usize)> = Vec::new();
    match plan.interval {
        Some(interval) => {
            let mut i = 0;
            while i < g.times.len() {
                let w = window_start(g.times[i], interval, plan.offset);
                let mut j = i;
                while j < g.times.len() && window_start(g.times[j], interval, plan.offset) == w {
                    j += 1;
                }
                bounds.push((w, i, j));
                i = j;
            }
        }
        None => {
            let start = if plan.range.has_min() {
                plan.range.min
            } else {
                0
            };
            bounds.push((start, 0, g.times.len()));
        }
    }
    // integral() over windows is one pass over the whole series (influxd
    // carries the interpolated window edge into the next window).
    let mut integrals: HashMap<usize, HashMap<i64, f64>> = HashMap::new();
    if let Some(interval) = plan.interval {
        for (ai, a) in plan.aggregates.iter().enumerate() {
            let Some(input) = a.input.as_ref().filter(|_| a.name == "integral") else {
                continue;
            };
            let col = &g.columns[index[&input.key()]];
            let points: Option<Vec<(i64, f64)>> = col
                .iter()
                .zip(&g.times)
                .filter(|(v, _)| !v.is_null())
                .map(|(v, t)| as_f64(v).map(|f| (*t, f)))
                .collect();
            // Non-numeric input keeps the per-window path and its error.
            if let Some(points) = points {
                let unit = a.args.unit.unwrap_or(1_000_000_000);
                let areas =
                    crate::functions::integral_windows(&points, interval, plan.offset, unit);
                integrals.insert(ai, areas.into_iter().collect());
            }
        }
    }
    let mut windows = Vec::with_capacity(bounds.len());
    for (start, from, to) in bounds {
        let mut outs = Vec::with_capacity(plan.aggregates.len());
        for (ai, a) in plan.aggregates.iter().enumerate() {
            if let Some(areas) = integrals.get(&ai) {
                outs.push(match areas.get(&start) {
                    Some(area) => AggOut::One {
                        value: Value::Float(*area),
                        point: None,
                    },
                    None => AggOut::Empty,
                });
                continue;
            }
            let Some(input) = &a.input else {
                outs.push(AggOut::Empty);
                continue;
            };
            let col = &g.columns[index[&input.key()]];
            let points: Vec<Point> = (from..to)
                .filter(|&r| !col[r].is_null())
                .map(|r| Point {
                    time: g.times[r],
                    value: &col[r],
                    row: r,
                })
                .collect();
            let mut args = a.args.clone();
            if !a.tag_args.is_empty() {
                let tag_cols: Vec<&Vec<Value>> = a
                    .tag_args
                    .iter()
                    .map(|t| &g.columns[index[&t.key()]])
                    .collect();
                args.tag_keys = Some(
                    (0..g.times.len())
                        .map(|r| {
                            tag_cols
                                .iter()
                                .map(|c| match &c[r] {
                                    Value::String(s) => s.clone(),
                                    _ => String::new(),
                                })
                                .collect::<Vec<_>>()
                                .join("\u{0}")
                        })
                        .collect(),
                );
            }
            let out = if a.count_distinct {
                match aggregate("distinct", &points, &args)? {
                    AggOut::Many(v) => AggOut::One {
                        value: Value::Integer(v.len() as i64),
                        point: None,
                    },
                    _ => AggOut::Empty,
                }
            } else {
                aggregate(&a.name, &points, &args)?
            };
            outs.push(out);
        }
        windows.push(Window { start, outs });
    }
    Ok(windows)
}

/// The type of an aggregate's result when it is not a float: `count` is an
/// integer, and the aggregates that return input values keep their type.
fn aggregate_output_type(
    name: &str,
    count_distinct: bool,
    input: Option<FieldType>,
) -> Option<FieldType> {
    match name {
        "count" => Some(FieldType::Integer),
        _ if count_distinct => Some(FieldType::Integer),
        "mean" | "median" | "stddev" | "integral" => None,
        _ => input.filter(|t| *t != FieldType::Float),
    }
}

/// The value `fill()` puts in an empty window, cast to the aggregate's type as
/// influxd does: `fill(2.5)` on integers is 2, on booleans `false`, on strings "".
fn fill_value(fill: &Fill, agg: &AggCall) -> Value {
    match (fill, agg.out_type) {
        (Fill::Null, _) if agg.name == "count" => Value::Integer(0),
        (Fill::Number(_) | Fill::Integer(_), Some(FieldType::Boolean)) => Value::Boolean(false),
        (Fill::Number(_) | Fill::Integer(_), Some(FieldType::String)) => {
            Value::String(String::new())
        }
        (Fill::Number(f), Some(FieldType::Integer)) => Value::Integer(*f as i64),
        (Fill::Integer(i), Some(FieldType::Integer)) => Value::Integer(*i),
        (Fill::Number(f), Some(FieldType::UInteger)) => Value::Unsigned(*f as u64),
        (Fill::Integer(i), Some(FieldType::UInteger)) => Value::Unsigned(*i as u64),
        (Fill::Number(f), _) => Value::Float(*f),
        (Fill::Integer(i), _) => Value::Float(*i as f64),
        _ => Value::Null,
    }
}

/// Aggregated rows of one series.
fn evaluate_aggregate(plan: &Plan, g: &Group) -> Result<(Vec<i64>, Vec<Vec<Value>>), ExecError> {
    let windows = compute_windows(plan, g)?;
    let index: HashMap<String, usize> = plan
        .needed
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key(), i))
        .collect();
    let multi = plan.aggregates.iter().position(|a| is_multi_row(&a.name));
    let single_selector = plan.aggregates.len() == 1 && is_selector(&plan.aggregates[0].name);

    // Base table: one row per window (or per selected point for multi-row functions).
    let mut times: Vec<i64> = Vec::new();
    let mut agg_cols: Vec<Vec<Value>> = vec![Vec::new(); plan.aggregates.len()];
    let mut point_rows: Vec<Option<usize>> = Vec::new();
    let mut empty_row: Vec<bool> = Vec::new();

    if let Some(m) = multi {
        let point_time = matches!(
            plan.aggregates[m].name.as_str(),
            "top" | "bottom" | "sample"
        );
        for w in &windows {
            if let AggOut::Many(points) = &w.outs[m] {
                for (t, v, row) in points {
                    times.push(if point_time { *t } else { w.start });
                    agg_cols[m].push(v.clone());
                    point_rows.push(Some(*row));
                    empty_row.push(false);
                }
            }
        }
    } else {
        let starts: Vec<i64> = match plan.interval {
            Some(interval) if plan.fill != Fill::None => {
                let first = window_start(plan.range.min, interval, plan.offset);
                let last = window_start(plan.range.max, interval, plan.offset);
                if (last - first) / interval > MAX_WINDOWS {
                    return Err(ExecError::Query(format!(
                        "too many windows: GROUP BY time({}) over this time range gives more than {MAX_WINDOWS}",
                        almanac_influxql::format_duration(interval)
                    )));
                }
                (0..=((last - first) / interval))
                    .map(|k| first + k * interval)
                    .collect()
            }
            _ => windows.iter().map(|w| w.start).collect(),
        };
        let mut wi = 0;
        for start in starts {
            while wi < windows.len() && windows[wi].start < start {
                wi += 1;
            }
            let window = windows.get(wi).filter(|w| w.start == start);
            let mut row_time = start;
            let mut point_row = None;
            let mut all_empty = true;
            for (ai, a) in plan.aggregates.iter().enumerate() {
                let out = window.map(|w| &w.outs[ai]);
                match out {
                    Some(AggOut::One { value, point }) => {
                        all_empty = false;
                        agg_cols[ai].push(value.clone());
                        if let Some((t, r)) = point {
                            point_row = Some(*r);
                            if single_selector && plan.interval.is_none() {
                                row_time = *t;
                            }
                        }
                    }
                    _ => agg_cols[ai].push(match plan.interval {
                        Some(_) => fill_value(&plan.fill, a),
                        None => Value::Null,
                    }),
                }
            }
            if all_empty && plan.fill == Fill::None {
                for c in agg_cols.iter_mut() {
                    c.pop();
                }
                continue;
            }
            times.push(row_time);
            point_rows.push(point_row);
            empty_row.push(all_empty);
        }
        apply_fill(plan, &times, &empty_row, &mut agg_cols);
    }

    let mut columns: HashMap<String, std::borrow::Cow<[Value]>> = HashMap::new();
    for (a, col) in plan.aggregates.iter().zip(agg_cols) {
        columns.insert(a.key.clone(), std::borrow::Cow::Owned(col));
    }
    // Values of raw fields beside a selector, and tag arguments of top/bottom.
    for c in &plan.needed {
        let key = c.key();
        if columns.contains_key(&key) {
            continue;
        }
        let src = &g.columns[index[&key]];
        let col: Vec<Value> = point_rows
            .iter()
            .map(|r| r.map(|r| src[r].clone()).unwrap_or(Value::Null))
            .collect();
        columns.insert(key, std::borrow::Cow::Owned(col));
    }
    let mut table = Table {
        times,
        columns,
        derivative_unit: plan.interval.unwrap_or(1_000_000_000),
    };
    if plan.transform_desc {
        empty_row.reverse();
        table.times.reverse();
        for c in table.columns.values_mut() {
            c.to_mut().reverse();
        }
    }
    // holt_winters(_with_fit) replaces the windows by predicted points.
    if let [Field {
        expr: Expr::Call { name, args },
        ..
    }] = plan.fields.as_slice()
    {
        if crate::analysis::is_predictor(name) {
            let interval = plan.interval.ok_or_else(|| {
                ExecError::Query(format!("{name} aggregate requires a GROUP BY interval"))
            })?;
            let (n, seasonal) = crate::analysis::parse_holt_winters_args(name, args)?;
            let values = eval(&args[0], &table)?;
            let points = crate::analysis::holt_winters(
                &table.times,
                &values,
                interval,
                n,
                seasonal,
                name == "holt_winters_with_fit",
            )?;
            let (times, rows) = points.into_iter().map(|(t, v)| (t, vec![v])).unzip();
            return Ok((times, rows));
        }
    }
    let mut cols: Vec<Vec<Value>> = Vec::with_capacity(plan.fields.len());
    for f in &plan.fields {
        // top(v, host, 2) also projects the tag arguments after the value.
        cols.push(eval(&f.expr, &table)?);
    }
    let n = table.times.len();
    let mut rows = rows_from_columns(cols, n);
    if let Some(m) = multi {
        let a = &plan.aggregates[m];
        if !a.tag_args.is_empty() {
            for (i, row) in rows.iter_mut().enumerate() {
                for t in &a.tag_args {
                    row.push(
                        table
                            .columns
                            .get(&t.key())
                            .map(|c| c[i].clone())
                            .unwrap_or(Value::Null),
                    );
                }
            }
        }
    }
    let drop_empty = plan.interval.is_none() || plan.fill == Fill::None;
    let mut out_times = Vec::new();
    let mut out_rows = Vec::new();
    for (i, (t, row)) in table.times.into_iter().zip(rows).enumerate() {
        let all_null = row.iter().all(|v| v.is_null());
        if (drop_empty && empty_row.get(i).copied().unwrap_or(false))
            || (plan.has_transform && all_null)
        {
            continue;
        }
        out_times.push(t);
        out_rows.push(row);
    }
    Ok((out_times, out_rows))
}

/// `fill(previous)` and `fill(linear)` over the window rows.
fn apply_fill(plan: &Plan, times: &[i64], empty: &[bool], cols: &mut [Vec<Value>]) {
    match plan.fill {
        Fill::Previous => {
            for col in cols.iter_mut() {
                let mut prev: Option<Value> = None;
                for (i, v) in col.iter_mut().enumerate() {
                    if empty[i] || v.is_null() {
                        if let Some(p) = &prev {
                            if empty[i] {
                                *v = p.clone();
                            }
                        }
                    } else {
                        prev = Some(v.clone());
                    }
                }
            }
        }
        Fill::Linear => {
            for col in cols.iter_mut() {
                let known: Vec<usize> = (0..col.len())
                    .filter(|&i| !empty[i] && !col[i].is_null())
                    .collect();
                for w in known.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    let (Some(va), Some(vb)) = (as_f64(&col[a]), as_f64(&col[b])) else {
                        continue;
                    };
                    let int =
                        matches!(col[a], Value::Integer(_)) && matches!(col[b], Value::Integer(_));
                    for i in a + 1..b {
                        if !empty[i] {
                            continue;
                        }
                        let frac = (times[i] - times[a]) as f64 / (times[b] - times[a]) as f64;
                        let v = va + (vb - va) * frac;
                        col[i] = if int {
                            Value::Integer(v as i64)
                        } else {
                            Value::Float(v)
                        };
                    }
                }
            }
        }
        _ => {}
    }
}

/// InfluxQL's Go type name of an expression, as its error messages show it.
fn go_type(e: &Expr) -> &'static str {
    match e {
        Expr::String(_) => "*influxql.StringLiteral",
        Expr::Integer(_) | Expr::Unsigned(_) => "*influxql.IntegerLiteral",
        Expr::Number(_) => "*influxql.NumberLiteral",
        Expr::Boolean(_) => "*influxql.BooleanLiteral",
        Expr::Duration(_) => "*influxql.DurationLiteral",
        Expr::Regex(_) => "*influxql.RegexLiteral",
        Expr::VarRef { .. } => "*influxql.VarRef",
        Expr::Call { .. } => "*influxql.Call",
        Expr::Binary { .. } => "*influxql.BinaryExpr",
        Expr::Paren(_) => "*influxql.ParenExpr",
        _ => "*influxql.Literal",
    }
}

fn arity(name: &str, args: &[Expr], want: usize) -> Result<(), ExecError> {
    if args.len() != want {
        return Err(ExecError::Query(format!(
            "invalid number of arguments for {name}, expected {want}, got {}",
            args.len()
        )));
    }
    Ok(())
}

/// The checks InfluxDB's query compiler makes on a projection, with its wording.
fn validate_field(
    e: &Expr,
    interval: Option<i64>,
    limit: Option<u64>,
    n_fields: usize,
) -> Result<(), ExecError> {
    let mut has_var = false;
    e.walk(&mut |x| {
        has_var |= matches!(
            x,
            Expr::VarRef { .. } | Expr::Wildcard { .. } | Expr::Regex(_) | Expr::Distinct(_)
        ) || matches!(x, Expr::Call { args, .. } if args.is_empty());
    });
    if !has_var {
        return Err(ExecError::Query(
            "field must contain at least one variable".into(),
        ));
    }
    let mut result = Ok(());
    e.walk(&mut |x| {
        if result.is_err() {
            return;
        }
        if let Expr::Call { name, args } = x {
            result = validate_call(name, args, interval, limit, n_fields);
        }
    });
    result
}

fn positive_duration(name: &str, arg: &Expr, message_prefix: bool) -> Result<(), ExecError> {
    match arg {
        Expr::Duration(d) if *d <= 0 => Err(ExecError::Query(format!(
            "duration argument must be positive, got {}",
            almanac_influxql::format_duration(*d)
        ))),
        Expr::Duration(_) => Ok(()),
        other if message_prefix => Err(ExecError::Query(format!(
            "second argument to {name} must be a duration, got {}",
            go_type(other)
        ))),
        _ => Err(ExecError::Query(
            "second argument must be a duration".into(),
        )),
    }
}

fn validate_call(
    name: &str,
    args: &[Expr],
    interval: Option<i64>,
    limit: Option<u64>,
    n_fields: usize,
) -> Result<(), ExecError> {
    match name {
        "count" | "sum" | "mean" | "median" | "mode" | "spread" | "stddev" | "first" | "last"
        | "min" | "max" => arity(name, args, 1),
        "distinct" => {
            arity(name, args, 1)?;
            if n_fields > 1 {
                return Err(ExecError::Query(
                    "aggregate function distinct() cannot be combined with other functions or fields"
                        .into(),
                ));
            }
            Ok(())
        }
        "top" | "bottom" => {
            if let Some(n) = args.last().and_then(literal_f64) {
                let n = n as i64;
                if n < 1 {
                    return Err(ExecError::Query(format!(
                        "limit ({n}) in {name} function must be at least 1"
                    )));
                }
                if let Some(l) = limit.filter(|l| *l > 0) {
                    if n as u64 > l {
                        return Err(ExecError::Query(format!(
                            "limit ({n}) in {name} function can not be larger than the LIMIT ({l}) in the select statement"
                        )));
                    }
                }
            }
            Ok(())
        }
        "percentile" => {
            arity(name, args, 2)?;
            if literal_f64(&args[1]).is_none() {
                return Err(ExecError::Query(
                    "expected float argument in percentile()".into(),
                ));
            }
            Ok(())
        }
        "sample" => {
            arity(name, args, 2)?;
            match literal_f64(&args[1]) {
                Some(n) if n < 1.0 => Err(ExecError::Query(format!(
                    "sample window must be greater than 1, got {}",
                    n as i64
                ))),
                Some(_) => Ok(()),
                None => Err(ExecError::Query(
                    "expected integer argument in sample()".into(),
                )),
            }
        }
        "integral" => {
            if args.is_empty() || args.len() > 2 {
                return Err(ExecError::Query(format!(
                    "invalid number of arguments for integral, expected at least 1 but no more than 2, got {}",
                    args.len()
                )));
            }
            match args.get(1) {
                Some(a) => positive_duration(name, a, false),
                None => Ok(()),
            }
        }
        "derivative" | "non_negative_derivative" | "elapsed" => {
            if args.is_empty() || args.len() > 2 {
                return Err(ExecError::Query(format!(
                    "invalid number of arguments for {name}, expected at least 1 but no more than 2, got {}",
                    args.len()
                )));
            }
            if let Some(a) = args.get(1) {
                positive_duration(name, a, true)?;
            }
            needs_interval(name, args, interval)
        }
        "difference" | "non_negative_difference" | "cumulative_sum" => {
            arity(name, args, 1)?;
            needs_interval(name, args, interval)
        }
        "moving_average" => {
            arity(name, args, 2)?;
            needs_interval(name, args, interval)
        }
        _ => Ok(()),
    }
}

/// A transformation of an aggregate needs `GROUP BY time()`.
fn needs_interval(name: &str, args: &[Expr], interval: Option<i64>) -> Result<(), ExecError> {
    if interval.is_none() && args.first().is_some_and(|a| is_aggregate_call(a.unparen())) {
        return Err(ExecError::Query(format!(
            "{name} aggregate requires a GROUP BY interval"
        )));
    }
    Ok(())
}

/// influxd reads one window more than asked (before the range, or after it
/// under `ORDER BY time DESC`) when a transformation of an aggregate needs a
/// previous value (`difference(count(v))` starts from the count of the window
/// before, `moving_average(mean(v), 3)` has two values at the first window).
/// `cumulative_sum` does not.
fn widen_for_transforms(plan: &mut Plan, descending: bool) {
    let Some(interval) = plan.interval else {
        return;
    };
    let mut widen = false;
    for f in &plan.fields {
        f.expr.walk(&mut |e| {
            if let Expr::Call { name, args } = e {
                let of_aggregate = args.first().is_some_and(|a| is_aggregate_call(a.unparen()));
                widen |= of_aggregate
                    && (matches!(
                        name.as_str(),
                        "derivative"
                            | "non_negative_derivative"
                            | "difference"
                            | "non_negative_difference"
                            | "moving_average"
                            | "elapsed"
                    ) || crate::analysis::is_technical_analysis(name));
            }
        });
    }
    if !widen || !plan.range.has_min() {
        return;
    }
    let first = window_start(plan.range.min, interval, plan.offset);
    let last = window_start(plan.range.max, interval, plan.offset);
    plan.output_windows = Some((first, last));
    if descending {
        plan.range.max = plan.range.max.saturating_add(interval);
    } else {
        plan.range.min = plan.range.min.saturating_sub(interval);
    }
}

/// One measurement read from several databases or retention policies
/// (`FROM db1..cpu, db2..cpu`) is one series per group for influxd: their
/// groups are merged by time.
fn merge_same_measurements(scanned: Vec<(String, Vec<Group>)>) -> Vec<(String, Vec<Group>)> {
    let mut out: Vec<(String, Vec<Group>)> = Vec::with_capacity(scanned.len());
    for (name, groups) in scanned {
        let Some((_, existing)) = out.iter_mut().find(|(n, _)| *n == name) else {
            out.push((name, groups));
            continue;
        };
        for g in groups {
            match existing.iter_mut().find(|e| e.key == g.key) {
                Some(e) => merge_group(e, g),
                None => existing.push(g),
            }
        }
    }
    out
}

/// Merges `b`'s rows into `a`, by time (`a`'s first at equal times).
fn merge_group(a: &mut Group, mut b: Group) {
    a.materialize();
    b.materialize();
    let rank_base = a.series.iter().max().map_or(0, |m| m + 1);
    let mut order: Vec<(i64, bool, usize)> = Vec::with_capacity(a.times.len() + b.times.len());
    order.extend(a.times.iter().enumerate().map(|(i, t)| (*t, false, i)));
    order.extend(b.times.iter().enumerate().map(|(i, t)| (*t, true, i)));
    order.sort_by_key(|(t, from_b, _)| (*t, *from_b));
    let pick = |from_b: bool, i: usize, x: &[Value], y: &[Value]| {
        if from_b {
            y[i].clone()
        } else {
            x[i].clone()
        }
    };
    a.columns = a
        .columns
        .iter()
        .zip(&b.columns)
        .map(|(x, y)| order.iter().map(|&(_, fb, i)| pick(fb, i, x, y)).collect())
        .collect();
    if !a.series.is_empty() && !b.series.is_empty() {
        a.series = order
            .iter()
            .map(|&(_, fb, i)| {
                if fb {
                    rank_base + b.series[i]
                } else {
                    a.series[i]
                }
            })
            .collect();
    } else {
        a.series.clear();
    }
    a.times = order.iter().map(|(t, _, _)| *t).collect();
}

/// `ORDER BY time DESC` of computed rows: influxd emits the windows newest
/// first, but the several rows of one window (`top`, `bottom`, `distinct`,
/// `sample`) keep their order.
fn reverse_windows(plan: &Plan, values: &mut Vec<Vec<Value>>) {
    let multi_row = plan.is_aggregate && plan.aggregates.iter().any(|a| is_multi_row(&a.name));
    if !multi_row {
        values.reverse();
        return;
    }
    let window = |row: &Vec<Value>| match (plan.interval, row.first()) {
        (Some(interval), Some(Value::Time(t))) => window_start(*t, interval, plan.offset),
        _ => 0,
    };
    let mut blocks: Vec<Vec<Vec<Value>>> = Vec::new();
    for row in values.drain(..) {
        match blocks.last_mut() {
            Some(block) if window(&block[0]) == window(&row) => block.push(row),
            _ => blocks.push(vec![row]),
        }
    }
    values.extend(blocks.into_iter().rev().flatten());
}

/// Reverses a group's rows (for transformations under `ORDER BY time DESC`).
fn reverse_group(g: &mut Group) {
    g.times.reverse();
    g.series.reverse();
    for c in &mut g.columns {
        c.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(name: &str, input: Option<FieldType>) -> AggCall {
        AggCall {
            out_type: aggregate_output_type(name, false, input),
            key: format!("{name}(x)"),
            name: name.to_string(),
            input: None,
            count_distinct: false,
            args: AggArgs::default(),
            tag_args: vec![],
        }
    }

    #[test]
    fn numeric_fills_take_the_aggregates_type() {
        // influxd 1.6.7: sum(int) fill(2.5) → 2, fill(-2.5) → -2, mean(int)
        // fill(2.5) → 2.5, count fill(2.5) → 2, max(bool) → false, last(string) → "".
        let int = Some(FieldType::Integer);
        assert_eq!(
            fill_value(&Fill::Number(2.5), &agg("sum", int)),
            Value::Integer(2)
        );
        assert_eq!(
            fill_value(&Fill::Number(-2.5), &agg("max", int)),
            Value::Integer(-2)
        );
        assert_eq!(
            fill_value(&Fill::Number(2.5), &agg("mean", int)),
            Value::Float(2.5)
        );
        assert_eq!(
            fill_value(&Fill::Number(2.5), &agg("count", None)),
            Value::Integer(2)
        );
        assert_eq!(
            fill_value(&Fill::Null, &agg("count", None)),
            Value::Integer(0)
        );
        assert_eq!(
            fill_value(&Fill::Number(2.5), &agg("max", Some(FieldType::Boolean))),
            Value::Boolean(false)
        );
        assert_eq!(
            fill_value(&Fill::Integer(3), &agg("last", Some(FieldType::String))),
            Value::String(String::new())
        );
        assert_eq!(
            fill_value(&Fill::Integer(2), &agg("sum", Some(FieldType::Float))),
            Value::Float(2.0)
        );
        assert_eq!(fill_value(&Fill::Null, &agg("sum", int)), Value::Null);
    }
}
