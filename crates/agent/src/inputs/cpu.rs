//! `inputs.cpu`: CPU time percentages from `/proc/stat`, per CPU and `cpu-total`.

use std::collections::HashMap;
use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "cpu",
    description: "Read metrics about cpu usage",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.cpu]]
  ## Whether to report per-cpu stats or not
  percpu = true
  ## Whether to report total system cpu stats or not
  totalcpu = true
  ## If true, collect raw CPU time metrics
  collect_cpu_time = false
  ## If true, compute and report the sum of all non-idle CPU states
  report_active = false
  ## If true and the info is available then add core_id and physical_id tags
  core_tags = false
"#;

/// Options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CpuConfig {
    /// Per-CPU metrics.
    pub percpu: bool,
    /// `cpu-total` metric.
    pub totalcpu: bool,
    /// `time_*` fields.
    pub collect_cpu_time: bool,
    /// `usage_active` / `time_active`.
    pub report_active: bool,
    /// `core_id`/`physical_id` tags (not supported; accepted when false).
    pub core_tags: bool,
}

impl Default for CpuConfig {
    fn default() -> Self {
        CpuConfig {
            percpu: true,
            totalcpu: true,
            collect_cpu_time: false,
            report_active: false,
            core_tags: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: CpuConfig = o.parse()?;
    if c.core_tags {
        return Err(o.not_supported("core_tags"));
    }
    let mut cpu = Cpu::new(c, super::host_proc());
    cpu.last = cpu.read().unwrap_or_default();
    Ok(Box::new(cpu))
}

/// Clock ticks per second of /proc/stat (USER_HZ).
const TICKS: f64 = 100.0;

/// CPU times of one line of /proc/stat, in ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Times {
    user: f64,
    nice: f64,
    system: f64,
    idle: f64,
    iowait: f64,
    irq: f64,
    softirq: f64,
    steal: f64,
    guest: f64,
    guest_nice: f64,
}

impl Times {
    fn total(&self) -> f64 {
        self.user
            + self.system
            + self.nice
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
            + self.idle
    }
}

/// Parses /proc/stat `cpu*` lines (values in ticks of USER_HZ = 100).
pub fn parse_stat(text: &str) -> HashMap<String, Times> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if !line.starts_with("cpu") {
            continue;
        }
        let mut w = line.split_whitespace();
        let Some(name) = w.next() else { continue };
        // kept in ticks (USER_HZ) so deltas are exact; seconds = ticks / 100
        let v: Vec<f64> = w.filter_map(|x| x.parse::<f64>().ok()).collect();
        let g = |i: usize| v.get(i).copied().unwrap_or(0.0);
        let name = if name == "cpu" {
            "cpu-total".to_string()
        } else {
            name.to_string()
        };
        out.insert(
            name,
            Times {
                user: g(0),
                nice: g(1),
                system: g(2),
                idle: g(3),
                iowait: g(4),
                irq: g(5),
                softirq: g(6),
                steal: g(7),
                guest: g(8),
                guest_nice: g(9),
            },
        );
    }
    out
}

/// The cpu input.
pub struct Cpu {
    cfg: CpuConfig,
    proc: PathBuf,
    last: HashMap<String, Times>,
}

impl Cpu {
    /// New input reading `<proc>/stat`.
    pub fn new(cfg: CpuConfig, proc: PathBuf) -> Cpu {
        Cpu {
            cfg,
            proc,
            last: HashMap::new(),
        }
    }

    fn read(&self) -> std::io::Result<HashMap<String, Times>> {
        Ok(parse_stat(&std::fs::read_to_string(
            self.proc.join("stat"),
        )?))
    }

    /// Computes metrics from two snapshots.
    pub fn metrics(&self, now: &HashMap<String, Times>, time: i64) -> Vec<Metric> {
        let mut names: Vec<&String> = now
            .keys()
            .filter(|n| {
                if *n == "cpu-total" {
                    self.cfg.totalcpu
                } else {
                    self.cfg.percpu
                }
            })
            .collect();
        names.sort_by_key(|n| {
            (
                n.as_str() != "cpu-total",
                n.trim_start_matches("cpu").parse::<u32>().unwrap_or(0),
            )
        });
        let mut out = Vec::new();
        for name in names {
            let t = now[name];
            let mut m = Metric::new("cpu", time).with_tag("cpu", name.as_str());
            if self.cfg.collect_cpu_time {
                m.add_field("time_user", t.user / TICKS);
                m.add_field("time_system", t.system / TICKS);
                m.add_field("time_idle", t.idle / TICKS);
                m.add_field("time_nice", t.nice / TICKS);
                m.add_field("time_iowait", t.iowait / TICKS);
                m.add_field("time_irq", t.irq / TICKS);
                m.add_field("time_softirq", t.softirq / TICKS);
                m.add_field("time_steal", t.steal / TICKS);
                m.add_field("time_guest", t.guest / TICKS);
                m.add_field("time_guest_nice", t.guest_nice / TICKS);
                if self.cfg.report_active {
                    m.add_field("time_active", (t.total() - t.idle) / TICKS);
                }
            }
            if let Some(l) = self.last.get(name) {
                let total = t.total() - l.total();
                if total > 0.0 {
                    let pct = |a: f64| 100.0 * a / total;
                    m.add_field("usage_user", pct((t.user - l.user) - (t.guest - l.guest)));
                    m.add_field("usage_system", pct(t.system - l.system));
                    m.add_field("usage_idle", pct(t.idle - l.idle));
                    m.add_field(
                        "usage_nice",
                        pct((t.nice - l.nice) - (t.guest_nice - l.guest_nice)),
                    );
                    m.add_field("usage_iowait", pct(t.iowait - l.iowait));
                    m.add_field("usage_irq", pct(t.irq - l.irq));
                    m.add_field("usage_softirq", pct(t.softirq - l.softirq));
                    m.add_field("usage_steal", pct(t.steal - l.steal));
                    m.add_field("usage_guest", pct(t.guest - l.guest));
                    m.add_field("usage_guest_nice", pct(t.guest_nice - l.guest_nice));
                    if self.cfg.report_active {
                        m.add_field("usage_active", pct(total - (t.idle - l.idle)));
                    }
                }
            }
            if !m.fields.is_empty() {
                out.push(m);
            }
        }
        out
    }
}

#[async_trait]
impl Input for Cpu {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let mut now = self.read()?;
        if now.get("cpu-total").map(Times::total) == self.last.get("cpu-total").map(Times::total) {
            // No tick elapsed since the last snapshot (first gather right after start).
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            now = self.read()?;
        }
        for m in self.metrics(&now, now_ns()) {
            acc.add(m);
        }
        self.last = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    const A: &str = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\nintr 1\n";
    const B: &str = "cpu  150 0 150 900 0 0 0 0 0 0\ncpu0 100 0 50 450 0 0 0 0 0 0\ncpu1 50 0 100 450 0 0 0 0 0 0\n";

    #[test]
    fn percentages() {
        let mut c = Cpu::new(
            CpuConfig {
                report_active: true,
                ..Default::default()
            },
            PathBuf::new(),
        );
        assert!(
            c.metrics(&parse_stat(A), 1).is_empty(),
            "first sample has no delta"
        );
        c.last = parse_stat(A);
        let ms = c.metrics(&parse_stat(B), 1);
        assert_eq!(ms.len(), 3);
        assert_eq!(ms[0].tag("cpu"), Some("cpu-total"));
        let f = |m: &Metric, k: &str| match m.field(k) {
            Some(Value::Float(v)) => *v,
            other => panic!("{k}: {other:?}"),
        };
        assert!((f(&ms[0], "usage_user") - 25.0).abs() < 1e-9);
        assert!((f(&ms[0], "usage_idle") - 50.0).abs() < 1e-9);
        assert!((f(&ms[0], "usage_active") - 50.0).abs() < 1e-9);
        assert_eq!(ms[1].tag("cpu"), Some("cpu0"));
        assert!((f(&ms[1], "usage_user") - 50.0).abs() < 1e-9);
    }

    #[test]
    fn options() {
        let mut c = Cpu::new(
            CpuConfig {
                percpu: false,
                collect_cpu_time: true,
                ..Default::default()
            },
            PathBuf::new(),
        );
        c.last = parse_stat(A);
        let ms = c.metrics(&parse_stat(B), 1);
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].field("time_user"), Some(&Value::Float(1.5)));
    }

    #[tokio::test]
    async fn this_host() {
        let opts = PluginOptions::from_toml("inputs", "cpu", "").unwrap();
        let mut cpu = build(&opts).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        cpu.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        let total = ms
            .iter()
            .find(|m| m.tag("cpu") == Some("cpu-total"))
            .expect("cpu-total");
        let idle = total
            .field("usage_idle")
            .and_then(Value::as_f64)
            .expect("usage_idle");
        assert!((0.0..=100.0).contains(&idle));
    }
}
