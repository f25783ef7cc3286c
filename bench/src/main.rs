//! `almanac-bench`: generate TSBS-style data, load it into a server, run the
//! TSBS queries, compare Almanac with influxd and VictoriaMetrics, and
//! regenerate the results in `docs/benchmarks.md`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use almanac_bench::cardinality::{self, CardinalityOptions};
use almanac_bench::compare::{self, CompareOptions};
use almanac_bench::gen::{GenConfig, Generator, UseCase};
use almanac_bench::load::{self, Api, LoadOptions};
use almanac_bench::query::{self, Language, QueryOptions};
use almanac_bench::servers::Kind;
use almanac_bench::{report, stats, tsbs, util};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};

/// The query client shares the machine's cores with the server it measures:
/// every cycle it spends allocating is taken from the server.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Almanac's benchmark harness.
#[derive(Parser)]
#[command(name = "almanac-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a deterministic TSBS-style data set as line protocol.
    Gen(GenCmd),
    /// Write line protocol to a server with parallel workers and measure.
    Load(LoadCmd),
    /// Print a server's peak RSS, CPU time and storage metrics.
    ServerStats(StatsCmd),
    /// Run the TSBS devops query types against a server.
    Query(QueryCmd),
    /// Load and query Almanac, influxd and VictoriaMetrics in one run.
    Compare(CompareCmd),
    /// Ingest rate and memory as the series count grows.
    Cardinality(CardinalityCmd),
    /// Regenerate docs/benchmarks.md's result sections and the charts.
    Report(ReportCmd),
}

/// What to generate (shared by `gen` and `load`).
#[derive(Args, Clone)]
struct GenArgs {
    /// Data set.
    #[arg(long, value_enum, default_value = "cpu-only")]
    use_case: UseCase,
    /// Number of simulated hosts.
    #[arg(long, default_value_t = 100)]
    scale: u64,
    /// PRNG seed.
    #[arg(long, default_value_t = 123)]
    seed: u64,
    /// Time between two points of a host (e.g. 10s).
    #[arg(long, default_value = "10s")]
    interval: String,
    /// First timestamp (RFC 3339).
    #[arg(long, default_value = "2016-01-01T00:00:00Z")]
    start: String,
    /// Simulated period (e.g. 12h); points fall in [start, start + duration).
    #[arg(long, default_value = "12h")]
    duration: String,
}

impl GenArgs {
    fn config(&self) -> anyhow::Result<GenConfig> {
        let interval_ns = util::parse_duration_ns(&self.interval).context("--interval")?;
        anyhow::ensure!(interval_ns > 0, "--interval must be positive");
        Ok(GenConfig {
            use_case: self.use_case,
            scale: self.scale,
            seed: self.seed,
            interval_ns,
            start_ns: util::parse_time_ns(&self.start).context("--start")?,
            duration_ns: util::parse_duration_ns(&self.duration).context("--duration")?,
        })
    }
}

#[derive(Args)]
struct GenCmd {
    #[command(flatten)]
    gen: GenArgs,
    /// Gzip the output.
    #[arg(long)]
    gzip: bool,
    /// Output file, or - for stdout.
    #[arg(long, default_value = "-")]
    out: String,
}

#[derive(Args)]
struct LoadCmd {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8086")]
    url: String,
    /// Database (v1) or bucket (v2).
    #[arg(long, default_value = "benchmark")]
    db: String,
    /// Issue `CREATE DATABASE <db>` (POST /query) before loading.
    #[arg(long)]
    create_db: bool,
    /// Concurrent requests.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Lines per request.
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Gzip request bodies (compressed before the timed section).
    #[arg(long)]
    gzip: bool,
    /// Write endpoint: v1 `/write?db=` or v2 `/api/v2/write?bucket=`.
    #[arg(long, value_enum, default_value = "v1")]
    api: Api,
    /// Token sent as `Authorization: Token <token>`.
    #[arg(long, env = "ALMANAC_BENCH_TOKEN")]
    token: Option<String>,
    /// Line protocol to load (gzip is detected), or - for stdin; without it the
    /// data set is generated from the generator flags.
    #[arg(long)]
    file: Option<String>,
    #[command(flatten)]
    gen: GenArgs,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct StatsCmd {
    /// Server base URL for /metrics (skipped when absent).
    #[arg(long)]
    url: Option<String>,
    /// Server process id.
    #[arg(long)]
    pid: u32,
    /// Print JSON instead of `key value` lines.
    #[arg(long)]
    json: bool,
}

/// `--lang` of `almanac-bench query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LangChoice {
    /// InfluxQL through `/query`.
    Influxql,
    /// Flux through `/api/v2/query`.
    Flux,
    /// PromQL through `/api/v1/query_range`.
    Promql,
    /// InfluxQL and Flux, compared.
    Both,
}

#[derive(Args)]
struct QueryCmd {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8086")]
    url: String,
    /// Database.
    #[arg(long, default_value = "benchmark")]
    db: String,
    /// Comma-separated query types, or `all`.
    #[arg(long, default_value = "all")]
    types: String,
    /// Queries per type.
    #[arg(long, default_value_t = 10)]
    queries: usize,
    /// Untimed queries per type sent first (other parameters).
    #[arg(long, default_value_t = 8)]
    warmup: usize,
    /// Least seconds the warm-up of each type lasts (its queries repeated).
    #[arg(long, default_value_t = 0.0)]
    warmup_secs: f64,
    /// Concurrent queries.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Seed of the query parameters.
    #[arg(long, default_value_t = 321)]
    query_seed: u64,
    /// Query language / API; `both` runs InfluxQL then Flux, cross-checks
    /// the answers' numbers and prints the Flux/InfluxQL median ratio per type.
    #[arg(long, visible_alias = "lang", value_enum, default_value = "influxql")]
    language: LangChoice,
    /// Also send the queries to this server (untimed) and compare the answers.
    #[arg(long)]
    cross_check: Option<String>,
    /// Queries per type compared with --cross-check (default: all).
    #[arg(long)]
    cross_check_count: Option<usize>,
    /// Per-query timeout, seconds.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// The data set the server holds (hosts and time range).
    #[command(flatten)]
    gen: GenArgs,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args)]
struct CompareCmd {
    /// The almanac binary.
    #[arg(long, default_value = "target/release/almanac")]
    almanac_bin: PathBuf,
    /// Targets, in run order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "almanac,influxd,victoria-metrics"
    )]
    targets: Vec<Kind>,
    /// The data set.
    #[command(flatten)]
    gen: GenArgs,
    /// Load: concurrent requests.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Load: lines per request.
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Load: send uncompressed bodies.
    #[arg(long)]
    no_gzip: bool,
    /// Comma-separated query types, or `all`.
    #[arg(long, default_value = "all")]
    types: String,
    /// Queries per type (0: no query phase).
    #[arg(long, default_value_t = 20)]
    queries: usize,
    /// Untimed queries per type sent to each target first (other parameters).
    #[arg(long, default_value_t = 8)]
    query_warmup: usize,
    /// Least seconds each type's warm-up lasts on each target (its untimed
    /// queries repeated): small types' few warm-up queries otherwise last
    /// milliseconds.
    #[arg(long, default_value_t = 1.0)]
    query_warmup_secs: f64,
    /// Concurrent queries.
    #[arg(long, default_value_t = 4)]
    query_workers: usize,
    /// Seed of the query parameters.
    #[arg(long, default_value_t = 321)]
    query_seed: u64,
    /// Answers per type compared between Almanac and influxd.
    #[arg(long, default_value_t = 3)]
    cross_check: usize,
    /// Where the JSON result goes.
    #[arg(long, default_value = "bench/results")]
    results_dir: PathBuf,
    /// Parent of the temporary directory.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the temporary directory.
    #[arg(long)]
    keep: bool,
    /// Longest wait for a peer's snapshot or compaction, seconds.
    #[arg(long, default_value_t = 180)]
    settle_timeout_secs: u64,
    /// Exit 1 when anything failed (a batch, a query, a cross-check, a target).
    #[arg(long)]
    strict: bool,
}

#[derive(Args)]
struct CardinalityCmd {
    /// The almanac binary.
    #[arg(long, default_value = "target/release/almanac")]
    almanac_bin: PathBuf,
    /// Targets, in run order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "almanac,influxd"
    )]
    targets: Vec<Kind>,
    /// Series counts, one step each.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    steps: Vec<u64>,
    /// Lines loaded in every step.
    #[arg(long, default_value_t = 1_000_000)]
    lines_per_step: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 123)]
    seed: u64,
    /// First timestamp (RFC 3339).
    #[arg(long, default_value = "2016-01-01T00:00:00Z")]
    start: String,
    /// Time between two points of a series.
    #[arg(long, default_value = "10s")]
    interval: String,
    /// Concurrent requests.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Lines per request.
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Where the JSON result goes.
    #[arg(long, default_value = "bench/results")]
    results_dir: PathBuf,
    /// Parent of the temporary directory.
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

#[derive(Args)]
struct ReportCmd {
    /// Directory of the JSON results (the charts are written there too).
    #[arg(long, default_value = "bench/results")]
    results_dir: PathBuf,
    /// The Markdown file whose generated sections are replaced.
    #[arg(long, default_value = "docs/benchmarks.md")]
    doc: PathBuf,
    /// Comparison result (default: the newest compare-*.json).
    #[arg(long)]
    compare: Option<PathBuf>,
    /// Cardinality result (default: the newest cardinality-*.json).
    #[arg(long)]
    cardinality: Option<PathBuf>,
}

/// The command line, quoted for a shell where needed.
fn command_line() -> String {
    std::env::args()
        .enumerate()
        .map(|(i, a)| {
            let a = if i == 0 {
                "almanac-bench".to_string()
            } else {
                a
            };
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=,:".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Query(cmd) => {
            let code = runtime()?.block_on(query_cmd(cmd))?;
            std::process::exit(code);
        }
        Command::Compare(cmd) => {
            let code = runtime()?.block_on(compare_cmd(cmd))?;
            std::process::exit(code);
        }
        Command::Cardinality(cmd) => runtime()?.block_on(cardinality_cmd(cmd)),
        Command::Report(cmd) => {
            let written = report::regenerate(
                &cmd.results_dir,
                &cmd.doc,
                cmd.compare.as_deref(),
                cmd.cardinality.as_deref(),
            )?;
            for path in written {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        Command::Gen(cmd) => gen(cmd),
        Command::Load(cmd) => {
            let code = runtime()?.block_on(load_cmd(cmd))?;
            std::process::exit(code);
        }
        Command::ServerStats(cmd) => {
            let s = runtime()?.block_on(stats::collect(cmd.pid, cmd.url.as_deref()))?;
            if cmd.json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print!("{}", s.to_text());
            }
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn gen(cmd: GenCmd) -> anyhow::Result<()> {
    let config = cmd.gen.config()?;
    let out: Box<dyn Write> = if cmd.out == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&cmd.out).with_context(|| format!("creating {}", cmd.out))?)
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut generator = Generator::new(config);
    if cmd.gzip {
        let mut enc = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
        generator.write_all(&mut enc)?;
        enc.finish()?;
    } else {
        generator.write_all(&mut out)?;
    }
    out.flush()?;
    Ok(())
}

async fn load_cmd(cmd: LoadCmd) -> anyhow::Result<i32> {
    let data = match cmd.file.as_deref() {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf)?;
            load::maybe_gunzip(buf)?
        }
        Some(path) => {
            load::maybe_gunzip(std::fs::read(path).with_context(|| format!("reading {path}"))?)?
        }
        None => Generator::generate(cmd.gen.config()?),
    };
    let opts = LoadOptions {
        url: cmd.url,
        db: cmd.db,
        create_db: cmd.create_db,
        workers: cmd.workers,
        batch_size: cmd.batch_size.max(1),
        gzip: cmd.gzip,
        api: cmd.api,
        token: cmd.token,
        progress: !cmd.quiet,
    };
    let batch_size = opts.batch_size;
    let gzip = opts.gzip;
    let prepared = tokio::task::spawn_blocking(move || load::prepare(&data, batch_size, gzip))
        .await
        .context("batch preparation panicked")??;
    let report = load::run(&opts, prepared).await?;
    println!("{}", report.summary());
    if let Some(path) = &cmd.json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if report.failed_batches > 0 { 1 } else { 0 })
}

async fn query_cmd(cmd: QueryCmd) -> anyhow::Result<i32> {
    if cmd.language == LangChoice::Both {
        return query_both(cmd).await;
    }
    let gen = cmd.gen.config()?;
    let mut opts = QueryOptions {
        url: cmd.url,
        db: cmd.db,
        types: tsbs::parse_types(&cmd.types)?,
        queries: cmd.queries,
        warmup: cmd.warmup,
        warmup_time: secs("--warmup-secs", cmd.warmup_secs)?,
        workers: cmd.workers,
        seed: cmd.query_seed,
        span: compare::span_of(&gen),
        language: match cmd.language {
            LangChoice::Flux => Language::Flux,
            LangChoice::Promql => Language::Promql,
            LangChoice::Influxql | LangChoice::Both => Language::Influxql,
        },
        keep_answers: 0,
        timeout: Duration::from_secs(cmd.timeout_secs),
    };
    if cmd.cross_check.is_some() {
        opts.keep_answers = cmd.cross_check_count.unwrap_or(cmd.queries);
    }
    let mut report = query::run(&opts).await?;
    let mut mismatches = 0;
    if let Some(other) = &cmd.cross_check {
        mismatches = query::cross_check(&opts, &mut report, other).await?;
    }
    println!("{}", report.summary());
    if let Some(other) = &cmd.cross_check {
        let compared: u64 = report.types.iter().map(|t| t.cross_checked).sum();
        println!("cross-check with {other}: {compared} answers compared, {mismatches} disagree");
    }
    if let Some(path) = &cmd.json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if report.failed > 0 || mismatches > 0 {
        1
    } else {
        0
    })
}

/// `--lang both`: the same plan in InfluxQL, then in Flux; the answers'
/// numbers cross-checked; the median ratio per type.
async fn query_both(cmd: QueryCmd) -> anyhow::Result<i32> {
    if cmd.cross_check.is_some() {
        anyhow::bail!(
            "--cross-check is not supported with --lang both (it cross-checks the two languages)"
        );
    }
    let gen = cmd.gen.config()?;
    let mut opts = QueryOptions {
        url: cmd.url,
        db: cmd.db,
        types: tsbs::parse_types(&cmd.types)?,
        queries: cmd.queries,
        warmup: cmd.warmup,
        warmup_time: secs("--warmup-secs", cmd.warmup_secs)?,
        workers: cmd.workers,
        seed: cmd.query_seed,
        span: compare::span_of(&gen),
        language: Language::Influxql,
        keep_answers: cmd.cross_check_count.unwrap_or(cmd.queries),
        timeout: Duration::from_secs(cmd.timeout_secs),
    };
    let influxql = query::run(&opts).await?;
    opts.language = Language::Flux;
    let mut flux = query::run(&opts).await?;
    let mismatches = query::cross_check_flux(&mut flux, &influxql);
    println!("{}\n", influxql.summary());
    println!("{}\n", flux.summary());
    let ratios = query::ratios(&influxql, &flux);
    println!("{}", query::ratio_summary(&ratios));
    let compared: u64 = flux.types.iter().map(|t| t.cross_checked).sum();
    println!("Flux vs InfluxQL: {compared} answers compared, {mismatches} disagree");
    if let Some(path) = &cmd.json {
        let mut text = serde_json::to_string_pretty(&serde_json::json!({
            "influxql": influxql,
            "flux": flux,
            "ratios": ratios,
        }))?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(
        if influxql.failed > 0 || flux.failed > 0 || mismatches > 0 {
            1
        } else {
            0
        },
    )
}

async fn compare_cmd(cmd: CompareCmd) -> anyhow::Result<i32> {
    let opts = CompareOptions {
        almanac_bin: cmd.almanac_bin,
        targets: cmd.targets,
        gen: cmd.gen.config()?,
        workers: cmd.workers,
        batch_size: cmd.batch_size.max(1),
        gzip: !cmd.no_gzip,
        query_types: tsbs::parse_types(&cmd.types)?,
        queries: cmd.queries,
        query_warmup: cmd.query_warmup,
        query_warmup_time: secs("--query-warmup-secs", cmd.query_warmup_secs)?,
        query_workers: cmd.query_workers,
        query_seed: cmd.query_seed,
        cross_check: cmd.cross_check,
        work_dir: cmd.work_dir,
        keep: cmd.keep,
        settle_timeout: Duration::from_secs(cmd.settle_timeout_secs),
    };
    let result = compare::run(&opts, command_line()).await?;
    let path = compare::write_result(&cmd.results_dir, "compare", &result)?;
    print!(
        "{}",
        report::compare_summary(&serde_json::to_value(&result)?)
    );
    println!("result: {}", path.display());
    let mut problems = Vec::new();
    for t in &result.targets {
        for e in &t.errors {
            problems.push(format!("{}: {e}", t.target));
        }
        if let Some(q) = &t.queries {
            if q.failed > 0 {
                problems.push(format!("{}: {} queries failed", t.target, q.failed));
            }
        }
    }
    if let Some(c) = &result.cross_check {
        if c.mismatches > 0 {
            problems.push(format!(
                "{} answers differ between almanac and influxd",
                c.mismatches
            ));
        }
    }
    for p in &problems {
        eprintln!("problem: {p}");
    }
    Ok(if cmd.strict && !problems.is_empty() {
        1
    } else {
        0
    })
}

async fn cardinality_cmd(cmd: CardinalityCmd) -> anyhow::Result<()> {
    let interval_ns = util::parse_duration_ns(&cmd.interval).context("--interval")?;
    anyhow::ensure!(interval_ns > 0, "--interval must be positive");
    anyhow::ensure!(!cmd.steps.is_empty(), "--steps is empty");
    let opts = CardinalityOptions {
        almanac_bin: cmd.almanac_bin,
        targets: cmd.targets,
        steps: cmd.steps,
        lines_per_step: cmd.lines_per_step.max(1),
        seed: cmd.seed,
        start_ns: util::parse_time_ns(&cmd.start).context("--start")?,
        interval_ns,
        workers: cmd.workers,
        batch_size: cmd.batch_size.max(1),
        gzip: true,
        work_dir: cmd.work_dir,
    };
    let result = cardinality::run(&opts, command_line()).await?;
    let path = compare::write_result(&cmd.results_dir, "cardinality", &result)?;
    print!(
        "{}",
        report::cardinality_summary(&serde_json::to_value(&result)?)
    );
    println!("result: {}", path.display());
    Ok(())
}

/// A non-negative, finite number of seconds from flag `flag`.
fn secs(flag: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        anyhow::anyhow!("{flag} must be a non-negative number of seconds, not {value}")
    })
}
