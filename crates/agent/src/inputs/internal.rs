//! `inputs.internal`: the agent's own counters (`internal_agent`, `internal_gather`,
//! `internal_write`, `internal_memstats`).

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};
use crate::stats;

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "internal",
    description: "Collect statistics about itself",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.internal]]
  ## If true, collect process memory stats (internal_memstats: sys_bytes, heap_alloc_bytes from RSS).
  # collect_memstats = true
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct InternalConfig {
    collect_memstats: bool,
    collect_gostats: bool,
}

impl Default for InternalConfig {
    fn default() -> Self {
        InternalConfig {
            collect_memstats: true,
            collect_gostats: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: InternalConfig = o.parse()?;
    if c.collect_gostats {
        return Err(o.not_supported("collect_gostats"));
    }
    Ok(Box::new(Internal {
        memstats: c.collect_memstats,
        proc: super::host_proc(),
    }))
}

/// The internal input.
pub struct Internal {
    memstats: bool,
    proc: PathBuf,
}

/// Snapshot of the registry as metrics.
pub fn snapshot(reg: &stats::Registry, time: i64) -> Vec<Metric> {
    let mut out = Vec::new();
    let (mut gathered, mut errors, mut written, mut dropped) = (0i64, 0i64, 0i64, 0i64);
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for ((name, alias), s) in reg.inputs.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        gathered += i(s.metrics_gathered.get());
        errors += i(s.errors.get());
        let mut m = Metric::new("internal_gather", time)
            .with_tag("input", name.as_str())
            .with_field("metrics_gathered", i(s.metrics_gathered.get()))
            .with_field("gather_time_ns", s.gather_time_ns.get())
            .with_field("errors", i(s.errors.get()));
        if !alias.is_empty() {
            m.add_tag("alias", alias.as_str());
        }
        out.push(m);
    }
    for ((name, alias), s) in reg.outputs.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        written += i(s.metrics_written.get());
        dropped += i(s.metrics_dropped.get());
        let mut m = Metric::new("internal_write", time)
            .with_tag("output", name.as_str())
            .with_field("metrics_added", i(s.metrics_added.get()))
            .with_field("metrics_written", i(s.metrics_written.get()))
            .with_field("metrics_dropped", i(s.metrics_dropped.get()))
            .with_field("metrics_rejected", i(s.metrics_rejected.get()))
            .with_field("buffer_size", s.buffer_size.get())
            .with_field("buffer_limit", s.buffer_limit.get())
            .with_field("write_time_ns", s.write_time_ns.get())
            .with_field("errors", i(s.errors.get()));
        if !alias.is_empty() {
            m.add_tag("alias", alias.as_str());
        }
        out.push(m);
    }
    out.insert(
        0,
        Metric::new("internal_agent", time)
            .with_tag("version", env!("CARGO_PKG_VERSION"))
            .with_tag("go_version", "none")
            .with_field("metrics_gathered", gathered)
            .with_field("gather_errors", errors)
            .with_field("metrics_written", written)
            .with_field("metrics_dropped", dropped),
    );
    out
}

#[async_trait]
impl Input for Internal {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let now = now_ns();
        for m in snapshot(stats::global(), now) {
            acc.add(m);
        }
        if self.memstats {
            let status = std::fs::read_to_string(self.proc.join("self/status")).unwrap_or_default();
            let kv = super::parse_kv_kb(&status);
            let rss = kv.get("VmRSS").copied().unwrap_or(0) as i64;
            let data = kv.get("VmData").copied().unwrap_or(0) as i64;
            acc.add(
                Metric::new("internal_memstats", now)
                    .with_field("sys_bytes", rss)
                    .with_field("heap_alloc_bytes", data),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn snapshot_sums() {
        let reg = stats::Registry::default();
        reg.input("cpu", "").metrics_gathered.inc(5);
        reg.input("mem", "m").metrics_gathered.inc(2);
        let o = reg.output("influxdb", "");
        o.metrics_written.inc(6);
        o.metrics_dropped.inc(1);
        let ms = snapshot(&reg, 1);
        assert_eq!(ms[0].name, "internal_agent");
        assert_eq!(ms[0].field("metrics_gathered"), Some(&Value::Int(7)));
        assert_eq!(ms[0].field("metrics_dropped"), Some(&Value::Int(1)));
        let w = ms.iter().find(|m| m.name == "internal_write").unwrap();
        assert_eq!(w.tag("output"), Some("influxdb"));
        assert_eq!(w.field("metrics_written"), Some(&Value::Int(6)));
        assert!(ms.iter().any(|m| m.tag("alias") == Some("m")));
    }
}
