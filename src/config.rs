//! Server configuration: command-line flags, then `ALMANAC_*` environment
//! variables, then an optional TOML file (`--config`), then built-in defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

/// Flags of `almanac server`; every one can also come from the environment
/// variable shown, or from the same key (with `_` for `-`) in the TOML file.
#[derive(clap::Args, Debug, Default)]
pub struct ServerArgs {
    /// TOML configuration file; its keys are the long flag names with `_` (e.g. `data_dir = "/var/lib/almanac"`).
    #[arg(long, env = "ALMANAC_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for the WAL, Parquet files and the catalog [default: ./almanac-data].
    #[arg(long, env = "ALMANAC_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address the HTTP API listens on [default: 127.0.0.1:8086].
    #[arg(long, env = "ALMANAC_HTTP_BIND")]
    pub http_bind: Option<SocketAddr>,
    /// Largest request body accepted, after gzip decompression, in bytes [default: 25000000].
    #[arg(long, env = "ALMANAC_MAX_BODY_SIZE")]
    pub max_body_size: Option<usize>,
    /// Write-buffer memory that triggers persistence, in bytes; writers wait at twice this [default: 536870912].
    #[arg(long, env = "ALMANAC_BUFFER_LIMIT")]
    pub buffer_limit: Option<usize>,
    /// Rows in one partition's buffer that trigger writing it to Parquet [default: 2000000].
    #[arg(long, env = "ALMANAC_PERSIST_ROWS")]
    pub persist_rows: Option<usize>,
    /// Seconds buffered rows may wait before they are written to Parquet [default: 600].
    #[arg(long, env = "ALMANAC_PERSIST_AGE_SECS")]
    pub persist_age_secs: Option<u64>,
    /// Parquet files in one partition that trigger a compaction [default: 4].
    #[arg(long, env = "ALMANAC_COMPACTION_FILES")]
    pub compaction_files: Option<usize>,
    /// WAL segment size before a new segment is started, in bytes [default: 67108864].
    #[arg(long, env = "ALMANAC_WAL_SEGMENT_BYTES")]
    pub wal_segment_bytes: Option<u64>,
    /// Log filter (error, warn, info, debug, trace, or a tracing directive) [default: info].
    #[arg(long, env = "ALMANAC_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Require authentication and enforce user privileges, as InfluxDB's `auth-enabled` [default: false].
    #[arg(
        long,
        env = "ALMANAC_AUTH_ENABLED",
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub auth_enabled: Option<bool>,
    /// Secret that signs `Authorization: Bearer` JWTs (HS256); empty disables bearer auth.
    #[arg(long, env = "ALMANAC_SHARED_SECRET", hide_env_values = true)]
    pub shared_secret: Option<String>,
}

/// The TOML file: the same keys as the flags.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    http_bind: Option<SocketAddr>,
    max_body_size: Option<usize>,
    buffer_limit: Option<usize>,
    persist_rows: Option<usize>,
    persist_age_secs: Option<u64>,
    compaction_files: Option<usize>,
    wal_segment_bytes: Option<u64>,
    log_level: Option<String>,
    auth_enabled: Option<bool>,
    shared_secret: Option<String>,
    /// `[[udp]]` sections, as in influxdb.conf.
    #[serde(default)]
    udp: Vec<almanac_protocols::UdpConfig>,
    /// `[[graphite]]` sections.
    #[serde(default)]
    graphite: Vec<almanac_protocols::GraphiteConfig>,
    /// `[[collectd]]` sections.
    #[serde(default)]
    collectd: Vec<almanac_protocols::CollectdConfig>,
    /// `[[opentsdb]]` sections.
    #[serde(default)]
    opentsdb: Vec<almanac_protocols::OpenTsdbConfig>,
    /// `[continuous_queries]`, as in influxdb.conf.
    continuous_queries: Option<ContinuousQueriesSection>,
    /// `[udf.functions.NAME]` sections, as in kapacitor.conf.
    udf: Option<almanac_server::kapacitor::UdfConfig>,
    /// `[[httppost]]` endpoints, as in kapacitor.conf.
    #[serde(default)]
    httppost: Vec<almanac_server::kapacitor::HttpPostEndpoint>,
}

/// `[continuous_queries]`: `enabled`, `run-interval` (an InfluxQL duration
/// such as "1s"), `log-enabled`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ContinuousQueriesSection {
    enabled: Option<bool>,
    run_interval: Option<String>,
    log_enabled: Option<bool>,
}

/// Everything `almanac server` needs, resolved.
pub struct Settings {
    /// Server settings.
    pub server: almanac_server::ServerConfig,
    /// Log filter.
    pub log_level: String,
}

fn load_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
}

impl Settings {
    /// Applies the precedence flags > environment > file > defaults.
    pub fn resolve(args: ServerArgs) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./almanac-data"));
        let http_bind = args
            .http_bind
            .or(file.http_bind)
            .unwrap_or_else(|| "127.0.0.1:8086".parse().expect("valid default address"));
        let mut server = almanac_server::ServerConfig::new(data_dir, http_bind);
        if let Some(v) = args.max_body_size.or(file.max_body_size) {
            server.max_body_size = v;
        }
        server.listeners = almanac_server::ingest::ListenerConfigs {
            udp: file.udp,
            graphite: file.graphite,
            collectd: file.collectd,
            opentsdb: file.opentsdb,
        };
        if let Some(udf) = file.udf {
            server.udf = udf;
        }
        server.httppost = file.httppost;
        if let Some(cq) = file.continuous_queries {
            let c = &mut server.continuous_queries;
            c.enabled = cq.enabled.unwrap_or(c.enabled);
            c.log_enabled = cq.log_enabled.unwrap_or(c.log_enabled);
            if let Some(text) = cq.run_interval {
                let ns = almanac_influxql::parse_duration(&text)
                    .ok()
                    .filter(|ns| *ns > 0)
                    .with_context(|| {
                        format!("[continuous_queries] run-interval: invalid duration {text:?} (e.g. \"1s\")")
                    })?;
                c.run_interval = Duration::from_nanos(ns as u64);
            }
        }
        server.auth_enabled = args.auth_enabled.or(file.auth_enabled).unwrap_or(false);
        server.shared_secret = args
            .shared_secret
            .or(file.shared_secret)
            .unwrap_or_default();
        let storage = &mut server.storage;
        if let Some(v) = args.buffer_limit.or(file.buffer_limit) {
            storage.buffer_limit_bytes = v;
        }
        if let Some(v) = args.persist_rows.or(file.persist_rows) {
            storage.persist_rows = v;
        }
        if let Some(v) = args.persist_age_secs.or(file.persist_age_secs) {
            storage.persist_age = Duration::from_secs(v);
        }
        if let Some(v) = args.compaction_files.or(file.compaction_files) {
            storage.compaction_files = v.max(2);
        }
        if let Some(v) = args.wal_segment_bytes.or(file.wal_segment_bytes) {
            storage.wal_segment_bytes = v;
        }
        let log_level = args
            .log_level
            .or(file.log_level)
            .unwrap_or_else(|| "info".to_string());
        Ok(Settings { server, log_level })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("almanac-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("almanac.toml");
        std::fs::write(
            &path,
            "data_dir = \"/from/file\"\nhttp_bind = \"127.0.0.1:9999\"\npersist_rows = 5\n",
        )
        .unwrap();
        let args = ServerArgs {
            config: Some(path.clone()),
            http_bind: Some("127.0.0.1:1234".parse().unwrap()),
            ..Default::default()
        };
        let s = Settings::resolve(args).unwrap();
        assert_eq!(s.server.http_bind.port(), 1234);
        assert_eq!(s.server.storage.data_dir, PathBuf::from("/from/file"));
        assert_eq!(s.server.storage.persist_rows, 5);
        let defaults = Settings::resolve(ServerArgs::default()).unwrap();
        assert_eq!(
            defaults.server.storage.data_dir,
            PathBuf::from("./almanac-data")
        );
        assert_eq!(defaults.server.http_bind.to_string(), "127.0.0.1:8086");
        assert!(!defaults.server.auth_enabled);
        std::fs::write(&path, "auth_enabled = true\nshared_secret = \"k\"\n").unwrap();
        let auth = Settings::resolve(ServerArgs {
            config: Some(path.clone()),
            ..Default::default()
        })
        .unwrap();
        assert!(auth.server.auth_enabled);
        assert_eq!(auth.server.shared_secret, "k");
        std::fs::write(&path, "no_such_key = 1\n").unwrap();
        let err = Settings::resolve(ServerArgs {
            config: Some(path),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(format!("{err:#}").contains("no_such_key"), "{err:#}");
    }

    #[test]
    fn udf_functions_as_in_kapacitor_conf() {
        let file: FileConfig = toml::from_str(
            "[udf.functions.movingAvg]\nprog = \"/usr/bin/python3\"\nargs = [\"-u\", \"avg.py\"]\ntimeout = \"10s\"\n[udf.functions.movingAvg.env]\nPYTHONPATH = \"/x\"\n[udf.functions.sock]\nsocket = \"/tmp/a.sock\"\n",
        )
        .unwrap();
        let udf = file.udf.unwrap();
        let avg = &udf.functions["movingAvg"];
        assert_eq!(avg.args, ["-u", "avg.py"]);
        assert_eq!(avg.env["PYTHONPATH"], "/x");
        assert_eq!(udf.functions["sock"].socket, "/tmp/a.sock");
        assert!(toml::from_str::<FileConfig>("[udf.functions.x]\nprogram = \"y\"\n").is_err());
    }

    #[test]
    fn httppost_endpoints_as_in_kapacitor_conf() {
        let file: FileConfig = toml::from_str(
            "[[httppost]]\nendpoint = \"api-alert\"\nurl = \"http://mydomain.com/api/alerts\"\nheaders = { From = \"alerts@mydomain.com\" }\n[[httppost]]\nendpoint = \"rows\"\nurl = \"http://x/rows\"\nrow-template = \"{{.Name}}\"\n",
        )
        .unwrap();
        assert_eq!(file.httppost.len(), 2);
        assert_eq!(file.httppost[0].headers["From"], "alerts@mydomain.com");
        assert_eq!(file.httppost[1].row_template, "{{.Name}}");
        assert!(
            toml::from_str::<FileConfig>("[[httppost]]\nendpoint = \"a\"\nuri = \"x\"\n").is_err()
        );
    }
}
