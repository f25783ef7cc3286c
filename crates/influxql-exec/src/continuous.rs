//! Continuous queries, as InfluxDB 1.x runs them: `CREATE`, `DROP` and
//! `SHOW CONTINUOUS QUERIES`, and [`ContinuousQueryService`], which executes
//! every stored query when one of its `GROUP BY time()` (or `RESAMPLE
//! EVERY`) boundaries passes.
//!
//! `CREATE` qualifies every measurement of the query with its database and
//! retention policy (as influxd normalizes statements) and stores the
//! canonical text in the catalog; the service parses it back on every check.
//!
//! Scheduling follows influxd's `continuous_querier`: a check every
//! `run_interval`; a query runs once `last run + every` has passed (always on
//! its first check), over `[start, end)` where `end` is the latest boundary
//! (aligned on the interval plus the `GROUP BY` offset) and `start` reaches
//! `FOR` (default: the interval) back from the boundary that triggered the
//! run. Time conditions of the query's own `WHERE` are replaced by that range.
//!
//! One deliberate difference: influxd truncates these bounds with Go's
//! `Time.Truncate`, which counts from year 1, so for intervals that do not
//! divide a day (`1w`, `7h`) its ranges cut `GROUP BY` windows (which count
//! from the Unix epoch) in two. Almanac aligns both on the epoch; for every
//! interval that divides a day the ranges are the same.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use almanac_catalog::DatabaseDef;
use almanac_influxql::{
    BinaryOp, Expr, MeasurementRef, SelectStatement, Source, Statement, TimeOffset,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::result::{Series, StatementResult, Value};
use crate::{ExecContext, ExecError, Executor};

/// How often the service checks whether a query is due, by default (influxd's
/// `run-interval`).
pub const DEFAULT_RUN_INTERVAL: Duration = Duration::from_secs(1);

/// Counters of the continuous query service (for `/metrics`).
#[derive(Debug, Default)]
pub struct ContinuousQueryMetrics {
    /// Queries executed (successfully or not).
    pub runs: AtomicU64,
    /// Queries that failed (execution error, or a stored query that cannot run).
    pub failures: AtomicU64,
    /// Points written by the queries' `INTO` clauses.
    pub points_written: AtomicU64,
}

impl ContinuousQueryMetrics {
    /// Current `(runs, failures, points_written)`.
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.runs.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
            self.points_written.load(Ordering::Relaxed),
        )
    }
}

/// Why a stored continuous query could not run.
#[derive(Debug, thiserror::Error)]
pub enum ContinuousQueryError {
    /// The stored text does not parse as a continuous query.
    #[error("query isn't a valid continuous query")]
    Invalid,
    /// The query has no aggregate (influxd's wording).
    #[error("continuous queries must be aggregate queries")]
    NotAggregate,
    /// The SELECT failed.
    #[error("{0}")]
    Exec(String),
}

/// One execution of a continuous query, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousQueryRun {
    /// Database of the query.
    pub database: String,
    /// Query name.
    pub name: String,
    /// Start of the time range (inclusive, ns).
    pub start: i64,
    /// End of the time range (exclusive, ns).
    pub end: i64,
    /// Points written, or the error.
    pub outcome: Result<i64, String>,
}

/// Clock of the service: the current time in ns since the epoch.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The current wall-clock time in ns.
pub fn system_now() -> i64 {
    chrono::Utc::now()
        .timestamp_nanos_opt()
        .unwrap_or(crate::time::MAX_TIME)
}

/// Runs the catalog's continuous queries on their schedule.
pub struct ContinuousQueryService {
    executor: Executor,
    metrics: Arc<ContinuousQueryMetrics>,
    run_interval: Duration,
    clock: Clock,
    /// Last run per (database, query), aligned on its resample interval.
    last_runs: HashMap<(String, String), i64>,
    /// Log each run (InfluxDB's `log-enabled`); errors are always logged.
    log_runs: bool,
}

impl ContinuousQueryService {
    /// A service over `executor`'s catalog, checking every second.
    pub fn new(executor: Executor) -> Self {
        ContinuousQueryService {
            metrics: executor.continuous_query_metrics().clone(),
            executor,
            run_interval: DEFAULT_RUN_INTERVAL,
            clock: Arc::new(system_now),
            last_runs: HashMap::new(),
            log_runs: true,
        }
    }

    /// Whether each run is logged at info level (errors always are).
    pub fn with_run_logging(mut self, enabled: bool) -> Self {
        self.log_runs = enabled;
        self
    }

    /// Counts into `metrics` (shared with the embedding server).
    pub fn with_metrics(mut self, metrics: Arc<ContinuousQueryMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Checks every `interval` instead of every second.
    pub fn with_run_interval(mut self, interval: Duration) -> Self {
        self.run_interval = interval;
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The service's counters.
    pub fn metrics(&self) -> &Arc<ContinuousQueryMetrics> {
        &self.metrics
    }

    /// Runs the check loop on a task until `shutdown` becomes true (or its
    /// sender is dropped).
    pub fn spawn(mut self, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            tracing::info!("starting continuous query service");
            let mut ticker = tokio::time::interval(self.run_interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                if *shutdown.borrow() {
                    break;
                }
                tokio::select! {
                    _ = ticker.tick() => {
                        let now = (self.clock)();
                        self.run_due(now).await;
                    }
                    changed = shutdown.changed() => {
                        if changed.is_err() {
                            break;
                        }
                    }
                }
            }
            tracing::info!("continuous query service terminating");
        })
    }

    /// Runs every query due at `now`; returns what ran.
    pub async fn run_due(&mut self, now: i64) -> Vec<ContinuousQueryRun> {
        let mut dbs = self.executor.storage().catalog().databases();
        dbs.sort_by_key(|d| d.id);
        let mut runs = Vec::new();
        // Forget queries that were dropped (with their database).
        self.last_runs.retain(|(db, name), _| {
            dbs.iter()
                .any(|d| d.name == *db && d.continuous_queries.contains_key(name))
        });
        for db in &dbs {
            for cq in db.continuous_queries_in_creation_order() {
                match self.run_one(db, &cq.name, &cq.query, now).await {
                    Ok(None) => {}
                    Ok(Some(run)) => runs.push(run),
                    Err(e) => {
                        self.metrics.failures.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(
                            name = %cq.name,
                            db = %db.name,
                            error = %e,
                            "error executing continuous query: {}",
                            cq.query
                        );
                    }
                }
            }
        }
        runs
    }

    /// Runs one query if it is due: `Ok(None)` when it is not (or its range
    /// is empty), the run otherwise (an execution error is in its outcome).
    async fn run_one(
        &mut self,
        db: &DatabaseDef,
        name: &str,
        text: &str,
        now: i64,
    ) -> Result<Option<ContinuousQueryRun>, ContinuousQueryError> {
        let (mut select, every, for_) = parse_stored(text)?;
        let Some(interval) = select.group_by_interval().filter(|i| *i > 0) else {
            return Ok(None);
        };
        if select.is_raw_query() {
            return Err(ContinuousQueryError::NotAggregate);
        }
        let offset = match select.group_by_offset() {
            Some(TimeOffset::Duration(d)) => d.rem_euclid(interval),
            _ => 0,
        };
        let key = (db.name.clone(), name.to_string());
        let schedule = Schedule {
            interval,
            offset,
            every,
            for_,
        };
        let Some((start, end, last_run)) = schedule.due(self.last_runs.get(&key).copied(), now)
        else {
            return Ok(None);
        };
        self.last_runs.insert(key, last_run);
        if end <= start {
            return Ok(None);
        }
        if let Some(into) = select.into.as_mut() {
            let target = &mut into.measurement;
            if target.retention_policy.as_deref().unwrap_or("").is_empty() {
                target.retention_policy = Some(db.default_rp.clone());
            }
        }
        select.condition = with_time_range(select.condition.take(), start, end);

        if self.log_runs {
            tracing::info!(
                name,
                db = %db.name,
                start = %format_time(start),
                end = %format_time(end),
                "executing continuous query"
            );
        }
        let began = Instant::now();
        let ctx = ExecContext {
            database: Some(db.name.clone()),
            now,
            ..Default::default()
        };
        let result = self
            .executor
            .execute(&Statement::Select(Box::new(select)), &ctx)
            .await;
        self.metrics.runs.fetch_add(1, Ordering::Relaxed);
        let outcome = match result.error {
            Some(e) => {
                self.metrics.failures.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    name,
                    db = %db.name,
                    error = %e,
                    "error executing continuous query: {text}"
                );
                Err(e)
            }
            None => {
                let written = written_points(&result);
                self.metrics
                    .points_written
                    .fetch_add(written.max(0) as u64, Ordering::Relaxed);
                if self.log_runs {
                    tracing::info!(
                        name,
                        db = %db.name,
                        start = %format_time(start),
                        end = %format_time(end),
                        written,
                        duration = ?began.elapsed(),
                        "finished continuous query"
                    );
                }
                Ok(written)
            }
        };
        Ok(Some(ContinuousQueryRun {
            database: db.name.clone(),
            name: name.to_string(),
            start,
            end,
            outcome,
        }))
    }
}

/// When a query runs and over which range.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    /// `GROUP BY time()` interval (ns, > 0).
    interval: i64,
    /// `GROUP BY` offset, in `[0, interval)`.
    offset: i64,
    /// `RESAMPLE EVERY` (0 = not given).
    every: i64,
    /// `RESAMPLE FOR` (0 = not given).
    for_: i64,
}

impl Schedule {
    /// `Some((start, end, new last run))` when the query is due at `now`
    /// given its last run; the range may be empty.
    fn due(&self, last_run: Option<i64>, now: i64) -> Option<(i64, i64, i64)> {
        let Schedule {
            interval,
            offset,
            every,
            for_,
        } = *self;
        let mut every = if every > 0 { every } else { interval };
        let next_run = match last_run {
            Some(last) => {
                let next = last.saturating_add(every);
                if next > now {
                    return None;
                }
                next
            }
            None => now,
        };
        let new_last = align(now, every, offset);
        let for_ = if for_ > 0 {
            for_
        } else if interval < every {
            every
        } else {
            interval
        };
        every = every.min(interval);
        let start = align(
            next_run
                .saturating_add(interval)
                .saturating_sub(for_)
                .saturating_sub(1),
            interval,
            offset,
        );
        let end = align(
            now.saturating_add(interval).saturating_sub(every),
            interval,
            offset,
        );
        Some((start, end, new_last))
    }
}

/// `t` rounded down to a multiple of `interval` shifted by `offset`.
fn align(t: i64, interval: i64, offset: i64) -> i64 {
    crate::time::window_start(t, interval, offset)
}

/// The SELECT, `RESAMPLE EVERY` and `RESAMPLE FOR` (0 when absent) of a
/// stored `CREATE CONTINUOUS QUERY` text.
fn parse_stored(text: &str) -> Result<(SelectStatement, i64, i64), ContinuousQueryError> {
    match almanac_influxql::parse_statement(text) {
        Ok(Statement::CreateContinuousQuery {
            resample_every,
            resample_for,
            query,
            ..
        }) if query.into.is_some() => Ok((
            *query,
            resample_every.unwrap_or(0).max(0),
            resample_for.unwrap_or(0).max(0),
        )),
        _ => Err(ContinuousQueryError::Invalid),
    }
}

/// The `written` count of a `SELECT ... INTO` result (-1 when absent, as influxd logs it).
fn written_points(result: &StatementResult) -> i64 {
    match result.series.first().and_then(|s| s.values.first()) {
        Some(row) => match row.get(1) {
            Some(Value::Integer(n)) => *n,
            _ => -1,
        },
        None => -1,
    }
}

/// RFC3339 with the fraction's trailing zeros dropped (Go's `RFC3339Nano`),
/// as InfluxDB writes a continuous query's time range.
fn format_time(t: i64) -> String {
    let dt = chrono::DateTime::from_timestamp_nanos(t);
    let mut out = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.rem_euclid(1_000_000_000);
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// `cond` without its time comparisons, `AND time >= start AND time < end`.
fn with_time_range(cond: Option<Expr>, start: i64, end: i64) -> Option<Expr> {
    let time = || Expr::VarRef {
        name: "time".into(),
        data_type: None,
    };
    let range = Expr::binary(
        BinaryOp::And,
        Expr::binary(BinaryOp::GtEq, time(), Expr::String(format_time(start))),
        Expr::binary(BinaryOp::Lt, time(), Expr::String(format_time(end))),
    );
    match cond.and_then(without_time) {
        Some(rest) => Some(Expr::binary(BinaryOp::And, paren(rest), range)),
        None => Some(range),
    }
}

fn paren(e: Expr) -> Expr {
    match e {
        Expr::Binary {
            op: BinaryOp::Or, ..
        } => Expr::Paren(Box::new(e)),
        other => other,
    }
}

/// `e` with every comparison on `time` taken as true and folded away;
/// `None` when nothing but time conditions remain.
fn without_time(e: Expr) -> Option<Expr> {
    match e {
        Expr::Paren(inner) => without_time(*inner).map(|i| Expr::Paren(Box::new(i))),
        Expr::Binary { op, lhs, rhs } if op.is_comparison() => {
            if lhs.unparen().is_time_ref() || rhs.unparen().is_time_ref() {
                None
            } else {
                Some(Expr::Binary { op, lhs, rhs })
            }
        }
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => match (without_time(*lhs), without_time(*rhs)) {
            (Some(l), Some(r)) => Some(Expr::binary(BinaryOp::And, l, r)),
            (l, r) => l.or(r),
        },
        Expr::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => match (without_time(*lhs), without_time(*rhs)) {
            (Some(l), Some(r)) => Some(Expr::binary(BinaryOp::Or, l, r)),
            // `x OR true` is true.
            _ => None,
        },
        other => Some(other),
    }
}

/// Statements.
impl Executor {
    /// `CREATE CONTINUOUS QUERY`: qualifies the query's measurements (the
    /// `db`/`rp` parameters, else the query's database and its default
    /// policy), checks their retention policies exist and stores the text.
    pub(crate) fn create_continuous_query(
        &self,
        stmt: &Statement,
        ctx: &ExecContext,
    ) -> Result<StatementResult, ExecError> {
        let Statement::CreateContinuousQuery {
            name,
            database,
            resample_every,
            resample_for,
            query,
        } = stmt
        else {
            return Err(ExecError::Query("not a continuous query".into()));
        };
        let catalog = self.storage().catalog();
        let default_db = ctx
            .database
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or(database);
        let default_rp = ctx.retention_policy.as_deref().filter(|r| !r.is_empty());
        let mut query = query.clone();
        let mut refs = Vec::new();
        collect_refs(&query, &mut refs);
        for m in refs.iter_mut() {
            qualify(m, default_db, default_rp, &|db| catalog.database(db))?;
        }
        for m in &refs {
            let (db, rp) = (
                m.database.as_deref().unwrap_or(""),
                m.retention_policy.as_deref().unwrap_or(""),
            );
            let exists = catalog
                .database(db)
                .is_some_and(|d| d.retention_policies.contains_key(rp));
            if !exists {
                return Err(ExecError::Query(format!(
                    "retention policy not found: {db}.{rp}"
                )));
            }
        }
        apply_refs(&mut query, &mut refs.into_iter());
        let canonical = Statement::CreateContinuousQuery {
            name: name.clone(),
            database: database.clone(),
            resample_every: *resample_every,
            resample_for: *resample_for,
            query,
        };
        catalog.create_continuous_query(database, name, &canonical.to_string())?;
        Ok(StatementResult::default())
    }

    /// `DROP CONTINUOUS QUERY name ON db` (a missing query or database is not an error).
    pub(crate) fn drop_continuous_query(
        &self,
        name: &str,
        database: &str,
    ) -> Result<StatementResult, ExecError> {
        self.storage()
            .catalog()
            .drop_continuous_query(database, name)?;
        Ok(StatementResult::default())
    }

    /// `SHOW CONTINUOUS QUERIES`: one series per database, in creation order,
    /// with or without queries.
    pub(crate) fn show_continuous_queries(&self) -> StatementResult {
        let mut dbs = self.storage().catalog().databases();
        dbs.sort_by_key(|d| d.id);
        let series = dbs
            .iter()
            .map(|db| {
                let mut s = Series::new(db.name.as_str(), &["name", "query"]);
                s.values = db
                    .continuous_queries_in_creation_order()
                    .into_iter()
                    .map(|cq| {
                        vec![
                            Value::from(cq.name.as_str()),
                            Value::from(cq.query.as_str()),
                        ]
                    })
                    .collect();
                s
            })
            .collect();
        StatementResult::with_series(series)
    }
}

/// Every measurement reference of `select` in influxd's walk order (the INTO
/// target, then the sources, subqueries included), copied out.
fn collect_refs(select: &SelectStatement, out: &mut Vec<MeasurementRef>) {
    if let Some(into) = &select.into {
        out.push(into.measurement.clone());
    }
    for source in &select.sources {
        match source {
            Source::Measurement(m) => out.push(m.clone()),
            Source::Subquery(sub) => collect_refs(sub, out),
        }
    }
}

/// Writes `refs` (as produced by [`collect_refs`]) back into `select`.
fn apply_refs(select: &mut SelectStatement, refs: &mut impl Iterator<Item = MeasurementRef>) {
    if let Some(into) = &mut select.into {
        if let Some(m) = refs.next() {
            into.measurement = m;
        }
    }
    for source in &mut select.sources {
        match source {
            Source::Measurement(m) => {
                if let Some(q) = refs.next() {
                    *m = q;
                }
            }
            Source::Subquery(sub) => apply_refs(sub, refs),
        }
    }
}

/// Fills in a measurement's database and retention policy as influxd's
/// statement normalization does.
fn qualify<D: AsRef<DatabaseDef>>(
    m: &mut MeasurementRef,
    default_db: &str,
    default_rp: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<D>,
) -> Result<(), ExecError> {
    let db_name = match m.database.as_deref() {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => default_db.to_string(),
    };
    if db_name.is_empty() {
        return Err(ExecError::Query("database name required".into()));
    }
    let Some(db) = lookup(&db_name) else {
        return Err(ExecError::Query(format!("database not found: {db_name}")));
    };
    let db = db.as_ref();
    if m.retention_policy.as_deref().unwrap_or("").is_empty() {
        let rp = match default_rp {
            Some(rp) => rp.to_string(),
            None if !db.default_rp.is_empty() => db.default_rp.clone(),
            None => {
                return Err(ExecError::Query(format!(
                    "default retention policy not set for: {db_name}"
                )))
            }
        };
        m.retention_policy = Some(rp);
    }
    m.database = Some(db_name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicI64;

    use almanac_catalog::Catalog;
    use almanac_lineproto::Precision;
    use almanac_storage::{Storage, StorageConfig};
    use proptest::prelude::*;

    use super::*;

    const S: i64 = 1_000_000_000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;

    fn executor(dir: &std::path::Path) -> Executor {
        let catalog = Catalog::open(&dir.join("catalog.redb")).unwrap();
        let storage = Storage::open(StorageConfig::new(dir), catalog).unwrap();
        Executor::new(storage)
    }

    async fn run(ex: &Executor, q: &str, db: Option<&str>, rp: Option<&str>) -> StatementResult {
        let stmt = almanac_influxql::parse_statement(q).unwrap();
        let ctx = ExecContext {
            database: db.map(str::to_string),
            retention_policy: rp.map(str::to_string),
            ..Default::default()
        };
        ex.execute(&stmt, &ctx).await
    }

    async fn ok(ex: &Executor, q: &str) {
        let r = run(ex, q, None, None).await;
        assert_eq!(r.error, None, "{q}");
    }

    fn stored(ex: &Executor, db: &str, name: &str) -> String {
        let def = ex.storage().catalog().database(db).unwrap();
        def.continuous_query(name).unwrap().query.clone()
    }

    async fn setup(dir: &std::path::Path) -> Executor {
        let ex = executor(dir);
        ok(&ex, "CREATE DATABASE db").await;
        ok(&ex, "CREATE DATABASE other").await;
        ok(
            &ex,
            "CREATE RETENTION POLICY rp2 ON db DURATION 1d REPLICATION 1",
        )
        .await;
        ex
    }

    fn sched(interval: i64, offset: i64, every: i64, for_: i64) -> Schedule {
        Schedule {
            interval,
            offset,
            every,
            for_,
        }
    }

    #[test]
    fn first_check_between_boundaries_runs_nothing_but_remembers() {
        let s = sched(H, 0, 0, 0);
        let (start, end, last) = s.due(None, 10 * H + 20 * M).unwrap();
        assert_eq!((start, end, last), (10 * H, 10 * H, 10 * H));
        // Not due again before the next boundary.
        assert_eq!(s.due(Some(last), 10 * H + 59 * M), None);
        // At the boundary: the hour that just ended.
        assert_eq!(s.due(Some(last), 11 * H), Some((10 * H, 11 * H, 11 * H)));
        // Late by a bit: same window.
        assert_eq!(
            s.due(Some(last), 11 * H + 3 * S),
            Some((10 * H, 11 * H, 11 * H))
        );
    }

    #[test]
    fn first_check_on_a_boundary_covers_the_previous_interval() {
        let s = sched(H, 0, 0, 0);
        assert_eq!(s.due(None, 10 * H), Some((9 * H, 10 * H, 10 * H)));
    }

    #[test]
    fn missed_intervals_are_covered_from_the_expected_run() {
        let s = sched(H, 0, 0, 0);
        // Last run at 10h, next check only at 13h30: covers 10h..13h.
        assert_eq!(
            s.due(Some(10 * H), 13 * H + 30 * M),
            Some((10 * H, 13 * H, 13 * H))
        );
    }

    #[test]
    fn offsets_shift_boundaries() {
        let s = sched(H, 15 * M, 0, 0);
        let (_, _, last) = s.due(None, 10 * H + 20 * M).unwrap();
        assert_eq!(last, 10 * H + 15 * M);
        assert_eq!(s.due(Some(last), 11 * H), None);
        assert_eq!(
            s.due(Some(last), 11 * H + 15 * M),
            Some((10 * H + 15 * M, 11 * H + 15 * M, 11 * H + 15 * M))
        );
    }

    #[test]
    fn resample_every_and_for() {
        // GROUP BY time(30m) RESAMPLE EVERY 30m FOR 1h (InfluxDB docs'
        // example): each run covers the last two 30-minute windows.
        let s = sched(30 * M, 0, 30 * M, H);
        assert_eq!(
            s.due(Some(7 * H + 30 * M), 8 * H),
            Some((7 * H, 8 * H, 8 * H))
        );
        // RESAMPLE EVERY 1h with GROUP BY time(30m): runs hourly over the
        // last hour (two windows).
        let s = sched(30 * M, 0, H, 0);
        assert_eq!(s.due(Some(7 * H), 7 * H + 30 * M), None);
        assert_eq!(s.due(Some(7 * H), 8 * H), Some((7 * H, 8 * H, 8 * H)));
        // RESAMPLE FOR 90m with GROUP BY time(30m): every 30m, three windows
        // (the current one included while it is open).
        let s = sched(30 * M, 0, 0, 90 * M);
        assert_eq!(
            s.due(Some(7 * H + 30 * M), 8 * H),
            Some((6 * H + 30 * M, 8 * H, 8 * H))
        );
        // RESAMPLE EVERY 10m FOR 1h with GROUP BY time(30m): every 10m,
        // up to the end of the open window.
        let s = sched(30 * M, 0, 10 * M, H);
        assert_eq!(
            s.due(Some(8 * H), 8 * H + 10 * M),
            Some((7 * H + 30 * M, 8 * H + 30 * M, 8 * H + 10 * M))
        );
    }

    #[test]
    fn time_conditions_are_replaced() {
        let sel = |q: &str| match almanac_influxql::parse_statement(q).unwrap() {
            Statement::Select(s) => *s,
            _ => unreachable!(),
        };
        let s = sel("SELECT mean(v) FROM m WHERE time > now() - 1h AND host = 'a' OR host = 'b'");
        let c = with_time_range(s.condition, 0, S).unwrap().to_string();
        assert_eq!(
            c,
            "(host = 'a' OR host = 'b') AND time >= '1970-01-01T00:00:00Z' AND time < '1970-01-01T00:00:01Z'"
        );
        let s = sel("SELECT mean(v) FROM m WHERE time > now() - 1h");
        let c = with_time_range(s.condition, 1_500_000_000, 2 * S)
            .unwrap()
            .to_string();
        assert_eq!(
            c,
            "time >= '1970-01-01T00:00:01.5Z' AND time < '1970-01-01T00:00:02Z'"
        );
        let s = sel("SELECT mean(v) FROM m WHERE host = 'a' AND (time < 5 OR host = 'c')");
        let c = with_time_range(s.condition, 0, S).unwrap().to_string();
        assert_eq!(
            c,
            "host = 'a' AND time >= '1970-01-01T00:00:00Z' AND time < '1970-01-01T00:00:01Z'"
        );
    }

    /// The texts influxd 1.6.7 stores for the same statements.
    #[tokio::test]
    async fn create_stores_the_qualified_text_as_influxd() {
        let dir = tempfile::tempdir().unwrap();
        let ex = setup(dir.path()).await;
        // (statement, db parameter, rp parameter, name, stored text)
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
        let cases: &[Case] = &[
            (
                "CREATE CONTINUOUS QUERY cq1 ON db BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY time(1h) END",
                None, None, "cq1",
                "CREATE CONTINUOUS QUERY cq1 ON db BEGIN SELECT mean(v) INTO db.autogen.m2 FROM db.autogen.m GROUP BY time(1h) END",
            ),
            (
                "CREATE CONTINUOUS QUERY cq1b ON db BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY time(1h) END",
                Some("other"), None, "cq1b",
                "CREATE CONTINUOUS QUERY cq1b ON db BEGIN SELECT mean(v) INTO other.autogen.m2 FROM other.autogen.m GROUP BY time(1h) END",
            ),
            (
                "CREATE CONTINUOUS QUERY cq1c ON db BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY time(1h) END",
                Some("db"), Some("rp2"), "cq1c",
                "CREATE CONTINUOUS QUERY cq1c ON db BEGIN SELECT mean(v) INTO db.rp2.m2 FROM db.rp2.m GROUP BY time(1h) END",
            ),
            (
                "CREATE CONTINUOUS QUERY cq2 ON db RESAMPLE EVERY 30m FOR 2h BEGIN SELECT mean(v) AS mv, max(\"v x\") INTO \"other\".\"autogen\".\"m 3\" FROM db.rp2.m, m4 WHERE host = 'a' GROUP BY time(1h, 5m), host fill(0) END",
                None, None, "cq2",
                "CREATE CONTINUOUS QUERY cq2 ON db RESAMPLE EVERY 30m FOR 2h BEGIN SELECT mean(v) AS mv, max(\"v x\") INTO other.autogen.\"m 3\" FROM db.rp2.m, db.autogen.m4 WHERE host = 'a' GROUP BY time(1h, 5m), host fill(0) END",
            ),
            (
                "CREATE CONTINUOUS QUERY cq11 ON db BEGIN SELECT mean(v) INTO m2 FROM (SELECT v FROM m) GROUP BY time(1h) END",
                None, None, "cq11",
                "CREATE CONTINUOUS QUERY cq11 ON db BEGIN SELECT mean(v) INTO db.autogen.m2 FROM (SELECT v FROM db.autogen.m) GROUP BY time(1h) END",
            ),
            (
                "CREATE CONTINUOUS QUERY cq4 ON db BEGIN SELECT v INTO m2 FROM m END",
                None, None, "cq4",
                "CREATE CONTINUOUS QUERY cq4 ON db BEGIN SELECT v INTO db.autogen.m2 FROM db.autogen.m END",
            ),
            (
                "CREATE CONTINUOUS QUERY r1 ON db BEGIN SELECT mean(v) INTO db.autogen.:MEASUREMENT FROM /.*/ GROUP BY time(1h) END",
                None, None, "r1",
                "CREATE CONTINUOUS QUERY r1 ON db BEGIN SELECT mean(v) INTO db.autogen.:MEASUREMENT FROM db.autogen./.*/ GROUP BY time(1h) END",
            ),
            (
                "CREATE CONTINUOUS QUERY r2 ON db BEGIN SELECT mean(v) INTO \"x y\" FROM /^c/ WHERE time > now() - 1h GROUP BY time(1s), * END",
                None, None, "r2",
                "CREATE CONTINUOUS QUERY r2 ON db BEGIN SELECT mean(v) INTO db.autogen.\"x y\" FROM db.autogen./^c/ WHERE time > now() - 1h GROUP BY time(1s), * END",
            ),
        ];
        for (q, db, rp, name, want) in cases {
            let r = run(&ex, q, *db, *rp).await;
            assert_eq!(r.error, None, "{q}");
            assert_eq!(stored(&ex, "db", name), *want);
        }
        // Same text again: no-op; other text: exists.
        let r = run(&ex, cases[0].0, None, None).await;
        assert_eq!(r.error, None);
        let r = run(
            &ex,
            "CREATE CONTINUOUS QUERY cq1 ON db BEGIN SELECT max(v) INTO m2 FROM m GROUP BY time(1h) END",
            None,
            None,
        )
        .await;
        assert_eq!(r.error.as_deref(), Some("continuous query already exists"));
    }

    #[tokio::test]
    async fn create_errors_as_influxd() {
        let dir = tempfile::tempdir().unwrap();
        let ex = setup(dir.path()).await;
        let cases = [
            (
                "CREATE CONTINUOUS QUERY cq7 ON nodb BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY time(1h) END",
                "database not found: nodb",
            ),
            (
                "CREATE CONTINUOUS QUERY cq8 ON db BEGIN SELECT mean(v) INTO m2 FROM nope.m GROUP BY time(1h) END",
                "retention policy not found: db.nope",
            ),
            (
                "CREATE CONTINUOUS QUERY cq9 ON db BEGIN SELECT mean(v) INTO m2 FROM db.norp.m GROUP BY time(1h) END",
                "retention policy not found: db.norp",
            ),
            (
                "CREATE CONTINUOUS QUERY cq10 ON db BEGIN SELECT mean(v) INTO db.norp.m2 FROM m GROUP BY time(1h) END",
                "retention policy not found: db.norp",
            ),
            (
                "CREATE CONTINUOUS QUERY cq12 ON db BEGIN SELECT mean(v) INTO m2 FROM x.y.m GROUP BY time(1h) END",
                "database not found: x",
            ),
        ];
        for (q, want) in cases {
            let r = run(&ex, q, None, None).await;
            assert_eq!(r.error.as_deref(), Some(want), "{q}");
        }
        let show = run(&ex, "SHOW CONTINUOUS QUERIES", None, None).await;
        assert!(show.series.iter().all(|s| s.values.is_empty()));
    }

    #[tokio::test]
    async fn show_lists_every_database_and_drop_removes() {
        let dir = tempfile::tempdir().unwrap();
        let ex = setup(dir.path()).await;
        let show = run(&ex, "SHOW CONTINUOUS QUERIES", None, None).await;
        assert_eq!(show.error, None);
        let names: Vec<_> = show.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["db", "other"]);
        assert!(show.series.iter().all(|s| s.columns == ["name", "query"]));
        ok(&ex, "CREATE CONTINUOUS QUERY b ON db BEGIN SELECT count(v) INTO m2 FROM m GROUP BY time(1m) END").await;
        ok(&ex, "CREATE CONTINUOUS QUERY a ON db BEGIN SELECT sum(v) INTO m3 FROM m GROUP BY time(1m) END").await;
        let show = run(&ex, "SHOW CONTINUOUS QUERIES", None, None).await;
        let rows: Vec<_> = show.series[0].values.iter().map(|r| r[0].clone()).collect();
        assert_eq!(rows, [Value::from("b"), Value::from("a")]);
        assert!(show.series[1].values.is_empty());
        ok(&ex, "DROP CONTINUOUS QUERY b ON db").await;
        ok(&ex, "DROP CONTINUOUS QUERY b ON db").await;
        ok(&ex, "DROP CONTINUOUS QUERY b ON nodb").await;
        let show = run(&ex, "SHOW CONTINUOUS QUERIES", None, None).await;
        let rows: Vec<_> = show.series[0].values.iter().map(|r| r[0].clone()).collect();
        assert_eq!(rows, [Value::from("a")]);
    }

    async fn write(ex: &Executor, db: &str, body: &str) {
        let out = ex
            .storage()
            .write(db, None, body.as_bytes(), Precision::Second)
            .await
            .unwrap();
        assert_eq!(out.dropped(), 0);
    }

    async fn rows(ex: &Executor, q: &str) -> Vec<Vec<Value>> {
        let r = run(ex, q, Some("db"), None).await;
        assert_eq!(r.error, None, "{q}");
        r.series.into_iter().flat_map(|s| s.values).collect()
    }

    #[tokio::test]
    async fn runs_downsample_on_schedule_and_count() {
        let dir = tempfile::tempdir().unwrap();
        let ex = setup(dir.path()).await;
        ok(&ex, "CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) AS v, count(v) AS n INTO down FROM m WHERE time > 0 GROUP BY time(10s), host END").await;
        write(
            &ex,
            "db",
            "m,host=a v=1 100\nm,host=a v=3 105\nm,host=b v=10 109\nm,host=a v=7 110\nm,host=a v=100 95",
        )
        .await;
        let mut svc = ContinuousQueryService::new(ex.clone());
        // First check mid-window: nothing to compute yet.
        assert!(svc.run_due(103 * S).await.is_empty());
        assert!(svc.run_due(109 * S).await.is_empty());
        // The 100s..110s window closes.
        let runs = svc.run_due(110 * S).await;
        assert_eq!(runs.len(), 1);
        assert_eq!((runs[0].start, runs[0].end), (100 * S, 110 * S));
        assert_eq!(runs[0].outcome, Ok(2));
        let got = rows(&ex, "SELECT v, n, host FROM down").await;
        assert_eq!(
            got,
            vec![
                vec![
                    Value::Time(100 * S),
                    Value::Float(2.0),
                    Value::Integer(2),
                    Value::from("a")
                ],
                vec![
                    Value::Time(100 * S),
                    Value::Float(10.0),
                    Value::Integer(1),
                    Value::from("b")
                ],
            ]
        );
        // Next window.
        let runs = svc.run_due(121 * S).await;
        assert_eq!((runs[0].start, runs[0].end), (110 * S, 120 * S));
        assert_eq!(runs[0].outcome, Ok(1));
        assert_eq!(svc.metrics().snapshot(), (2, 0, 3));
    }

    #[tokio::test]
    async fn failures_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let ex = setup(dir.path()).await;
        // influxd accepts raw CQs: without GROUP BY time() they never run,
        // with it they fail on every check.
        ok(
            &ex,
            "CREATE CONTINUOUS QUERY never ON db BEGIN SELECT v INTO m2 FROM m END",
        )
        .await;
        ok(
            &ex,
            "CREATE CONTINUOUS QUERY raw ON db BEGIN SELECT v INTO m2 FROM m GROUP BY time(1s) END",
        )
        .await;
        let mut svc = ContinuousQueryService::new(ex.clone());
        assert!(svc.run_due(10 * S).await.is_empty());
        assert_eq!(svc.metrics().snapshot(), (0, 1, 0));
        assert!(svc.run_due(11 * S).await.is_empty());
        assert_eq!(svc.metrics().snapshot(), (0, 2, 0));
        ok(&ex, "DROP CONTINUOUS QUERY never ON db").await;
        // A query whose INTO policy disappeared fails when it runs.
        ok(&ex, "DROP CONTINUOUS QUERY raw ON db").await;
        ok(&ex, "CREATE CONTINUOUS QUERY gone ON db BEGIN SELECT max(v) INTO db.rp2.m2 FROM m GROUP BY time(1s) END").await;
        ok(&ex, "DROP RETENTION POLICY rp2 ON db").await;
        write(&ex, "db", "m v=1 10").await;
        let runs = svc.run_due(11 * S).await;
        assert_eq!(runs.len(), 1);
        assert!(runs[0].outcome.is_err(), "{:?}", runs[0].outcome);
        assert_eq!(svc.metrics().snapshot(), (1, 3, 0));
    }

    #[tokio::test]
    async fn spawned_service_follows_its_clock_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let ex = setup(dir.path()).await;
        ok(&ex, "CREATE CONTINUOUS QUERY cq ON db RESAMPLE FOR 2s BEGIN SELECT sum(v) INTO s FROM m GROUP BY time(1s) END").await;
        write(&ex, "db", "m v=1 10\nm v=2 11\nm v=4 12").await;
        let clock = Arc::new(AtomicI64::new(10 * S + S / 2));
        let c = clock.clone();
        let metrics = Arc::new(ContinuousQueryMetrics::default());
        let (tx, rx) = watch::channel(false);
        let task = ContinuousQueryService::new(ex.clone())
            .with_metrics(metrics.clone())
            .with_run_interval(Duration::from_millis(5))
            .with_clock(Arc::new(move || c.load(Ordering::SeqCst)))
            .spawn(rx);
        let wait_runs = |n: u64| {
            let metrics = metrics.clone();
            async move {
                for _ in 0..2000 {
                    if metrics.runs.load(Ordering::Relaxed) >= n {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                panic!("the service did not run {n} queries");
            }
        };
        // The first check (10.5s) covers the closed window 9s..10s (empty).
        wait_runs(1).await;
        assert_eq!(metrics.snapshot(), (1, 0, 0));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(metrics.runs.load(Ordering::Relaxed), 1);
        clock.store(12 * S, Ordering::SeqCst);
        wait_runs(2).await;
        clock.store(13 * S, Ordering::SeqCst);
        wait_runs(3).await;
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap();
        // 9s..12s (FOR 2s back from the 11s boundary), then 11s..13s.
        let got = rows(&ex, "SELECT sum FROM s").await;
        assert_eq!(
            got,
            vec![
                vec![Value::Time(10 * S), Value::Float(1.0)],
                vec![Value::Time(11 * S), Value::Float(2.0)],
                vec![Value::Time(12 * S), Value::Float(4.0)],
            ]
        );
        assert_eq!(metrics.snapshot(), (3, 0, 4));
    }

    proptest! {
        #[test]
        fn schedule_never_panics_and_aligns(
            interval in 1i64..=10 * H,
            offset in 0i64..10 * H,
            every in prop_oneof![Just(0i64), 1i64..=10 * H],
            for_ in prop_oneof![Just(0i64), 1i64..=20 * H],
            last in prop::option::of(any::<i64>()),
            now in any::<i64>(),
        ) {
            let offset = offset % interval;
            let s = sched(interval, offset, every, for_);
            let _ = s.due(last, now);
            // Away from the ends of the i64 range, bounds sit on boundaries.
            let (last, now) = (last.map(|l| l / 4), now / 4);
            if let Some((start, end, _)) = s.due(last, now) {
                prop_assert_eq!(align(start, interval, offset), start);
                prop_assert_eq!(align(end, interval, offset), end);
            }
        }
    }
}
