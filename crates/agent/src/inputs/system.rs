//! `inputs.system`: load averages, CPU and user counts, uptime.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "system",
    description: "Read metrics about system load & uptime",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[inputs.system]]\n  # no configuration\n";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemConfig {}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let _: SystemConfig = o.parse()?;
    Ok(Box::new(System {
        proc: super::host_proc(),
        utmp: PathBuf::from("/var/run/utmp"),
    }))
}

/// The system input.
pub struct System {
    proc: PathBuf,
    utmp: PathBuf,
}

/// Telegraf's `uptime_format`: `"1 day,  2:03"` / `"5 days, 10:20"` / `" 3:04"`.
pub fn format_uptime(secs: u64) -> String {
    let days = secs / 86400;
    let hours = (secs % 86400) / 3600;
    let mins = (secs % 3600) / 60;
    let mut s = String::new();
    if days > 0 {
        s.push_str(&format!(
            "{} day{}, ",
            days,
            if days == 1 { "" } else { "s" }
        ));
    }
    s.push_str(&format!("{hours:2}:{mins:02}"));
    s
}

/// Logged-in users in a utmp file: (sessions, unique users).
pub fn count_users(utmp: &[u8]) -> (i64, i64) {
    const REC: usize = 384;
    let mut n = 0;
    let mut users = std::collections::HashSet::new();
    for rec in utmp.chunks_exact(REC) {
        let ty = i32::from_ne_bytes([rec[0], rec[1], rec[2], rec[3]]);
        if ty == 7 {
            n += 1;
            let name = &rec[44..76];
            let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
            users.insert(name[..end].to_vec());
        }
    }
    (n, users.len() as i64)
}

#[async_trait]
impl Input for System {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let now = now_ns();
        let load = std::fs::read_to_string(self.proc.join("loadavg"))?;
        let l: Vec<f64> = load
            .split_whitespace()
            .take(3)
            .filter_map(|x| x.parse().ok())
            .collect();
        let stat = std::fs::read_to_string(self.proc.join("stat")).unwrap_or_default();
        let n_cpus = stat
            .lines()
            .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
            .count() as i64;
        let (n_users, n_unique) = std::fs::read(&self.utmp)
            .map(|b| count_users(&b))
            .unwrap_or((0, 0));
        let mut m = Metric::new("system", now)
            .with_field("n_cpus", n_cpus)
            .with_field("n_users", n_users)
            .with_field("n_unique_users", n_unique);
        for (i, k) in ["load1", "load5", "load15"].iter().enumerate() {
            if let Some(v) = l.get(i) {
                m.add_field(*k, *v);
            }
        }
        acc.add(m);
        let up = std::fs::read_to_string(self.proc.join("uptime"))?;
        let secs = up
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0) as u64;
        acc.add(Metric::new("system", now).with_field("uptime", secs as i64));
        acc.add(Metric::new("system", now).with_field("uptime_format", format_uptime(secs)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn uptime_format() {
        assert_eq!(format_uptime(3 * 3600 + 4 * 60), " 3:04");
        assert_eq!(format_uptime(86400 + 2 * 3600 + 3 * 60), "1 day,  2:03");
        assert_eq!(
            format_uptime(5 * 86400 + 10 * 3600 + 20 * 60),
            "5 days, 10:20"
        );
    }

    #[test]
    fn utmp() {
        let mut buf = vec![0u8; 384 * 3];
        for (i, name) in [(0usize, b"bob"), (1, b"bob"), (2, b"eve")] {
            let ty: i32 = if i == 2 { 8 } else { 7 };
            buf[i * 384..i * 384 + 4].copy_from_slice(&ty.to_ne_bytes());
            buf[i * 384 + 44..i * 384 + 47].copy_from_slice(name);
        }
        assert_eq!(count_users(&buf), (2, 1));
    }

    #[tokio::test]
    async fn this_host() {
        let mut i = build(&PluginOptions::from_toml("inputs", "system", "").unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        assert_eq!(ms.len(), 3);
        assert!(matches!(ms[0].field("n_cpus"), Some(Value::Int(n)) if *n >= 1));
        assert!(ms[0].field("load1").is_some());
        assert!(matches!(ms[1].field("uptime"), Some(Value::Int(n)) if *n > 0));
    }
}
