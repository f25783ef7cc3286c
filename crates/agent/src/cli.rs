//! `almanac agent` command line, modelled on Telegraf's flags.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::config::{Config, PluginFilters};
use crate::registry;
use crate::runtime::{self, Agent};

/// Flags of `almanac agent` (Telegraf's, with `--` prefixes).
#[derive(Debug, Clone, Default, Args)]
pub struct AgentArgs {
    /// Configuration file(s) to load (repeatable).
    #[arg(long = "config", value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Directory whose `*.conf` files are loaded (repeatable).
    #[arg(long = "config-directory", value_name = "DIR")]
    pub config_directory: Vec<PathBuf>,
    /// Gather metrics once, print them in line protocol to stdout, and exit.
    #[arg(long)]
    pub test: bool,
    /// Time to wait for service inputs in --test mode (seconds; service inputs are skipped).
    #[arg(long = "test-wait", default_value_t = 0)]
    pub test_wait: u64,
    /// Gather once, write to the outputs, and exit.
    #[arg(long)]
    pub once: bool,
    /// Only these inputs (colon separated).
    #[arg(long = "input-filter", default_value = "")]
    pub input_filter: String,
    /// Only these outputs (colon separated).
    #[arg(long = "output-filter", default_value = "")]
    pub output_filter: String,
    /// Only these processors (colon separated).
    #[arg(long = "processor-filter", default_value = "")]
    pub processor_filter: String,
    /// Only these aggregators (colon separated).
    #[arg(long = "aggregator-filter", default_value = "")]
    pub aggregator_filter: String,
    /// Print a sample configuration (honours the --*-filter flags) and exit.
    #[arg(long = "sample-config")]
    pub sample_config: bool,
    /// Print the sample configuration of one plugin and exit.
    #[arg(long, value_name = "PLUGIN")]
    pub usage: Option<String>,
    /// Debug logging.
    #[arg(long)]
    pub debug: bool,
    /// Errors-only logging.
    #[arg(long)]
    pub quiet: bool,
    /// Write the process id to this file while running.
    #[arg(long, value_name = "FILE")]
    pub pidfile: Option<PathBuf>,
    /// `config`: same as --sample-config; `version`: print the version.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

fn split(s: &str) -> Vec<String> {
    s.split(':')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

impl AgentArgs {
    /// Plugin-name filters from the flags.
    pub fn filters(&self) -> PluginFilters {
        PluginFilters {
            inputs: split(&self.input_filter),
            outputs: split(&self.output_filter),
            processors: split(&self.processor_filter),
            aggregators: split(&self.aggregator_filter),
        }
    }

    /// Loads the configuration named by the flags.
    pub fn load(&self) -> Result<Config, crate::ConfigError> {
        let mut cfg = Config::load(&self.config, &self.config_directory, &self.filters())?;
        if self.debug {
            cfg.agent.debug = true;
        }
        if self.quiet {
            cfg.agent.quiet = true;
        }
        Ok(cfg)
    }
}

fn init_logging(debug: bool, quiet: bool, logfile: &str) {
    let level = if debug {
        "debug"
    } else if quiet {
        "error"
    } else {
        "info"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALMANAC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    if !logfile.is_empty() {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
        {
            Ok(f) => {
                let _ = tracing_subscriber::fmt()
                    .with_env_filter(filter)
                    .with_writer(std::sync::Mutex::new(f))
                    .with_ansi(false)
                    .try_init();
                return;
            }
            Err(e) => eprintln!("cannot open logfile {logfile:?}: {e}; logging to stderr"),
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Runs `almanac agent` with the given flags; blocks until stopped (SIGINT/SIGTERM).
pub fn run_cli(args: AgentArgs) -> anyhow::Result<()> {
    if args.sample_config || args.command.as_deref() == Some("config") {
        let f = args.filters();
        print!(
            "{}",
            registry::sample_config(&f.inputs, &f.outputs, &f.processors, &f.aggregators)
        );
        return Ok(());
    }
    if args.command.as_deref() == Some("version") {
        println!(
            "almanac agent {} (Telegraf-compatible)",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(());
    }
    if let Some(cmd) = &args.command {
        anyhow::bail!("unknown agent command {cmd:?} (expected `config` or `version`)");
    }
    if let Some(p) = &args.usage {
        match registry::usage(p) {
            Some(u) => {
                println!("{u}");
                return Ok(());
            }
            None => anyhow::bail!("no such plugin: {p}"),
        }
    }
    let cfg = args.load()?;
    let logfile = if cfg.agent.logtarget == "stderr" {
        String::new()
    } else {
        cfg.agent.logfile.clone()
    };
    init_logging(cfg.agent.debug, cfg.agent.quiet || args.test, &logfile);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        if args.test {
            let metrics = runtime::gather_once(cfg).await?;
            let mut out = std::io::stdout().lock();
            for m in metrics {
                writeln!(out, "> {m}")?;
            }
            return Ok(());
        }
        if args.once {
            return runtime::run_once(cfg).await;
        }
        if let Some(p) = &args.pidfile {
            std::fs::write(p, format!("{}\n", std::process::id()))?;
        }
        let res = run_forever(args.clone(), cfg).await;
        if let Some(p) = &args.pidfile {
            let _ = std::fs::remove_file(p);
        }
        res
    })
}

async fn run_forever(args: AgentArgs, cfg: Config) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    tracing::info!(
        "Loaded inputs: {}",
        cfg.inputs
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    tracing::info!(
        "Loaded outputs: {}",
        cfg.outputs
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut agent = Agent::start(cfg).await?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                tracing::info!("reloading configuration (SIGHUP)");
                match args.load() {
                    Ok(new_cfg) => {
                        agent.stop().await;
                        agent = Agent::start(new_cfg).await?;
                    }
                    Err(e) => tracing::error!("reload failed, keeping the running configuration: {e}"),
                }
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!("stopping: flushing outputs");
    agent.stop().await;
    Ok(())
}
