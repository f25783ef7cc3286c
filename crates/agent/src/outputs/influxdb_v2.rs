//! `outputs.influxdb_v2`: InfluxDB 2.x `/api/v2/write` with token, organization and bucket.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};
use crate::serializers::{InfluxSerializer, Serializer};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "influxdb_v2",
    description: "Configuration for sending metrics to InfluxDB 2.0",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[outputs.influxdb_v2]]
  ## The URLs of the InfluxDB cluster nodes.
  urls = ["http://127.0.0.1:8086"]

  ## Token for authentication.
  token = ""

  ## Organization is the name of the organization you wish to write to.
  organization = ""

  ## Destination bucket to write into.
  bucket = ""

  ## The value of this tag will be used to determine the bucket.
  # bucket_tag = ""
  # exclude_bucket_tag = false

  ## Timeout for HTTP messages.
  # timeout = "5s"

  ## Content-Encoding for write request body, can be set to "gzip" to
  ## compress body or "identity" to apply no encoding.
  # content_encoding = "gzip"

  ## Enable or disable uint support for writing uints influxdb 2.0.
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
pub struct InfluxDbV2Config {
    /// Endpoints.
    pub urls: Vec<String>,
    /// API token.
    pub token: String,
    /// Organization.
    pub organization: String,
    /// Bucket.
    pub bucket: String,
    /// Tag selecting the bucket.
    pub bucket_tag: String,
    /// Remove that tag.
    pub exclude_bucket_tag: bool,
    /// Timeout.
    pub timeout: Dur,
    /// Extra headers.
    pub http_headers: BTreeMap<String, String>,
    /// User-Agent.
    pub user_agent: String,
    /// `gzip` or `identity`.
    pub content_encoding: String,
    /// `u` integers.
    pub influx_uint_support: bool,
    /// Omit timestamps (not supported).
    pub influx_omit_timestamp: bool,
    /// Proxy (not supported).
    pub http_proxy: String,
    /// TLS (not supported).
    pub tls_ca: String,
    /// TLS.
    pub tls_cert: String,
    /// TLS.
    pub tls_key: String,
    /// TLS.
    pub insecure_skip_verify: bool,
}

impl Default for InfluxDbV2Config {
    fn default() -> Self {
        InfluxDbV2Config {
            urls: vec!["http://localhost:8086".into()],
            token: String::new(),
            organization: String::new(),
            bucket: String::new(),
            bucket_tag: String::new(),
            exclude_bucket_tag: false,
            timeout: Dur(std::time::Duration::from_secs(5)),
            http_headers: BTreeMap::new(),
            user_agent: super::USER_AGENT.into(),
            content_encoding: "gzip".into(),
            influx_uint_support: false,
            influx_omit_timestamp: false,
            http_proxy: String::new(),
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let c: InfluxDbV2Config = o.parse()?;
    for u in &c.urls {
        super::check_url(u).map_err(|m| o.invalid_option("urls", m))?;
    }
    if !c.http_proxy.is_empty() || c.influx_omit_timestamp {
        return Err(o.not_supported("http_proxy / influx_omit_timestamp"));
    }
    let tls =
        crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify);
    let client = super::client(c.timeout.0, &c.http_headers, &c.user_agent, &tls)
        .map_err(|m| o.invalid_option("http_headers", m))?;
    Ok(Box::new(InfluxDbV2 {
        serializer: InfluxSerializer {
            uint_support: c.influx_uint_support,
        },
        cfg: c,
        client,
        next_url: 0,
    }))
}

/// The InfluxDB v2 output.
pub struct InfluxDbV2 {
    cfg: InfluxDbV2Config,
    client: reqwest::Client,
    serializer: InfluxSerializer,
    next_url: usize,
}

#[async_trait]
impl Output for InfluxDbV2 {
    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        let mut groups: BTreeMap<String, Vec<Metric>> = BTreeMap::new();
        for m in metrics {
            let mut m = m.clone();
            let mut bucket = self.cfg.bucket.clone();
            if !self.cfg.bucket_tag.is_empty() {
                if let Some(b) = m.tags.get(&self.cfg.bucket_tag).cloned() {
                    bucket = b;
                }
                if self.cfg.exclude_bucket_tag {
                    m.tags.remove(&self.cfg.bucket_tag);
                }
            }
            groups.entry(bucket).or_default().push(m);
        }
        for (bucket, ms) in groups {
            let mut body = Vec::new();
            self.serializer.serialize(&ms, &mut body);
            let payload = if self.cfg.content_encoding == "gzip" {
                super::gzip(&body)?
            } else {
                body
            };
            let n = self.cfg.urls.len().max(1);
            let mut last = None;
            let mut ok = false;
            for k in 0..n {
                let url = self.cfg.urls[(self.next_url + k) % n].clone();
                let mut req = self
                    .client
                    .post(format!("{}/api/v2/write", url.trim_end_matches('/')))
                    .query(&[
                        ("org", self.cfg.organization.as_str()),
                        ("bucket", bucket.as_str()),
                    ])
                    .header("Content-Type", "text/plain; charset=utf-8")
                    .body(payload.clone());
                if !self.cfg.token.is_empty() {
                    req = req.header("Authorization", format!("Token {}", self.cfg.token));
                }
                if self.cfg.content_encoding == "gzip" {
                    req = req.header("Content-Encoding", "gzip");
                }
                match req.send().await {
                    Ok(resp) => {
                        let st = resp.status().as_u16();
                        let text = resp.text().await.unwrap_or_default();
                        match st {
                            200..=299 => ok = true,
                            400 | 422 => {
                                tracing::error!("[outputs.influxdb_v2] failed to write metric to {bucket} (will be dropped: {st}): {}", text.trim());
                                ok = true;
                            }
                            _ => last = Some(anyhow::anyhow!("{url}: {st}: {}", text.trim())),
                        }
                    }
                    Err(e) => last = Some(e.into()),
                }
                if ok {
                    break;
                }
                self.next_url = (self.next_url + 1) % n;
            }
            if !ok {
                return Err(last.unwrap_or_else(|| anyhow::anyhow!("no urls")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config() {
        let o = PluginOptions::from_toml(
            "outputs",
            "influxdb_v2",
            "urls=[\"http://x:8086\"]\ntoken=\"t\"\norganization=\"o\"\nbucket=\"b\"",
        )
        .unwrap();
        assert!(build(&o).is_ok());
        let o = PluginOptions::from_toml("outputs", "influxdb_v2", "tokn=\"t\"").unwrap();
        let e = build(&o).err().unwrap().to_string();
        assert!(e.contains("tokn"), "{e}");
    }

    #[tokio::test]
    async fn writes_with_token_org_bucket_and_gzip() {
        use std::io::Read;
        use std::sync::{Arc, Mutex};
        let seen: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
        let s2 = seen.clone();
        let app = axum::Router::new().route(
            "/api/v2/write",
            axum::routing::post(
                move |q: axum::extract::RawQuery,
                      h: axum::http::HeaderMap,
                      body: axum::body::Bytes| {
                    let s2 = s2.clone();
                    async move {
                        let mut text = String::new();
                        flate2::read::GzDecoder::new(&body[..])
                            .read_to_string(&mut text)
                            .unwrap();
                        let auth = h
                            .get("authorization")
                            .unwrap()
                            .to_str()
                            .unwrap()
                            .to_string();
                        s2.lock()
                            .unwrap()
                            .push((q.0.unwrap_or_default(), auth, text));
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            ),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.ok() });
        let toml = format!("urls=[\"http://{addr}\"]\ntoken=\"sekret\"\norganization=\"acme\"\nbucket=\"b1\"\nbucket_tag=\"bk\"\nexclude_bucket_tag=true");
        let mut o =
            build(&PluginOptions::from_toml("outputs", "influxdb_v2", &toml).unwrap()).unwrap();
        o.write(&[
            Metric::new("m", 1).with_field("v", 1i64),
            Metric::new("m", 2)
                .with_tag("bk", "b2")
                .with_field("v", 2i64),
        ])
        .await
        .unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "one request per bucket");
        assert!(seen.iter().all(|(_, a, _)| a == "Token sekret"));
        let b2 = seen
            .iter()
            .find(|(q, _, _)| q.contains("bucket=b2"))
            .unwrap();
        assert!(b2.0.contains("org=acme"));
        assert_eq!(b2.2, "m v=2i 2\n", "bucket tag removed");
    }
}
