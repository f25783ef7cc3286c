//! `inputs.http`: fetches URLs and parses the bodies with `data_format`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::now_ns;
use crate::parsers::Parser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "http",
    description: "Read formatted metrics from one or more HTTP endpoints",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.http]]
  ## One or more URLs from which to read formatted metrics.
  urls = ["http://localhost/metrics"]

  ## HTTP method
  # method = "GET"

  ## Optional HTTP headers
  # headers = {"X-Special-Header" = "Special-Value"}

  ## Optional HTTP Basic Auth Credentials
  # username = "username"
  # password = "pa$$word"

  ## HTTP entity-body to send with POST/PUT requests.
  # body = ""

  ## Amount of time allowed to complete the HTTP request
  # timeout = "5s"

  ## List of success status codes
  # success_status_codes = [200]

  ## Data format to consume.
  data_format = "influx"

  ## Optional TLS Config
  # tls_ca = "/etc/telegraf/ca.pem"
  # tls_cert = "/etc/telegraf/cert.pem"
  # tls_key = "/etc/telegraf/key.pem"
  ## Use TLS but skip chain & host verification
  # insecure_skip_verify = false
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct HttpConfig {
    urls: Vec<String>,
    method: String,
    headers: BTreeMap<String, String>,
    username: String,
    password: String,
    token: String,
    body: String,
    content_encoding: String,
    timeout: Dur,
    success_status_codes: Vec<u16>,
    tls_ca: String,
    tls_cert: String,
    tls_key: String,
    insecure_skip_verify: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            urls: vec![],
            method: "GET".into(),
            headers: BTreeMap::new(),
            username: String::new(),
            password: String::new(),
            token: String::new(),
            body: String::new(),
            content_encoding: String::new(),
            timeout: Dur(Duration::from_secs(5)),
            success_status_codes: vec![200],
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

fn tls(c: &HttpConfig) -> crate::tls::ClientTls {
    crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify)
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: HttpConfig = o.parse()?;
    for u in &c.urls {
        crate::outputs::check_url(u).map_err(|m| o.invalid_option("urls", m))?;
    }
    let method = reqwest::Method::from_bytes(c.method.to_uppercase().as_bytes())
        .map_err(|_| o.invalid_option("method", "invalid method"))?;
    let client = crate::outputs::client(
        c.timeout.0,
        &c.headers,
        crate::outputs::USER_AGENT,
        &tls(&c),
    )
    .map_err(|m| o.invalid_option("headers", m))?;
    Ok(Box::new(HttpInput {
        parser: o.parser()?,
        cfg: c,
        client,
        method,
    }))
}

/// The http input.
pub struct HttpInput {
    cfg: HttpConfig,
    client: reqwest::Client,
    method: reqwest::Method,
    parser: Box<dyn Parser>,
}

#[async_trait]
impl Input for HttpInput {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for url in &self.cfg.urls {
            let mut req = self.client.request(self.method.clone(), url);
            if !self.cfg.username.is_empty() {
                req = req.basic_auth(&self.cfg.username, Some(&self.cfg.password));
            }
            if !self.cfg.token.is_empty() {
                req = req.bearer_auth(&self.cfg.token);
            }
            if !self.cfg.body.is_empty() {
                req = req.body(self.cfg.body.clone());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    acc.add_error(format!("[url={url}]: {e}"));
                    continue;
                }
            };
            let st = resp.status().as_u16();
            if !self.cfg.success_status_codes.contains(&st) {
                acc.add_error(format!(
                    "[url={url}]: received status code {st}, expected any value out of {:?}",
                    self.cfg.success_status_codes
                ));
                continue;
            }
            let body = resp.bytes().await?;
            match self.parser.parse(&body, now_ns()) {
                Ok(ms) => {
                    for mut m in ms {
                        m.tags.entry("url".into()).or_insert_with(|| url.clone());
                        acc.add(m);
                    }
                }
                Err(e) => acc.add_error(format!("[url={url}]: parsing: {e}")),
            }
        }
        Ok(())
    }
}
