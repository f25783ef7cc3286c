//! Counters every listener keeps, for `/metrics` and `SHOW STATS`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one listener (all monotonic except `connections_active`).
#[derive(Debug, Default)]
pub struct ListenerStats {
    /// Points decoded and queued for writing.
    pub points_received: AtomicU64,
    /// Bytes read from the network.
    pub bytes_received: AtomicU64,
    /// Lines, values or packets that could not be decoded.
    pub points_parse_fail: AtomicU64,
    /// Socket read errors.
    pub read_errors: AtomicU64,
    /// Batches handed to the sink successfully.
    pub batches_transmitted: AtomicU64,
    /// Points in those batches.
    pub points_transmitted: AtomicU64,
    /// Batches the sink refused.
    pub batches_transmit_fail: AtomicU64,
    /// Open TCP connections.
    pub connections_active: AtomicU64,
    /// TCP connections accepted since start.
    pub connections_handled: AtomicU64,
    /// HTTP requests served (OpenTSDB `/api/put`).
    pub http_requests: AtomicU64,
}

/// A point-in-time copy of [`ListenerStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// See [`ListenerStats::points_received`].
    pub points_received: u64,
    /// See [`ListenerStats::bytes_received`].
    pub bytes_received: u64,
    /// See [`ListenerStats::points_parse_fail`].
    pub points_parse_fail: u64,
    /// See [`ListenerStats::read_errors`].
    pub read_errors: u64,
    /// See [`ListenerStats::batches_transmitted`].
    pub batches_transmitted: u64,
    /// See [`ListenerStats::points_transmitted`].
    pub points_transmitted: u64,
    /// See [`ListenerStats::batches_transmit_fail`].
    pub batches_transmit_fail: u64,
    /// See [`ListenerStats::connections_active`].
    pub connections_active: u64,
    /// See [`ListenerStats::connections_handled`].
    pub connections_handled: u64,
    /// See [`ListenerStats::http_requests`].
    pub http_requests: u64,
}

impl ListenerStats {
    /// Adds `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Subtracts one from a gauge (never below zero).
    pub(crate) fn dec(counter: &AtomicU64) {
        let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            Some(v.saturating_sub(1))
        });
    }

    /// Copies the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            points_received: l(&self.points_received),
            bytes_received: l(&self.bytes_received),
            points_parse_fail: l(&self.points_parse_fail),
            read_errors: l(&self.read_errors),
            batches_transmitted: l(&self.batches_transmitted),
            points_transmitted: l(&self.points_transmitted),
            batches_transmit_fail: l(&self.batches_transmit_fail),
            connections_active: l(&self.connections_active),
            connections_handled: l(&self.connections_handled),
            http_requests: l(&self.http_requests),
        }
    }
}

impl StatsSnapshot {
    /// `(InfluxDB statistic name, value)` pairs, in the names the 1.x services use
    /// (`pointsRx`, `bytesRx`, `pointsParseFail`, `readFail`, `batchesTx`,
    /// `pointsTx`, `batchesTxFail`, `connsActive`, `connsHandled`, `httpConnsHandled`).
    pub fn named(&self) -> [(&'static str, u64); 10] {
        [
            ("pointsRx", self.points_received),
            ("bytesRx", self.bytes_received),
            ("pointsParseFail", self.points_parse_fail),
            ("readFail", self.read_errors),
            ("batchesTx", self.batches_transmitted),
            ("pointsTx", self.points_transmitted),
            ("batchesTxFail", self.batches_transmit_fail),
            ("connsActive", self.connections_active),
            ("connsHandled", self.connections_handled),
            ("httpConnsHandled", self.http_requests),
        ]
    }
}
