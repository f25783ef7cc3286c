//! `inputs.swap`: swap usage (`/proc/meminfo`) and swap in/out bytes (`/proc/vmstat`).

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "swap",
    description: "Read metrics about swap memory usage",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[inputs.swap]]\n  # no configuration\n";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwapConfig {}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let _: SwapConfig = o.parse()?;
    Ok(Box::new(Swap {
        proc: super::host_proc(),
    }))
}

/// The swap input.
pub struct Swap {
    proc: PathBuf,
}

/// Builds the `swap` metric (Telegraf emits usage and in/out as two metrics; fields match).
pub fn swap_metrics(meminfo: &str, vmstat: &str, time: i64) -> Vec<Metric> {
    let kv = super::parse_kv_kb(meminfo);
    let total = kv.get("SwapTotal").copied().unwrap_or(0);
    let free = kv.get("SwapFree").copied().unwrap_or(0);
    let used = total.saturating_sub(free);
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let pct = if total > 0 {
        100.0 * used as f64 / total as f64
    } else {
        0.0
    };
    let mut vm = std::collections::HashMap::new();
    for line in vmstat.lines() {
        let mut w = line.split_whitespace();
        if let (Some(k), Some(v)) = (w.next(), w.next().and_then(|v| v.parse::<u64>().ok())) {
            vm.insert(k, v);
        }
    }
    let page = 4096u64;
    vec![
        Metric::new("swap", time)
            .with_field("total", i(total))
            .with_field("used", i(used))
            .with_field("free", i(free))
            .with_field("used_percent", pct),
        Metric::new("swap", time)
            .with_field("in", i(vm.get("pswpin").copied().unwrap_or(0) * page))
            .with_field("out", i(vm.get("pswpout").copied().unwrap_or(0) * page)),
    ]
}

#[async_trait]
impl Input for Swap {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let mi = std::fs::read_to_string(self.proc.join("meminfo"))?;
        let vm = std::fs::read_to_string(self.proc.join("vmstat")).unwrap_or_default();
        for m in swap_metrics(&mi, &vm, now_ns()) {
            acc.add(m);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn fixture() {
        let ms = swap_metrics(
            "SwapTotal: 100 kB\nSwapFree: 75 kB\n",
            "pswpin 2\npswpout 3\n",
            1,
        );
        assert_eq!(ms[0].field("used"), Some(&Value::Int(25 * 1024)));
        assert_eq!(ms[0].field("used_percent"), Some(&Value::Float(25.0)));
        assert_eq!(ms[1].field("in"), Some(&Value::Int(8192)));
        assert_eq!(ms[1].field("out"), Some(&Value::Int(12288)));
    }
}
