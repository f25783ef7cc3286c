//! `GET /metrics`: Prometheus text exposition of the server's counters.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Counters kept by the HTTP layer.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    /// SQL queries received.
    pub queries: AtomicU64,
    /// Counters of the continuous query service.
    pub continuous_queries:
        std::sync::Arc<almanac_influxql_exec::continuous::ContinuousQueryMetrics>,
}

struct Exposition(String);

impl Exposition {
    fn metric(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
        let _ = writeln!(self.0, "{name} {value}");
    }
}

fn load(v: &AtomicU64) -> u64 {
    v.load(Ordering::Relaxed)
}

/// Renders all counters and gauges.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let storage = &state.storage;
    let stats = &storage.stats;
    let wal = &storage.wal().stats;
    let manifest = storage.manifest();
    let files: usize = manifest.partitions.values().map(|p| p.files.len()).sum();
    let file_bytes: u64 = manifest
        .partitions
        .values()
        .flat_map(|p| p.files.iter().map(|f| f.bytes))
        .sum();
    let mut out = Exposition(String::new());
    out.metric(
        "almanac_write_requests_total",
        "counter",
        "Write requests handled.",
        load(&stats.write_requests),
    );
    out.metric(
        "almanac_write_lines_total",
        "counter",
        "Lines stored.",
        load(&stats.lines_written),
    );
    out.metric(
        "almanac_write_lines_rejected_total",
        "counter",
        "Lines rejected.",
        load(&stats.lines_rejected),
    );
    out.metric(
        "almanac_write_bytes_total",
        "counter",
        "Write request bytes received (after decompression).",
        load(&stats.bytes_written),
    );
    out.metric(
        "almanac_query_requests_total",
        "counter",
        "Query requests received (InfluxQL /query, Flux and InfluxQL /api/v2/query, SQL).",
        load(&state.metrics.queries),
    );
    out.metric(
        "almanac_wal_fsyncs_total",
        "counter",
        "WAL fsyncs (one per group commit).",
        load(&wal.fsyncs),
    );
    out.metric(
        "almanac_wal_fsync_seconds_total",
        "counter",
        "Time spent in WAL fsyncs.",
        load(&wal.fsync_micros) as f64 / 1e6,
    );
    out.metric(
        "almanac_wal_records_total",
        "counter",
        "WAL records appended.",
        load(&wal.records),
    );
    out.metric(
        "almanac_wal_bytes_total",
        "counter",
        "WAL bytes appended.",
        load(&wal.bytes),
    );
    out.metric(
        "almanac_wal_segments",
        "gauge",
        "WAL segment files on disk.",
        storage.wal().segment_count(),
    );
    out.metric(
        "almanac_buffer_bytes",
        "gauge",
        "Memory held by the write buffer.",
        storage.buffer().bytes(),
    );
    out.metric(
        "almanac_parquet_files",
        "gauge",
        "Persisted Parquet files.",
        files,
    );
    out.metric(
        "almanac_parquet_bytes",
        "gauge",
        "Bytes in persisted Parquet files.",
        file_bytes,
    );
    out.metric(
        "almanac_persisted_files_total",
        "counter",
        "Parquet files written by persistence.",
        load(&stats.files_persisted),
    );
    out.metric(
        "almanac_compactions_total",
        "counter",
        "Compactions done.",
        load(&stats.compactions),
    );
    out.metric(
        "almanac_partitions_expired_total",
        "counter",
        "Partitions dropped by retention.",
        load(&stats.partitions_expired),
    );
    let (cq_runs, cq_failures, cq_points) = state.metrics.continuous_queries.snapshot();
    out.metric(
        "almanac_cq_runs_total",
        "counter",
        "Continuous query executions.",
        cq_runs,
    );
    out.metric(
        "almanac_cq_failures_total",
        "counter",
        "Continuous query executions that failed.",
        cq_failures,
    );
    out.metric(
        "almanac_cq_points_written_total",
        "counter",
        "Points written by continuous queries.",
        cq_points,
    );
    let subscriber = state.influxql.subscriber_metrics();
    let totals = subscriber.totals();
    for (name, help, value) in [
        (
            "almanac_subscriber_points_written_total",
            "Points forwarded to subscription destinations.",
            &totals.points_written,
        ),
        (
            "almanac_subscriber_write_failures_total",
            "Subscription deliveries that failed after retries.",
            &totals.write_failures,
        ),
        (
            "almanac_subscriber_points_dropped_total",
            "Points not forwarded because a destination's queue was full.",
            &totals.points_dropped,
        ),
        (
            "almanac_subscriber_retries_total",
            "Subscription deliveries retried after a transient error.",
            &totals.retries,
        ),
    ] {
        out.metric(name, "counter", help, load(value));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out.0).into_response()
}
