//! `inputs.diskio`: block device counters from `/proc/diskstats`.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::filter::GlobSet;
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "diskio",
    description: "Read metrics about disk IO by device",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.diskio]]
  ## Devices to collect stats for (globs); all when empty.
  # devices = ["sda", "sdb", "vd*"]
  ## Skip gathering of the disk's serial numbers.
  # skip_serial_number = true
"#;

/// Options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiskioConfig {
    /// Device globs.
    pub devices: Vec<String>,
    /// Serial numbers are never gathered; `false` is rejected.
    pub skip_serial_number: bool,
    /// udev tags (not supported).
    pub device_tags: Vec<String>,
    /// Name templates (not supported).
    pub name_templates: Vec<String>,
}

impl Default for DiskioConfig {
    fn default() -> Self {
        DiskioConfig {
            devices: vec![],
            skip_serial_number: true,
            device_tags: vec![],
            name_templates: vec![],
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: DiskioConfig = o.parse()?;
    if !c.skip_serial_number {
        return Err(o.not_supported("skip_serial_number = false"));
    }
    if !c.device_tags.is_empty() || !c.name_templates.is_empty() {
        return Err(o.not_supported("device_tags / name_templates"));
    }
    Ok(Box::new(Diskio {
        devices: GlobSet::new(&c.devices),
        proc: super::host_proc(),
    }))
}

/// The diskio input.
pub struct Diskio {
    devices: GlobSet,
    proc: PathBuf,
}

/// Metrics from /proc/diskstats text.
pub fn parse_diskstats(text: &str, devices: &GlobSet, time: i64) -> Vec<Metric> {
    let mut out = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 14 {
            continue;
        }
        let name = w[2];
        if !devices.is_empty() && !devices.matches(name) {
            continue;
        }
        let n = |i: usize| w.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        out.push(
            Metric::new("diskio", time)
                .with_tag("name", name)
                .with_field("reads", n(3))
                .with_field("merged_reads", n(4))
                .with_field("read_bytes", n(5).saturating_mul(512))
                .with_field("read_time", n(6))
                .with_field("writes", n(7))
                .with_field("merged_writes", n(8))
                .with_field("write_bytes", n(9).saturating_mul(512))
                .with_field("write_time", n(10))
                .with_field("iops_in_progress", n(11))
                .with_field("io_time", n(12))
                .with_field("weighted_io_time", n(13)),
        );
    }
    out
}

#[async_trait]
impl Input for Diskio {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let text = std::fs::read_to_string(self.proc.join("diskstats"))?;
        for m in parse_diskstats(&text, &self.devices, now_ns()) {
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
        let t = "   8       0 sda 100 5 2000 300 50 6 800 90 0 400 390 0 0 0 0\n   8       1 sda1 1 0 8 1 0 0 0 0 0 1 1\n   7 0 loop0 1 0 2 0 0 0 0 0 0 0 0\n";
        let ms = parse_diskstats(t, &GlobSet::new(&["sd*"]), 1);
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].tag("name"), Some("sda"));
        assert_eq!(ms[0].field("reads"), Some(&Value::Int(100)));
        assert_eq!(ms[0].field("read_bytes"), Some(&Value::Int(2000 * 512)));
        assert_eq!(ms[0].field("write_bytes"), Some(&Value::Int(800 * 512)));
        assert_eq!(ms[0].field("io_time"), Some(&Value::Int(400)));
        assert_eq!(ms[0].field("weighted_io_time"), Some(&Value::Int(390)));
    }
}
