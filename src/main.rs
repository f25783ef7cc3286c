//! `almanac`: one binary for the whole platform. This file only parses
//! arguments and wires the crates together.

mod compact_cmd;
mod config;
mod kapacitor_cmd;
mod query_cmd;

use clap::{Parser, Subcommand};

/// mimalloc keeps freed memory for reuse. Query reads allocate large
/// per-column buffers; glibc's malloc maps and unmaps those on every query,
/// and the page faults cost as much CPU as the decoding.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Almanac: collect, store, query, visualize and alert on time series.
#[derive(Parser)]
#[command(name = "almanac", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: storage and the HTTP APIs (InfluxDB v1, v2 write, v3 SQL).
    Server(config::ServerArgs),
    /// Run one SQL query against a running server and print the result.
    Query(query_cmd::QueryArgs),
    /// Run the collector: a Telegraf-compatible agent reading Telegraf's configuration.
    Agent(almanac_agent::AgentArgs),
    /// The `kapacitor` CLI against the server's Kapacitor API (define, list, record, replay…).
    Kapacitor(kapacitor_cmd::KapacitorArgs),
    /// Compact every partition of a stopped server's data directory into one file each.
    Compact(compact_cmd::CompactArgs),
}

/// C libraries still allocate through glibc's malloc: zstd makes a
/// compression and a decompression context (~160 KB each) for every Parquet
/// column chunk a query reads. Freeing them let glibc hand the memory back
/// to the kernel (`madvise` on a thread's arena), and the TLB shootdowns
/// that follow cost ~8 % of a small Flux query's CPU on a VM: freed C
/// memory is kept for reuse instead (up to 256 MiB free at the top of a
/// heap), and allocations below 4 MiB never get their own mapping.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_c_memory() {
    // SAFETY: mallopt only changes glibc's tuning parameters; it is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_c_memory() {}

fn main() -> anyhow::Result<()> {
    keep_freed_c_memory();
    let cli = Cli::parse();
    match cli.command {
        Command::Server(args) => {
            let settings = config::Settings::resolve(args)?;
            init_logging(&settings.log_level);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run_server(settings))
        }
        Command::Query(args) => {
            init_logging("warn");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(query_cmd::run(args))
        }
        Command::Agent(args) => almanac_agent::run_cli(args),
        Command::Compact(args) => {
            init_logging("warn");
            compact_cmd::run(args)
        }
        Command::Kapacitor(args) => {
            init_logging("warn");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(kapacitor_cmd::run(args))
        }
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALMANAC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run_server(settings: config::Settings) -> anyhow::Result<()> {
    let server = almanac_server::Server::start(settings.server).await?;
    server.run(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("signal received, shutting down");
}
