//! Standalone `almanac agent` for measurements without building the whole `almanac` binary:
//! `cargo run --release -p almanac-agent --example agent -- --config telegraf.conf`.

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: almanac_agent::AgentArgs,
}

fn main() -> anyhow::Result<()> {
    almanac_agent::run_cli(Cli::parse().args)
}
