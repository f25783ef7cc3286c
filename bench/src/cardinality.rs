//! The high-cardinality run: ingest rate and memory as the number of series
//! grows, Almanac against influxd.
//!
//! Every step loads the same number of lines into a fresh server; only the
//! number of series changes. A step of `S` series is the TSBS `cpu-only`
//! data set with `S` hosts (one `cpu` series per host) and
//! `lines_per_step / S` points per host, so 10k series × 100 points and
//! 1M series × 1 point are the same volume of data, and any change of the
//! rate comes from the number of series.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::compare::{self, Machine};
use crate::gen::{GenConfig, UseCase};
use crate::servers::{self, Kind, ServerSpec};

/// How to run the cardinality steps.
#[derive(Debug, Clone)]
pub struct CardinalityOptions {
    /// The `almanac` binary.
    pub almanac_bin: PathBuf,
    /// Targets, in run order (per step).
    pub targets: Vec<Kind>,
    /// Series counts, one step each.
    pub steps: Vec<u64>,
    /// Lines loaded in every step.
    pub lines_per_step: u64,
    /// Seed of the generator.
    pub seed: u64,
    /// First timestamp, ns.
    pub start_ns: i64,
    /// Interval between two points of a series, ns.
    pub interval_ns: i64,
    /// Concurrent requests.
    pub workers: usize,
    /// Lines per request.
    pub batch_size: usize,
    /// Gzip bodies.
    pub gzip: bool,
    /// Parent of the temporary directory.
    pub work_dir: Option<PathBuf>,
}

/// The data set of a step.
pub fn step_config(opts: &CardinalityOptions, series: u64) -> GenConfig {
    let points = (opts.lines_per_step / series.max(1)).max(1);
    GenConfig {
        use_case: UseCase::CpuOnly,
        scale: series,
        seed: opts.seed,
        interval_ns: opts.interval_ns,
        start_ns: opts.start_ns,
        duration_ns: opts.interval_ns.saturating_mul(points as i64),
    }
}

/// One target at one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Which server.
    pub target: Kind,
    /// Series (hosts).
    pub series: u64,
    /// Points per series.
    pub points_per_series: u64,
    /// Lines sent.
    pub lines: u64,
    /// Field values sent.
    pub field_values: u64,
    /// Field values per second of load wall time.
    pub values_per_sec: f64,
    /// Lines per second.
    pub rows_per_sec: f64,
    /// Load wall time.
    pub wall_seconds: f64,
    /// Median request latency, ms.
    pub latency_p50_ms: f64,
    /// 99th percentile request latency, ms.
    pub latency_p99_ms: f64,
    /// Batches that failed.
    pub failed_batches: u64,
    /// VmHWM at the end of the load.
    pub load_peak_rss_bytes: u64,
    /// VmHWM over the whole process life (Almanac: includes the shutdown persist).
    pub peak_rss_bytes: u64,
    /// CPU seconds during the load.
    pub load_cpu_seconds: f64,
    /// Seconds from SIGTERM to exit.
    pub shutdown_seconds: f64,
    /// What went wrong.
    pub errors: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct CardinalityResult {
    /// `"cardinality"`.
    pub benchmark: &'static str,
    /// When (UTC).
    pub date: String,
    /// Git revision.
    pub git_rev: String,
    /// Command line.
    pub command: String,
    /// Machine.
    pub machine: Machine,
    /// Versions per target.
    pub versions: Vec<(Kind, String)>,
    /// Lines per step.
    pub lines_per_step: u64,
    /// Concurrent requests.
    pub workers: usize,
    /// Lines per request.
    pub batch_size: usize,
    /// Gzip bodies.
    pub gzip: bool,
    /// Results, step by step, target by target.
    pub steps: Vec<StepResult>,
}

/// Runs every step.
pub async fn run(opts: &CardinalityOptions, command: String) -> anyhow::Result<CardinalityResult> {
    let mut machine = compare::machine();
    let tmp = match &opts.work_dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("almanac-cardinality.")
            .tempdir_in(dir)?,
        None => tempfile::Builder::new()
            .prefix("almanac-cardinality.")
            .tempdir()?,
    };
    let mut binaries = Vec::new();
    let mut versions = Vec::new();
    for kind in &opts.targets {
        let bin = match kind {
            Kind::Almanac => opts.almanac_bin.clone(),
            other => servers::ensure_installed(*other)?,
        };
        versions.push((*kind, servers::version_of(*kind, &bin)));
        binaries.push((*kind, bin));
    }
    let mut steps = Vec::new();
    for &series in &opts.steps {
        let config = step_config(opts, series);
        eprintln!(
            "==> step: {series} series × {} points = {} lines",
            config.steps(),
            config.lines()
        );
        let (batch_size, gzip) = (opts.batch_size, opts.gzip);
        let cfg = config.clone();
        let prepared =
            tokio::task::spawn_blocking(move || compare::prepare_dataset(&cfg, batch_size, gzip))
                .await
                .context("data preparation panicked")??;
        for (kind, bin) in &binaries {
            let name = format!("{}-{series}", kind.name());
            let mut step = StepResult {
                target: *kind,
                series,
                points_per_series: config.steps(),
                lines: prepared.lines(),
                field_values: prepared.field_values(),
                values_per_sec: 0.0,
                rows_per_sec: 0.0,
                wall_seconds: 0.0,
                latency_p50_ms: 0.0,
                latency_p99_ms: 0.0,
                failed_batches: 0,
                load_peak_rss_bytes: 0,
                peak_rss_bytes: 0,
                load_cpu_seconds: 0.0,
                shutdown_seconds: 0.0,
                errors: Vec::new(),
            };
            let outcome: anyhow::Result<()> = async {
                let spec = ServerSpec::new(*kind, bin.clone(), tmp.path(), &name)?;
                let server = spec.start(Duration::from_secs(120)).await?;
                let (report, cpu, hwm) = compare::load_into(
                    &server,
                    &prepared,
                    opts.workers,
                    opts.batch_size,
                    opts.gzip,
                )
                .await?;
                step.values_per_sec = report.values_per_sec;
                step.rows_per_sec = report.rows_per_sec;
                step.wall_seconds = report.wall_seconds;
                step.latency_p50_ms = report.latency.p50_ms;
                step.latency_p99_ms = report.latency.p99_ms;
                step.failed_batches = report.failed_batches;
                if report.failed_batches > 0 {
                    step.errors.extend(report.errors.iter().cloned());
                }
                step.load_cpu_seconds = cpu;
                step.load_peak_rss_bytes = hwm;
                let stopped = server.stop(Duration::from_secs(600)).await?;
                step.peak_rss_bytes = stopped.usage.peak_rss_bytes.max(hwm);
                step.shutdown_seconds = stopped.shutdown_seconds;
                // Free the disk space before the next step.
                let _ = std::fs::remove_dir_all(&spec.dir);
                Ok(())
            }
            .await;
            if let Err(e) = outcome {
                step.errors.push(format!("{e:#}"));
            }
            eprintln!(
                "==> {kind} at {series} series: {:.0} values/s, peak RSS {:.1} MiB{}",
                step.values_per_sec,
                step.peak_rss_bytes as f64 / 1048576.0,
                if step.errors.is_empty() {
                    String::new()
                } else {
                    format!(", errors: {}", step.errors.join("; "))
                }
            );
            steps.push(step);
        }
    }
    machine.loadavg_end = compare::loadavg();
    Ok(CardinalityResult {
        benchmark: "cardinality",
        date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        git_rev: compare::git_rev(),
        command,
        machine,
        versions,
        lines_per_step: opts.lines_per_step,
        workers: opts.workers,
        batch_size: opts.batch_size,
        gzip: opts.gzip,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> CardinalityOptions {
        CardinalityOptions {
            almanac_bin: "almanac".into(),
            targets: vec![Kind::Almanac],
            steps: vec![10, 1000],
            lines_per_step: 1000,
            seed: 1,
            start_ns: 0,
            interval_ns: 10_000_000_000,
            workers: 1,
            batch_size: 100,
            gzip: false,
            work_dir: None,
        }
    }

    #[test]
    fn steps_keep_the_volume_and_vary_the_series() {
        let o = opts();
        let a = step_config(&o, 10);
        let b = step_config(&o, 1000);
        assert_eq!((a.scale, a.steps(), a.lines()), (10, 100, 1000));
        assert_eq!((b.scale, b.steps(), b.lines()), (1000, 1, 1000));
        // More series than lines: one point each.
        assert_eq!(step_config(&o, 5000).lines(), 5000);
    }
}
