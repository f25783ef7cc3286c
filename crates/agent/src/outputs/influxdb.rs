//! `outputs.influxdb`: InfluxDB 1.x `/write` (failover over several URLs, gzip, basic auth,
//! `CREATE DATABASE` unless `skip_database_creation`, partial writes not retried).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};
use crate::serializers::{InfluxSerializer, Serializer};
use crate::stats;

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "influxdb",
    description: "Configuration for sending metrics to InfluxDB 1.x",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[outputs.influxdb]]
  ## The full HTTP endpoint URL for your InfluxDB instance.
  ## Multiple URLs can be specified for a single cluster, only ONE of the
  ## urls will be written to each interval.
  urls = ["http://127.0.0.1:8086"]

  ## The target database for metrics; will be created as needed.
  database = "telegraf"

  ## If true, no CREATE DATABASE queries will be sent.
  # skip_database_creation = false

  ## Name of existing retention policy to write to.  Empty string writes to
  ## the default retention policy.
  # retention_policy = ""

  ## Timeout for HTTP messages.
  # timeout = "5s"

  ## HTTP Basic Auth
  # username = "telegraf"
  # password = "metricsmetricsmetricsmetrics"

  ## HTTP User-Agent
  # user_agent = "telegraf"

  ## HTTP Content-Encoding for write request body, can be set to "gzip" to
  ## compress body or "identity" to apply no encoding.
  # content_encoding = "gzip"

  ## When true, Telegraf will output unsigned integers as unsigned values,
  ## i.e.: "42u".
  # influx_uint_support = false

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
pub struct InfluxDbConfig {
    /// Endpoints (failover).
    pub urls: Vec<String>,
    /// Single endpoint (deprecated form).
    pub url: Option<String>,
    /// Database.
    pub database: String,
    /// Tag whose value selects the database.
    pub database_tag: String,
    /// Remove that tag before writing.
    pub exclude_database_tag: bool,
    /// Retention policy.
    pub retention_policy: String,
    /// Tag whose value selects the retention policy.
    pub retention_policy_tag: String,
    /// Remove that tag.
    pub exclude_retention_policy_tag: bool,
    /// Write consistency (clusters).
    pub write_consistency: String,
    /// Request timeout.
    pub timeout: Dur,
    /// Basic auth user.
    pub username: String,
    /// Basic auth password.
    pub password: String,
    /// User-Agent.
    pub user_agent: String,
    /// `gzip` or `identity`.
    pub content_encoding: String,
    /// Do not send CREATE DATABASE.
    pub skip_database_creation: bool,
    /// Write `u` integers.
    pub influx_uint_support: bool,
    /// Omit timestamps (not supported).
    pub influx_omit_timestamp: bool,
    /// Extra headers.
    pub http_headers: BTreeMap<String, String>,
    /// Proxy (not supported).
    pub http_proxy: String,
    /// TLS options (not supported).
    pub tls_ca: String,
    /// TLS.
    pub tls_cert: String,
    /// TLS.
    pub tls_key: String,
    /// TLS.
    pub insecure_skip_verify: bool,
    /// UDP payload (not supported).
    pub udp_payload: Option<String>,
}

impl Default for InfluxDbConfig {
    fn default() -> Self {
        InfluxDbConfig {
            urls: vec![],
            url: None,
            database: "telegraf".into(),
            database_tag: String::new(),
            exclude_database_tag: false,
            retention_policy: String::new(),
            retention_policy_tag: String::new(),
            exclude_retention_policy_tag: false,
            write_consistency: String::new(),
            timeout: Dur(std::time::Duration::from_secs(5)),
            username: String::new(),
            password: String::new(),
            user_agent: super::USER_AGENT.into(),
            content_encoding: "gzip".into(),
            skip_database_creation: false,
            influx_uint_support: false,
            influx_omit_timestamp: false,
            http_headers: BTreeMap::new(),
            http_proxy: String::new(),
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
            udp_payload: None,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let mut c: InfluxDbConfig = o.parse()?;
    if let Some(u) = c.url.take() {
        c.urls.push(u);
    }
    if c.urls.is_empty() {
        c.urls.push("http://localhost:8086".into());
    }
    for u in &c.urls {
        super::check_url(u).map_err(|m| o.invalid_option("urls", m))?;
    }
    if !c.http_proxy.is_empty() {
        return Err(o.not_supported("http_proxy"));
    }
    if c.influx_omit_timestamp {
        return Err(o.not_supported("influx_omit_timestamp"));
    }
    if !matches!(c.content_encoding.as_str(), "gzip" | "identity" | "") {
        return Err(o.invalid_option("content_encoding", "must be \"gzip\" or \"identity\""));
    }
    let tls =
        crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify);
    let client = super::client(c.timeout.0, &c.http_headers, &c.user_agent, &tls)
        .map_err(|m| o.invalid_option("http_headers", m))?;
    let alias = String::new();
    Ok(Box::new(InfluxDb {
        stats: stats::global().output("influxdb", &alias),
        serializer: InfluxSerializer {
            uint_support: c.influx_uint_support,
        },
        cfg: c,
        client,
        next_url: 0,
        created: std::collections::HashSet::new(),
    }))
}

/// The InfluxDB v1 output.
pub struct InfluxDb {
    cfg: InfluxDbConfig,
    client: reqwest::Client,
    serializer: InfluxSerializer,
    next_url: usize,
    created: std::collections::HashSet<(String, String)>,
    stats: stats::OutputStats,
}

/// What a failed write means.
#[derive(Debug, PartialEq)]
pub enum WriteOutcome {
    /// 2xx.
    Ok,
    /// 400 partial write / bad lines: the server stored what it could; do not retry.
    Rejected(String),
    /// Database missing: create it and retry.
    DatabaseNotFound,
    /// Anything else: retry later.
    Retry(String),
}

/// Classifies an InfluxDB write response.
pub fn classify(status: u16, body: &str) -> WriteOutcome {
    match status {
        200..=299 => WriteOutcome::Ok,
        404 if body.contains("database not found") => WriteOutcome::DatabaseNotFound,
        400 | 422 => WriteOutcome::Rejected(body.trim().to_string()),
        413 => WriteOutcome::Retry(format!("request too large: {}", body.trim())),
        _ => WriteOutcome::Retry(format!("{status}: {}", body.trim())),
    }
}

/// Number of lines a partial-write message says were dropped (`dropped=N`).
pub fn dropped_count(body: &str) -> Option<u64> {
    let i = body.find("dropped=")?;
    let digits: String = body[i + 8..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

impl InfluxDb {
    async fn create_database(&mut self, url: &str, db: &str) -> Result<(), PluginError> {
        if self.cfg.skip_database_creation {
            return Ok(());
        }
        let q = format!(
            "CREATE DATABASE \"{}\"",
            db.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let mut req = self
            .client
            .post(format!("{}/query", url.trim_end_matches('/')))
            .form(&[("q", q.as_str())]);
        if !self.cfg.username.is_empty() {
            req = req.basic_auth(&self.cfg.username, Some(&self.cfg.password));
        }
        let resp = req.send().await?;
        let st = resp.status();
        if !st.is_success() {
            let body = resp.text().await.unwrap_or_default();
            anyhow::bail!("CREATE DATABASE {db:?} failed: {st}: {}", body.trim());
        }
        self.created.insert((url.to_string(), db.to_string()));
        Ok(())
    }

    fn split_by_target(&self, metrics: &[Metric]) -> Vec<((String, String), Vec<Metric>)> {
        let mut groups: BTreeMap<(String, String), Vec<Metric>> = BTreeMap::new();
        for m in metrics {
            let mut m = m.clone();
            let db = if self.cfg.database_tag.is_empty() {
                None
            } else {
                let v = m.tags.get(&self.cfg.database_tag).cloned();
                if self.cfg.exclude_database_tag {
                    m.tags.remove(&self.cfg.database_tag);
                }
                v
            }
            .unwrap_or_else(|| self.cfg.database.clone());
            let rp = if self.cfg.retention_policy_tag.is_empty() {
                None
            } else {
                let v = m.tags.get(&self.cfg.retention_policy_tag).cloned();
                if self.cfg.exclude_retention_policy_tag {
                    m.tags.remove(&self.cfg.retention_policy_tag);
                }
                v
            }
            .unwrap_or_else(|| self.cfg.retention_policy.clone());
            groups.entry((db, rp)).or_default().push(m);
        }
        groups.into_iter().collect()
    }

    async fn write_to(
        &mut self,
        url: &str,
        db: &str,
        rp: &str,
        body: &[u8],
    ) -> Result<WriteOutcome, PluginError> {
        let mut params = vec![("db", db.to_string())];
        if !rp.is_empty() {
            params.push(("rp", rp.to_string()));
        }
        if !self.cfg.write_consistency.is_empty() {
            params.push(("consistency", self.cfg.write_consistency.clone()));
        }
        let mut req = self
            .client
            .post(format!("{}/write", url.trim_end_matches('/')))
            .query(&params)
            .header("Content-Type", "text/plain; charset=utf-8");
        if !self.cfg.username.is_empty() {
            req = req.basic_auth(&self.cfg.username, Some(&self.cfg.password));
        }
        let req = if self.cfg.content_encoding == "gzip" {
            req.header("Content-Encoding", "gzip")
                .body(super::gzip(body)?)
        } else {
            req.body(body.to_vec())
        };
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        Ok(classify(status, &text))
    }
}

#[async_trait]
impl Output for InfluxDb {
    async fn connect(&mut self) -> Result<(), PluginError> {
        if self.cfg.skip_database_creation || !self.cfg.database_tag.is_empty() {
            return Ok(());
        }
        let db = self.cfg.database.clone();
        for url in self.cfg.urls.clone() {
            if let Err(e) = self.create_database(&url, &db).await {
                // Telegraf only warns: the database may exist or the user may lack rights.
                tracing::warn!("[outputs.influxdb] when writing to [{url}]: {e:#}");
            }
        }
        Ok(())
    }

    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        let groups = self.split_by_target(metrics);
        for ((db, rp), ms) in groups {
            let mut body = Vec::new();
            self.serializer.serialize(&ms, &mut body);
            let n = self.cfg.urls.len();
            let mut last_err = None;
            let mut done = false;
            for k in 0..n {
                let url = self.cfg.urls[(self.next_url + k) % n].clone();
                let mut outcome = self.write_to(&url, &db, &rp, &body).await;
                if matches!(outcome, Ok(WriteOutcome::DatabaseNotFound))
                    && !self.cfg.skip_database_creation
                {
                    if let Err(e) = self.create_database(&url, &db).await {
                        last_err = Some(e);
                        continue;
                    }
                    outcome = self.write_to(&url, &db, &rp, &body).await;
                }
                match outcome {
                    Ok(WriteOutcome::Ok) => {
                        done = true;
                    }
                    Ok(WriteOutcome::Rejected(msg)) => {
                        let dropped = dropped_count(&msg).unwrap_or(ms.len() as u64);
                        self.stats.metrics_rejected.inc(dropped);
                        tracing::error!(
                            "[outputs.influxdb] when writing to [{url}]: {msg} (not retried)"
                        );
                        done = true;
                    }
                    Ok(WriteOutcome::DatabaseNotFound) => {
                        last_err = Some(anyhow::anyhow!("database {db:?} not found at {url}"));
                    }
                    Ok(WriteOutcome::Retry(m)) => {
                        last_err = Some(anyhow::anyhow!("{url}: {m}"));
                    }
                    Err(e) => last_err = Some(e),
                }
                if done {
                    break;
                }
                self.next_url = (self.next_url + 1) % n;
            }
            if !done {
                return Err(last_err.unwrap_or_else(|| {
                    anyhow::anyhow!("could not write to any server in cluster")
                }));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_responses() {
        assert_eq!(classify(204, ""), WriteOutcome::Ok);
        assert!(matches!(
            classify(
                400,
                "{\"error\":\"partial write: field type conflict dropped=2\"}"
            ),
            WriteOutcome::Rejected(_)
        ));
        assert_eq!(
            classify(404, "{\"error\":\"database not found: \\\"x\\\"\"}"),
            WriteOutcome::DatabaseNotFound
        );
        assert!(matches!(classify(503, "down"), WriteOutcome::Retry(_)));
        assert!(matches!(classify(500, ""), WriteOutcome::Retry(_)));
        assert_eq!(dropped_count("partial write: x dropped=2\"}"), Some(2));
        assert_eq!(dropped_count("nope"), None);
    }

    #[test]
    fn config_checks() {
        let ok = PluginOptions::from_toml(
            "outputs",
            "influxdb",
            "urls=[\"http://a:8086\"]\ndatabase=\"db\"",
        )
        .unwrap();
        assert!(build(&ok).is_ok());
        let tls =
            PluginOptions::from_toml("outputs", "influxdb", "urls=[\"https://a:8086\"]").unwrap();
        assert!(build(&tls).is_ok());
        let missing = PluginOptions::from_toml(
            "outputs",
            "influxdb",
            "urls=[\"https://a:8086\"]\ntls_ca=\"/nonexistent/ca.pem\"",
        )
        .unwrap();
        let e = build(&missing).err().unwrap().to_string();
        assert!(
            e.contains("tls_ca") || e.contains("/nonexistent/ca.pem"),
            "{e}"
        );
        let bad =
            PluginOptions::from_toml("outputs", "influxdb", "content_encoding=\"br\"").unwrap();
        assert!(build(&bad).is_err());
    }

    #[test]
    fn routes_by_database_tag() {
        let o = PluginOptions::from_toml(
            "outputs",
            "influxdb",
            "database_tag=\"db\"\nexclude_database_tag=true",
        )
        .unwrap();
        let c: InfluxDbConfig = o.parse().unwrap();
        let out = InfluxDb {
            cfg: c,
            client: reqwest::Client::new(),
            serializer: InfluxSerializer::default(),
            next_url: 0,
            created: Default::default(),
            stats: Default::default(),
        };
        let ms = [
            Metric::new("m", 1)
                .with_tag("db", "a")
                .with_field("v", 1i64),
            Metric::new("m", 1).with_field("v", 2i64),
        ];
        let g = out.split_by_target(&ms);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].0 .0, "a");
        assert!(!g[0].1[0].tags.contains_key("db"));
        assert_eq!(g[1].0 .0, "telegraf");
    }
}
