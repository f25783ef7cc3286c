//! `inputs.prometheus`: scrapes Prometheus text endpoints.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::now_ns;
use crate::parsers::{Parser, PrometheusParser};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "prometheus",
    description: "Read metrics from one or many prometheus clients",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.prometheus]]
  ## An array of urls to scrape metrics from.
  urls = ["http://localhost:9100/metrics"]

  ## Metric version controls the mapping from Prometheus metrics into Telegraf metrics.
  # metric_version = 1

  ## Url tag name (tag containing scrapped url. optional, default is "url")
  # url_tag = "url"

  ## Specify timeout duration for slower prometheus clients (default is 5s)
  # timeout = "5s"

  ## Optional HTTP Basic Auth Credentials / bearer token
  # username = ""
  # password = ""
  # bearer_token_string = ""

  ## Optional TLS Config
  # tls_ca = "/etc/telegraf/ca.pem"
  # tls_cert = "/etc/telegraf/cert.pem"
  # tls_key = "/etc/telegraf/key.pem"
  ## Use TLS but skip chain & host verification
  # insecure_skip_verify = false
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct PromConfig {
    urls: Vec<String>,
    metric_version: i64,
    url_tag: String,
    timeout: Dur,
    response_timeout: Option<Dur>,
    username: String,
    password: String,
    bearer_token_string: String,
    monitor_kubernetes_pods: bool,
    kubernetes_services: Vec<String>,
    tls_ca: String,
    tls_cert: String,
    tls_key: String,
    insecure_skip_verify: bool,
}

impl Default for PromConfig {
    fn default() -> Self {
        PromConfig {
            urls: vec![],
            metric_version: 1,
            url_tag: "url".into(),
            timeout: Dur(Duration::from_secs(5)),
            response_timeout: None,
            username: String::new(),
            password: String::new(),
            bearer_token_string: String::new(),
            monitor_kubernetes_pods: false,
            kubernetes_services: vec![],
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

fn tls(c: &PromConfig) -> crate::tls::ClientTls {
    crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify)
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: PromConfig = o.parse()?;
    if c.monitor_kubernetes_pods || !c.kubernetes_services.is_empty() {
        return Err(o.not_supported("kubernetes service discovery"));
    }
    if !matches!(c.metric_version, 1 | 2) {
        return Err(o.invalid_option("metric_version", "must be 1 or 2"));
    }
    for u in &c.urls {
        crate::outputs::check_url(u).map_err(|m| o.invalid_option("urls", m))?;
    }
    let t = c.response_timeout.unwrap_or(c.timeout).0;
    let client =
        crate::outputs::client(t, &Default::default(), crate::outputs::USER_AGENT, &tls(&c))
            .map_err(|m| o.invalid_option("timeout", m))?;
    Ok(Box::new(Prometheus {
        parser: PrometheusParser {
            v2: c.metric_version == 2,
        },
        cfg: c,
        client,
    }))
}

/// The prometheus input.
pub struct Prometheus {
    cfg: PromConfig,
    client: reqwest::Client,
    parser: PrometheusParser,
}

#[async_trait]
impl Input for Prometheus {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for url in &self.cfg.urls {
            let mut req = self
                .client
                .get(url)
                .header("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1");
            if !self.cfg.username.is_empty() {
                req = req.basic_auth(&self.cfg.username, Some(&self.cfg.password));
            }
            if !self.cfg.bearer_token_string.is_empty() {
                req = req.bearer_auth(&self.cfg.bearer_token_string);
            }
            let body = match req.send().await.and_then(|r| r.error_for_status()) {
                Ok(r) => r.bytes().await?,
                Err(e) => {
                    acc.add_error(format!("error making HTTP request to {url}: {e}"));
                    continue;
                }
            };
            match self.parser.parse(&body, now_ns()) {
                Ok(ms) => {
                    for mut m in ms {
                        if !self.cfg.url_tag.is_empty() {
                            m.add_tag(self.cfg.url_tag.clone(), url.clone());
                        }
                        acc.add(m);
                    }
                }
                Err(e) => acc.add_error(format!("parsing {url}: {e}")),
            }
        }
        Ok(())
    }
}
