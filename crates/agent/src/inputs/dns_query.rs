//! `inputs.dns_query`: times DNS queries with a small built-in UDP/TCP DNS client.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "dns_query",
    description: "Query given DNS server and gives statistics",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.dns_query]]
  ## servers to query
  servers = ["8.8.8.8"]

  ## Network is the network protocol name.
  # network = "udp"

  ## Domains or subdomains to query.
  # domains = ["."]

  ## Query record type.
  ## Possible values: A, AAAA, CNAME, MX, NS, PTR, TXT, SOA, SPF, SRV.
  # record_type = "A"

  ## Dns server port.
  # port = 53

  ## Query timeout
  # timeout = "2s"

  ## Include the specified additional properties in the resulting metric.
  ## The following values are supported:
  ##    "first_ip" -- return IP of the first A and AAAA answer
  ##    "all_ips"  -- return IPs of all A and AAAA answers
  # include_fields = []
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DnsConfig {
    servers: Vec<String>,
    network: String,
    domains: Vec<String>,
    record_type: String,
    port: u16,
    timeout: Dur,
    include_fields: Vec<String>,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            servers: vec![],
            network: "udp".into(),
            domains: vec![".".into()],
            record_type: "NS".into(),
            port: 53,
            timeout: Dur(Duration::from_secs(2)),
            include_fields: vec![],
        }
    }
}

/// Numeric code of a record type name.
pub fn record_type_code(t: &str) -> Option<u16> {
    Some(match t.to_ascii_uppercase().as_str() {
        "A" => 1,
        "NS" => 2,
        "CNAME" => 5,
        "SOA" => 6,
        "PTR" => 12,
        "MX" => 15,
        "TXT" | "SPF" => 16,
        "AAAA" => 28,
        "SRV" => 33,
        "ANY" => 255,
        _ => return None,
    })
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: DnsConfig = o.parse()?;
    let qtype = record_type_code(&c.record_type).ok_or_else(|| {
        o.invalid_option(
            "record_type",
            format!("unknown record type {:?}", c.record_type),
        )
    })?;
    if !matches!(c.network.as_str(), "udp" | "tcp") {
        return Err(o.invalid_option("network", "must be \"udp\" or \"tcp\""));
    }
    for f in &c.include_fields {
        if !matches!(f.as_str(), "first_ip" | "all_ips") {
            return Err(o.invalid_option("include_fields", format!("unknown field {f:?}")));
        }
    }
    Ok(Box::new(DnsQuery { cfg: c, qtype }))
}

/// Builds a query packet (recursion desired).
pub fn build_query(id: u16, domain: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut p = Vec::with_capacity(64);
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in domain
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        if label.len() > 63 {
            return Err(format!("label too long in {domain:?}"));
        }
        p.push(label.len() as u8);
        p.extend_from_slice(label.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    Ok(p)
}

/// Parsed response: rcode and the IPs of A/AAAA answers.
#[derive(Debug, Default, PartialEq)]
pub struct Answer {
    /// Response code (0 = NOERROR).
    pub rcode: u8,
    /// Addresses from A/AAAA records.
    pub ips: Vec<String>,
}

fn skip_name(p: &[u8], mut i: usize) -> Option<usize> {
    for _ in 0..128 {
        let len = *p.get(i)? as usize;
        if len == 0 {
            return Some(i + 1);
        }
        if len & 0xC0 == 0xC0 {
            return Some(i + 2);
        }
        i += len + 1;
    }
    None
}

/// Parses a response matching `id`.
pub fn parse_response(p: &[u8], id: u16) -> Result<Answer, String> {
    if p.len() < 12 {
        return Err("short DNS response".into());
    }
    if u16::from_be_bytes([p[0], p[1]]) != id {
        return Err("DNS response id mismatch".into());
    }
    let rcode = p[3] & 0x0F;
    let qd = u16::from_be_bytes([p[4], p[5]]);
    let an = u16::from_be_bytes([p[6], p[7]]);
    let mut i = 12;
    for _ in 0..qd {
        i = skip_name(p, i).ok_or("bad question")? + 4;
    }
    let mut ips = Vec::new();
    for _ in 0..an {
        i = skip_name(p, i).ok_or("bad answer name")?;
        let hdr = p.get(i..i + 10).ok_or("truncated answer")?;
        let ty = u16::from_be_bytes([hdr[0], hdr[1]]);
        let rdlen = u16::from_be_bytes([hdr[8], hdr[9]]) as usize;
        let data = p.get(i + 10..i + 10 + rdlen).ok_or("truncated rdata")?;
        match (ty, rdlen) {
            (1, 4) => {
                ips.push(std::net::Ipv4Addr::new(data[0], data[1], data[2], data[3]).to_string())
            }
            (28, 16) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(data);
                ips.push(std::net::Ipv6Addr::from(b).to_string());
            }
            _ => {}
        }
        i += 10 + rdlen;
    }
    Ok(Answer { rcode, ips })
}

fn rcode_name(r: u8) -> &'static str {
    match r {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "UNKNOWN",
    }
}

/// The dns_query input.
pub struct DnsQuery {
    cfg: DnsConfig,
    qtype: u16,
}

impl DnsQuery {
    async fn exchange(&self, server: &str, q: &[u8]) -> Result<Vec<u8>, PluginError> {
        let addr = if server.contains(':')
            && !server.starts_with('[')
            && server.matches(':').count() > 1
        {
            format!("[{server}]:{}", self.cfg.port)
        } else if server.contains(':') {
            server.to_string()
        } else {
            format!("{server}:{}", self.cfg.port)
        };
        if self.cfg.network == "tcp" {
            let mut s = tokio::net::TcpStream::connect(&addr).await?;
            s.write_all(&(q.len() as u16).to_be_bytes()).await?;
            s.write_all(q).await?;
            let mut len = [0u8; 2];
            s.read_exact(&mut len).await?;
            let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
            s.read_exact(&mut buf).await?;
            return Ok(buf);
        }
        let sock = tokio::net::UdpSocket::bind(if addr.starts_with('[') {
            "[::]:0"
        } else {
            "0.0.0.0:0"
        })
        .await?;
        sock.connect(&addr).await?;
        sock.send(q).await?;
        let mut buf = vec![0u8; 4096];
        let n = sock.recv(&mut buf).await?;
        buf.truncate(n);
        Ok(buf)
    }
}

#[async_trait]
impl Input for DnsQuery {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for server in &self.cfg.servers {
            for domain in &self.cfg.domains {
                let mut m = Metric::new("dns_query", now_ns())
                    .with_tag("server", server.as_str())
                    .with_tag("domain", domain.as_str())
                    .with_tag("record_type", self.cfg.record_type.to_ascii_uppercase());
                let id = (now_ns() as u64 & 0xFFFF) as u16;
                let q = build_query(id, domain, self.qtype).map_err(anyhow::Error::msg)?;
                let start = Instant::now();
                let r = tokio::time::timeout(self.cfg.timeout.0, self.exchange(server, &q)).await;
                match r {
                    Err(_) => {
                        m.add_tag("result", "timeout");
                        m.add_field("result_code", 1i64);
                    }
                    Ok(Err(e)) => {
                        acc.add_error(format!("dns_query {server} {domain}: {e:#}"));
                        m.add_tag("result", "error");
                        m.add_field("result_code", 2i64);
                    }
                    Ok(Ok(resp)) => match parse_response(&resp, id) {
                        Ok(a) => {
                            m.add_field("query_time_ms", start.elapsed().as_secs_f64() * 1000.0);
                            m.add_tag("rcode", rcode_name(a.rcode));
                            m.add_field("rcode_value", a.rcode as i64);
                            m.add_tag("result", "success");
                            m.add_field("result_code", 0i64);
                            if self.cfg.include_fields.iter().any(|f| f == "first_ip") {
                                if let Some(ip) = a.ips.first() {
                                    m.add_field("ip", ip.as_str());
                                }
                            }
                            if self.cfg.include_fields.iter().any(|f| f == "all_ips") {
                                for (i, ip) in a.ips.iter().enumerate() {
                                    m.add_field(format!("ip_{i}"), ip.as_str());
                                }
                            }
                        }
                        Err(e) => {
                            acc.add_error(format!("dns_query {server} {domain}: {e}"));
                            m.add_tag("result", "error");
                            m.add_field("result_code", 2i64);
                        }
                    },
                }
                acc.add(m);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;
    use proptest::prelude::*;

    fn fake_response(q: &[u8]) -> Vec<u8> {
        let mut r = q.to_vec();
        r[2] = 0x81;
        r[3] = 0x80;
        r[7] = 2; // two answers
        for ip in [[10u8, 0, 0, 1], [10, 0, 0, 2]] {
            r.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            r.extend_from_slice(&ip);
        }
        r
    }

    #[test]
    fn query_and_parse() {
        let q = build_query(7, "example.com", 1).unwrap();
        assert_eq!(&q[12..25], b"\x07example\x03com\x00");
        let a = parse_response(&fake_response(&q), 7).unwrap();
        assert_eq!(a.rcode, 0);
        assert_eq!(a.ips, vec!["10.0.0.1", "10.0.0.2"]);
        assert!(parse_response(&fake_response(&q), 8).is_err());
        assert!(parse_response(&q[..5], 7).is_err());
    }

    #[tokio::test]
    async fn against_a_fake_server() {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = sock.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let (n, peer) = sock.recv_from(&mut buf).await.unwrap();
            sock.send_to(&fake_response(&buf[..n]), peer).await.unwrap();
        });
        let toml = format!("servers = [\"127.0.0.1\"]\nport = {port}\ndomains = [\"example.com\"]\nrecord_type = \"A\"\ninclude_fields = [\"first_ip\"]");
        let mut d =
            build(&PluginOptions::from_toml("inputs", "dns_query", &toml).unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        d.gather(&acc).await.unwrap();
        let m = rx.recv().await.unwrap();
        assert_eq!(m.tag("result"), Some("success"));
        assert_eq!(m.tag("rcode"), Some("NOERROR"));
        assert_eq!(m.field("ip"), Some(&Value::Str("10.0.0.1".into())));
        assert!(m.field("query_time_ms").is_some());
    }

    proptest! {
        #[test]
        fn parse_never_panics(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let id = if b.len() >= 2 { u16::from_be_bytes([b[0], b[1]]) } else { 0 };
            let _ = parse_response(&b, id);
        }
    }
}
