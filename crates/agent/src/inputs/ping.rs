//! `inputs.ping`: runs the system `ping` command and parses its summary.

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "ping",
    description: "Ping given url(s) and return statistics",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.ping]]
  ## Hosts to send ping packets to.
  urls = ["127.0.0.1"]

  ## Method used for sending pings: "exec" (system ping command) is supported.
  # method = "exec"

  ## Number of ping packets to send per interval.
  # count = 1

  ## Time to wait between sending ping packets in seconds.
  # ping_interval = 1.0

  ## If set, the time to wait for a ping response in seconds.
  # timeout = 1.0

  ## If set, the total ping deadline, in seconds.
  # deadline = 10

  ## Interface or source address to send ping from.
  # interface = ""

  ## Ping executable binary.
  # binary = "ping"

  ## Arguments for ping command. When arguments is not empty, the other options are ignored.
  # arguments = ["-c", "3"]

  ## Use only IPv6 addresses when resolving a hostname.
  # ipv6 = false
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct PingConfig {
    urls: Vec<String>,
    method: String,
    count: u32,
    ping_interval: f64,
    timeout: f64,
    deadline: i64,
    interface: String,
    binary: String,
    arguments: Vec<String>,
    ipv6: bool,
    percentiles: Vec<i64>,
    size: Option<i64>,
}

impl Default for PingConfig {
    fn default() -> Self {
        PingConfig {
            urls: vec![],
            method: "exec".into(),
            count: 1,
            ping_interval: 1.0,
            timeout: 1.0,
            deadline: 10,
            interface: String::new(),
            binary: "ping".into(),
            arguments: vec![],
            ipv6: false,
            percentiles: vec![],
            size: None,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: PingConfig = o.parse()?;
    if c.method != "exec" {
        return Err(o.not_supported(format!("method = {:?} (only \"exec\")", c.method)));
    }
    if !c.percentiles.is_empty() {
        return Err(o.not_supported("percentiles"));
    }
    Ok(Box::new(Ping(c)))
}

/// The ping input.
pub struct Ping(PingConfig);

impl Ping {
    fn args(&self, url: &str) -> Vec<String> {
        let c = &self.0;
        if !c.arguments.is_empty() {
            let mut a = c.arguments.clone();
            a.push(url.to_string());
            return a;
        }
        let mut a = vec![
            "-c".to_string(),
            c.count.to_string(),
            "-n".into(),
            "-s".into(),
            "16".into(),
        ];
        if c.ping_interval > 0.0 && (c.ping_interval - 1.0).abs() > f64::EPSILON {
            a.extend(["-i".into(), c.ping_interval.to_string()]);
        }
        if c.timeout > 0.0 {
            a.extend(["-W".into(), c.timeout.to_string()]);
        }
        if c.deadline > 0 {
            a.extend(["-w".into(), c.deadline.to_string()]);
        }
        if !c.interface.is_empty() {
            a.extend(["-I".into(), c.interface.clone()]);
        }
        if c.ipv6 {
            a.push("-6".into());
        }
        if let Some(s) = c.size {
            a.extend(["-s".into(), s.to_string()]);
        }
        a.push(url.to_string());
        a
    }
}

/// Parsed ping summary.
#[derive(Debug, Default, PartialEq)]
pub struct Summary {
    /// Sent.
    pub transmitted: i64,
    /// Received.
    pub received: i64,
    /// TTL of the last reply.
    pub ttl: Option<i64>,
    /// (min, avg, max, mdev) in ms.
    pub rtt: Option<(f64, f64, f64, f64)>,
}

/// Parses iputils/busybox `ping` output.
pub fn parse_output(out: &str) -> Option<Summary> {
    let mut s = Summary::default();
    let mut found = false;
    for line in out.lines() {
        if let Some(i) = line.find("ttl=") {
            s.ttl = line[i + 4..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|v| v.parse().ok());
        }
        if line.contains("packets transmitted") {
            let nums: Vec<i64> = line
                .split(|c: char| !c.is_ascii_digit())
                .filter(|x| !x.is_empty())
                .filter_map(|x| x.parse().ok())
                .collect();
            if nums.len() >= 2 {
                s.transmitted = nums[0];
                s.received = nums[1];
                found = true;
            }
        }
        if line.contains("min/avg/max") {
            if let Some((_, vals)) = line.split_once('=') {
                let v: Vec<f64> = vals
                    .trim()
                    .trim_end_matches("ms")
                    .trim()
                    .split('/')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect();
                if v.len() >= 3 {
                    s.rtt = Some((v[0], v[1], v[2], v.get(3).copied().unwrap_or(0.0)));
                }
            }
        }
    }
    found.then_some(s)
}

/// The `ping` metric from a summary.
pub fn to_metric(url: &str, s: &Summary, time: i64) -> Metric {
    let loss = if s.transmitted > 0 {
        100.0 * (s.transmitted - s.received) as f64 / s.transmitted as f64
    } else {
        100.0
    };
    let mut m = Metric::new("ping", time)
        .with_tag("url", url)
        .with_field("packets_transmitted", s.transmitted)
        .with_field("packets_received", s.received)
        .with_field("percent_packet_loss", loss)
        .with_field("result_code", 0i64);
    if let Some(t) = s.ttl {
        m.add_field("ttl", t);
    }
    if let Some((min, avg, max, mdev)) = s.rtt {
        m.add_field("minimum_response_ms", min);
        m.add_field("average_response_ms", avg);
        m.add_field("maximum_response_ms", max);
        m.add_field("standard_deviation_ms", mdev);
    }
    m
}

#[async_trait]
impl Input for Ping {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for url in self.0.urls.clone() {
            let out = tokio::process::Command::new(&self.0.binary)
                .args(self.args(&url))
                .kill_on_drop(true)
                .output()
                .await;
            let now = now_ns();
            match out {
                Err(e) => {
                    acc.add_error(format!("ping {url}: running {:?}: {e}", self.0.binary));
                    acc.add(
                        Metric::new("ping", now)
                            .with_tag("url", url.as_str())
                            .with_field("result_code", 2i64),
                    );
                }
                Ok(o) => {
                    let text = String::from_utf8_lossy(&o.stdout);
                    match parse_output(&text) {
                        Some(s) => acc.add(to_metric(&url, &s, now)),
                        None => {
                            let err = String::from_utf8_lossy(&o.stderr);
                            let code = if err.contains("unknown host")
                                || err.contains("Name or service not known")
                                || err.contains("Temporary failure in name resolution")
                            {
                                1i64
                            } else {
                                2
                            };
                            acc.add(
                                Metric::new("ping", now)
                                    .with_tag("url", url.as_str())
                                    .with_field("result_code", code),
                            );
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    const OUT: &str = "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.035 ms\n64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.050 ms\n\n--- 127.0.0.1 ping statistics ---\n3 packets transmitted, 2 received, 33.3333% packet loss, time 1001ms\nrtt min/avg/max/mdev = 0.035/0.042/0.050/0.007 ms\n";

    #[test]
    fn parses_iputils() {
        let s = parse_output(OUT).unwrap();
        assert_eq!(s.transmitted, 3);
        assert_eq!(s.received, 2);
        assert_eq!(s.ttl, Some(64));
        let m = to_metric("127.0.0.1", &s, 1);
        assert_eq!(m.field("average_response_ms"), Some(&Value::Float(0.042)));
        let loss = m
            .field("percent_packet_loss")
            .and_then(Value::as_f64)
            .unwrap();
        assert!((loss - 33.333).abs() < 0.01);
        assert!(parse_output("ping: unknown host").is_none());
    }

    #[tokio::test]
    async fn missing_binary_reports_error_code() {
        let o = PluginOptions::from_toml(
            "inputs",
            "ping",
            "urls = [\"127.0.0.1\"]\nbinary = \"/nonexistent/ping\"",
        )
        .unwrap();
        let mut p = build(&o).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        p.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        assert_eq!(ms[0].field("result_code"), Some(&Value::Int(2)));
    }
}
