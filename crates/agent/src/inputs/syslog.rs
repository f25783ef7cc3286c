//! `inputs.syslog`: RFC 5424 messages over UDP or TCP (octet counting or newline framing).

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::task::JoinHandle;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "syslog",
    description: "Accepts syslog messages following RFC5424 format with transports as per RFC5426, RFC5425, or RFC6587",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.syslog]]
  ## Protocol, address and port to host the syslog receiver.
  ##   ex: server = "tcp://localhost:6514"
  ##       server = "udp://:6514"
  server = "tcp://127.0.0.1:6514"

  ## Framing technique used for messages transport over TCP:
  ## "octet-counting" (RFC 6587) or "non-transparent" (newline separated).
  # framing = "octet-counting"

  ## Whether to parse in best effort mode or not (default = false).
  # best_effort = false

  ## The RFC standard to use for message parsing: "RFC5424" (RFC3164 not supported yet)
  # syslog_standard = "RFC5424"

  ## Character to prepend to SD-PARAMs (default = "_").
  # sdparam_separator = "_"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SyslogConfig {
    server: String,
    framing: String,
    trailer: String,
    best_effort: bool,
    syslog_standard: String,
    sdparam_separator: String,
    max_connections: Option<usize>,
    read_timeout: Option<crate::config::Dur>,
    keep_alive_period: Option<crate::config::Dur>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
}

impl Default for SyslogConfig {
    fn default() -> Self {
        SyslogConfig {
            server: "tcp://:6514".into(),
            framing: "octet-counting".into(),
            trailer: "LF".into(),
            best_effort: false,
            syslog_standard: "RFC5424".into(),
            sdparam_separator: "_".into(),
            max_connections: None,
            read_timeout: None,
            keep_alive_period: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: SyslogConfig = o.parse()?;
    if c.syslog_standard != "RFC5424" {
        return Err(o.not_supported(format!("syslog_standard = {:?}", c.syslog_standard)));
    }
    if c.tls_cert.is_some() || c.tls_key.is_some() {
        return Err(o.not_supported("TLS"));
    }
    if !matches!(c.framing.as_str(), "octet-counting" | "non-transparent") {
        return Err(o.invalid_option(
            "framing",
            "must be \"octet-counting\" or \"non-transparent\"",
        ));
    }
    let addr = super::socket_listener::parse_address(&c.server)
        .map_err(|m| o.invalid_option("server", m))?;
    if matches!(addr, super::socket_listener::Address::Unix(_)) {
        return Err(o.not_supported("unix sockets"));
    }
    Ok(Box::new(Syslog {
        cfg: Arc::new(c),
        addr,
        task: None,
        bound: None,
    }))
}

const SEVERITY: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];
const FACILITY: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// Parses one RFC 5424 message into a `syslog` metric.
pub fn parse_rfc5424(msg: &str, sep: &str, now: i64) -> Result<Metric, String> {
    let msg = msg.trim_end_matches(['\n', '\r', '\0']);
    let rest = msg
        .strip_prefix('<')
        .ok_or("expecting a priority value within angle brackets")?;
    let end = rest
        .find('>')
        .ok_or("expecting a priority value terminator")?;
    let pri: u32 = rest[..end]
        .parse()
        .map_err(|_| "expecting a priority value in the range 1-191")?;
    if pri > 191 {
        return Err("expecting a priority value in the range 1-191".into());
    }
    let rest = &rest[end + 1..];
    let (version, rest) = rest.split_once(' ').ok_or("expecting a version value")?;
    let version: i64 = version
        .parse()
        .map_err(|_| "expecting a version value in the range 1-999")?;
    let mut parts = rest.splitn(6, ' ');
    let mut next = || parts.next().ok_or("unexpected end of message");
    let ts = next()?;
    let host = next()?;
    let app = next()?;
    let procid = next()?;
    let msgid = next()?;
    let tail = parts.next().unwrap_or("");
    let (fac, sev) = ((pri / 8) as usize, (pri % 8) as usize);
    let mut m = Metric::new("syslog", now)
        .with_tag("severity", SEVERITY[sev])
        .with_tag("facility", FACILITY[fac.min(23)])
        .with_field("version", version)
        .with_field("severity_code", sev as i64)
        .with_field("facility_code", fac as i64);
    if host != "-" {
        m.add_tag("hostname", host);
    }
    if app != "-" {
        m.add_tag("appname", app);
    }
    if procid != "-" {
        m.add_field("procid", procid);
    }
    if msgid != "-" {
        m.add_field("msgid", msgid);
    }
    if ts != "-" {
        let t = chrono::DateTime::parse_from_rfc3339(ts)
            .map_err(|e| format!("invalid timestamp {ts:?}: {e}"))?;
        if let Some(ns) = t.timestamp_nanos_opt() {
            m.add_field("timestamp", ns);
        }
    }
    // structured data
    let mut rest = tail;
    if let Some(r) = rest.strip_prefix('-') {
        rest = r;
    } else {
        while rest.starts_with('[') {
            let mut chars = rest.char_indices().skip(1);
            let mut sd = String::new();
            let mut closed = None;
            let mut id = None;
            let mut key = String::new();
            while let Some((i, c)) = chars.next() {
                match c {
                    ']' => {
                        closed = Some(i);
                        break;
                    }
                    ' ' if id.is_none() => id = Some(std::mem::take(&mut sd)),
                    ' ' => {}
                    '=' => {
                        key = std::mem::take(&mut sd);
                        if chars.next().map(|x| x.1) != Some('"') {
                            return Err("expecting a quoted SD-PARAM value".into());
                        }
                        let mut val = String::new();
                        let mut done = false;
                        while let Some((_, c)) = chars.next() {
                            match c {
                                '\\' => {
                                    if let Some((_, n)) = chars.next() {
                                        val.push(n);
                                    }
                                }
                                '"' => {
                                    done = true;
                                    break;
                                }
                                o => val.push(o),
                            }
                        }
                        if !done {
                            return Err("unterminated SD-PARAM value".into());
                        }
                        let sid = id.clone().unwrap_or_default();
                        m.add_field(format!("{sid}{sep}{key}"), val);
                    }
                    o => sd.push(o),
                }
            }
            let Some(close) = closed else {
                return Err("unterminated structured data".into());
            };
            let sid = id.unwrap_or(sd);
            if !m
                .fields
                .keys()
                .any(|k| k.starts_with(&format!("{sid}{sep}")))
            {
                m.add_field(sid.clone(), true);
            }
            let _ = key;
            rest = &rest[close + 1..];
        }
    }
    let message = rest.strip_prefix(' ').unwrap_or(rest);
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    if !message.is_empty() {
        m.add_field("message", message);
    }
    Ok(m)
}

/// The syslog input.
pub struct Syslog {
    cfg: Arc<SyslogConfig>,
    addr: super::socket_listener::Address,
    task: Option<JoinHandle<()>>,
    /// Bound address after start.
    pub bound: Option<std::net::SocketAddr>,
}

fn handle(cfg: &SyslogConfig, acc: &Accumulator, msg: &str) {
    match parse_rfc5424(msg, &cfg.sdparam_separator, now_ns()) {
        Ok(m) => acc.add(m),
        Err(e) => acc.add_error(format!("syslog: {e}")),
    }
}

async fn read_octet_counted<R: tokio::io::AsyncRead + Unpin>(
    r: R,
    cfg: &SyslogConfig,
    acc: &Accumulator,
) {
    let mut r = tokio::io::BufReader::new(r);
    loop {
        let mut len = Vec::new();
        if r.read_until(b' ', &mut len).await.unwrap_or(0) == 0 {
            return;
        }
        let Some(n) = std::str::from_utf8(&len)
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
        else {
            acc.add_error("syslog: invalid octet count");
            return;
        };
        if n > 8 * 1024 * 1024 {
            acc.add_error("syslog: message too large");
            return;
        }
        let mut buf = vec![0u8; n];
        if r.read_exact(&mut buf).await.is_err() {
            return;
        }
        handle(cfg, acc, &String::from_utf8_lossy(&buf));
    }
}

#[async_trait]
impl Input for Syslog {
    async fn gather(&mut self, _acc: &Accumulator) -> Result<(), PluginError> {
        Ok(())
    }
    fn is_service(&self) -> bool {
        true
    }
    async fn start(&mut self, acc: Accumulator) -> Result<(), PluginError> {
        let cfg = self.cfg.clone();
        match self.addr.clone() {
            super::socket_listener::Address::Udp(a) => {
                let s = tokio::net::UdpSocket::bind(&a).await?;
                self.bound = s.local_addr().ok();
                self.task = Some(tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    while let Ok((n, _)) = s.recv_from(&mut buf).await {
                        handle(&cfg, &acc, &String::from_utf8_lossy(&buf[..n]));
                    }
                }));
            }
            super::socket_listener::Address::Tcp(a) => {
                let l = tokio::net::TcpListener::bind(&a).await?;
                self.bound = l.local_addr().ok();
                self.task = Some(tokio::spawn(async move {
                    while let Ok((s, _)) = l.accept().await {
                        let (cfg, acc) = (cfg.clone(), acc.clone());
                        tokio::spawn(async move {
                            if cfg.framing == "octet-counting" {
                                read_octet_counted(s, &cfg, &acc).await;
                            } else {
                                let mut lines = tokio::io::BufReader::new(s).lines();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if !l.trim().is_empty() {
                                        handle(&cfg, &acc, &l);
                                    }
                                }
                            }
                        });
                    }
                }));
            }
            super::socket_listener::Address::Unix(_) => {
                anyhow::bail!("not supported yet: unix sockets")
            }
        }
        Ok(())
    }
    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;
    use proptest::prelude::*;
    use tokio::io::AsyncWriteExt;

    const MSG: &str = r#"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] 'su root' failed for lonvick"#;

    #[test]
    fn parses_rfc5424() {
        let m = parse_rfc5424(MSG, "_", 1).unwrap();
        assert_eq!(m.tag("severity"), Some("crit"));
        assert_eq!(m.tag("facility"), Some("auth"));
        assert_eq!(m.tag("hostname"), Some("mymachine.example.com"));
        assert_eq!(m.tag("appname"), Some("su"));
        assert_eq!(m.field("msgid"), Some(&Value::Str("ID47".into())));
        assert_eq!(
            m.field("exampleSDID@32473_iut"),
            Some(&Value::Str("3".into()))
        );
        assert_eq!(
            m.field("message"),
            Some(&Value::Str("'su root' failed for lonvick".into()))
        );
        assert_eq!(
            m.field("timestamp"),
            Some(&Value::Int(1_065_910_455_003_000_000))
        );
        assert!(parse_rfc5424("no pri", "_", 1).is_err());
        assert!(parse_rfc5424("<999>1 - - - - - -", "_", 1).is_err());
    }

    #[tokio::test]
    async fn tcp_octet_counting() {
        let o =
            PluginOptions::from_toml("inputs", "syslog", "server = \"tcp://127.0.0.1:0\"").unwrap();
        assert!(build(&o).is_ok());
        let c: SyslogConfig = o.parse().unwrap();
        let mut s = Syslog {
            addr: super::super::socket_listener::parse_address(&c.server).unwrap(),
            cfg: Arc::new(c),
            task: None,
            bound: None,
        };
        let (acc, mut rx2) = Accumulator::collecting();
        s.start(acc).await.unwrap();
        let mut conn = tokio::net::TcpStream::connect(s.bound.unwrap())
            .await
            .unwrap();
        let framed = format!(
            "{} {}{} {}",
            MSG.len(),
            MSG,
            "<13>1 - host app - - - hello".len(),
            "<13>1 - host app - - - hello"
        );
        conn.write_all(framed.as_bytes()).await.unwrap();
        let a = tokio::time::timeout(std::time::Duration::from_secs(5), rx2.recv())
            .await
            .unwrap()
            .unwrap();
        let b = tokio::time::timeout(std::time::Duration::from_secs(5), rx2.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.tag("appname"), Some("su"));
        assert_eq!(b.field("message"), Some(&Value::Str("hello".into())));
        s.stop().await;
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = parse_rfc5424(&s, "_", 0);
            let _ = parse_rfc5424(&format!("<1>1 {s}"), "_", 0);
        }
    }
}
