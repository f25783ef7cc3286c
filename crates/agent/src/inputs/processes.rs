//! `inputs.processes`: process counts by state from `/proc/<pid>/stat`.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "processes",
    description: "Get the number of processes and group them by status",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[inputs.processes]]\n  ## Use sudo to run ps command on *BSD systems (ignored on Linux)\n  # use_sudo = false\n";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct ProcessesConfig {
    use_sudo: bool,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let _c: ProcessesConfig = o.parse()?;
    Ok(Box::new(Processes {
        proc: super::host_proc(),
    }))
}

/// The processes input.
pub struct Processes {
    proc: PathBuf,
}

/// Counts of each state.
#[derive(Debug, Default, PartialEq)]
pub struct Counts {
    /// By Telegraf field name.
    pub by_state: std::collections::BTreeMap<&'static str, i64>,
    /// Sum of threads.
    pub threads: i64,
}

/// Adds one `/proc/<pid>/stat` line to the counts.
pub fn count_stat(line: &str, c: &mut Counts) {
    let Some(close) = line.rfind(')') else { return };
    let rest: Vec<&str> = line[close + 1..].split_whitespace().collect();
    let state = rest.first().copied().unwrap_or("");
    let field = match state {
        "R" => "running",
        "S" => "sleeping",
        "D" => "blocked",
        "Z" => "zombies",
        "X" | "x" => "dead",
        "T" | "t" => "stopped",
        "W" => "paging",
        "I" => "idle",
        "P" => "parked",
        _ => "unknown",
    };
    *c.by_state.entry(field).or_default() += 1;
    c.threads += rest
        .get(17)
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(1);
}

/// The `processes` metric from counts.
pub fn metric(c: &Counts, time: i64) -> Metric {
    let mut m = Metric::new("processes", time);
    let mut total = 0;
    for f in [
        "blocked", "zombies", "stopped", "running", "sleeping", "dead", "paging", "idle", "unknown",
    ] {
        let v = c.by_state.get(f).copied().unwrap_or(0);
        m.add_field(f, v);
        total += v;
    }
    total += c.by_state.get("parked").copied().unwrap_or(0);
    m.add_field("total", total);
    m.add_field("total_threads", c.threads);
    m
}

#[async_trait]
impl Input for Processes {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let mut c = Counts::default();
        for e in std::fs::read_dir(&self.proc)?.flatten() {
            let name = e.file_name();
            let Some(n) = name.to_str() else { continue };
            if !n.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Ok(s) = std::fs::read_to_string(e.path().join("stat")) {
                count_stat(&s, &mut c);
            }
        }
        acc.add(metric(&c, now_ns()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn fixture() {
        let mut c = Counts::default();
        count_stat(
            "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 5",
            &mut c,
        );
        count_stat(
            "2 (a b) c) R 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 4 0 5",
            &mut c,
        );
        count_stat(
            "3 (z) Z 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 5",
            &mut c,
        );
        let m = metric(&c, 1);
        assert_eq!(m.field("sleeping"), Some(&Value::Int(1)));
        assert_eq!(m.field("running"), Some(&Value::Int(1)));
        assert_eq!(m.field("zombies"), Some(&Value::Int(1)));
        assert_eq!(m.field("total"), Some(&Value::Int(3)));
        assert_eq!(m.field("total_threads"), Some(&Value::Int(6)));
    }

    #[tokio::test]
    async fn this_host() {
        let mut i = build(&PluginOptions::from_toml("inputs", "processes", "").unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let m = crate::plugin::drain(&mut rx).pop().unwrap();
        assert!(matches!(m.field("total"), Some(Value::Int(n)) if *n >= 1));
        assert!(matches!(m.field("sleeping"), Some(Value::Int(n)) if *n >= 1));
    }
}
