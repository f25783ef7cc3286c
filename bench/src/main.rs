//! `almanac-bench`: generate TSBS-style data, load it into a server, and read
//! the server's resource use.

use std::io::{Read, Write};
use std::path::PathBuf;

use almanac_bench::gen::{GenConfig, Generator, UseCase};
use almanac_bench::load::{self, Api, LoadOptions};
use almanac_bench::{stats, util};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};

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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
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
