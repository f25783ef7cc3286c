//! Statements other than `SELECT`: databases, retention policies, schema
//! exploration, deletes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use almanac_catalog::{DatabaseDef, MeasurementSchema, RetentionPolicySpec};
use almanac_influxql::{
    BinaryOp, CardinalityKind, Expr, MeasurementMatch, MeasurementName, Source, Statement,
    TagKeyMatch,
};
use almanac_storage::{DeletePredicate, TagMatch};
use datafusion::common::{ScalarValue, TableReference};
use datafusion::logical_expr::{col, lit};

use crate::condition::{tag_column, to_filter};
use crate::result::{Series, StatementResult, Value};
use crate::scan::to_values;
use crate::time::{split_time_condition, TimeRange, MAX_TIME, MIN_TIME};
use crate::{ExecContext, ExecError, Executor};

/// Formats a duration as Go's `time.Duration.String()` does (`168h0m0s`).
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let ns = ns.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if ns < 1_000_000_000 {
        return if ns < 1_000 {
            format!("{sign}{ns}ns")
        } else if ns < 1_000_000 {
            format!("{sign}{}µs", trim_frac(ns as f64 / 1e3))
        } else {
            format!("{sign}{}ms", trim_frac(ns as f64 / 1e6))
        };
    }
    let h = ns / 3_600_000_000_000;
    let m = ns % 3_600_000_000_000 / 60_000_000_000;
    let s = (ns % 60_000_000_000) as f64 / 1e9;
    let s = trim_frac(s);
    if h > 0 {
        format!("{sign}{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{sign}{m}m{s}s")
    } else {
        format!("{sign}{s}s")
    }
}

fn trim_frac(f: f64) -> String {
    let s = format!("{f:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn limit_offset<T>(v: Vec<T>, limit: Option<u64>, offset: Option<u64>) -> Vec<T> {
    let it = v.into_iter().skip(offset.unwrap_or(0) as usize);
    match limit {
        Some(l) if l > 0 => it.take(l as usize).collect(),
        _ => it.collect(),
    }
}

fn regex(r: &str) -> Result<regex::Regex, ExecError> {
    regex::Regex::new(r).map_err(|e| ExecError::Query(format!("invalid regular expression: {e}")))
}

fn key_matches(m: &TagKeyMatch, key: &str) -> Result<bool, ExecError> {
    Ok(match m {
        TagKeyMatch::Eq(k) => k == key,
        TagKeyMatch::NotEq(k) => k != key,
        TagKeyMatch::In(ks) => ks.iter().any(|k| k == key),
        TagKeyMatch::Regex(r) => regex(r)?.is_match(key),
        TagKeyMatch::NotRegex(r) => !regex(r)?.is_match(key),
    })
}

/// Escapes a series-key part as line protocol does.
fn escape_key(s: &str, measurement: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ',' || c == ' ' || (!measurement && c == '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Executor {
    fn database(
        &self,
        name: Option<&str>,
        ctx: &ExecContext,
    ) -> Result<Arc<DatabaseDef>, ExecError> {
        let name = name.or(ctx.database.as_deref()).unwrap_or("");
        if name.is_empty() {
            return Err(ExecError::Query("database name required".into()));
        }
        self.storage()
            .catalog()
            .database(name)
            .ok_or_else(|| ExecError::Query(format!("database not found: {name}")))
    }

    /// Measurements named by `FROM` sources (all when there are none).
    /// With `rp`, as that retention policy holds them (a source's own RP
    /// wins): measurements without data there are left out and schemas are
    /// narrowed to the columns with data there.
    fn source_measurements(
        &self,
        db: &DatabaseDef,
        sources: &[Source],
        rp: Option<&str>,
    ) -> Result<Vec<Arc<MeasurementSchema>>, ExecError> {
        let narrow = |schema: &Arc<MeasurementSchema>, source_rp: Option<&str>| match rp {
            None => Some(schema.clone()),
            Some(rp) => self.rp_schema(db, source_rp.unwrap_or(rp), schema),
        };
        if sources.is_empty() {
            return Ok(db
                .measurements
                .values()
                .filter_map(|s| narrow(s, None))
                .collect());
        }
        let mut out = BTreeMap::new();
        for s in sources {
            let Source::Measurement(m) = s else {
                return Err(ExecError::Query("subqueries are not allowed here".into()));
            };
            let source_rp = m.retention_policy.as_deref();
            match &m.name {
                MeasurementName::Name(n) => {
                    if let Some(schema) = db.measurements.get(n).and_then(|s| narrow(s, source_rp))
                    {
                        out.insert(n.clone(), schema);
                    }
                }
                MeasurementName::Regex(r) => {
                    let re = regex(r)?;
                    for (n, schema) in &db.measurements {
                        if re.is_match(n) {
                            if let Some(schema) = narrow(schema, source_rp) {
                                out.insert(n.clone(), schema);
                            }
                        }
                    }
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Distinct combinations of `tags` among the rows of `m` (every RP)
    /// that satisfy `condition`.
    async fn distinct_tags(
        &self,
        db: &DatabaseDef,
        m: &MeasurementSchema,
        condition: Option<&Expr>,
        tags: &[String],
        now: i64,
    ) -> Result<BTreeSet<Vec<String>>, ExecError> {
        self.distinct_tags_in(db, m, condition, tags, now, None)
            .await
    }

    /// [`Self::distinct_tags`] limited to one retention policy when `only_rp` is given.
    async fn distinct_tags_in(
        &self,
        db: &DatabaseDef,
        m: &MeasurementSchema,
        condition: Option<&Expr>,
        tags: &[String],
        now: i64,
        only_rp: Option<&str>,
    ) -> Result<BTreeSet<Vec<String>>, ExecError> {
        // Schema statements answer from the series index in InfluxDB 1.x,
        // which has no time: a time condition is ignored.
        let (_, rest) = split_time_condition(condition, now, None)?;
        let range = TimeRange::default();
        let ctx = self.engine().session(&db.name)?;
        let mut out = BTreeSet::new();
        for rp in db
            .retention_policies
            .keys()
            .filter(|r| only_rp.is_none_or(|o| o == r.as_str()))
        {
            let df = ctx
                .table(TableReference::full(
                    db.name.as_str(),
                    rp.as_str(),
                    m.name.as_str(),
                ))
                .await?;
            let df = df.filter(time_filter(range))?;
            let df = match &rest {
                Some(c) => df.filter(to_filter(c, m)?)?,
                None => df,
            };
            let exprs: Vec<_> = if tags.is_empty() {
                vec![lit(1i64).alias("one")]
            } else {
                tags.iter()
                    .enumerate()
                    .map(|(i, t)| {
                        if m.tags.contains(t) {
                            tag_column(t).alias(format!("t{i}"))
                        } else {
                            lit("").alias(format!("t{i}"))
                        }
                    })
                    .collect()
            };
            let df = df.select(exprs)?.distinct()?;
            let df = if tags.is_empty() {
                df.limit(0, Some(1))?
            } else {
                df
            };
            for batch in df.collect().await? {
                let cols: Vec<Vec<Value>> = (0..batch.num_columns())
                    .map(|i| to_values(batch.column(i).as_ref()))
                    .collect::<Result<_, _>>()?;
                for row in 0..batch.num_rows() {
                    out.insert(
                        cols.iter()
                            .map(|c| match &c[row] {
                                Value::String(s) => s.clone(),
                                _ => String::new(),
                            })
                            .collect(),
                    );
                }
            }
        }
        Ok(out)
    }

    pub(crate) async fn execute_meta(
        &self,
        stmt: &Statement,
        ctx: &ExecContext,
    ) -> Result<StatementResult, ExecError> {
        let catalog = self.storage().catalog();
        let empty = || Ok(StatementResult::default());
        match stmt {
            Statement::ShowDatabases => {
                let mut s = Series::new("databases", &["name"]);
                let mut dbs = catalog.databases();
                dbs.sort_by_key(|d| d.id);
                s.values = dbs
                    .iter()
                    .map(|d| vec![Value::from(d.name.as_str())])
                    .collect();
                Ok(StatementResult::with_series(vec![s]))
            }
            Statement::CreateDatabase { name, rp } => {
                let spec = rp.as_ref().map(|r| RetentionPolicySpec {
                    name: r.name.clone().unwrap_or_default(),
                    duration_ns: r.duration,
                    shard_group_duration_ns: r.shard_duration,
                    replication: r.replication,
                });
                catalog.create_database(name, spec)?;
                empty()
            }
            Statement::DropDatabase { name } => {
                if let Some(def) = catalog.drop_database(name)? {
                    self.storage().drop_database(def.id)?;
                }
                empty()
            }
            Statement::ShowRetentionPolicies { database } => {
                let db = self.database(database.as_deref(), ctx)?;
                let mut s = Series::new(
                    "",
                    &[
                        "name",
                        "duration",
                        "shardGroupDuration",
                        "replicaN",
                        "default",
                    ],
                );
                s.csv_name_columns.push(3);
                for rp in db.retention_policies.values() {
                    s.values.push(vec![
                        Value::from(rp.name.as_str()),
                        Value::from(go_duration(rp.duration_ns.unwrap_or(0))),
                        Value::from(go_duration(rp.shard_group_duration_ns)),
                        Value::Integer(rp.replication as i64),
                        Value::Boolean(rp.name == db.default_rp),
                    ]);
                }
                Ok(StatementResult::with_series(vec![s]))
            }
            Statement::CreateRetentionPolicy {
                name,
                database,
                duration,
                replication,
                shard_duration,
                default,
            } => {
                let spec = RetentionPolicySpec {
                    name: name.clone(),
                    duration_ns: Some(*duration),
                    shard_group_duration_ns: *shard_duration,
                    replication: Some(*replication),
                };
                catalog.create_retention_policy(database, spec, *default)?;
                empty()
            }
            Statement::AlterRetentionPolicy {
                name,
                database,
                duration,
                replication,
                shard_duration,
                default,
            } => {
                let duration = duration.map(|d| if d == 0 { None } else { Some(d) });
                catalog.alter_retention_policy(
                    database,
                    name,
                    duration,
                    *shard_duration,
                    *replication,
                    *default,
                )?;
                empty()
            }
            Statement::DropRetentionPolicy { name, database } => {
                let db = self.database(Some(database), ctx)?;
                catalog.drop_retention_policy(database, name)?;
                self.storage().drop_retention_policy(db.id, name)?;
                empty()
            }
            Statement::ShowMeasurements {
                database,
                with_measurement,
                condition,
                limit,
                offset,
            } => {
                let name = database
                    .as_deref()
                    .or(ctx.database.as_deref())
                    .unwrap_or("");
                if !name.is_empty() && catalog.database(name).is_none() {
                    return empty();
                }
                if let Some(c) = condition {
                    let mut has_time = false;
                    c.walk(&mut |e| has_time |= e.is_time_ref());
                    if has_time {
                        return Err(ExecError::Query(
                            "SHOW MEASUREMENTS doesn't support time in WHERE clause".into(),
                        ));
                    }
                }
                let db = self.database(database.as_deref(), ctx)?;
                let mut names = Vec::new();
                for (name, schema) in &db.measurements {
                    let ok = match with_measurement {
                        None => true,
                        Some(MeasurementMatch::Name(n)) => n == name,
                        Some(MeasurementMatch::Regex(r)) => regex(r)?.is_match(name),
                    };
                    if !ok {
                        continue;
                    }
                    if condition.is_some()
                        && self
                            .distinct_tags(&db, schema, condition.as_ref(), &[], ctx.now)
                            .await?
                            .is_empty()
                    {
                        continue;
                    }
                    names.push(vec![Value::from(name.as_str())]);
                }
                let names = limit_offset(names, *limit, *offset);
                if names.is_empty() {
                    return empty();
                }
                let mut s = Series::new("measurements", &["name"]);
                s.values = names;
                Ok(StatementResult::with_series(vec![s]))
            }
            Statement::ShowTagKeys {
                database,
                sources,
                key,
                condition,
                limit,
                offset,
                slimit,
                soffset,
            } => {
                let db = self.database(database.as_deref(), ctx)?;
                let mut series = Vec::new();
                for m in self.source_measurements(&db, sources, None)? {
                    let mut keys = Vec::new();
                    for k in &m.tags {
                        if let Some(km) = key {
                            if !key_matches(km, k)? {
                                continue;
                            }
                        }
                        if condition.is_some() {
                            let present = self
                                .distinct_tags(
                                    &db,
                                    &m,
                                    condition.as_ref(),
                                    std::slice::from_ref(k),
                                    ctx.now,
                                )
                                .await?;
                            if present.iter().all(|v| v[0].is_empty()) {
                                continue;
                            }
                        }
                        keys.push(vec![Value::from(k.as_str())]);
                    }
                    let keys = limit_offset(keys, *limit, *offset);
                    if keys.is_empty() {
                        continue;
                    }
                    let mut s = Series::new(m.name.as_str(), &["tagKey"]);
                    s.values = keys;
                    series.push(s);
                }
                Ok(StatementResult::with_series(limit_offset(
                    series, *slimit, *soffset,
                )))
            }
            Statement::ShowTagValues {
                database,
                sources,
                key,
                condition,
                limit,
                offset,
            } => {
                let db = self.database(database.as_deref(), ctx)?;
                let mut series = Vec::new();
                for m in self.source_measurements(&db, sources, None)? {
                    let mut keys = Vec::new();
                    for k in &m.tags {
                        if key_matches(key, k)? {
                            keys.push(k.clone());
                        }
                    }
                    if keys.is_empty() {
                        continue;
                    }
                    let mut pairs = BTreeSet::new();
                    for k in &keys {
                        for v in self
                            .distinct_tags(
                                &db,
                                &m,
                                condition.as_ref(),
                                std::slice::from_ref(k),
                                ctx.now,
                            )
                            .await?
                        {
                            if !v[0].is_empty() {
                                pairs.insert((k.clone(), v[0].clone()));
                            }
                        }
                    }
                    let rows: Vec<Vec<Value>> = pairs
                        .into_iter()
                        .map(|(k, v)| vec![Value::from(k), Value::from(v)])
                        .collect();
                    let rows = limit_offset(rows, *limit, *offset);
                    if rows.is_empty() {
                        continue;
                    }
                    let mut s = Series::new(m.name.as_str(), &["key", "value"]);
                    s.values = rows;
                    series.push(s);
                }
                Ok(StatementResult::with_series(series))
            }
            Statement::ShowFieldKeys {
                database,
                sources,
                limit,
                offset,
            } => {
                let db = self.database(database.as_deref(), ctx)?;
                let mut series = Vec::new();
                for m in self.source_measurements(&db, sources, Some(rp_of(&db, ctx)))? {
                    let rows: Vec<Vec<Value>> = m
                        .fields
                        .iter()
                        .map(|(k, t)| vec![Value::from(k.as_str()), Value::from(t.name())])
                        .collect();
                    let rows = limit_offset(rows, *limit, *offset);
                    if rows.is_empty() {
                        continue;
                    }
                    let mut s = Series::new(m.name.as_str(), &["fieldKey", "fieldType"]);
                    s.values = rows;
                    series.push(s);
                }
                Ok(StatementResult::with_series(series))
            }
            Statement::ShowSeries {
                database,
                sources,
                condition,
                limit,
                offset,
            } => {
                let db = self.database(database.as_deref(), ctx)?;
                let keys = self
                    .series_keys(&db, sources, condition.as_ref(), ctx.now, None)
                    .await?;
                let rows: Vec<Vec<Value>> = keys
                    .into_iter()
                    .map(|(_, k)| vec![Value::from(k)])
                    .collect();
                let rows = limit_offset(rows, *limit, *offset);
                if rows.is_empty() {
                    return empty();
                }
                let mut s = Series::new("", &["key"]);
                s.values = rows;
                Ok(StatementResult::with_series(vec![s]))
            }
            Statement::ShowCardinality {
                exact,
                kind,
                database,
                sources,
                condition,
                limit,
                offset,
                ..
            } => {
                let db = self.database(database.as_deref(), ctx)?;
                let estimated_all = !*exact
                    && matches!(kind, CardinalityKind::Series | CardinalityKind::Measurement)
                    && sources.is_empty();
                let card_rp = if estimated_all {
                    None
                } else {
                    Some(rp_of(&db, ctx))
                };
                let measurements = self.source_measurements(&db, sources, card_rp)?;
                let mut per_measurement: Vec<(String, i64)> = Vec::new();
                let mut total = 0i64;
                match kind {
                    CardinalityKind::Measurement => {
                        let mut n = 0;
                        for m in &measurements {
                            if condition.is_none()
                                || !self
                                    .distinct_tags(&db, m, condition.as_ref(), &[], ctx.now)
                                    .await?
                                    .is_empty()
                            {
                                n += 1;
                            }
                        }
                        total = n;
                        per_measurement.push((String::new(), n));
                    }
                    CardinalityKind::Series => {
                        let keys = self
                            .series_keys(&db, sources, condition.as_ref(), ctx.now, card_rp)
                            .await?;
                        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
                        for (m, _) in keys {
                            *counts.entry(m).or_default() += 1;
                            total += 1;
                        }
                        per_measurement.extend(counts);
                    }
                    CardinalityKind::TagKey => {
                        for m in &measurements {
                            total += m.tags.len() as i64;
                            per_measurement.push((m.name.clone(), m.tags.len() as i64));
                        }
                    }
                    CardinalityKind::FieldKey => {
                        for m in &measurements {
                            total += m.fields.len() as i64;
                            per_measurement.push((m.name.clone(), m.fields.len() as i64));
                        }
                    }
                    CardinalityKind::TagValues { key } => {
                        for m in &measurements {
                            let mut n = 0;
                            for k in &m.tags {
                                if key_matches(key, k)? {
                                    n += self
                                        .distinct_tags_in(
                                            &db,
                                            m,
                                            condition.as_ref(),
                                            std::slice::from_ref(k),
                                            ctx.now,
                                            card_rp,
                                        )
                                        .await?
                                        .iter()
                                        .filter(|v| !v[0].is_empty())
                                        .count() as i64;
                                }
                            }
                            if n > 0 {
                                total += n;
                                per_measurement.push((m.name.clone(), n));
                            }
                        }
                    }
                }
                let estimated_total =
                    matches!(kind, CardinalityKind::Series | CardinalityKind::Measurement)
                        && (sources.is_empty() || matches!(kind, CardinalityKind::Measurement));
                if !estimated_total || (*exact && matches!(kind, CardinalityKind::Series)) {
                    let series: Vec<Series> = per_measurement
                        .into_iter()
                        .filter(|(_, n)| *n > 0)
                        .map(|(name, n)| {
                            let mut s = Series::new(name, &["count"]);
                            s.values.push(vec![Value::Integer(n)]);
                            s
                        })
                        .collect();
                    return Ok(StatementResult::with_series(limit_offset(
                        series, *limit, *offset,
                    )));
                }
                let column = if *exact {
                    "count"
                } else {
                    "cardinality estimation"
                };
                let mut s = Series::new("", &[column]);
                s.values.push(vec![Value::Integer(total)]);
                Ok(StatementResult::with_series(vec![s]))
            }
            Statement::DropMeasurement { name } => {
                let db = self.database(None, ctx)?;
                if !db.measurements.contains_key(name) {
                    // influxd answers success for a measurement that does not exist.
                    return empty();
                }
                let predicate = DeletePredicate {
                    db_id: db.id,
                    rp: None,
                    measurement: Some(name.clone()),
                    min_time: MIN_TIME,
                    max_time: MAX_TIME,
                    tags: vec![],
                };
                self.storage().delete(predicate, true).await?;
                empty()
            }
            Statement::Delete { sources, condition }
            | Statement::DropSeries { sources, condition } => {
                let db = self.database(None, ctx)?;
                let (range, rest) = split_time_condition(condition.as_ref(), ctx.now, None)?;
                if matches!(stmt, Statement::DropSeries { .. }) && range != TimeRange::default() {
                    return Err(ExecError::Query(
                        "DROP SERIES doesn't support time in WHERE clause".into(),
                    ));
                }
                let mut tags = Vec::new();
                if let Some(c) = &rest {
                    tag_matches(c, &mut tags)?;
                }
                let measurements: Vec<Option<String>> = if sources.is_empty() {
                    vec![None]
                } else {
                    self.source_measurements(&db, sources, None)?
                        .into_iter()
                        .map(|m| Some(m.name.clone()))
                        .collect()
                };
                // Without a WHERE clause every series of the measurement goes,
                // and influxd's index forgets the measurement with its last
                // series (SHOW MEASUREMENTS no longer lists it).
                let whole = rest.is_none() && range == TimeRange::default();
                for m in measurements {
                    let drop_schema = whole && m.is_some();
                    let predicate = DeletePredicate {
                        db_id: db.id,
                        rp: None,
                        measurement: m,
                        min_time: range.min,
                        max_time: range.max,
                        tags: tags.clone(),
                    };
                    self.storage().delete(predicate, drop_schema).await?;
                }
                empty()
            }
            other => Err(ExecError::Query(format!(
                "not supported yet: {}",
                statement_head(other)
            ))),
        }
    }

    /// Series keys (`cpu,host=a`) of the selected measurements.
    async fn series_keys(
        &self,
        db: &DatabaseDef,
        sources: &[Source],
        condition: Option<&Expr>,
        now: i64,
        rp: Option<&str>,
    ) -> Result<Vec<(String, String)>, ExecError> {
        let mut out = Vec::new();
        for m in self.source_measurements(db, sources, rp)? {
            let tags: Vec<String> = m.tags.iter().cloned().collect();
            let combos = self
                .distinct_tags_in(db, &m, condition, &tags, now, rp)
                .await?;
            if tags.is_empty() {
                if !combos.is_empty() {
                    out.push((m.name.clone(), escape_key(&m.name, true)));
                }
                continue;
            }
            for combo in combos {
                let mut key = escape_key(&m.name, true);
                for (k, v) in tags.iter().zip(&combo) {
                    if !v.is_empty() {
                        key.push(',');
                        key.push_str(&escape_key(k, false));
                        key.push('=');
                        key.push_str(&escape_key(v, false));
                    }
                }
                out.push((m.name.clone(), key));
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }
}

/// The retention policy statements without an explicit one look at.
fn rp_of<'a>(db: &'a DatabaseDef, ctx: &'a ExecContext) -> &'a str {
    ctx.retention_policy.as_deref().unwrap_or(&db.default_rp)
}

fn time_filter(range: TimeRange) -> datafusion::logical_expr::Expr {
    let ts = |t| lit(ScalarValue::TimestampNanosecond(Some(t), None));
    col("time")
        .gt_eq(ts(range.min))
        .and(col("time").lt_eq(ts(range.max)))
}

/// Tag equalities of a `DELETE`/`DROP SERIES` condition (only `AND`ed
/// `tag = 'v'` / `tag != 'v'` are supported by storage deletes).
fn tag_matches(e: &Expr, out: &mut Vec<TagMatch>) -> Result<(), ExecError> {
    match e.unparen() {
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            tag_matches(lhs, out)?;
            tag_matches(rhs, out)
        }
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) => {
            let (key, value) = match (lhs.unparen(), rhs.unparen()) {
                (Expr::VarRef { name, .. }, Expr::String(v))
                | (Expr::String(v), Expr::VarRef { name, .. }) => (name, v),
                _ => {
                    return Err(ExecError::Query(format!(
                        "not supported yet: delete condition {e}"
                    )))
                }
            };
            out.push(TagMatch {
                key: key.clone(),
                value: value.clone(),
                negated: *op == BinaryOp::NotEq,
            });
            Ok(())
        }
        other => Err(ExecError::Query(format!(
            "not supported yet: delete condition {other} (only tag = / != joined by AND)"
        ))),
    }
}

/// The leading keywords of a statement, for "not supported yet" errors.
pub fn statement_head(stmt: &Statement) -> String {
    let text = stmt.to_string();
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    let mut head = Vec::new();
    for w in words {
        if w.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            head.push(w);
        } else {
            break;
        }
    }
    if head.is_empty() {
        text
    } else {
        head.join(" ")
    }
}
