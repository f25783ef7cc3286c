//! `outputs.graphite`: Graphite plaintext protocol over TCP to one of several servers.
//! Each batch goes to one server; the next batch starts with the next server (load
//! balancing); a server that fails is dropped from the connection set and the batch is
//! tried on the others (failover). When none accepts the batch the write fails and the
//! runtime retries it after reconnecting.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::filter::Glob;
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};
use crate::serializers::{GraphiteSerializer, Serializer};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "graphite",
    description: "Configuration for Graphite server to send metrics to",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[outputs.graphite]]
  ## TCP endpoint for your graphite instance.
  ## If multiple endpoints are configured, the output will be load balanced.
  ## Only one of the endpoints will be written to with each iteration.
  servers = ["localhost:2003"]

  ## Prefix metrics name
  prefix = ""

  ## Graphite output template
  template = "host.tags.measurement.field"

  ## Enable Graphite tags support
  # graphite_tag_support = false

  ## Applied sanitization mode when graphite tag support is enabled
  ## (only "strict" here).
  # graphite_tag_sanitize_mode = "strict"

  ## Character for separating metric name and field for Graphite tags
  # graphite_separator = "."

  ## Graphite templates patterns
  ## 1. Template for cpu
  ## 2. Template for disk*
  ## 3. Default template
  # templates = [
  #  "cpu tags.measurement.host.field",
  #  "disk* measurement.field",
  #  "host.measurement.tags.field"
  #]

  ## timeout for the connection and the write to graphite
  # timeout = "2s"

  ## Optional TLS Config
  # tls_ca = "/etc/telegraf/ca.pem"
  # tls_cert = "/etc/telegraf/cert.pem"
  # tls_key = "/etc/telegraf/key.pem"
  ## Use TLS but skip chain & host verification
  # insecure_skip_verify = false
"#;

/// Options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphiteConfig {
    /// `host:port` of each server.
    pub servers: Vec<String>,
    /// Local address to bind (not supported yet).
    pub local_address: String,
    /// Prefix of every path.
    pub prefix: String,
    /// Default template.
    pub template: String,
    /// `"filter template"` entries; an entry without a filter is the default template.
    pub templates: Vec<String>,
    /// Graphite 1.1 tags (`path;tag=value`).
    pub graphite_tag_support: bool,
    /// Only `strict` is implemented.
    pub graphite_tag_sanitize_mode: String,
    /// Separator between path parts in tag mode.
    pub graphite_separator: String,
    /// Custom strict sanitize regex (not supported yet).
    pub graphite_strict_sanitize_regex: String,
    /// Connect and write timeout (integer seconds or a duration string).
    pub timeout: Dur,
    /// PEM CA file (TLS when any TLS option is set).
    pub tls_ca: String,
    /// TLS.
    pub tls_cert: String,
    /// TLS.
    pub tls_key: String,
    /// TLS.
    pub insecure_skip_verify: bool,
}

impl Default for GraphiteConfig {
    fn default() -> Self {
        GraphiteConfig {
            servers: vec!["localhost:2003".into()],
            local_address: String::new(),
            prefix: String::new(),
            template: String::new(),
            templates: vec![],
            graphite_tag_support: false,
            graphite_tag_sanitize_mode: "strict".into(),
            graphite_separator: ".".into(),
            graphite_strict_sanitize_regex: String::new(),
            timeout: Dur(Duration::from_secs(2)),
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let c: GraphiteConfig = o.parse()?;
    let tls =
        crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify);
    let tls = if tls.enabled() {
        Some(
            tls.rustls_config()
                .map_err(|e| o.invalid_option("tls_ca", e.to_string()))?,
        )
    } else {
        None
    };
    if !c.local_address.is_empty() {
        return Err(o.not_supported("local_address"));
    }
    if !matches!(c.graphite_tag_sanitize_mode.as_str(), "" | "strict") {
        return Err(o.not_supported(format!(
            "graphite_tag_sanitize_mode = {:?}",
            c.graphite_tag_sanitize_mode
        )));
    }
    if !c.graphite_strict_sanitize_regex.is_empty() {
        return Err(o.not_supported("graphite_strict_sanitize_regex"));
    }
    if c.servers.is_empty() {
        return Err(o.invalid_option("servers", "at least one server is required"));
    }
    for s in &c.servers {
        if s.rsplit_once(':')
            .is_none_or(|(_, p)| p.parse::<u16>().is_err())
        {
            return Err(o.invalid_option("servers", format!("{s:?} is not host:port")));
        }
    }
    let ser = |template: Option<String>| {
        GraphiteSerializer::new(
            c.prefix.clone(),
            template,
            c.graphite_tag_support,
            c.graphite_separator.clone(),
        )
    };
    let mut default = ser(Some(c.template.clone()));
    let mut filtered = Vec::new();
    for t in &c.templates {
        let parts: Vec<&str> = t.split_whitespace().collect();
        match parts.as_slice() {
            [tmpl] => default = ser(Some((*tmpl).to_string())),
            [filter, tmpl] => filtered.push((Glob::new(filter), ser(Some((*tmpl).to_string())))),
            _ => {
                return Err(o.invalid_option(
                    "templates",
                    format!("{t:?}: expected \"[filter] template\""),
                ))
            }
        }
    }
    let timeout = if c.timeout.0.is_zero() {
        Duration::from_secs(2)
    } else {
        c.timeout.0
    };
    Ok(Box::new(Graphite {
        conns: c.servers.iter().map(|_| None).collect(),
        servers: c.servers,
        timeout,
        default,
        filtered,
        tls,
        next: 0,
    }))
}

/// The Graphite output.
pub struct Graphite {
    servers: Vec<String>,
    conns: Vec<Option<Conn>>,
    timeout: Duration,
    default: GraphiteSerializer,
    filtered: Vec<(Glob, GraphiteSerializer)>,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
    next: usize,
}

/// A connection to one server.
enum Conn {
    Plain(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>),
}

impl Conn {
    /// True when the peer has closed a plain connection (TLS: found out on write).
    fn closed(&self) -> bool {
        match self {
            Conn::Plain(s) => closed_by_peer(s),
            Conn::Tls(_) => false,
        }
    }

    async fn send(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.write_all(data).await,
            Conn::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
        }
    }

    async fn shutdown(&mut self) {
        let _ = match self {
            Conn::Plain(s) => s.shutdown().await,
            Conn::Tls(s) => s.shutdown().await,
        };
    }
}

/// True when the peer has closed the connection (reads EOF without blocking).
fn closed_by_peer(s: &tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 64];
    loop {
        match s.try_read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // graphite never answers; discard anything
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

impl Graphite {
    /// The plaintext lines of a batch, each metric with its template.
    pub fn serialize(&self, metrics: &[Metric]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in metrics {
            let ser = self
                .filtered
                .iter()
                .find(|(g, _)| g.matches(&m.name))
                .map_or(&self.default, |(_, s)| s);
            ser.serialize(std::slice::from_ref(m), &mut out);
        }
        out
    }

    /// Connects every server that has no live connection; the number connected.
    async fn connect_missing(&mut self) -> usize {
        for (i, server) in self.servers.iter().enumerate() {
            if self.conns[i].as_ref().is_some_and(|c| !c.closed()) {
                continue;
            }
            self.conns[i] = None;
            let tls = self.tls.clone();
            let dial = async move {
                let s = tokio::net::TcpStream::connect(server.as_str()).await?;
                Ok::<_, std::io::Error>(match tls {
                    Some(cfg) => Conn::Tls(Box::new(crate::tls::connect(cfg, server, s).await?)),
                    None => Conn::Plain(s),
                })
            };
            match tokio::time::timeout(self.timeout, dial).await {
                Ok(Ok(c)) => self.conns[i] = Some(c),
                Ok(Err(e)) => tracing::debug!("[outputs.graphite] connecting to {server}: {e}"),
                Err(_) => tracing::debug!("[outputs.graphite] connecting to {server}: timeout"),
            }
        }
        self.conns.iter().filter(|c| c.is_some()).count()
    }
}

#[async_trait]
impl Output for Graphite {
    async fn connect(&mut self) -> Result<(), PluginError> {
        if self.connect_missing().await == 0 {
            anyhow::bail!(
                "could not connect to any Graphite server in {:?}",
                self.servers
            );
        }
        Ok(())
    }

    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        let data = self.serialize(metrics);
        if data.is_empty() {
            return Ok(());
        }
        self.connect_missing().await;
        let n = self.servers.len();
        let start = self.next % n;
        self.next = (start + 1) % n;
        for k in 0..n {
            let i = (start + k) % n;
            let Some(conn) = self.conns[i].as_mut() else {
                continue;
            };
            match tokio::time::timeout(self.timeout, conn.send(&data)).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => {
                    tracing::warn!("[outputs.graphite] writing to {}: {e}", self.servers[i])
                }
                Err(_) => {
                    tracing::warn!("[outputs.graphite] writing to {}: timeout", self.servers[i])
                }
            }
            self.conns[i] = None;
        }
        anyhow::bail!("could not write to any Graphite server in cluster")
    }

    async fn close(&mut self) {
        for c in self.conns.iter_mut() {
            if let Some(mut s) = c.take() {
                s.shutdown().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn opts(body: &str) -> PluginOptions {
        PluginOptions::from_toml("outputs", "graphite", body).unwrap()
    }

    fn cpu(t: i64) -> Metric {
        Metric::new("cpu", t * 1_000_000_000)
            .with_tag("host", "h1")
            .with_tag("cpu", "cpu0")
            .with_field("usage_idle", 91.5)
    }

    type Lines = tokio::sync::mpsc::UnboundedReceiver<String>;

    /// A Graphite server collecting what it reads; sending `true` on the returned
    /// channel closes the listener and every connection.
    async fn server() -> (u16, Lines, tokio::sync::watch::Sender<bool>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut stop_accept = stop.clone();
            loop {
                let (mut s, _) = tokio::select! {
                    r = l.accept() => match r { Ok(c) => c, Err(_) => return },
                    _ = stop_accept.changed() => return,
                };
                let tx = tx.clone();
                let mut stop = stop.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let r = tokio::select! {
                            r = s.read(&mut buf) => r,
                            _ = stop.changed() => return,
                        };
                        match r {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
                            }
                        }
                    }
                });
            }
        });
        (port, rx, stop_tx)
    }

    async fn recv_text(rx: &mut Lines, want: usize) -> String {
        let mut s = String::new();
        while s.lines().count() < want {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                Ok(Some(t)) => s.push_str(&t),
                _ => break,
            }
        }
        s
    }

    #[test]
    fn templates_and_options() {
        let o = opts(
            "prefix=\"p\"\ntemplates=[\"cpu tags.measurement.host.field\", \"host.measurement.field\"]",
        );
        let g = build(&o).unwrap();
        drop(g);
        let c: GraphiteConfig = o.parse().unwrap();
        assert_eq!(c.timeout.0, Duration::from_secs(2));
        let g = Graphite {
            servers: vec!["a:1".into()],
            conns: vec![None],
            timeout: Duration::from_secs(1),
            default: GraphiteSerializer::new(
                "p".into(),
                Some("host.measurement.field".into()),
                false,
                ".".into(),
            ),
            filtered: vec![(
                Glob::new("cpu"),
                GraphiteSerializer::new(
                    "p".into(),
                    Some("tags.measurement.host.field".into()),
                    false,
                    ".".into(),
                ),
            )],
            tls: None,
            next: 0,
        };
        let mem = Metric::new("mem", 3_000_000_000)
            .with_tag("host", "h1")
            .with_field("used", 5i64);
        let out = String::from_utf8(g.serialize(&[cpu(2), mem])).unwrap();
        assert_eq!(out, "p.cpu0.cpu.h1.usage_idle 91.5 2\np.h1.mem.used 5 3\n");
        for bad in [
            "servers=[]",
            "servers=[\"nohost\"]",
            "templates=[\"a b c\"]",
            "graphite_tag_sanitize_mode=\"compatible\"",
            "tls_cert=\"/x\"",
            "tls_ca=\"/nonexistent/ca.pem\"",
            "bogus=1",
        ] {
            assert!(build(&opts(bad)).is_err(), "{bad}");
        }
        // integer seconds, as in older Telegraf samples
        let c: GraphiteConfig = opts("timeout=5").parse().unwrap();
        assert_eq!(c.timeout.0, Duration::from_secs(5));
    }

    #[tokio::test]
    async fn writes_tags_and_fails_over() {
        let (p1, mut rx1, h1) = server().await;
        let (p2, mut rx2, _h2) = server().await;
        let mut g = build(&opts(&format!(
            "servers=[\"127.0.0.1:{p1}\", \"127.0.0.1:{p2}\"]\ngraphite_tag_support=true"
        )))
        .unwrap();
        g.connect().await.unwrap();
        g.write(&[cpu(1)]).await.unwrap();
        g.write(&[cpu(2)]).await.unwrap();
        // load balanced: one batch each
        assert_eq!(
            recv_text(&mut rx1, 1).await,
            "cpu.usage_idle;cpu=cpu0;host=h1 91.5 1\n"
        );
        assert_eq!(
            recv_text(&mut rx2, 1).await,
            "cpu.usage_idle;cpu=cpu0;host=h1 91.5 2\n"
        );
        // server 1 goes away: everything lands on server 2
        h1.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        for t in 3..7 {
            g.write(&[cpu(t)]).await.unwrap();
        }
        let got = recv_text(&mut rx2, 4).await;
        assert_eq!(got.lines().count(), 4, "{got}");
    }

    #[tokio::test]
    async fn no_server_is_an_error() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let mut g = build(&opts(&format!(
            "servers=[\"127.0.0.1:{port}\"]\ntimeout=\"500ms\""
        )))
        .unwrap();
        assert!(g.connect().await.is_err());
        let e = g.write(&[cpu(1)]).await.unwrap_err().to_string();
        assert!(e.contains("could not write to any Graphite server"), "{e}");
    }
}
