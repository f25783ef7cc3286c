//! Configuration sections, with the key names and defaults of `influxdb.conf`
//! (`[[udp]]`, `[[graphite]]`, `[[collectd]]`, `[[opentsdb]]`).
//!
//! Durations are Go-style strings (`"1s"`, `"200ms"`, `"1m30s"`), as InfluxDB
//! writes them. Missing keys take InfluxDB's defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Go-style duration strings for serde (`"10s"`, `"1m30s"`, `"500ms"`).
pub mod go_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Parses `"1h2m3.5s"`-style durations (units ns, us, µs, ms, s, m, h).
    /// A bare `"0"` is zero. Negative durations are rejected.
    pub fn parse(s: &str) -> Result<Duration, String> {
        let s = s.trim();
        if s == "0" || s.is_empty() {
            return Ok(Duration::ZERO);
        }
        let bad = || format!("time: invalid duration {s:?}");
        let mut rest = s;
        let mut total_ns: f64 = 0.0;
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            if num_len == 0 {
                return Err(bad());
            }
            let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
            rest = &rest[num_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let unit = match &rest[..unit_len] {
                "ns" => 1.0,
                "us" | "µs" | "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => return Err(bad()),
            };
            rest = &rest[unit_len..];
            total_ns += value * unit;
        }
        if !total_ns.is_finite() || total_ns > u64::MAX as f64 {
            return Err(bad());
        }
        Ok(Duration::from_nanos(total_ns as u64))
    }

    /// Formats like Go's `time.Duration.String` for whole units (`"1s"`, `"10s"`, `"1.5s"`).
    pub fn format(d: Duration) -> String {
        let ns = d.as_nanos();
        if ns == 0 {
            "0s".to_string()
        } else if ns.is_multiple_of(1_000_000_000) {
            format!("{}s", ns / 1_000_000_000)
        } else if ns.is_multiple_of(1_000_000) {
            format!("{}ms", ns / 1_000_000)
        } else if ns.is_multiple_of(1_000) {
            format!("{}us", ns / 1_000)
        } else {
            format!("{ns}ns")
        }
    }

    /// serde deserializer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).map_err(serde::de::Error::custom)
    }

    /// serde serializer.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*d))
    }
}

/// `[[udp]]`: line protocol in UDP datagrams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default, rename_all = "kebab-case")]
pub struct UdpConfig {
    /// Whether the listener runs.
    pub enabled: bool,
    /// Address to listen on (default `":8089"`).
    pub bind_address: String,
    /// Target database (default `"udp"`).
    pub database: String,
    /// Target retention policy (empty: the database's default).
    pub retention_policy: String,
    /// Timestamp precision of incoming lines (`""`/`"n"`, `"u"`, `"ms"`, `"s"`, `"m"`, `"h"`).
    pub precision: String,
    /// Points per batch written to storage (default 5000).
    pub batch_size: usize,
    /// Batches that may wait for storage at once (default 10).
    pub batch_pending: usize,
    /// A batch is written at the latest this long after its first point (default 1s).
    #[serde(with = "go_duration")]
    pub batch_timeout: Duration,
    /// OS receive buffer in bytes (0: the OS default).
    pub read_buffer: usize,
    /// Largest datagram accepted (default 65536).
    pub udp_payload_size: usize,
}

impl Default for UdpConfig {
    fn default() -> Self {
        UdpConfig {
            enabled: false,
            bind_address: ":8089".into(),
            database: "udp".into(),
            retention_policy: String::new(),
            precision: String::new(),
            batch_size: 5000,
            batch_pending: 10,
            batch_timeout: Duration::from_secs(1),
            read_buffer: 0,
            udp_payload_size: 65536,
        }
    }
}

/// `[[graphite]]`: Graphite plaintext protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default, rename_all = "kebab-case")]
pub struct GraphiteConfig {
    /// Whether the listener runs.
    pub enabled: bool,
    /// Address to listen on (default `":2003"`).
    pub bind_address: String,
    /// Target database (default `"graphite"`).
    pub database: String,
    /// Target retention policy (empty: the database's default).
    pub retention_policy: String,
    /// `"tcp"` (default) or `"udp"`.
    pub protocol: String,
    /// Points per batch (default 5000).
    pub batch_size: usize,
    /// Batches that may wait for storage at once (default 10).
    pub batch_pending: usize,
    /// Batch timeout (default 1s).
    #[serde(with = "go_duration")]
    pub batch_timeout: Duration,
    /// Write consistency (`"one"`; only meaningful in a cluster).
    pub consistency_level: String,
    /// Joins several `measurement`/`field` parts (default `"."`).
    pub separator: String,
    /// Templates: `[filter] template [tag1=v1,tag2=v2]`.
    pub templates: Vec<String>,
    /// Extra tags `"k=v"` added to every point that lacks them.
    pub tags: Vec<String>,
    /// OS receive buffer for UDP (0: the OS default).
    pub udp_read_buffer: usize,
}

impl Default for GraphiteConfig {
    fn default() -> Self {
        GraphiteConfig {
            enabled: false,
            bind_address: ":2003".into(),
            database: "graphite".into(),
            retention_policy: String::new(),
            protocol: "tcp".into(),
            batch_size: 5000,
            batch_pending: 10,
            batch_timeout: Duration::from_secs(1),
            consistency_level: "one".into(),
            separator: ".".into(),
            templates: Vec::new(),
            tags: Vec::new(),
            udp_read_buffer: 0,
        }
    }
}

/// collectd `security-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SecurityLevel {
    /// Accept everything (signed parts are not checked, encrypted parts are
    /// decrypted when the user is in the auth file).
    #[default]
    None,
    /// Accept only signed (HMAC-SHA256) or encrypted data.
    Sign,
    /// Accept only encrypted data.
    Encrypt,
}

/// collectd `parse-multivalue-plugin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ParseMultiValuePlugin {
    /// One point per value: measurement `<plugin>_<dsname>`, field `value`.
    #[default]
    Split,
    /// One point per value list: measurement `<plugin>`, one field per data source.
    Join,
}

/// `[[collectd]]`: collectd's binary network protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default, rename_all = "kebab-case")]
pub struct CollectdConfig {
    /// Whether the listener runs.
    pub enabled: bool,
    /// Address to listen on (default `":25826"`).
    pub bind_address: String,
    /// Target database (default `"collectd"`).
    pub database: String,
    /// Target retention policy (empty: the database's default).
    pub retention_policy: String,
    /// Points per batch (default 5000).
    pub batch_size: usize,
    /// Batches that may wait for storage at once (default 10).
    pub batch_pending: usize,
    /// Batch timeout (default 10s).
    #[serde(with = "go_duration")]
    pub batch_timeout: Duration,
    /// OS receive buffer (0: the OS default).
    pub read_buffer: usize,
    /// Path of `types.db` (a file or a directory of files; default
    /// `/usr/share/collectd/types.db`).
    pub typesdb: String,
    /// `none`, `sign` or `encrypt`.
    pub security_level: SecurityLevel,
    /// `user: password` file for `sign`/`encrypt` (default `/etc/collectd/auth_file`).
    pub auth_file: String,
    /// `split` (default) or `join`.
    pub parse_multivalue_plugin: ParseMultiValuePlugin,
}

impl Default for CollectdConfig {
    fn default() -> Self {
        CollectdConfig {
            enabled: false,
            bind_address: ":25826".into(),
            database: "collectd".into(),
            retention_policy: String::new(),
            batch_size: 5000,
            batch_pending: 10,
            batch_timeout: Duration::from_secs(10),
            read_buffer: 0,
            typesdb: "/usr/share/collectd/types.db".into(),
            security_level: SecurityLevel::None,
            auth_file: "/etc/collectd/auth_file".into(),
            parse_multivalue_plugin: ParseMultiValuePlugin::Split,
        }
    }
}

/// `[[opentsdb]]`: OpenTSDB telnet `put` and HTTP `/api/put`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default, rename_all = "kebab-case")]
pub struct OpenTsdbConfig {
    /// Whether the listener runs.
    pub enabled: bool,
    /// Address to listen on (default `":4242"`).
    pub bind_address: String,
    /// Target database (default `"opentsdb"`).
    pub database: String,
    /// Target retention policy (empty: the database's default).
    pub retention_policy: String,
    /// Write consistency (`"one"`; only meaningful in a cluster).
    pub consistency_level: String,
    /// TLS on the listener (not supported yet).
    pub tls_enabled: bool,
    /// PEM file with certificate and key for TLS.
    pub certificate: String,
    /// Points per batch (default 1000).
    pub batch_size: usize,
    /// Batches that may wait for storage at once (default 5).
    pub batch_pending: usize,
    /// Batch timeout (default 1s).
    #[serde(with = "go_duration")]
    pub batch_timeout: Duration,
    /// Log every malformed line (default true).
    pub log_point_errors: bool,
}

impl Default for OpenTsdbConfig {
    fn default() -> Self {
        OpenTsdbConfig {
            enabled: false,
            bind_address: ":4242".into(),
            database: "opentsdb".into(),
            retention_policy: String::new(),
            consistency_level: "one".into(),
            tls_enabled: false,
            certificate: "/etc/ssl/influxdb.pem".into(),
            batch_size: 1000,
            batch_pending: 5,
            batch_timeout: Duration::from_secs(1),
            log_point_errors: true,
        }
    }
}

/// `Some(rp)` unless the configured retention policy is empty.
pub(crate) fn rp_option(rp: &str) -> Option<String> {
    if rp.is_empty() {
        None
    } else {
        Some(rp.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(go_duration::parse("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(
            go_duration::parse("1m30s").unwrap(),
            Duration::from_secs(90)
        );
        assert_eq!(
            go_duration::parse("1.5ms").unwrap(),
            Duration::from_micros(1500)
        );
        assert_eq!(go_duration::parse("0").unwrap(), Duration::ZERO);
        assert!(go_duration::parse("10").is_err());
        assert!(go_duration::parse("1x").is_err());
        assert!(go_duration::parse("-1s").is_err());
        assert_eq!(go_duration::format(Duration::from_millis(200)), "200ms");
    }

    #[test]
    fn sections_parse_with_influxdb_key_names() {
        #[derive(Deserialize)]
        struct File {
            udp: Vec<UdpConfig>,
            graphite: Vec<GraphiteConfig>,
            collectd: Vec<CollectdConfig>,
            opentsdb: Vec<OpenTsdbConfig>,
        }
        let text = r#"
[[udp]]
  enabled = true
  bind-address = ":8090"
  database = "udpdb"
  retention-policy = "short"
  precision = "s"
  batch-size = 10
  batch-pending = 2
  batch-timeout = "50ms"
  read-buffer = 1024

[[graphite]]
  enabled = true
  bind-address = ":2004"
  database = "g"
  protocol = "udp"
  consistency-level = "one"
  separator = "_"
  templates = ["*.app env.service.resource.measurement", "server.*"]
  tags = ["region=us-east"]

[[collectd]]
  enabled = true
  typesdb = "/tmp/types.db"
  security-level = "sign"
  auth-file = "/tmp/auth"
  parse-multivalue-plugin = "join"
  batch-timeout = "1s"

[[opentsdb]]
  enabled = true
  log-point-errors = false
"#;
        let f: File = toml::from_str(text).unwrap();
        assert_eq!(f.udp[0].bind_address, ":8090");
        assert_eq!(f.udp[0].batch_timeout, Duration::from_millis(50));
        assert_eq!(f.udp[0].udp_payload_size, 65536);
        assert_eq!(f.graphite[0].separator, "_");
        assert_eq!(f.graphite[0].templates.len(), 2);
        assert_eq!(f.graphite[0].batch_size, 5000);
        assert_eq!(f.collectd[0].security_level, SecurityLevel::Sign);
        assert_eq!(
            f.collectd[0].parse_multivalue_plugin,
            ParseMultiValuePlugin::Join
        );
        assert_eq!(f.collectd[0].database, "collectd");
        assert!(!f.opentsdb[0].log_point_errors);
        assert_eq!(f.opentsdb[0].batch_size, 1000);
        assert_eq!(f.opentsdb[0].bind_address, ":4242");

        let bad = "[[collectd]]\nsecurity-level = \"paranoid\"\n";
        assert!(
            toml::from_str::<File>(&format!("udp=[]\ngraphite=[]\nopentsdb=[]\n{bad}")).is_err()
        );
    }
}
