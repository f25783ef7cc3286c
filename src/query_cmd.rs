//! `almanac query`: a one-shot client of `/api/v3/query_sql`.

use anyhow::{bail, Context};

/// Arguments of `almanac query`.
#[derive(clap::Args)]
pub struct QueryArgs {
    /// The SQL statement to run.
    #[arg(long)]
    sql: String,
    /// Database to query.
    #[arg(long, short = 'd', env = "ALMANAC_DATABASE")]
    database: String,
    /// Server URL.
    #[arg(long, env = "ALMANAC_HOST", default_value = "http://127.0.0.1:8086")]
    host: String,
    /// Output format: pretty, json, jsonl, csv.
    #[arg(long, default_value = "pretty")]
    format: String,
}

/// Runs the query and prints the answer to stdout.
pub async fn run(args: QueryArgs) -> anyhow::Result<()> {
    let url = format!("{}/api/v3/query_sql", args.host.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({ "db": args.database, "q": args.sql, "format": args.format }))
        .send()
        .await
        .with_context(|| format!("could not reach {url}"))?;
    let status = response.status();
    let body = response.text().await.context("reading the answer")?;
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or(body);
        bail!("{status}: {message}");
    }
    print!("{body}");
    Ok(())
}
