//! `inputs.netstat`: TCP connection counts by state and UDP socket count.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "netstat",
    description: "Read TCP metrics such as established, time wait and sockets counts",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[inputs.netstat]]\n  # no configuration\n";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetstatConfig {}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let _: NetstatConfig = o.parse()?;
    Ok(Box::new(Netstat {
        proc: super::host_proc(),
    }))
}

/// The netstat input.
pub struct Netstat {
    proc: PathBuf,
}

const STATES: [&str; 12] = [
    "tcp_none",
    "tcp_established",
    "tcp_syn_sent",
    "tcp_syn_recv",
    "tcp_fin_wait1",
    "tcp_fin_wait2",
    "tcp_time_wait",
    "tcp_close",
    "tcp_close_wait",
    "tcp_last_ack",
    "tcp_listen",
    "tcp_closing",
];

/// Builds the metric from /proc/net/tcp{,6} and udp{,6} texts.
pub fn netstat_metric(tcp: &[String], udp: &[String], time: i64) -> Metric {
    let mut counts = [0i64; 12];
    for t in tcp {
        for line in t.lines().skip(1) {
            let st = line
                .split_whitespace()
                .nth(3)
                .and_then(|s| usize::from_str_radix(s, 16).ok())
                .filter(|s| *s < 12)
                .unwrap_or(0);
            counts[st] += 1;
        }
    }
    let mut m = Metric::new("netstat", time);
    for (i, n) in STATES.iter().enumerate() {
        m.add_field(*n, counts[i]);
    }
    let udp_n: usize = udp
        .iter()
        .map(|u| u.lines().skip(1).filter(|l| !l.trim().is_empty()).count())
        .sum();
    m.add_field("udp_socket", udp_n as i64);
    m
}

#[async_trait]
impl Input for Netstat {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let read = |n: &str| std::fs::read_to_string(self.proc.join("net").join(n)).ok();
        let tcp: Vec<String> = ["tcp", "tcp6"].iter().filter_map(|n| read(n)).collect();
        let udp: Vec<String> = ["udp", "udp6"].iter().filter_map(|n| read(n)).collect();
        if tcp.is_empty() {
            anyhow::bail!("cannot read {}/net/tcp", self.proc.display());
        }
        acc.add(netstat_metric(&tcp, &udp, now_ns()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn fixture() {
        let tcp = "  sl  local_address rem_address   st\n   0: 0100007F:0277 00000000:0000 0A 0\n   1: 0100007F:0277 0100007F:1 01 0\n   2: 0100007F:0277 0100007F:2 01 0\n".to_string();
        let udp = "  sl  local\n   0: 00000000:0044 00000000:0000 07\n".to_string();
        let m = netstat_metric(&[tcp], &[udp], 1);
        assert_eq!(m.field("tcp_listen"), Some(&Value::Int(1)));
        assert_eq!(m.field("tcp_established"), Some(&Value::Int(2)));
        assert_eq!(m.field("tcp_time_wait"), Some(&Value::Int(0)));
        assert_eq!(m.field("udp_socket"), Some(&Value::Int(1)));
    }
}
