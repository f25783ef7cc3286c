//! A running server's resource use: peak RSS and CPU time from `/proc`, and
//! storage figures from its Prometheus `/metrics` endpoint.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Serialize;

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`). Linux
/// fixes it at 100 for user space on every mainstream architecture.
pub const USER_HZ: f64 = 100.0;

/// Metrics read from `/metrics`.
pub const METRICS: [&str; 2] = ["almanac_parquet_bytes", "almanac_write_lines_total"];

/// What `server-stats` reports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServerStats {
    /// Process id.
    pub pid: u32,
    /// Peak resident set size (VmHWM), bytes.
    pub peak_rss_bytes: u64,
    /// Current resident set size (VmRSS), bytes.
    pub rss_bytes: u64,
    /// User CPU seconds.
    pub user_cpu_seconds: f64,
    /// System CPU seconds.
    pub system_cpu_seconds: f64,
    /// User + system CPU seconds.
    pub cpu_seconds: f64,
    /// The values of [`METRICS`] (absent when no URL was given or the metric is missing).
    pub metrics: BTreeMap<String, f64>,
}

/// A `Vm*:` value of `/proc/<pid>/status`, in bytes.
pub fn status_kib_field(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib * 1024)
    })
}

/// (utime, stime) in seconds from the text of `/proc/<pid>/stat`.
pub fn parse_stat_times(stat: &str) -> anyhow::Result<(f64, f64)> {
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .context("malformed /proc stat: no ')'")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state); utime is field 14, stime field 15.
    let get = |n: usize| -> anyhow::Result<f64> {
        let v: u64 = fields
            .get(n - 3)
            .with_context(|| format!("malformed /proc stat: no field {n}"))?
            .parse()
            .with_context(|| format!("malformed /proc stat: field {n}"))?;
        Ok(v as f64 / USER_HZ)
    };
    Ok((get(14)?, get(15)?))
}

/// The samples of `names` in a Prometheus text exposition (first sample of each).
pub fn parse_metrics(text: &str, names: &[&str]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line
            .find(|c: char| c == '{' || c.is_whitespace())
            .unwrap_or(line.len());
        let name = &line[..name_end];
        if !names.contains(&name) || out.contains_key(name) {
            continue;
        }
        let rest = &line[name_end..];
        let rest = match rest.strip_prefix('{') {
            Some(r) => r.find('}').map_or("", |i| &r[i + 1..]),
            None => rest,
        };
        if let Some(v) = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        {
            out.insert(name.to_string(), v);
        }
    }
    out
}

/// Reads `/proc/<pid>` (and `/metrics` when `url` is given).
pub async fn collect(pid: u32, url: Option<&str>) -> anyhow::Result<ServerStats> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status (is the process running?)"))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    let peak_rss_bytes =
        status_kib_field(&status, "VmHWM").context("no VmHWM in /proc/<pid>/status")?;
    let rss_bytes = status_kib_field(&status, "VmRSS").unwrap_or(0);
    let (user, system) = parse_stat_times(&stat)?;
    let metrics = match url {
        Some(url) => {
            let url = format!("{}/metrics", url.trim_end_matches('/'));
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?;
            let resp = client
                .get(&url)
                .send()
                .await
                .with_context(|| format!("GET {url}"))?;
            let status = resp.status();
            let text = resp.text().await?;
            if !status.is_success() {
                bail!("GET {url}: HTTP {status}");
            }
            parse_metrics(&text, &METRICS)
        }
        None => BTreeMap::new(),
    };
    Ok(ServerStats {
        pid,
        peak_rss_bytes,
        rss_bytes,
        user_cpu_seconds: user,
        system_cpu_seconds: system,
        cpu_seconds: user + system,
        metrics,
    })
}

impl ServerStats {
    /// One `key value` pair a line, easy to read from a shell.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "pid {}\npeak_rss_bytes {}\npeak_rss_mib {:.1}\nrss_bytes {}\n\
             user_cpu_seconds {:.2}\nsystem_cpu_seconds {:.2}\ncpu_seconds {:.2}\n",
            self.pid,
            self.peak_rss_bytes,
            self.peak_rss_bytes as f64 / (1024.0 * 1024.0),
            self.rss_bytes,
            self.user_cpu_seconds,
            self.system_cpu_seconds,
            self.cpu_seconds,
        );
        for (k, v) in &self.metrics {
            s.push_str(&format!("{k} {v}\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields() {
        let status = "Name:\talmanac\nVmPeak:\t  900 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  1000 kB\n";
        assert_eq!(status_kib_field(status, "VmHWM"), Some(123_456 * 1024));
        assert_eq!(status_kib_field(status, "VmRSS"), Some(1_024_000));
        assert_eq!(status_kib_field(status, "VmSwap"), None);
    }

    #[test]
    fn stat_times() {
        let stat =
            "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 8 0 1 2 3";
        assert_eq!(parse_stat_times(stat).unwrap(), (2.5, 0.75));
        assert!(parse_stat_times("1 (x) S 1").is_err());
    }

    #[test]
    fn own_process() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let s = rt.block_on(collect(std::process::id(), None)).unwrap();
        assert!(s.peak_rss_bytes > 0);
        assert!(s.peak_rss_bytes >= s.rss_bytes);
        assert!(s.cpu_seconds >= 0.0);
    }

    #[test]
    fn metrics_text() {
        let text = "# HELP almanac_parquet_bytes Bytes.\n# TYPE almanac_parquet_bytes gauge\n\
                    almanac_parquet_bytes 12345\nalmanac_parquet_bytes_other 9\n\
                    almanac_write_lines_total{db=\"x\"} 4.32e5\n";
        let m = parse_metrics(text, &METRICS);
        assert_eq!(m["almanac_parquet_bytes"], 12345.0);
        assert_eq!(m["almanac_write_lines_total"], 432_000.0);
        assert_eq!(m.len(), 2);
    }
}
