//! `inputs.net`: interface counters (`/proc/net/dev`) and protocol stats (`/proc/net/snmp`).

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::filter::GlobSet;
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "net",
    description: "Gather metrics about network interfaces",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.net]]
  ## By default, telegraf gathers stats from any up interface (excluding loopback).
  ## Setting interfaces will tell it to gather these explicit interfaces (globs).
  # interfaces = ["eth0"]

  ## On linux systems telegraf also collects protocol stats.
  ## Setting ignore_protocol_stats to true will skip reporting of protocol metrics.
  # ignore_protocol_stats = false
"#;

/// Options.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    /// Interface globs.
    pub interfaces: Vec<String>,
    /// Skip `interface=all` protocol stats.
    pub ignore_protocol_stats: bool,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: NetConfig = o.parse()?;
    Ok(Box::new(Net {
        interfaces: GlobSet::new(&c.interfaces),
        ignore_protocol_stats: c.ignore_protocol_stats,
        proc: super::host_proc(),
        sys: super::host_sys(),
    }))
}

/// The net input.
pub struct Net {
    interfaces: GlobSet,
    ignore_protocol_stats: bool,
    proc: PathBuf,
    sys: PathBuf,
}

/// Parses /proc/net/dev into (interface, metric).
pub fn parse_dev(text: &str, time: i64) -> Vec<(String, Metric)> {
    let mut out = Vec::new();
    for line in text.lines().skip(2) {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let v: Vec<i64> = rest
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if v.len() < 16 {
            continue;
        }
        out.push((
            name.to_string(),
            Metric::new("net", time)
                .with_tag("interface", name)
                .with_field("bytes_recv", v[0])
                .with_field("packets_recv", v[1])
                .with_field("err_in", v[2])
                .with_field("drop_in", v[3])
                .with_field("bytes_sent", v[8])
                .with_field("packets_sent", v[9])
                .with_field("err_out", v[10])
                .with_field("drop_out", v[11]),
        ));
    }
    out
}

/// Parses /proc/net/snmp into the `interface=all` metric (`<proto>_<counter>` lowercase).
pub fn parse_snmp(text: &str, time: i64) -> Metric {
    let mut m = Metric::new("net", time).with_tag("interface", "all");
    let lines: Vec<&str> = text.lines().collect();
    for pair in lines.chunks(2) {
        let [h, v] = pair else { continue };
        let (Some((proto, hs)), Some((_, vs))) = (h.split_once(':'), v.split_once(':')) else {
            continue;
        };
        for (k, val) in hs.split_whitespace().zip(vs.split_whitespace()) {
            if let Ok(n) = val.parse::<i64>() {
                m.add_field(format!("{}_{}", proto.to_lowercase(), k.to_lowercase()), n);
            }
        }
    }
    m
}

impl Net {
    fn wanted(&self, name: &str) -> bool {
        if !self.interfaces.is_empty() {
            return self.interfaces.matches(name);
        }
        // default: up, non-loopback interfaces (IFF_UP = 0x1, IFF_LOOPBACK = 0x8)
        let flags = std::fs::read_to_string(self.sys.join("class/net").join(name).join("flags"))
            .ok()
            .and_then(|s| u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok());
        match flags {
            Some(f) => f & 0x1 != 0 && f & 0x8 == 0,
            None => name != "lo",
        }
    }
}

#[async_trait]
impl Input for Net {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let now = now_ns();
        let dev = std::fs::read_to_string(self.proc.join("net/dev"))?;
        for (name, m) in parse_dev(&dev, now) {
            if self.wanted(&name) {
                acc.add(m);
            }
        }
        if !self.ignore_protocol_stats {
            if let Ok(s) = std::fs::read_to_string(self.proc.join("net/snmp")) {
                acc.add(parse_snmp(&s, now));
            }
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
        let dev = "Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n  eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n";
        let ms = parse_dev(dev, 1);
        let m = &ms[0].1;
        assert_eq!(m.tag("interface"), Some("eth0"));
        assert_eq!(m.field("bytes_recv"), Some(&Value::Int(1000)));
        assert_eq!(m.field("bytes_sent"), Some(&Value::Int(2000)));
        assert_eq!(m.field("drop_out"), Some(&Value::Int(4)));
        let snmp = "Tcp: RtoAlgorithm ActiveOpens\nTcp: 1 42\nUdp: InDatagrams\nUdp: 7\n";
        let s = parse_snmp(snmp, 1);
        assert_eq!(s.field("tcp_activeopens"), Some(&Value::Int(42)));
        assert_eq!(s.field("udp_indatagrams"), Some(&Value::Int(7)));
    }
}
