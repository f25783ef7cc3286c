//! Executes InfluxQL (parsed by [`almanac_influxql`]) over Almanac's catalog
//! and storage, producing InfluxDB 1.x results, and encodes those results as
//! `/query` answers (JSON, chunked JSON, CSV).
//!
//! `SELECT` reads each measurement through a DataFusion plan over the storage
//! table providers (time range and `WHERE` pushed into the scan, so partitions
//! and files are pruned), then applies InfluxQL's own semantics — windows,
//! aggregates and selectors, fill, transformations, series limits — in
//! [`select`]. Database, retention-policy and schema statements go to the
//! catalog in [`meta`].

#![warn(missing_docs)]

pub mod analysis;
#[cfg(test)]
mod compat_tests;
pub mod condition;
pub mod continuous;
pub mod encode;
pub mod functions;
pub mod gosort;
mod group;
mod into;
#[cfg(test)]
mod leading_window_tests;
mod meta;
pub mod result;
mod scan;
mod scan_memory;
mod select;
mod subquery;
pub mod subscriptions;
pub mod system;
pub mod time;
pub mod transform;
mod types;
pub mod users;
pub mod value_ops;

use std::sync::Arc;

use almanac_influxql::{Query, Statement};
use almanac_query::{QueryEngine, QueryError};
use almanac_storage::Storage;

pub use result::{Message, Series, StatementResult, Value};

/// Errors of statement execution; the message is what the client sees.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The statement is invalid or cannot run (InfluxDB's wording).
    #[error("{0}")]
    Query(String),
    /// The query engine failed.
    #[error("{0}")]
    Engine(#[from] QueryError),
    /// DataFusion failed.
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// An Arrow kernel failed.
    #[error("{0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// The catalog refused a change.
    #[error("{0}")]
    Catalog(#[from] almanac_catalog::CatalogError),
    /// Storage failed.
    #[error("{0}")]
    Storage(#[from] almanac_storage::StorageError),
}

/// Per-request settings of execution.
#[derive(Debug, Clone, Default)]
pub struct ExecContext {
    /// The `db` parameter.
    pub database: Option<String>,
    /// The `rp` parameter.
    pub retention_policy: Option<String>,
    /// The query's `now()` in ns.
    pub now: i64,
    /// True for GET requests: statements that change things then carry
    /// InfluxDB's deprecation warning.
    pub read_only: bool,
    /// The authenticated user; `None` = authentication disabled. When set,
    /// each statement is checked against the user's privileges.
    pub user: Option<Arc<almanac_catalog::UserDef>>,
}

/// The InfluxDB version Almanac answers as (headers, `SHOW DIAGNOSTICS`).
pub const INFLUXDB_VERSION: &str = "1.8.10";

/// Runs InfluxQL statements.
#[derive(Clone)]
pub struct Executor {
    storage: Arc<Storage>,
    engine: QueryEngine,
    queries: system::SharedRegistry,
    started: std::time::Instant,
    /// Counters of the continuous query service running over this executor.
    cq_metrics: Arc<continuous::ContinuousQueryMetrics>,
    /// Counters of the subscription service forwarding this server's writes.
    subscriber_metrics: Arc<subscriptions::SubscriberMetrics>,
}

impl Executor {
    /// An executor over `storage`.
    pub fn new(storage: Arc<Storage>) -> Self {
        let engine = QueryEngine::new(storage.clone());
        Executor {
            storage,
            engine,
            queries: Arc::default(),
            started: std::time::Instant::now(),
            cq_metrics: Arc::default(),
            subscriber_metrics: Arc::default(),
        }
    }

    /// The subscription service's counters (`SHOW STATS` module `subscriber`, `/metrics`).
    pub fn subscriber_metrics(&self) -> &Arc<subscriptions::SubscriberMetrics> {
        &self.subscriber_metrics
    }

    /// The continuous query counters (`SHOW STATS` module `cq`, `/metrics`).
    pub fn continuous_query_metrics(&self) -> &Arc<continuous::ContinuousQueryMetrics> {
        &self.cq_metrics
    }

    pub(crate) fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    pub(crate) fn engine(&self) -> &QueryEngine {
        &self.engine
    }

    /// The schema of `schema`'s measurement as retention policy `rp` holds
    /// it: only the tags and fields with data there (InfluxDB keeps schemas
    /// per shard, so each RP has its own). `None` when the RP has no data
    /// for it; the full schema when storage cannot tell.
    pub(crate) fn rp_schema(
        &self,
        db: &almanac_catalog::DatabaseDef,
        rp: &str,
        schema: &Arc<almanac_catalog::MeasurementSchema>,
    ) -> Option<Arc<almanac_catalog::MeasurementSchema>> {
        let Some(present) = self.storage.present_columns(db.id, rp, &schema.name) else {
            return Some(schema.clone());
        };
        if present.is_empty() {
            return None;
        }
        // Tags come from the database-wide index in InfluxDB; fields are per shard.
        let has_values = |name: &String| {
            if schema.tags.contains(name) {
                present.contains(&almanac_storage::schema::field_column_name(name, true))
            } else {
                present.contains(name)
            }
        };
        if schema.fields.keys().all(has_values) {
            return Some(schema.clone());
        }
        let mut restricted = almanac_catalog::MeasurementSchema::new(schema.name.clone());
        restricted.tags = schema.tags.clone();
        restricted.fields = schema
            .fields
            .iter()
            .filter(|(name, _)| has_values(name))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        Some(Arc::new(restricted))
    }

    /// Runs the statements of `query` in order and stops at the first that
    /// fails, answering as influxd 1.6.7 does when it is not the last one
    /// ([`result::merged_failure`]: `not executed`).
    pub async fn execute_query(&self, query: &Query, ctx: &ExecContext) -> Vec<StatementResult> {
        let total = query.statements.len();
        let mut results = Vec::with_capacity(total);
        for (id, stmt) in query.statements.iter().enumerate() {
            let mut r = self.execute(stmt, ctx).await;
            r.statement_id = id;
            if r.error.is_some() {
                results.push(result::merged_failure(r, total));
                break;
            }
            results.push(r);
        }
        results
    }

    /// Runs one statement; it shows in `SHOW QUERIES` while it runs and
    /// `KILL QUERY` stops it.
    pub async fn execute(&self, stmt: &Statement, ctx: &ExecContext) -> StatementResult {
        let task_stmt = Arc::new(stmt.clone());
        let (id, kill_signal) = self
            .queries
            .register(task_stmt.clone(), ctx.database.clone().unwrap_or_default());
        let this = self.clone();
        let task_ctx = ctx.clone();
        let mut task = tokio::spawn(async move { this.execute_inner(&task_stmt, &task_ctx).await });
        self.queries.set_abort(id, task.abort_handle());
        // If the caller goes away (the client hung up), the statement leaves
        // SHOW QUERIES and its task is aborted.
        let guard = RunningGuard {
            queries: &*self.queries,
            id,
            abort: task.abort_handle(),
        };
        // A killed statement answers at once, even while its task is inside
        // work that does not yield (the abort lands at its next await).
        let outcome = tokio::select! {
            outcome = &mut task => Some(outcome),
            _ = kill_signal.notified() => None,
        };
        let killed = self.queries.is_killed(id);
        drop(guard);
        match outcome {
            None => StatementResult::error("query killed"),
            Some(Err(_)) if killed => StatementResult::error("query killed"),
            Some(Ok(Ok(r))) => r,
            Some(Ok(Err(e))) => StatementResult::error(e.to_string()),
            Some(Err(e)) => StatementResult::error(format!("internal error: {e}")),
        }
    }

    async fn execute_inner(
        &self,
        stmt: &Statement,
        ctx: &ExecContext,
    ) -> Result<StatementResult, ExecError> {
        if let Some(user) = &ctx.user {
            users::authorize_statement(user, stmt, ctx.database.as_deref())
                .map_err(|e| ExecError::Query(e.message()))?;
        }
        match stmt {
            Statement::Select(select) => {
                let needs_db = select.sources.iter().any(|s| match s {
                    almanac_influxql::Source::Measurement(m) => m.database.is_none(),
                    almanac_influxql::Source::Subquery(_) => true,
                });
                let db = ctx.database.as_deref().unwrap_or("");
                if needs_db && db.is_empty() {
                    return Err(ExecError::Query("database name required".into()));
                }
                let series = self
                    .select(select, db, ctx.retention_policy.as_deref(), ctx.now)
                    .await?;
                if let Some(into) = &select.into {
                    return self
                        .write_into(into, &series, db, ctx.retention_policy.as_deref())
                        .await;
                }
                let mut result = StatementResult::with_series(series);
                if let Some(tz) = &select.timezone {
                    result.timezone = tz.parse().ok();
                }
                Ok(result)
            }
            Statement::Explain {
                analyze, statement, ..
            } => {
                let db = ctx.database.as_deref().unwrap_or("");
                let lines = self
                    .explain(
                        statement,
                        db,
                        ctx.retention_policy.as_deref(),
                        ctx.now,
                        *analyze,
                    )
                    .await?;
                let column = if *analyze {
                    "EXPLAIN ANALYZE"
                } else {
                    "QUERY PLAN"
                };
                let mut s = Series::new("", &[column]);
                s.values = lines.into_iter().map(|l| vec![Value::String(l)]).collect();
                Ok(StatementResult::with_series(vec![s]))
            }
            Statement::ShowShards => Ok(StatementResult::with_series(self.show_shards())),
            Statement::ShowShardGroups => {
                Ok(StatementResult::with_series(self.show_shard_groups()))
            }
            Statement::DropShard { id } => {
                self.drop_shard(*id).await?;
                Ok(StatementResult::default())
            }
            Statement::ShowStats { module } => Ok(StatementResult::with_series(
                self.show_stats(module.as_deref()),
            )),
            Statement::ShowDiagnostics { module } => Ok(StatementResult::with_series(
                self.show_diagnostics(module.as_deref()),
            )),
            Statement::ShowQueries => Ok(StatementResult::with_series(self.show_queries())),
            Statement::KillQuery { id, .. } => {
                self.kill_query(*id)?;
                Ok(StatementResult::default())
            }
            Statement::CreateContinuousQuery { .. } => self.create_continuous_query(stmt, ctx),
            Statement::DropContinuousQuery { name, database } => {
                self.drop_continuous_query(name, database)
            }
            Statement::ShowContinuousQueries => Ok(self.show_continuous_queries()),
            Statement::CreateSubscription { .. }
            | Statement::DropSubscription { .. }
            | Statement::ShowSubscriptions => self.execute_subscription_statement(stmt),
            Statement::CreateUser { .. }
            | Statement::DropUser { .. }
            | Statement::SetPassword { .. }
            | Statement::Grant { .. }
            | Statement::GrantAdmin { .. }
            | Statement::Revoke { .. }
            | Statement::RevokeAdmin { .. }
            | Statement::ShowUsers
            | Statement::ShowGrants { .. } => self.execute_user_statement(stmt).await,
            Statement::ShowDatabases if ctx.user.is_some() => {
                let result = self.execute_meta(stmt, ctx).await?;
                Ok(match &ctx.user {
                    Some(user) => users::filter_databases(result, user),
                    None => result,
                })
            }
            other => self.execute_meta(other, ctx).await,
        }
    }
}

/// Removes a statement from the registry (aborting its task) when its
/// caller finishes or is dropped.
struct RunningGuard<'a> {
    queries: &'a system::QueryRegistry,
    id: u64,
    abort: tokio::task::AbortHandle,
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.abort.abort();
        self.queries.finish(self.id);
    }
}
