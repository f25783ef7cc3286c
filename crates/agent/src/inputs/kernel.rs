//! `inputs.kernel`: `/proc/stat` counters and entropy.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "kernel",
    description: "Get kernel statistics from /proc/stat",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[inputs.kernel]]\n  ## Additional gather options (\"ksm\", \"psi\"): not supported yet\n  # collect = []\n";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct KernelConfig {
    collect: Vec<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: KernelConfig = o.parse()?;
    if let Some(x) = c.collect.first() {
        return Err(o.not_supported(format!("collect = [{x:?}]")));
    }
    Ok(Box::new(Kernel {
        proc: super::host_proc(),
    }))
}

/// The kernel input.
pub struct Kernel {
    proc: PathBuf,
}

/// Builds the `kernel` metric from /proc/stat and the entropy count.
pub fn kernel_metric(stat: &str, entropy: Option<i64>, time: i64) -> Metric {
    let mut m = Metric::new("kernel", time);
    for line in stat.lines() {
        let mut w = line.split_whitespace();
        let key = w.next().unwrap_or("");
        let v = w.next().and_then(|v| v.parse::<i64>().ok());
        let Some(v) = v else { continue };
        match key {
            "ctxt" => m.add_field("context_switches", v),
            "btime" => m.add_field("boot_time", v),
            "intr" => m.add_field("interrupts", v),
            "processes" => m.add_field("processes_forked", v),
            _ => {}
        }
    }
    if let Some(e) = entropy {
        m.add_field("entropy_avail", e);
    }
    m
}

#[async_trait]
impl Input for Kernel {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let stat = std::fs::read_to_string(self.proc.join("stat"))?;
        let ent = std::fs::read_to_string(self.proc.join("sys/kernel/random/entropy_avail"))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        acc.add(kernel_metric(&stat, ent, now_ns()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn fixture() {
        let m = kernel_metric(
            "cpu 1 2\nintr 100 1 2\nctxt 55\nbtime 1700000000\nprocesses 9\n",
            Some(256),
            1,
        );
        assert_eq!(m.field("interrupts"), Some(&Value::Int(100)));
        assert_eq!(m.field("context_switches"), Some(&Value::Int(55)));
        assert_eq!(m.field("boot_time"), Some(&Value::Int(1_700_000_000)));
        assert_eq!(m.field("processes_forked"), Some(&Value::Int(9)));
        assert_eq!(m.field("entropy_avail"), Some(&Value::Int(256)));
    }

    #[tokio::test]
    async fn this_host() {
        let mut i = build(&PluginOptions::from_toml("inputs", "kernel", "").unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let m = crate::plugin::drain(&mut rx).pop().unwrap();
        assert!(matches!(m.field("boot_time"), Some(Value::Int(t)) if *t > 1_000_000_000));
    }
}
