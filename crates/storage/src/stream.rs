//! The write stream: every accepted, durable write is published in-process
//! to subscribers (stream tasks, replication). Publishing costs nothing when
//! nobody subscribes, and little when someone does: the event takes the
//! accepted lines of the WAL record once it is written (no copy), and
//! subscribers share it (`Arc`).

use std::sync::Arc;

use tokio::sync::broadcast;

/// One accepted write, after it is durable and visible.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteEvent {
    /// Database name.
    pub database: String,
    /// Retention policy name (resolved: never empty).
    pub retention_policy: String,
    /// Precision of the timestamps in `lines`, ns.
    pub precision_nanos: i64,
    /// Server time given to lines without a timestamp, ns since the epoch.
    pub default_time: i64,
    /// The accepted lines (line protocol, newline separated).
    pub lines: Vec<u8>,
}

/// Broadcasts [`WriteEvent`]s. A subscriber that falls more than the
/// channel's capacity behind loses the oldest events (its receiver reports
/// how many as `RecvError::Lagged`).
#[derive(Debug)]
pub struct WriteStream {
    tx: broadcast::Sender<Arc<WriteEvent>>,
}

/// Events buffered per subscriber.
pub const STREAM_CAPACITY: usize = 4096;

impl Default for WriteStream {
    fn default() -> Self {
        WriteStream::new(STREAM_CAPACITY)
    }
}

impl WriteStream {
    /// A stream buffering `capacity` events per subscriber.
    pub fn new(capacity: usize) -> WriteStream {
        let (tx, _) = broadcast::channel(capacity.max(1));
        WriteStream { tx }
    }

    /// A new subscriber, receiving writes published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<WriteEvent>> {
        self.tx.subscribe()
    }

    /// Whether anyone listens (writers publish nothing otherwise).
    pub fn is_active(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Publishes an event to the current subscribers.
    pub fn publish(&self, event: WriteEvent) {
        let _ = self.tx.send(Arc::new(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_get_events_published_after_they_subscribe() {
        let s = WriteStream::new(4);
        assert!(!s.is_active());
        let ev = WriteEvent {
            database: "db".into(),
            retention_policy: "autogen".into(),
            precision_nanos: 1,
            default_time: 5,
            lines: b"m v=1 1".to_vec(),
        };
        s.publish(ev.clone());
        let mut rx = s.subscribe();
        assert!(s.is_active());
        s.publish(ev.clone());
        assert_eq!(*rx.try_recv().unwrap(), ev);
        assert!(rx.try_recv().is_err());
        drop(rx);
        assert!(!s.is_active());
    }

    #[tokio::test]
    async fn storage_publishes_accepted_lines_only() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = almanac_catalog::Catalog::open(&dir.path().join("catalog.redb")).unwrap();
        let storage = crate::Storage::open(crate::StorageConfig::new(dir.path()), catalog).unwrap();
        storage.catalog().create_database("db", None).unwrap();
        let mut rx = storage.write_stream().subscribe();
        let outcome = storage
            .write(
                "db",
                None,
                b"m v=1 1\nbad line\nm v=2 2",
                almanac_lineproto::Precision::Second,
            )
            .await
            .unwrap();
        assert_eq!(outcome.accepted, 2);
        let ev = rx.try_recv().unwrap();
        assert_eq!(ev.database, "db");
        assert_eq!(ev.retention_policy, "autogen");
        assert_eq!(ev.precision_nanos, 1_000_000_000);
        assert_eq!(String::from_utf8_lossy(&ev.lines), "m v=1 1\nm v=2 2");
        storage.shutdown().unwrap();
    }
}
