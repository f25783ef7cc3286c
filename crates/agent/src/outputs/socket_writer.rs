//! `outputs.socket_writer`: writes serialized metrics to a TCP, UDP or unix socket, one
//! metric per write (one datagram per metric for `udp` and `unixgram`), like Telegraf.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};
use crate::serializers::Serializer;

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "socket_writer",
    description: "Generic socket writer capable of handling multiple socket types.",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[outputs.socket_writer]]
  ## URL to connect to
  address = "tcp://127.0.0.1:8094"
  # address = "tcp://example.com:http"
  # address = "tcp4://127.0.0.1:8094"
  # address = "tcp6://127.0.0.1:8094"
  # address = "udp://127.0.0.1:8094"
  # address = "udp4://127.0.0.1:8094"
  # address = "udp6://127.0.0.1:8094"
  # address = "unix:///tmp/telegraf.sock"
  # address = "unixgram:///tmp/telegraf.sock"

  ## Period between keep alive probes.
  ## Only applies to TCP sockets.
  ## 0 disables keep alive probes.
  ## Defaults to the OS configuration.
  # keep_alive_period = "5m"

  ## Optional TLS Config (tcp only)
  # tls_ca = "/etc/telegraf/ca.pem"
  # tls_cert = "/etc/telegraf/cert.pem"
  # tls_key = "/etc/telegraf/key.pem"
  ## Use TLS but skip chain & host verification
  # insecure_skip_verify = false

  ## Content encoding for message payloads, can be set to "gzip" or to
  ## "identity" to apply no encoding.
  # content_encoding = "identity"

  ## Data format to generate.
  # data_format = "influx"
"#;

/// Options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SocketWriterConfig {
    /// `scheme://address`.
    pub address: String,
    /// TCP keep-alive probe period (0 disables; unset keeps the OS default).
    pub keep_alive_period: Option<Dur>,
    /// `identity` or `gzip` (each metric compressed on its own).
    pub content_encoding: String,
    /// PEM CA file (TLS over `tcp` when any TLS option is set).
    pub tls_ca: String,
    /// TLS.
    pub tls_cert: String,
    /// TLS.
    pub tls_key: String,
    /// TLS.
    pub insecure_skip_verify: bool,
}

impl Default for SocketWriterConfig {
    fn default() -> Self {
        SocketWriterConfig {
            address: String::new(),
            keep_alive_period: None,
            content_encoding: "identity".into(),
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

/// Where the writer connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `tcp`, `tcp4`, `tcp6`: `host:port`.
    Tcp(String),
    /// `udp`, `udp4`, `udp6`: `host:port`.
    Udp(String),
    /// `unix`: stream socket path.
    Unix(String),
    /// `unixgram`: datagram socket path.
    Unixgram(String),
}

/// Parses `scheme://address` (an empty host means the local host, as with Go's dialer).
pub fn parse_address(a: &str) -> Result<Target, String> {
    let (scheme, rest) = a
        .split_once("://")
        .ok_or_else(|| format!("invalid address {a:?}: expected scheme://address"))?;
    let host_port = |r: &str| -> Result<String, String> {
        let (h, p) = r
            .rsplit_once(':')
            .ok_or_else(|| format!("invalid address {a:?}: missing port"))?;
        if p.is_empty() {
            return Err(format!("invalid address {a:?}: missing port"));
        }
        let h = if h.is_empty() { "127.0.0.1" } else { h };
        Ok(format!("{h}:{p}"))
    };
    match scheme {
        "tcp" | "tcp4" | "tcp6" => Ok(Target::Tcp(host_port(rest)?)),
        "udp" | "udp4" | "udp6" => Ok(Target::Udp(host_port(rest)?)),
        "unix" if !rest.is_empty() => Ok(Target::Unix(rest.to_string())),
        "unixgram" if !rest.is_empty() => Ok(Target::Unixgram(rest.to_string())),
        "unix" | "unixgram" => Err(format!("invalid address {a:?}: missing path")),
        other => Err(format!("unknown scheme {other:?} in address {a:?}")),
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let c: SocketWriterConfig = o.parse()?;
    let target = parse_address(&c.address).map_err(|m| o.invalid_option("address", m))?;
    let tls =
        crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify);
    let tls = if !tls.enabled() {
        None
    } else if matches!(target, Target::Tcp(_)) {
        Some(
            tls.rustls_config()
                .map_err(|e| o.invalid_option("tls_ca", e.to_string()))?,
        )
    } else {
        return Err(o.not_supported("TLS on udp and unix sockets"));
    };
    let gzip = match c.content_encoding.as_str() {
        "" | "identity" => false,
        "gzip" => true,
        _ => return Err(o.invalid_option("content_encoding", "must be \"gzip\" or \"identity\"")),
    };
    Ok(Box::new(SocketWriter {
        target,
        keep_alive: c.keep_alive_period.map(|d| d.0),
        gzip,
        ser: o.serializer()?,
        tls,
        conn: None,
    }))
}

enum Conn {
    Tcp(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>),
    Udp(tokio::net::UdpSocket),
    Unix(tokio::net::UnixStream),
    Unixgram(tokio::net::UnixDatagram),
}

impl Conn {
    async fn send(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Tcp(s) => s.write_all(data).await,
            Conn::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
            Conn::Unix(s) => s.write_all(data).await,
            Conn::Udp(s) => s.send(data).await.map(|_| ()),
            Conn::Unixgram(s) => s.send(data).await.map(|_| ()),
        }
    }
}

/// Sets SO_KEEPALIVE and the idle/interval probe period on a TCP socket.
fn set_keep_alive(s: &tokio::net::TcpStream, period: Duration) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = s.as_raw_fd();
    let on: libc::c_int = i32::from(!period.is_zero());
    let secs: libc::c_int = period.as_secs().clamp(1, i32::MAX as u64) as libc::c_int;
    let set = |level, name, v: libc::c_int| -> std::io::Result<()> {
        // SAFETY: fd is a live socket owned by `s`; the value is a c_int of the right size.
        let r = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                &v as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, on)?;
    if on == 1 {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs)?;
            set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, secs)?;
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = secs;
    }
    Ok(())
}

/// The socket writer output.
pub struct SocketWriter {
    target: Target,
    keep_alive: Option<Duration>,
    gzip: bool,
    ser: Box<dyn Serializer>,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
    conn: Option<Conn>,
}

impl SocketWriter {
    async fn dial(&self) -> std::io::Result<Conn> {
        let t = Duration::from_secs(10);
        let timed = |e: tokio::time::error::Elapsed| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, e.to_string())
        };
        Ok(match &self.target {
            Target::Tcp(a) => {
                let s = tokio::time::timeout(t, tokio::net::TcpStream::connect(a.as_str()))
                    .await
                    .map_err(timed)??;
                if let Some(p) = self.keep_alive {
                    set_keep_alive(&s, p)?;
                }
                match &self.tls {
                    Some(cfg) => Conn::Tls(Box::new(
                        tokio::time::timeout(t, crate::tls::connect(cfg.clone(), a, s))
                            .await
                            .map_err(timed)??,
                    )),
                    None => Conn::Tcp(s),
                }
            }
            Target::Udp(a) => {
                let addr = tokio::net::lookup_host(a.as_str())
                    .await?
                    .next()
                    .ok_or_else(|| std::io::Error::other(format!("no address for {a}")))?;
                let bind = if addr.is_ipv6() {
                    "[::]:0"
                } else {
                    "0.0.0.0:0"
                };
                let s = tokio::net::UdpSocket::bind(bind).await?;
                s.connect(addr).await?;
                Conn::Udp(s)
            }
            Target::Unix(p) => Conn::Unix(
                tokio::time::timeout(t, tokio::net::UnixStream::connect(p))
                    .await
                    .map_err(timed)??,
            ),
            Target::Unixgram(p) => {
                let s = tokio::net::UnixDatagram::unbound()?;
                s.connect(p)?;
                Conn::Unixgram(s)
            }
        })
    }

    /// The bytes sent for one metric (serialized, then gzip-compressed if configured).
    fn encode(&self, m: &Metric) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.ser.serialize(std::slice::from_ref(m), &mut buf);
        if self.gzip && !buf.is_empty() {
            buf = super::gzip(&buf)?;
        }
        Ok(buf)
    }
}

#[async_trait]
impl Output for SocketWriter {
    async fn connect(&mut self) -> Result<(), PluginError> {
        let c = self.dial().await?;
        self.conn = Some(c);
        Ok(())
    }

    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        if self.conn.is_none() {
            self.conn = Some(self.dial().await?);
        }
        for m in metrics {
            let data = self.encode(m)?;
            if data.is_empty() {
                continue;
            }
            let Some(conn) = self.conn.as_mut() else {
                anyhow::bail!("not connected");
            };
            if let Err(e) = conn.send(&data).await {
                // drop the connection; the batch is retried on a fresh one
                self.conn = None;
                return Err(anyhow::anyhow!("error writing to {:?}: {e}", self.target));
            }
        }
        Ok(())
    }

    async fn close(&mut self) {
        match self.conn.take() {
            Some(Conn::Tcp(mut s)) => {
                let _ = s.shutdown().await;
            }
            Some(Conn::Tls(mut s)) => {
                let _ = s.shutdown().await;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn metrics(n: i64) -> Vec<Metric> {
        (0..n)
            .map(|i| {
                Metric::new("m", 1_000_000_000 * (i + 1))
                    .with_tag("t", "x")
                    .with_field("v", i)
            })
            .collect()
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("tcp://:8094").unwrap(),
            Target::Tcp("127.0.0.1:8094".into())
        );
        assert_eq!(
            parse_address("udp4://10.0.0.1:9").unwrap(),
            Target::Udp("10.0.0.1:9".into())
        );
        assert_eq!(
            parse_address("unixgram:///tmp/s").unwrap(),
            Target::Unixgram("/tmp/s".into())
        );
        for bad in ["", "tcp://host", "unix://", "ftp://a:1", "127.0.0.1:1"] {
            assert!(parse_address(bad).is_err(), "{bad}");
        }
        let o =
            PluginOptions::from_toml("outputs", "socket_writer", "address=\"tcp://a\"").unwrap();
        assert!(build(&o).is_err());
        let o = PluginOptions::from_toml(
            "outputs",
            "socket_writer",
            "address=\"tcp://a:1\"\ncontent_encoding=\"br\"",
        )
        .unwrap();
        assert!(build(&o).is_err());
    }

    #[tokio::test]
    async fn tcp_line_protocol_with_keep_alive() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let reader = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        });
        let o = PluginOptions::from_toml(
            "outputs",
            "socket_writer",
            &format!("address=\"tcp://127.0.0.1:{port}\"\nkeep_alive_period=\"30s\""),
        )
        .unwrap();
        let mut w = build(&o).unwrap();
        w.connect().await.unwrap();
        w.write(&metrics(3)).await.unwrap();
        w.close().await;
        drop(w);
        let got = reader.await.unwrap();
        assert_eq!(
            got,
            "m,t=x v=0i 1000000000\nm,t=x v=1i 2000000000\nm,t=x v=2i 3000000000\n"
        );
    }

    #[tokio::test]
    async fn udp_one_datagram_per_metric_json() {
        let s = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = s.local_addr().unwrap().port();
        let o = PluginOptions::from_toml(
            "outputs",
            "socket_writer",
            &format!("address=\"udp://127.0.0.1:{port}\"\ndata_format=\"json\""),
        )
        .unwrap();
        let mut w = build(&o).unwrap();
        w.connect().await.unwrap();
        w.write(&metrics(2)).await.unwrap();
        let mut buf = [0u8; 2048];
        for i in 0..2 {
            let n = tokio::time::timeout(Duration::from_secs(5), s.recv(&mut buf))
                .await
                .unwrap()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&buf[..n]).unwrap();
            assert_eq!(v["fields"]["v"], i);
            assert_eq!(v["name"], "m");
        }
    }

    #[tokio::test]
    async fn unix_gzip_and_reconnect_after_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let o = PluginOptions::from_toml(
            "outputs",
            "socket_writer",
            &format!(
                "address=\"unix://{}\"\ncontent_encoding=\"gzip\"",
                path.display()
            ),
        )
        .unwrap();
        let mut w = build(&o).unwrap();
        // nobody listens yet: connect and write fail, nothing is lost by the output
        assert!(w.connect().await.is_err());
        assert!(w.write(&metrics(1)).await.is_err());
        let l = tokio::net::UnixListener::bind(&path).unwrap();
        let reader = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut out = Vec::new();
            s.read_to_end(&mut out).await.unwrap();
            out
        });
        w.write(&metrics(2)).await.unwrap();
        w.close().await;
        drop(w);
        let raw = reader.await.unwrap();
        // two gzip members, one per metric; a multi-member decoder yields both lines
        let mut d = flate2::read::MultiGzDecoder::new(&raw[..]);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut d, &mut text).unwrap();
        assert_eq!(text, "m,t=x v=0i 1000000000\nm,t=x v=1i 2000000000\n");
    }
}
