//! Query engine of Almanac: a DataFusion session whose tables are the
//! measurements held by [`almanac_storage`].
//!
//! Each database is a DataFusion catalog. Its default retention policy is
//! the schema `iox` (as in InfluxDB 3) and every retention policy is also a
//! schema under its own name, so `SELECT * FROM cpu` and
//! `SELECT * FROM autogen.cpu` both work. A measurement's table has one
//! dictionary-string column per tag key, one column per field, and `time`.
//!
//! Scans prune partitions and files by the time bounds found in the query's
//! filters before any file is opened, skip files whose tag ranges hold no
//! series an equality filter on a tag accepts, and drop rows of other series
//! before merging; each time partition is read (and
//! merged where sources overlap) lazily as one DataFusion partition.

#![warn(missing_docs)]

mod table;
mod tag_filters;
mod time_bounds;

use std::sync::Arc;

use almanac_catalog::DatabaseDef;
use almanac_storage::Storage;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use table::MeasurementTable;
pub use tag_filters::{tag_filter, tag_filters};
pub use time_bounds::time_bounds;

/// Name of the schema that holds the default retention policy's tables.
pub const DEFAULT_SCHEMA: &str = "iox";

/// Errors of the query layer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The database does not exist.
    #[error("database not found: {0}")]
    DatabaseNotFound(String),
    /// Planning or execution failed.
    #[error("{0}")]
    DataFusion(#[from] DataFusionError),
}

/// The result of a query: its schema and batches.
#[derive(Debug, Clone)]
pub struct QueryOutput {
    /// Schema of the result (also when there are no rows).
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
}

/// Runs SQL over the storage engine.
#[derive(Clone)]
pub struct QueryEngine {
    storage: Arc<Storage>,
}

impl QueryEngine {
    /// An engine over `storage`.
    pub fn new(storage: Arc<Storage>) -> Self {
        QueryEngine { storage }
    }

    /// A DataFusion session whose default catalog is database `db`.
    pub fn session(&self, db: &str) -> Result<SessionContext, QueryError> {
        let def = self
            .storage
            .catalog()
            .database(db)
            .ok_or_else(|| QueryError::DatabaseNotFound(db.to_string()))?;
        let config = SessionConfig::new()
            .with_default_catalog_and_schema(db, DEFAULT_SCHEMA)
            .with_information_schema(true)
            .with_target_partitions(2);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_catalog(
            db,
            Arc::new(DatabaseCatalog {
                storage: self.storage.clone(),
                db: def,
            }),
        );
        Ok(ctx)
    }

    /// Plans and runs one SQL statement against database `db`.
    pub async fn sql(&self, db: &str, sql: &str) -> Result<QueryOutput, QueryError> {
        let ctx = self.session(db)?;
        let df = ctx.sql(sql).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        Ok(QueryOutput { schema, batches })
    }
}

/// A database as a DataFusion catalog: one schema per retention policy.
#[derive(Debug)]
struct DatabaseCatalog {
    storage: Arc<Storage>,
    db: Arc<DatabaseDef>,
}

impl CatalogProvider for DatabaseCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names = vec![DEFAULT_SCHEMA.to_string()];
        names.extend(self.db.retention_policies.keys().cloned());
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let rp = if name == DEFAULT_SCHEMA {
            self.db.default_rp.clone()
        } else if self.db.retention_policies.contains_key(name) {
            name.to_string()
        } else {
            return None;
        };
        Some(Arc::new(table::RetentionPolicySchema::new(
            self.storage.clone(),
            self.db.clone(),
            rp,
        )))
    }
}
