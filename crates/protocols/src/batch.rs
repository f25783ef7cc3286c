//! Batching of decoded points by size and timeout, as InfluxDB's `PointBatcher`.
//!
//! Producers push chunks of line protocol (one or more lines) through a
//! [`BatchSender`]. A batch is emitted when it holds `batch-size` points or
//! when `batch-timeout` has passed since its first point; up to
//! `batch-pending` emitted batches wait for the sink, after which producers
//! wait (back-pressure; for UDP the kernel buffer then drops datagrams).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::stats::ListenerStats;
use crate::SharedSink;

/// Some line protocol and the number of points (lines) in it.
#[derive(Debug)]
struct Chunk {
    lines: Vec<u8>,
    points: usize,
}

/// Cloneable handle producers use to queue points.
#[derive(Clone, Debug)]
pub struct BatchSender {
    tx: mpsc::Sender<Chunk>,
    stats: Arc<ListenerStats>,
}

impl BatchSender {
    /// Queues `lines` (holding `points` lines); false when the batcher has stopped.
    pub async fn send(&self, lines: Vec<u8>, points: usize) -> bool {
        if points == 0 {
            return true;
        }
        ListenerStats::add(&self.stats.points_received, points as u64);
        self.tx.send(Chunk { lines, points }).await.is_ok()
    }
}

/// The batching task pair (accumulator + writer) of one listener.
#[derive(Debug)]
pub struct Batcher {
    sender: BatchSender,
    accumulator: JoinHandle<()>,
    writer: JoinHandle<()>,
}

/// Where batches go and how big they get.
#[derive(Clone)]
pub struct BatchTarget {
    /// The sink.
    pub sink: SharedSink,
    /// Target database.
    pub database: String,
    /// Target retention policy (`None`: default).
    pub retention_policy: Option<String>,
    /// Points per batch (0 is treated as 1).
    pub batch_size: usize,
    /// Emitted batches that may wait for the sink (0 is treated as 1).
    pub batch_pending: usize,
    /// Longest time a point waits in an unfinished batch (0: 1s).
    pub batch_timeout: Duration,
}

impl Batcher {
    /// Starts the tasks; they run until [`Batcher::close`].
    pub fn start(target: BatchTarget, stats: Arc<ListenerStats>) -> Self {
        let batch_size = target.batch_size.max(1);
        let timeout = if target.batch_timeout.is_zero() {
            Duration::from_secs(1)
        } else {
            target.batch_timeout
        };
        let (tx, mut rx) = mpsc::channel::<Chunk>(1024);
        let (out_tx, mut out_rx) = mpsc::channel::<(Vec<u8>, usize)>(target.batch_pending.max(1));

        let accumulator = tokio::spawn(async move {
            let mut buf: Vec<u8> = Vec::new();
            let mut count = 0usize;
            let mut deadline: Option<Instant> = None;
            loop {
                let next = match deadline {
                    Some(d) => tokio::select! {
                        c = rx.recv() => c.map(Some),
                        _ = tokio::time::sleep_until(d) => Some(None),
                    },
                    None => rx.recv().await.map(Some),
                };
                match next {
                    // Channel closed: flush and stop.
                    None => break,
                    // Timeout.
                    Some(None) => {
                        if count > 0
                            && out_tx
                                .send((std::mem::take(&mut buf), count))
                                .await
                                .is_err()
                        {
                            return;
                        }
                        count = 0;
                        deadline = None;
                    }
                    Some(Some(chunk)) => {
                        if count == 0 {
                            deadline = Some(Instant::now() + timeout);
                        }
                        buf.extend_from_slice(&chunk.lines);
                        count += chunk.points;
                        if count >= batch_size {
                            if out_tx
                                .send((std::mem::take(&mut buf), count))
                                .await
                                .is_err()
                            {
                                return;
                            }
                            count = 0;
                            deadline = None;
                        }
                    }
                }
            }
            if count > 0 {
                let _ = out_tx.send((buf, count)).await;
            }
        });

        let writer_stats = stats.clone();
        let writer = tokio::spawn(async move {
            while let Some((lines, count)) = out_rx.recv().await {
                match target
                    .sink
                    .write(&target.database, target.retention_policy.as_deref(), lines)
                    .await
                {
                    Ok(()) => {
                        ListenerStats::add(&writer_stats.batches_transmitted, 1);
                        ListenerStats::add(&writer_stats.points_transmitted, count as u64);
                    }
                    Err(e) => {
                        ListenerStats::add(&writer_stats.batches_transmit_fail, 1);
                        tracing::warn!(
                            database = %target.database,
                            error = %e,
                            "failed to write point batch"
                        );
                    }
                }
            }
        });

        Batcher {
            sender: BatchSender { tx, stats },
            accumulator,
            writer,
        }
    }

    /// A handle for producers.
    pub fn sender(&self) -> BatchSender {
        self.sender.clone()
    }

    /// Stops accepting points once every [`BatchSender`] clone is dropped,
    /// writes what is batched, and waits for the sink.
    pub async fn close(self) {
        drop(self.sender);
        let _ = self.accumulator.await;
        let _ = self.writer.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PointSink, SinkError};
    use async_trait::async_trait;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Mem(Mutex<Vec<(String, Option<String>, String)>>);

    #[async_trait]
    impl PointSink for Mem {
        async fn write(&self, db: &str, rp: Option<&str>, lines: Vec<u8>) -> Result<(), SinkError> {
            self.0.lock().unwrap().push((
                db.to_string(),
                rp.map(str::to_string),
                String::from_utf8(lines).unwrap(),
            ));
            Ok(())
        }
    }

    fn target(sink: Arc<Mem>, size: usize, timeout: Duration) -> BatchTarget {
        BatchTarget {
            sink,
            database: "db".into(),
            retention_policy: Some("rp".into()),
            batch_size: size,
            batch_pending: 2,
            batch_timeout: timeout,
        }
    }

    #[tokio::test]
    async fn flushes_by_size_then_on_close() {
        let sink = Arc::new(Mem::default());
        let stats = Arc::new(ListenerStats::default());
        let b = Batcher::start(
            target(sink.clone(), 2, Duration::from_secs(3600)),
            stats.clone(),
        );
        let s = b.sender();
        for i in 0..5 {
            assert!(s.send(format!("m v={i} {i}\n").into_bytes(), 1).await);
        }
        drop(s);
        b.close().await;
        let got = sink.0.lock().unwrap().clone();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].2, "m v=0 0\nm v=1 1\n");
        assert_eq!(got[2].2, "m v=4 4\n");
        assert_eq!(got[0].1.as_deref(), Some("rp"));
        let snap = stats.snapshot();
        assert_eq!(snap.points_received, 5);
        assert_eq!(snap.points_transmitted, 5);
        assert_eq!(snap.batches_transmitted, 3);
    }

    #[tokio::test]
    async fn flushes_by_timeout() {
        let sink = Arc::new(Mem::default());
        let stats = Arc::new(ListenerStats::default());
        let b = Batcher::start(target(sink.clone(), 1000, Duration::from_millis(30)), stats);
        let s = b.sender();
        s.send(b"m v=1 1\n".to_vec(), 1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.0.lock().unwrap().len(), 1);
        drop(s);
        b.close().await;
        assert_eq!(sink.0.lock().unwrap().len(), 1);
    }
}
