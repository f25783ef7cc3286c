//! Throughput benchmark (not a test): metrics per second through `socket_listener`
//! (influx line protocol over TCP) and `statsd` (TCP), forwarded to `outputs.discard`;
//! `socket_listener` once more with `buffer_strategy = "disk"` (write-ahead file, fsync per
//! batch) to show the cost of crash-safe buffering.
//!
//! `cargo run --release -p almanac-agent --example throughput -- [N]`

use std::time::{Duration, Instant};

use almanac_agent::{Agent, Config, PluginFilters};
use tokio::io::AsyncWriteExt;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn connect(port: u16) -> tokio::net::TcpStream {
    for _ in 0..200 {
        if let Ok(s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("listener did not come up");
}

async fn socket_listener(n: usize, disk: Option<&std::path::Path>) -> anyhow::Result<f64> {
    let port = free_port();
    let mut cfg = Config::default();
    let buffer = disk.map_or(String::new(), |d| {
        format!(
            "  buffer_strategy = \"disk\"\n  buffer_directory = \"{}\"\n",
            d.display()
        )
    });
    let alias = if disk.is_some() {
        "bench-disk"
    } else {
        "bench"
    };
    cfg.add_text(
        "bench",
        &format!(
            "[agent]\n  omit_hostname = true\n  metric_buffer_limit = 2000000\n  metric_batch_size = 5000\n  flush_interval = \"100ms\"\n{buffer}[[inputs.socket_listener]]\n  alias = \"{alias}\"\n  service_address = \"tcp://127.0.0.1:{port}\"\n[[outputs.discard]]\n  alias = \"{alias}\"\n"
        ),
        &PluginFilters::default(),
    )?;
    let agent = Agent::start(cfg).await?;
    let mut s = connect(port).await;
    let mut payload = String::with_capacity(n * 80);
    for i in 0..n {
        payload.push_str(&format!(
            "cpu,host=server{:03},region=eu usage_user={}.5,usage_system=2.25,usage_idle=90i {}\n",
            i % 100,
            i % 97,
            1_700_000_000_000_000_000i64 + i as i64
        ));
    }
    let st = almanac_agent::stats::global().output("discard", alias);
    let start = Instant::now();
    s.write_all(payload.as_bytes()).await?;
    s.shutdown().await?;
    while (st.metrics_written.get() as usize) < n {
        if start.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("timeout: {} of {n}", st.metrics_written.get());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    agent.stop().await;
    Ok(n as f64 / secs)
}

async fn statsd(n: usize) -> anyhow::Result<f64> {
    let port = free_port();
    let mut cfg = Config::default();
    cfg.add_text(
        "bench",
        &format!(
            "[agent]\n  omit_hostname = true\n  interval = \"100ms\"\n  round_interval = false\n[[inputs.statsd]]\n  alias = \"bench\"\n  protocol = \"tcp\"\n  service_address = \"127.0.0.1:{port}\"\n[[outputs.discard]]\n  alias = \"statsd\"\n"
        ),
        &PluginFilters::default(),
    )?;
    let agent = Agent::start(cfg).await?;
    let mut s = connect(port).await;
    let mut payload = String::with_capacity(n * 40);
    for i in 0..n {
        match i % 3 {
            0 => payload.push_str(&format!("api.requests,host=h{}:1|c\n", i % 50)),
            1 => payload.push_str(&format!("api.latency,host=h{}:{}|ms\n", i % 50, i % 1000)),
            _ => payload.push_str(&format!("api.queue,host=h{}:{}|g\n", i % 50, i % 10)),
        }
    }
    let base = almanac_agent::inputs::statsd::processed_lines() as usize;
    let start = Instant::now();
    s.write_all(payload.as_bytes()).await?;
    s.shutdown().await?;
    let mut seen = 0usize;
    while seen < n {
        if start.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("statsd timeout: {seen} of {n} lines processed");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        seen = almanac_agent::inputs::statsd::processed_lines() as usize - base;
    }
    let secs = start.elapsed().as_secs_f64();
    agent.stop().await;
    Ok(n as f64 / secs)
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let r = socket_listener(n, None).await?;
        println!("socket_listener → discard: {n} metrics, {r:.0} metrics/s");
        let dir = std::env::temp_dir().join(format!("almanac-bench-wal-{}", std::process::id()));
        let r = socket_listener(n, Some(&dir)).await?;
        let _ = std::fs::remove_dir_all(&dir);
        println!("socket_listener → discard, disk buffer (WAL): {n} metrics, {r:.0} metrics/s");
        let r = statsd(n).await?;
        println!("statsd (tcp) parse+aggregate: {n} lines, {r:.0} lines/s");
        Ok(())
    })
}
