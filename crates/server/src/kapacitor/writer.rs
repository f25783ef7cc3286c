//! `influxDBOut` into Almanac's own storage: points are queued (nodes run
//! synchronously) and written by a background task as line protocol.

use std::sync::Arc;

use almanac_lineproto::write_line;
use almanac_storage::Storage;
use almanac_tasks::model::Point;
use almanac_tasks::PointWriter;
use tokio::sync::mpsc;

/// One queued write: database, retention policy (empty = default), body.
pub type QueuedWrite = (String, String, String);

/// The [`PointWriter`] over storage.
pub struct StorageWriter {
    storage: Arc<Storage>,
    tx: mpsc::UnboundedSender<QueuedWrite>,
}

impl StorageWriter {
    /// A writer and the receiving end its background task drains.
    pub fn new(storage: Arc<Storage>) -> (StorageWriter, mpsc::UnboundedReceiver<QueuedWrite>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (StorageWriter { storage, tx }, rx)
    }
}

impl PointWriter for StorageWriter {
    fn write_points(
        &self,
        database: &str,
        retention_policy: &str,
        points: &[Point],
    ) -> Result<(), String> {
        let mut body = String::new();
        for p in points {
            let tags: Vec<(&str, &str)> = p
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let fields: Vec<(&str, almanac_lineproto::FieldValue<'_>)> =
                p.fields.iter().map(|(k, v)| (&**k, v.to_line())).collect();
            if fields.is_empty() {
                continue;
            }
            write_line(&mut body, &p.name, &tags, &fields, Some(p.time));
        }
        if body.is_empty() {
            return Ok(());
        }
        self.tx
            .send((database.to_string(), retention_policy.to_string(), body))
            .map_err(|_| "the write queue is closed (server shutting down)".to_string())
    }

    fn create_database(&self, database: &str) -> Result<(), String> {
        if self.storage.catalog().database(database).is_some() {
            return Ok(());
        }
        self.storage
            .catalog()
            .create_database(database, None)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Drains queued writes into storage until the queue closes.
pub async fn run(storage: Arc<Storage>, mut rx: mpsc::UnboundedReceiver<QueuedWrite>) {
    while let Some((db, rp, body)) = rx.recv().await {
        let rp = (!rp.is_empty()).then_some(rp.as_str());
        match storage
            .write(
                &db,
                rp,
                body.as_bytes(),
                almanac_lineproto::Precision::Nanosecond,
            )
            .await
        {
            Ok(outcome) => {
                if let Some(reason) = outcome.reason() {
                    tracing::warn!(database = %db, %reason, "influxDBOut: points rejected");
                }
            }
            Err(e) => tracing::warn!(database = %db, error = %e, "influxDBOut: write failed"),
        }
    }
}
