//! `inputs.socket_listener`: line-oriented data over TCP, UDP or a Unix socket.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::now_ns;
use crate::parsers::Parser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "socket_listener",
    description: "Generic socket listener capable of handling multiple socket types.",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.socket_listener]]
  ## URL to listen on
  # service_address = "tcp://:8094"
  # service_address = "tcp://127.0.0.1:http"
  # service_address = "udp://:8094"
  # service_address = "unix:///tmp/telegraf.sock"
  service_address = "tcp://127.0.0.1:8094"

  ## Maximum number of concurrent connections.
  # max_connections = 1024

  ## Data format to consume.
  data_format = "influx"
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SocketConfig {
    service_address: String,
    max_connections: Option<usize>,
    read_timeout: Option<crate::config::Dur>,
    keep_alive_period: Option<crate::config::Dur>,
    read_buffer_size: Option<crate::config::Size>,
    socket_mode: Option<String>,
    content_encoding: Option<String>,
    splitting_strategy: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    tls_allowed_cacerts: Vec<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: SocketConfig = o.parse()?;
    if c.tls_cert.is_some() || c.tls_key.is_some() || !c.tls_allowed_cacerts.is_empty() {
        return Err(o.not_supported("TLS"));
    }
    if c.content_encoding
        .as_deref()
        .is_some_and(|e| !e.is_empty() && e != "identity")
    {
        return Err(o.not_supported("content_encoding"));
    }
    if c.splitting_strategy
        .as_deref()
        .is_some_and(|s| s != "newline")
    {
        return Err(o.not_supported("splitting_strategy other than newline"));
    }
    let addr =
        parse_address(&c.service_address).map_err(|m| o.invalid_option("service_address", m))?;
    Ok(Box::new(SocketListener {
        addr,
        parser: Arc::from(o.parser()?),
        tasks: Vec::new(),
        max_connections: c.max_connections.unwrap_or(1024),
        bound: None,
    }))
}

/// A listen address.
#[derive(Debug, Clone, PartialEq)]
pub enum Address {
    /// TCP host:port.
    Tcp(String),
    /// UDP host:port.
    Udp(String),
    /// Unix stream socket path.
    Unix(String),
}

/// Parses `tcp://:8094`, `udp://host:port`, `unix:///path` (empty host = all interfaces).
pub fn parse_address(s: &str) -> Result<Address, String> {
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| format!("invalid service_address {s:?}"))?;
    let hp = |r: &str| {
        if r.starts_with(':') {
            format!("0.0.0.0{r}")
        } else {
            r.to_string()
        }
    };
    match scheme {
        "tcp" | "tcp4" | "tcp6" => Ok(Address::Tcp(hp(rest))),
        "udp" | "udp4" | "udp6" => Ok(Address::Udp(hp(rest))),
        "unix" => Ok(Address::Unix(rest.to_string())),
        "unixgram" => Err("not supported yet: unixgram".into()),
        other => Err(format!("unknown protocol {other:?}")),
    }
}

/// The socket_listener input.
pub struct SocketListener {
    addr: Address,
    parser: Arc<dyn Parser>,
    tasks: Vec<JoinHandle<()>>,
    max_connections: usize,
    /// Bound TCP/UDP address after start.
    pub bound: Option<std::net::SocketAddr>,
}

/// Parses a block of complete lines: in one go when the parser takes many lines (falling
/// back to line-by-line when the block has a bad line, so only that line is lost).
pub fn parse_block(block: &[u8], parser: &dyn Parser, acc: &Accumulator) {
    let now = now_ns();
    if parser.multi_line() {
        if let Ok(ms) = parser.parse(block, now) {
            ms.into_iter().for_each(|m| acc.add(m));
            return;
        }
    }
    for line in String::from_utf8_lossy(block).lines() {
        if line.trim().is_empty() {
            continue;
        }
        match parser.parse_line(line, now) {
            Ok(ms) => ms.into_iter().for_each(|m| acc.add(m)),
            Err(e) => acc.add_error(format!("unable to parse incoming line: {e}")),
        }
    }
}

/// Longest partial line kept while waiting for its newline.
const MAX_LINE: usize = 16 << 20;

/// Reads newline-separated records from a stream and feeds the parser in blocks.
pub async fn read_lines<R: tokio::io::AsyncRead + Unpin>(
    mut r: R,
    parser: &dyn Parser,
    acc: &Accumulator,
) {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = match r.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                acc.add_error(format!("read error: {e}"));
                break;
            }
        };
        if n == 0 {
            if !carry.is_empty() {
                parse_block(&carry, parser, acc);
            }
            break;
        }
        carry.extend_from_slice(&buf[..n]);
        if let Some(pos) = carry.iter().rposition(|b| *b == b'\n') {
            let rest = carry.split_off(pos + 1);
            parse_block(&carry, parser, acc);
            carry = rest;
        } else if carry.len() > MAX_LINE {
            acc.add_error("line too long; dropped");
            carry.clear();
        }
    }
}

#[async_trait]
impl Input for SocketListener {
    async fn gather(&mut self, _acc: &Accumulator) -> Result<(), PluginError> {
        Ok(())
    }

    fn is_service(&self) -> bool {
        true
    }

    async fn start(&mut self, acc: Accumulator) -> Result<(), PluginError> {
        let parser = self.parser.clone();
        let sem = Arc::new(tokio::sync::Semaphore::new(self.max_connections));
        match self.addr.clone() {
            Address::Tcp(a) => {
                let l = tokio::net::TcpListener::bind(&a).await?;
                self.bound = l.local_addr().ok();
                self.tasks.push(tokio::spawn(async move {
                    while let Ok((s, _)) = l.accept().await {
                        let Ok(permit) = sem.clone().acquire_owned().await else {
                            break;
                        };
                        let (p, a) = (parser.clone(), acc.clone());
                        tokio::spawn(async move {
                            read_lines(s, p.as_ref(), &a).await;
                            drop(permit);
                        });
                    }
                }));
            }
            Address::Unix(path) => {
                let _ = std::fs::remove_file(&path);
                let l = tokio::net::UnixListener::bind(&path)?;
                self.tasks.push(tokio::spawn(async move {
                    while let Ok((s, _)) = l.accept().await {
                        let Ok(permit) = sem.clone().acquire_owned().await else {
                            break;
                        };
                        let (p, a) = (parser.clone(), acc.clone());
                        tokio::spawn(async move {
                            read_lines(s, p.as_ref(), &a).await;
                            drop(permit);
                        });
                    }
                }));
            }
            Address::Udp(a) => {
                let sock = tokio::net::UdpSocket::bind(&a).await?;
                self.bound = sock.local_addr().ok();
                self.tasks.push(tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    while let Ok((n, _)) = sock.recv_from(&mut buf).await {
                        match parser.parse(&buf[..n], now_ns()) {
                            Ok(ms) => ms.into_iter().for_each(|m| acc.add(m)),
                            Err(e) => {
                                acc.add_error(format!("unable to parse incoming packet: {e}"))
                            }
                        }
                    }
                }));
            }
        }
        Ok(())
    }

    async fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        if let Address::Unix(p) = &self.addr {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("tcp://:8094"),
            Ok(Address::Tcp("0.0.0.0:8094".into()))
        );
        assert_eq!(
            parse_address("udp://127.0.0.1:1"),
            Ok(Address::Udp("127.0.0.1:1".into()))
        );
        assert_eq!(
            parse_address("unix:///tmp/x.sock"),
            Ok(Address::Unix("/tmp/x.sock".into()))
        );
        assert!(parse_address("8094").is_err());
    }

    async fn started(
        addr: &str,
    ) -> (
        SocketListener,
        Accumulator,
        tokio::sync::mpsc::UnboundedReceiver<crate::Metric>,
    ) {
        let o = PluginOptions::from_toml(
            "inputs",
            "socket_listener",
            &format!("service_address = \"{addr}\""),
        )
        .unwrap();
        let c: SocketConfig = o.parse().unwrap();
        let mut s = SocketListener {
            addr: parse_address(&c.service_address).unwrap(),
            parser: Arc::from(o.parser().unwrap()),
            tasks: vec![],
            max_connections: 4,
            bound: None,
        };
        let (acc, rx) = Accumulator::collecting();
        s.start(acc.clone()).await.unwrap();
        (s, acc, rx)
    }

    async fn wait_for(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<crate::Metric>,
        n: usize,
    ) -> Vec<crate::Metric> {
        let mut out = Vec::new();
        while out.len() < n {
            match tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await {
                Ok(Some(m)) => out.push(m),
                _ => break,
            }
        }
        out
    }

    #[tokio::test]
    async fn tcp_udp_unix() {
        let (mut s, _acc, mut rx) = started("tcp://127.0.0.1:0").await;
        let mut c = tokio::net::TcpStream::connect(s.bound.unwrap())
            .await
            .unwrap();
        c.write_all(b"cpu,host=a v=1 1\ncpu,host=b v=2 2\nbad line\n")
            .await
            .unwrap();
        drop(c);
        let ms = wait_for(&mut rx, 2).await;
        assert_eq!(ms.len(), 2);
        s.stop().await;

        let (mut s, _acc, mut rx) = started("udp://127.0.0.1:0").await;
        let c = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        c.send_to(b"mem free=3i 5\n", s.bound.unwrap())
            .await
            .unwrap();
        let ms = wait_for(&mut rx, 1).await;
        assert_eq!(ms[0].name, "mem");
        s.stop().await;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let (mut s, _acc, mut rx) = started(&format!("unix://{}", path.display())).await;
        let mut c = tokio::net::UnixStream::connect(&path).await.unwrap();
        c.write_all(b"disk used=1i 1\n").await.unwrap();
        drop(c);
        let ms = wait_for(&mut rx, 1).await;
        assert_eq!(ms[0].name, "disk");
        s.stop().await;
    }
}
