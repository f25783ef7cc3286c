//! Measurements as DataFusion tables.

use std::sync::Arc;

use almanac_catalog::DatabaseDef;
use almanac_storage::schema::{measurement_schema, TIME_COLUMN};
use almanac_storage::{PartitionSnapshot, Storage};
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::ExecutionPlan;
use futures::stream;

use crate::tag_filters::{tag_filter, tag_filters};
use crate::time_bounds::{is_time_filter, time_bounds};

/// The tables of one retention policy of one database.
#[derive(Debug)]
pub struct RetentionPolicySchema {
    storage: Arc<Storage>,
    db: Arc<DatabaseDef>,
    rp: String,
}

impl RetentionPolicySchema {
    /// The schema of retention policy `rp` of `db`.
    pub fn new(storage: Arc<Storage>, db: Arc<DatabaseDef>, rp: String) -> Self {
        RetentionPolicySchema { storage, db, rp }
    }
}

#[async_trait]
impl SchemaProvider for RetentionPolicySchema {
    fn table_names(&self) -> Vec<String> {
        self.db.measurements.keys().cloned().collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        Ok(self.db.measurements.get(name).map(|m| {
            Arc::new(MeasurementTable {
                storage: self.storage.clone(),
                db_id: self.db.id,
                rp: self.rp.clone(),
                measurement: name.to_string(),
                schema: measurement_schema(m),
            }) as Arc<dyn TableProvider>
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.db.measurements.contains_key(name)
    }
}

/// One measurement of one retention policy as a table.
#[derive(Debug)]
pub struct MeasurementTable {
    storage: Arc<Storage>,
    db_id: u64,
    rp: String,
    measurement: String,
    schema: SchemaRef,
}

impl MeasurementTable {
    /// The table of `measurement`, with the given full schema.
    pub fn new(
        storage: Arc<Storage>,
        db_id: u64,
        rp: String,
        measurement: String,
        schema: SchemaRef,
    ) -> Self {
        MeasurementTable {
            storage,
            db_id,
            rp,
            measurement,
            schema,
        }
    }

    /// The partitions a scan with these filters must read.
    pub fn snapshot(&self, filters: &[Expr]) -> Result<Vec<PartitionSnapshot>> {
        let (min, max) = time_bounds(filters, TIME_COLUMN);
        let series = tag_filters(filters, &self.schema);
        self.storage
            .table_snapshot_filtered(self.db_id, &self.rp, &self.measurement, min, max, &series)
            .map_err(|e| DataFusionError::External(Box::new(e)))
    }
}

#[async_trait]
impl TableProvider for MeasurementTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if is_time_filter(f, TIME_COLUMN) || tag_filter(f, &self.schema).is_some() {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projected: SchemaRef = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => self.schema.clone(),
        };
        let partitions: Vec<Arc<dyn PartitionStream>> = self
            .snapshot(filters)?
            .into_iter()
            .map(|snapshot| {
                Arc::new(PartitionReader {
                    snapshot,
                    table_schema: self.schema.clone(),
                    projection: projection.cloned(),
                    output: projected.clone(),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        let exec = StreamingTableExec::try_new(projected, partitions, None, [], false, None)?;
        Ok(Arc::new(exec))
    }
}

/// Reads one time partition when executed.
#[derive(Debug)]
struct PartitionReader {
    snapshot: PartitionSnapshot,
    table_schema: SchemaRef,
    projection: Option<Vec<usize>>,
    output: SchemaRef,
}

impl PartitionStream for PartitionReader {
    fn schema(&self) -> &SchemaRef {
        &self.output
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let snapshot = self.snapshot.clone();
        let table_schema = self.table_schema.clone();
        let projection = self.projection.clone();
        let read = async move {
            tokio::task::spawn_blocking(move || {
                snapshot
                    .read(&table_schema, projection.as_deref())
                    .map_err(|e| DataFusionError::External(Box::new(e)))
            })
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
        };
        let batches = stream::once(read);
        let flat = futures::StreamExt::flat_map(batches, |result| match result {
            Ok(batches) => stream::iter(batches.into_iter().map(Ok).collect::<Vec<_>>()),
            Err(e) => stream::iter(vec![Err(e)]),
        });
        Box::pin(RecordBatchStreamAdapter::new(self.output.clone(), flat))
    }
}
