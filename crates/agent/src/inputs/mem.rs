//! `inputs.mem`: memory statistics from `/proc/meminfo` (bytes; `*_percent` floats).

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "mem",
    description: "Read metrics about memory usage",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[inputs.mem]]\n  # no configuration\n";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemConfig {}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let _: MemConfig = o.parse()?;
    Ok(Box::new(Mem {
        proc: super::host_proc(),
    }))
}

/// The mem input.
pub struct Mem {
    proc: PathBuf,
}

/// Builds the `mem` metric from /proc/meminfo text.
pub fn from_meminfo(text: &str, time: i64) -> Metric {
    let kv = super::parse_kv_kb(text);
    let g = |k: &str| kv.get(k).copied().unwrap_or(0);
    let total = g("MemTotal");
    let free = g("MemFree");
    let buffers = g("Buffers");
    let cached = g("Cached") + g("SReclaimable");
    let available = kv
        .get("MemAvailable")
        .copied()
        .unwrap_or(free + buffers + cached);
    let used = total.saturating_sub(free + buffers + cached);
    let pct = |v: u64| {
        if total > 0 {
            100.0 * v as f64 / total as f64
        } else {
            0.0
        }
    };
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut m = Metric::new("mem", time);
    for (name, v) in [
        ("active", g("Active")),
        ("available", available),
        ("buffered", buffers),
        ("cached", cached),
        ("commit_limit", g("CommitLimit")),
        ("committed_as", g("Committed_AS")),
        ("dirty", g("Dirty")),
        ("free", free),
        ("high_free", g("HighFree")),
        ("high_total", g("HighTotal")),
        ("huge_page_size", g("Hugepagesize")),
        ("huge_pages_free", g("HugePages_Free")),
        ("huge_pages_total", g("HugePages_Total")),
        ("inactive", g("Inactive")),
        ("low_free", g("LowFree")),
        ("low_total", g("LowTotal")),
        ("mapped", g("Mapped")),
        ("page_tables", g("PageTables")),
        ("shared", g("Shmem")),
        ("slab", g("Slab")),
        ("sreclaimable", g("SReclaimable")),
        ("sunreclaim", g("SUnreclaim")),
        ("swap_cached", g("SwapCached")),
        ("swap_free", g("SwapFree")),
        ("swap_total", g("SwapTotal")),
        ("total", total),
        ("used", used),
        ("vmalloc_chunk", g("VmallocChunk")),
        ("vmalloc_total", g("VmallocTotal")),
        ("vmalloc_used", g("VmallocUsed")),
        ("write_back", g("Writeback")),
        ("write_back_tmp", g("WritebackTmp")),
    ] {
        m.add_field(name, i(v));
    }
    m.add_field("used_percent", pct(used));
    m.add_field("available_percent", pct(available));
    m
}

#[async_trait]
impl Input for Mem {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let text = std::fs::read_to_string(self.proc.join("meminfo"))?;
        acc.add(from_meminfo(&text, now_ns()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn fixture() {
        let text = "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\nBuffers: 50 kB\nCached: 300 kB\nSReclaimable: 50 kB\nHugepagesize: 2048 kB\nHugePages_Total: 0\n";
        let m = from_meminfo(text, 1);
        assert_eq!(m.field("total"), Some(&Value::Int(1_024_000)));
        assert_eq!(m.field("cached"), Some(&Value::Int(350 * 1024)));
        assert_eq!(m.field("used"), Some(&Value::Int(500 * 1024)));
        assert_eq!(m.field("used_percent"), Some(&Value::Float(50.0)));
        assert_eq!(m.field("available_percent"), Some(&Value::Float(60.0)));
        assert_eq!(m.field("huge_page_size"), Some(&Value::Int(2048 * 1024)));
    }

    #[tokio::test]
    async fn this_host() {
        let mut i = build(&PluginOptions::from_toml("inputs", "mem", "").unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let m = crate::plugin::drain(&mut rx).pop().expect("mem metric");
        assert!(matches!(m.field("total"), Some(Value::Int(t)) if *t > 0));
        let p = m.field("used_percent").and_then(Value::as_f64).unwrap();
        assert!((0.0..=100.0).contains(&p));
    }
}
