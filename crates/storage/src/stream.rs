//! The write stream: every accepted, durable write is published in-process
//! to subscribers (stream tasks, replication). Publishing costs nothing when
//! nobody subscribes, and little when someone does: the event takes the
//! accepted lines of the WAL record once it is written (no copy), and
//! subscribers share it (`Arc`).

use std::sync::Arc;

use almanac_lineproto::FieldValue;
use tokio::sync::broadcast;

use crate::chunk::Chunk;
use crate::write::Grouped;

/// One accepted write, after it is durable and visible.
#[derive(Debug, Clone)]
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
    /// The same lines as the engine parsed them (absent for events made
    /// from text alone): subscribers need not parse `lines` again.
    pub rows: Option<Arc<AcceptedRows>>,
}

/// The rows of an accepted write as the engine parsed them: the chunks it
/// appended to the write buffer, read in line order.
#[derive(Debug)]
pub struct AcceptedRows {
    grouped: Arc<Grouped>,
    order: Vec<(u32, u32)>,
    /// Per group: its first series slot and its series keys by id.
    series: Vec<(usize, Vec<Arc<str>>)>,
    slots: usize,
}

impl AcceptedRows {
    /// The rows of `grouped`, in the line order `order` gives (group index,
    /// row) — as [`crate::write::prepare_write`] returns them.
    pub fn new(grouped: Arc<Grouped>, order: Vec<(u32, u32)>) -> AcceptedRows {
        let mut slots = 0;
        let series = grouped
            .iter()
            .map(|(_, chunk)| {
                let first = slots;
                slots += chunk.series_count();
                (first, chunk.series_keys())
            })
            .collect();
        AcceptedRows {
            grouped,
            order,
            series,
            slots,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Number of distinct series slots (see [`Row::series_slot`]).
    pub fn series_slots(&self) -> usize {
        self.slots
    }

    /// The rows in line order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> {
        self.order.iter().map(move |&(group, row)| {
            let (key, chunk) = &self.grouped[group as usize];
            let (first, keys) = &self.series[group as usize];
            let row = row as usize;
            let series = chunk.row_series(row);
            Row {
                measurement: &key.measurement,
                series_key: &keys[series as usize],
                slot: first + series as usize,
                series,
                chunk,
                row,
            }
        })
    }
}

/// One accepted row.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    measurement: &'a str,
    series_key: &'a str,
    slot: usize,
    series: u32,
    chunk: &'a Chunk,
    row: usize,
}

impl<'a> Row<'a> {
    /// Measurement.
    pub fn measurement(&self) -> &'a str {
        self.measurement
    }

    /// Series key (measurement and sorted tags, escaped as line protocol).
    pub fn series_key(&self) -> &'a str {
        self.series_key
    }

    /// A number that is the same for the rows of one series within this
    /// write and different between series (below
    /// [`AcceptedRows::series_slots`]).
    pub fn series_slot(&self) -> usize {
        self.slot
    }

    /// Tags, sorted by key.
    pub fn tags(&self) -> &'a [(Arc<str>, Arc<str>)] {
        self.chunk.series_tags(self.series)
    }

    /// Time, ns since the epoch.
    pub fn time(&self) -> i64 {
        self.chunk.row_time(self.row)
    }

    /// The value of field `name`, if the row has it.
    pub fn field(&self, name: &str) -> Option<FieldValue<'a>> {
        self.chunk.row_field(self.row, name)
    }

    /// The row's fields, sorted by name.
    pub fn fields(&self) -> impl Iterator<Item = (&'a Arc<str>, FieldValue<'a>)> + 'a {
        self.chunk.row_fields(self.row)
    }
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
            rows: None,
        };
        s.publish(ev.clone());
        let mut rx = s.subscribe();
        assert!(s.is_active());
        s.publish(ev.clone());
        assert_eq!(rx.try_recv().unwrap().lines, ev.lines);
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

    #[tokio::test]
    async fn parsed_rows_come_in_line_order_across_measurements() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = almanac_catalog::Catalog::open(&dir.path().join("catalog.redb")).unwrap();
        let storage = crate::Storage::open(crate::StorageConfig::new(dir.path()), catalog).unwrap();
        storage.catalog().create_database("db", None).unwrap();
        let mut rx = storage.write_stream().subscribe();
        let body = b"cpu,host=a v=1 1\nmem,host=a free=2i,s=\"x y\" 1\nbad\ncpu,host=b v=3 2\ncpu,host=a v=4 3";
        storage
            .write("db", None, body, almanac_lineproto::Precision::Second)
            .await
            .unwrap();
        let ev = rx.try_recv().unwrap();
        let rows = ev.rows.as_ref().expect("parsed rows");
        assert_eq!(rows.len(), 4);
        let seen: Vec<(String, usize, i64, Vec<(String, String)>)> = rows
            .rows()
            .map(|r| {
                let fields = r
                    .fields()
                    .map(|(k, v)| (k.to_string(), format!("{v:?}")))
                    .collect();
                (
                    r.series_key().to_string(),
                    r.series_slot(),
                    r.time(),
                    fields,
                )
            })
            .collect();
        let keys: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(
            keys,
            ["cpu,host=a", "mem,host=a", "cpu,host=b", "cpu,host=a"]
        );
        // One slot per series.
        assert_eq!(seen[0].1, seen[3].1);
        assert_ne!(seen[0].1, seen[2].1);
        assert_ne!(seen[1].1, seen[0].1);
        assert!(seen.iter().all(|s| s.1 < rows.series_slots()));
        assert_eq!(seen[2].2, 2_000_000_000);
        assert_eq!(seen[1].3.len(), 2);
        let mem = rows.rows().nth(1).unwrap();
        assert_eq!(mem.measurement(), "mem");
        assert_eq!(&*mem.tags()[0].1, "a");
        assert_eq!(
            mem.field("s"),
            Some(almanac_lineproto::FieldValue::String("x y".into()))
        );
        assert_eq!(mem.field("v"), None);
        storage.shutdown().unwrap();
    }
}
