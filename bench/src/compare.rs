//! The comparison run: the same data set and the same queries on Almanac,
//! influxd and VictoriaMetrics, one server at a time on the same machine.
//!
//! For each target, in order: start it in a fresh temporary directory; load
//! the prepared batches (the same bytes for every target); make the data
//! durable on disk and measure it; run the queries; stop it.
//!
//! "Durable on disk" differs per server, so each gets its own step:
//!
//! * Almanac: SIGTERM (the graceful shutdown writes the buffer to Parquet),
//!   measure the Parquet files, then start it again on the same directory
//!   for the queries, which therefore read Parquet, not the write buffer;
//!   after the queries, `almanac compact` on the stopped directory and
//!   measure again (the queries read the persisted files: compacted files
//!   are smaller but slower to open, see docs/benchmarks.md);
//! * influxd: wait until the WAL is empty (the cache was snapshotted to TSM,
//!   which the short `cache-snapshot-write-cold-duration` makes happen ~10 s
//!   after the load), measure the shard directories, then wait for the full
//!   compaction (`compact-full-write-cold-duration` 30 s) and measure again;
//! * VictoriaMetrics: `/internal/force_flush`, measure, then
//!   `/internal/force_merge` and measure again once the size is stable.
//!
//! Peak RSS is the largest VmHWM seen while the target ingested and
//! persisted; the query phase's peak is reported apart.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use crate::gen::{GenConfig, Generator};
use crate::load::{self, Api, LoadOptions, LoadReport, Prepared};
use crate::query::{self, Language, QueryOptions, QueryReport};
use crate::servers::{self, Kind, Server, ServerSpec, Usage};
use crate::tsbs::{DataSpan, QueryType};

/// Database every target loads into.
pub const DB: &str = "benchmark";

/// How to run a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The `almanac` binary.
    pub almanac_bin: PathBuf,
    /// Targets, in run order.
    pub targets: Vec<Kind>,
    /// Data set.
    pub gen: GenConfig,
    /// Load: concurrent requests.
    pub workers: usize,
    /// Load: lines per request.
    pub batch_size: usize,
    /// Load: gzip bodies.
    pub gzip: bool,
    /// Query types.
    pub query_types: Vec<QueryType>,
    /// Queries per type (0 skips the query phase).
    pub queries: usize,
    /// Untimed warm-up queries per type and target.
    pub query_warmup: usize,
    /// Least time each type's warm-up lasts per target.
    pub query_warmup_time: Duration,
    /// Concurrent queries.
    pub query_workers: usize,
    /// Seed of the query parameters.
    pub query_seed: u64,
    /// Answers per type compared between Almanac and influxd.
    pub cross_check: usize,
    /// Parent of the temporary directory (system default when None).
    pub work_dir: Option<PathBuf>,
    /// Keep the temporary directory.
    pub keep: bool,
    /// Longest wait for a peer's persistence or compaction.
    pub settle_timeout: Duration,
}

/// On-disk size at one point.
#[derive(Debug, Clone, Serialize)]
pub struct DiskFigure {
    /// What was measured and how the data got there.
    pub method: String,
    /// Bytes of the data files: Almanac's Parquet files, influxd's TSM files,
    /// VictoriaMetrics's `data/` parts (each holds values, timestamps and series keys).
    pub data_bytes: u64,
    /// Bytes allocated by everything in the server's directory (indexes,
    /// WAL, catalog, meta, caches), like `du`; logs and configs excluded.
    pub dir_bytes: u64,
    /// `data_bytes` ÷ field values loaded.
    pub bytes_per_value: f64,
    /// Data files.
    pub files: u64,
    /// Seconds the step took (shutdown, or waiting for the snapshot/merge).
    pub seconds: f64,
}

/// Everything measured on one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    /// Which server.
    pub target: Kind,
    /// Its version line.
    pub version: String,
    /// The load.
    pub load: Option<LoadReport>,
    /// CPU seconds the server used during the load.
    pub load_cpu_seconds: f64,
    /// VmHWM at the end of the load.
    pub load_peak_rss_bytes: u64,
    /// On disk after persistence.
    pub persisted: Option<DiskFigure>,
    /// On disk after compaction (when the server compacts on its own schedule).
    pub compacted: Option<DiskFigure>,
    /// VmHWM over load and persistence.
    pub ingest_peak_rss_bytes: u64,
    /// CPU seconds over load and persistence.
    pub ingest_cpu_seconds: f64,
    /// The queries.
    pub queries: Option<QueryReport>,
    /// VmHWM during the query phase (Almanac: the restarted process).
    pub query_peak_rss_bytes: u64,
    /// What went wrong, if anything.
    pub errors: Vec<String>,
}

impl TargetResult {
    fn new(target: Kind, version: String) -> TargetResult {
        TargetResult {
            target,
            version,
            load: None,
            load_cpu_seconds: 0.0,
            load_peak_rss_bytes: 0,
            persisted: None,
            compacted: None,
            ingest_peak_rss_bytes: 0,
            ingest_cpu_seconds: 0.0,
            queries: None,
            query_peak_rss_bytes: 0,
            errors: Vec::new(),
        }
    }
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct CompareResult {
    /// `"compare"`.
    pub benchmark: &'static str,
    /// When it ran (UTC).
    pub date: String,
    /// Git revision of the working tree.
    pub git_rev: String,
    /// The command line.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// Data set.
    pub dataset: Dataset,
    /// Load settings.
    pub load_settings: LoadSettings,
    /// Query settings.
    pub query_settings: QuerySettings,
    /// Per target, in run order.
    pub targets: Vec<TargetResult>,
    /// Answers compared between Almanac and influxd, and how many disagreed.
    pub cross_check: Option<CrossCheck>,
}

/// Cross-check totals.
#[derive(Debug, Clone, Serialize)]
pub struct CrossCheck {
    /// The two targets.
    pub between: [Kind; 2],
    /// Answers compared.
    pub compared: u64,
    /// Answers that disagreed.
    pub mismatches: u64,
}

/// The data set, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// Generator settings.
    pub config: GenConfig,
    /// Lines.
    pub lines: u64,
    /// Field values.
    pub field_values: u64,
    /// Uncompressed line-protocol bytes.
    pub raw_bytes: u64,
    /// Bytes sent (gzip).
    pub body_bytes: u64,
}

/// Load settings, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct LoadSettings {
    /// Concurrent requests.
    pub workers: usize,
    /// Lines per request.
    pub batch_size: usize,
    /// Gzip bodies.
    pub gzip: bool,
}

/// Query settings, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct QuerySettings {
    /// Queries per type.
    pub queries_per_type: usize,
    /// Untimed warm-up queries per type.
    pub warmup_per_type: usize,
    /// Least seconds each type's warm-up lasted.
    pub warmup_secs: f64,
    /// Concurrent queries.
    pub workers: usize,
    /// Seed.
    pub seed: u64,
    /// Answers per type cross-checked.
    pub cross_check_per_type: usize,
}

/// The machine a run happened on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Online CPUs.
    pub nproc: usize,
    /// CPU model name.
    pub cpu_model: String,
    /// Total memory, bytes.
    pub mem_total_bytes: u64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// /proc/loadavg at the start.
    pub loadavg_start: String,
    /// /proc/loadavg at the end (filled at the end).
    pub loadavg_end: String,
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The first three fields of /proc/loadavg.
pub fn loadavg() -> String {
    read_trim("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Describes this machine.
pub fn machine() -> Machine {
    let cpuinfo = read_trim("/proc/cpuinfo");
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let meminfo = read_trim("/proc/meminfo");
    let mem_total_bytes = crate::stats::status_kib_field(&meminfo, "MemTotal").unwrap_or(0);
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    Machine {
        nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model,
        mem_total_bytes,
        kernel: read_trim("/proc/sys/kernel/osrelease"),
        rustc,
        loadavg_start: loadavg(),
        loadavg_end: String::new(),
    }
}

/// `git rev-parse --short HEAD` (+ `-dirty` when the engine's sources differ).
pub fn git_rev() -> String {
    let out = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let rev = out(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    match out(&["status", "--porcelain", "--", "crates", "src", "Cargo.toml"]) {
        Some(s) if !s.is_empty() => format!("{rev}-dirty"),
        _ => rev,
    }
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The data set generated and split into batches.
pub fn prepare_dataset(gen: &GenConfig, batch_size: usize, gzip: bool) -> anyhow::Result<Prepared> {
    let data = Generator::generate(gen.clone());
    load::prepare(&data, batch_size.max(1), gzip)
}

/// Runs `load` against a started server, returning the report and the
/// server's CPU seconds and VmHWM over the load.
pub async fn load_into(
    server: &Server,
    prepared: &Prepared,
    workers: usize,
    batch_size: usize,
    gzip: bool,
) -> anyhow::Result<(LoadReport, f64, u64)> {
    let before = server.usage();
    let opts = LoadOptions {
        url: server.url(),
        db: DB.into(),
        create_db: server.spec.kind.speaks_influxql(),
        workers,
        batch_size,
        gzip,
        api: Api::V1,
        token: None,
        progress: false,
    };
    let report = load::run(&opts, prepared.clone()).await?;
    let after = server.usage();
    Ok((
        report,
        after.cpu_seconds - before.cpu_seconds,
        after.peak_rss_bytes,
    ))
}

fn is_almanac_data(p: &Path) -> bool {
    servers::has_ext(p, "parquet")
}

fn disk(method: &str, spec: &ServerSpec, values: u64, seconds: f64) -> DiskFigure {
    let data_dir = spec.data_dir();
    let (data_bytes, files) = match spec.kind {
        Kind::Almanac => (
            servers::dir_bytes(&data_dir, &is_almanac_data),
            servers::count_files(&data_dir, "parquet"),
        ),
        Kind::Influxd => (
            servers::dir_bytes(&data_dir, &|p| servers::has_ext(p, "tsm")),
            servers::count_files(&data_dir, "tsm"),
        ),
        Kind::VictoriaMetrics => (servers::dir_bytes(&data_dir.join("data"), &|_| true), 0),
    };
    DiskFigure {
        method: method.into(),
        data_bytes,
        dir_bytes: servers::allocated_bytes(&spec.dir, &|p| {
            servers::has_ext(p, "log") || servers::has_ext(p, "conf")
        }),
        bytes_per_value: if values > 0 {
            data_bytes as f64 / values as f64
        } else {
            0.0
        },
        files,
        seconds,
    }
}

/// Waits until `probe` returns the same value `stable_polls` times in a row
/// and `done` holds for it, or the timeout passes. Returns whether it settled.
pub async fn settle<T: PartialEq + Clone>(
    timeout: Duration,
    stable_polls: usize,
    mut probe: impl FnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    let mut last: Option<T> = None;
    let mut same = 0;
    loop {
        let now = probe();
        if last.as_ref() == Some(&now) {
            same += 1;
        } else {
            same = 0;
        }
        if same + 1 >= stable_polls && done(&now) {
            return true;
        }
        last = Some(now);
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// influxd: waits for the cache snapshot (WAL empty), then for the full compaction.
async fn influxd_persist(
    spec: &ServerSpec,
    values: u64,
    timeout: Duration,
    result: &mut TargetResult,
) {
    let wal = spec.dir.join("wal");
    let t0 = Instant::now();
    let ok = settle(
        timeout,
        2,
        || servers::dir_bytes(&wal, &|p| servers::has_ext(p, "wal")),
        |b| *b == 0,
    )
    .await;
    if !ok {
        result
            .errors
            .push(format!("influxd: WAL not empty after {timeout:?}"));
    }
    result.persisted = Some(disk(
        "cache snapshotted to TSM (WAL empty)",
        spec,
        values,
        t0.elapsed().as_secs_f64(),
    ));
    let data = spec.data_dir();
    let t1 = Instant::now();
    // Fully compacted: one TSM file per shard, no temporary files, stable size.
    let ok = settle(
        timeout,
        4,
        || {
            (
                servers::count_files(&data, "tsm"),
                servers::count_files(&data, "tmp"),
                servers::dir_bytes(&data, &|_| true),
                shard_dirs_with_tsm(&data),
            )
        },
        |(tsm, tmp, _, shards)| *tmp == 0 && *tsm == *shards,
    )
    .await;
    if !ok {
        result.errors.push(format!(
            "influxd: full compaction not seen within {timeout:?}"
        ));
    }
    result.compacted = Some(disk(
        "after full compaction",
        spec,
        values,
        t1.elapsed().as_secs_f64(),
    ));
}

fn shard_dirs_with_tsm(dir: &Path) -> u64 {
    let mut n = 0;
    let mut has = false;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                n += shard_dirs_with_tsm(&p);
            } else if servers::has_ext(&p, "tsm") {
                has = true;
            }
        }
    }
    n + has as u64
}

/// Almanac: `almanac compact` on the stopped server's directory (every
/// partition rewritten as one compacted file, as influxd's full compaction
/// and VictoriaMetrics' forced merge do), then measures the files.
async fn almanac_compact(spec: &ServerSpec, values: u64, result: &mut TargetResult) {
    eprintln!("==> almanac: almanac compact");
    let t0 = Instant::now();
    let out = tokio::process::Command::new(&spec.binary)
        .arg("compact")
        .arg("--data-dir")
        .arg(spec.data_dir())
        .output()
        .await;
    match out {
        Ok(out) if out.status.success() => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if let Some(summary) = stderr.lines().last() {
                eprintln!("    {summary}");
            }
            let seconds = t0.elapsed().as_secs_f64();
            result.compacted = Some(disk("almanac compact", spec, values, seconds));
        }
        Ok(out) => result.errors.push(format!(
            "almanac compact: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => result.errors.push(format!("almanac compact: {e}")),
    }
}

/// VictoriaMetrics: force a flush, measure; force a merge, measure when stable.
async fn vm_persist(spec: &ServerSpec, values: u64, timeout: Duration, result: &mut TargetResult) {
    let client = reqwest::Client::new();
    let t0 = Instant::now();
    let flush = client
        .get(format!("{}/internal/force_flush", spec.url()))
        .send()
        .await;
    if let Err(e) = flush {
        result.errors.push(format!("force_flush: {e}"));
    }
    let data = spec.data_dir();
    settle(
        Duration::from_secs(10),
        3,
        || servers::dir_bytes(&data, &|_| true),
        |_| true,
    )
    .await;
    result.persisted = Some(disk(
        "after /internal/force_flush",
        spec,
        values,
        t0.elapsed().as_secs_f64(),
    ));
    let t1 = Instant::now();
    let merge = client
        .get(format!("{}/internal/force_merge", spec.url()))
        .send()
        .await;
    match merge {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => result
            .errors
            .push(format!("force_merge: HTTP {}", r.status())),
        Err(e) => result.errors.push(format!("force_merge: {e}")),
    }
    settle(
        timeout,
        6,
        || servers::dir_bytes(&data, &|_| true),
        |_| true,
    )
    .await;
    result.compacted = Some(disk(
        "after /internal/force_merge",
        spec,
        values,
        t1.elapsed().as_secs_f64(),
    ));
}

fn query_options(opts: &CompareOptions, server: &Server) -> QueryOptions {
    QueryOptions {
        url: server.url(),
        db: DB.into(),
        types: opts.query_types.clone(),
        queries: opts.queries,
        warmup: opts.query_warmup,
        warmup_time: opts.query_warmup_time,
        workers: opts.query_workers,
        seed: opts.query_seed,
        span: span_of(&opts.gen),
        language: if server.spec.kind.speaks_influxql() {
            Language::Influxql
        } else {
            Language::Promql
        },
        keep_answers: opts.cross_check,
        timeout: Duration::from_secs(300),
    }
}

/// The time range and hosts of a generated data set.
pub fn span_of(gen: &GenConfig) -> DataSpan {
    DataSpan {
        scale: gen.scale,
        start_ns: gen.start_ns,
        end_ns: gen.start_ns.saturating_add(gen.duration_ns),
    }
}

const START_TIMEOUT: Duration = Duration::from_secs(120);
const STOP_GRACE: Duration = Duration::from_secs(600);

async fn run_target(
    opts: &CompareOptions,
    kind: Kind,
    binary: PathBuf,
    root: &Path,
    prepared: &Prepared,
) -> anyhow::Result<TargetResult> {
    let values = prepared.field_values();
    let mut result = TargetResult::new(kind, servers::version_of(kind, &binary));
    let spec = ServerSpec::new(kind, binary, root, kind.name())?;
    eprintln!("==> {kind}: starting on {}", spec.url());
    let server = spec.start(START_TIMEOUT).await?;
    eprintln!("==> {kind}: loading {} lines", prepared.lines());
    let (report, cpu, hwm) =
        load_into(&server, prepared, opts.workers, opts.batch_size, opts.gzip).await?;
    eprintln!(
        "==> {kind}: {:.0} values/s, {} failed batches",
        report.values_per_sec, report.failed_batches
    );
    if report.failed_batches > 0 {
        result.errors.push(format!(
            "{} batches failed: {}",
            report.failed_batches,
            report.errors.join("; ")
        ));
    }
    result.load = Some(report);
    result.load_cpu_seconds = cpu;
    result.load_peak_rss_bytes = hwm;
    let query_server = match kind {
        Kind::Almanac => {
            eprintln!("==> almanac: SIGTERM (persists the buffer)");
            let stopped = server.stop(STOP_GRACE).await?;
            if stopped.exit_code != Some(0) {
                result.errors.push(format!(
                    "almanac exited with {:?} at shutdown",
                    stopped.exit_code
                ));
            }
            result.persisted = Some(disk(
                "Parquet after graceful shutdown",
                &spec,
                values,
                stopped.shutdown_seconds,
            ));
            result.ingest_peak_rss_bytes = stopped.usage.peak_rss_bytes;
            result.ingest_cpu_seconds = stopped.usage.cpu_seconds;
            if opts.queries == 0 {
                almanac_compact(&spec, values, &mut result).await;
                return Ok(result);
            }
            eprintln!("==> almanac: restarting for the queries");
            spec.start(START_TIMEOUT).await?
        }
        Kind::Influxd | Kind::VictoriaMetrics => {
            let before = server.usage();
            if kind == Kind::Influxd {
                eprintln!("==> influxd: waiting for the cache snapshot and compaction");
                influxd_persist(&spec, values, opts.settle_timeout, &mut result).await;
            } else {
                eprintln!("==> victoria-metrics: force_flush, force_merge");
                vm_persist(&spec, values, opts.settle_timeout, &mut result).await;
            }
            let after: Usage = server.usage();
            result.ingest_peak_rss_bytes = after.peak_rss_bytes.max(before.peak_rss_bytes);
            result.ingest_cpu_seconds = after.cpu_seconds;
            server
        }
    };
    if opts.queries > 0 {
        eprintln!("==> {kind}: queries");
        let q = query::run(&query_options(opts, &query_server)).await?;
        eprintln!("{}", q.summary());
        result.queries = Some(q);
    }
    let peak_before_queries = result.ingest_peak_rss_bytes;
    let stopped = query_server.stop(STOP_GRACE).await?;
    result.query_peak_rss_bytes = match kind {
        Kind::Almanac => stopped.usage.peak_rss_bytes,
        _ => stopped.usage.peak_rss_bytes.max(peak_before_queries),
    };
    if stopped.exit_code != Some(0) && kind == Kind::Almanac {
        result
            .errors
            .push(format!("almanac exited with {:?}", stopped.exit_code));
    }
    if kind == Kind::Almanac {
        almanac_compact(&spec, values, &mut result).await;
    }
    Ok(result)
}

/// Runs the comparison.
pub async fn run(opts: &CompareOptions, command: String) -> anyhow::Result<CompareResult> {
    let mut machine = machine();
    let tmp = match &opts.work_dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("almanac-compare.")
            .tempdir_in(dir)?,
        None => tempfile::Builder::new()
            .prefix("almanac-compare.")
            .tempdir()?,
    };
    let root = tmp.path().to_path_buf();
    let mut binaries = Vec::new();
    for kind in &opts.targets {
        let bin = match kind {
            Kind::Almanac => opts.almanac_bin.clone(),
            other => servers::ensure_installed(*other)?,
        };
        binaries.push((*kind, bin));
    }
    eprintln!(
        "==> generating {} lines ({} hosts)",
        opts.gen.lines(),
        opts.gen.scale
    );
    let gen = opts.gen.clone();
    let (batch_size, gzip) = (opts.batch_size, opts.gzip);
    let prepared = tokio::task::spawn_blocking(move || prepare_dataset(&gen, batch_size, gzip))
        .await
        .context("data preparation panicked")??;
    let dataset = Dataset {
        config: opts.gen.clone(),
        lines: prepared.lines(),
        field_values: prepared.field_values(),
        raw_bytes: prepared.raw_bytes(),
        body_bytes: prepared.body_bytes(),
    };
    let mut targets = Vec::new();
    for (kind, bin) in binaries {
        match run_target(opts, kind, bin, &root, &prepared).await {
            Ok(r) => targets.push(r),
            Err(e) => {
                let mut r = TargetResult::new(kind, String::new());
                r.errors.push(format!("{e:#}"));
                eprintln!("==> {kind} failed: {e:#}");
                targets.push(r);
            }
        }
    }
    let cross_check = cross_check_targets(&mut targets);
    machine.loadavg_end = loadavg();
    if opts.keep {
        let kept = tmp.keep();
        eprintln!("==> kept {}", kept.display());
    }
    Ok(CompareResult {
        benchmark: "compare",
        date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        git_rev: git_rev(),
        command,
        machine,
        dataset,
        load_settings: LoadSettings {
            workers: opts.workers,
            batch_size: opts.batch_size,
            gzip: opts.gzip,
        },
        query_settings: QuerySettings {
            queries_per_type: opts.queries,
            warmup_per_type: opts.query_warmup,
            warmup_secs: opts.query_warmup_time.as_secs_f64(),
            workers: opts.query_workers,
            seed: opts.query_seed,
            cross_check_per_type: opts.cross_check,
        },
        targets,
        cross_check,
    })
}

fn cross_check_targets(targets: &mut [TargetResult]) -> Option<CrossCheck> {
    let a = targets.iter().position(|t| t.target == Kind::Almanac)?;
    let b = targets.iter().position(|t| t.target == Kind::Influxd)?;
    let theirs = targets[b].queries.clone()?;
    let mine = targets[a].queries.as_mut()?;
    let mismatches = query::compare_reports(mine, &theirs, "influxd");
    let compared = mine.types.iter().map(|t| t.cross_checked).sum();
    Some(CrossCheck {
        between: [Kind::Almanac, Kind::Influxd],
        compared,
        mismatches,
    })
}

/// Writes `value` as pretty JSON to `dir/<prefix>-<date>.json`; returns the path.
pub fn write_result<T: Serialize>(dir: &Path, prefix: &str, value: &T) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{prefix}-{}.json", today()));
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settle_waits_for_stability_and_condition() {
        let mut n = 0;
        let ok = settle(
            Duration::from_secs(5),
            2,
            || {
                n += 1;
                n.min(3)
            },
            |v| *v == 3,
        )
        .await;
        assert!(ok);
        let ok = settle(Duration::from_millis(600), 2, || 1, |v| *v == 2).await;
        assert!(!ok);
    }

    #[test]
    fn machine_and_dates() {
        let m = machine();
        assert!(m.nproc >= 1);
        assert!(m.mem_total_bytes > 0);
        assert_eq!(today().len(), 10);
        assert_eq!(loadavg().split(' ').count(), 3);
    }

    #[test]
    fn shard_dirs() {
        let d = tempfile::tempdir().unwrap();
        for (p, f) in [
            ("db/rp/1", "a.tsm"),
            ("db/rp/1", "b.tsm"),
            ("db/rp/2", "c.tsm"),
        ] {
            std::fs::create_dir_all(d.path().join(p)).unwrap();
            std::fs::write(d.path().join(p).join(f), b"x").unwrap();
        }
        assert_eq!(shard_dirs_with_tsm(d.path()), 2);
        assert_eq!(servers::count_files(d.path(), "tsm"), 3);
    }
}
