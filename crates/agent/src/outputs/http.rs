//! `outputs.http`: POSTs serialized batches to a URL.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};
use crate::serializers::Serializer;

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "http",
    description: "A plugin that can transmit metrics over HTTP",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[outputs.http]]
  ## URL is the address to send metrics to
  url = "http://127.0.0.1:8080/telegraf"

  ## Timeout for HTTP message
  # timeout = "5s"

  ## HTTP method, one of: "POST" or "PUT" or "PATCH"
  # method = "POST"

  ## HTTP Basic Auth credentials
  # username = "username"
  # password = "pa$$word"

  ## Data format to output.
  # data_format = "influx"

  ## Use batch serialization format (default) instead of line based format.
  # use_batch_format = true

  ## HTTP Content-Encoding for write request body, can be set to "gzip" to
  ## compress body or "identity" to apply no encoding.
  # content_encoding = "identity"

  ## Additional HTTP headers
  # [outputs.http.headers]
  #   Content-Type = "text/plain; charset=utf-8"

  ## List of status codes that are not retried (the batch is dropped).
  # non_retryable_statuscodes = [409, 413]

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
pub struct HttpConfig {
    /// Target URL.
    pub url: String,
    /// Timeout.
    pub timeout: Dur,
    /// Method.
    pub method: String,
    /// Basic auth.
    pub username: String,
    /// Basic auth.
    pub password: String,
    /// `gzip` or `identity`.
    pub content_encoding: String,
    /// Extra headers.
    pub headers: BTreeMap<String, String>,
    /// Statuses that drop the batch instead of retrying.
    pub non_retryable_statuscodes: Vec<u16>,
    /// Idle connection timeout (accepted).
    pub idle_conn_timeout: Option<Dur>,
    /// TLS (not supported).
    pub tls_ca: String,
    /// TLS.
    pub tls_cert: String,
    /// TLS.
    pub tls_key: String,
    /// TLS.
    pub insecure_skip_verify: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            url: "http://127.0.0.1:8080/telegraf".into(),
            timeout: Dur(std::time::Duration::from_secs(5)),
            method: "POST".into(),
            username: String::new(),
            password: String::new(),
            content_encoding: "identity".into(),
            headers: BTreeMap::new(),
            non_retryable_statuscodes: vec![],
            idle_conn_timeout: None,
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let c: HttpConfig = o.parse()?;
    super::check_url(&c.url).map_err(|m| o.invalid_option("url", m))?;
    let method = reqwest::Method::from_bytes(c.method.to_uppercase().as_bytes())
        .map_err(|_| o.invalid_option("method", "invalid HTTP method"))?;
    let ser = o.serializer()?;
    let tls =
        crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify);
    let client = super::client(c.timeout.0, &BTreeMap::new(), super::USER_AGENT, &tls)
        .map_err(|m| o.invalid_option("headers", m))?;
    Ok(Box::new(HttpOutput {
        cfg: c,
        ser,
        client,
        method,
    }))
}

/// The HTTP output.
pub struct HttpOutput {
    cfg: HttpConfig,
    ser: Box<dyn Serializer>,
    client: reqwest::Client,
    method: reqwest::Method,
}

#[async_trait]
impl Output for HttpOutput {
    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        let mut body = Vec::new();
        self.ser.serialize(metrics, &mut body);
        let mut req = self
            .client
            .request(self.method.clone(), &self.cfg.url)
            .header("Content-Type", self.ser.content_type());
        for (k, v) in &self.cfg.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if !self.cfg.username.is_empty() {
            req = req.basic_auth(&self.cfg.username, Some(&self.cfg.password));
        }
        req = if self.cfg.content_encoding == "gzip" {
            req.header("Content-Encoding", "gzip")
                .body(super::gzip(&body)?)
        } else {
            req.body(body)
        };
        let resp = req.send().await?;
        let st = resp.status();
        if st.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        if self.cfg.non_retryable_statuscodes.contains(&st.as_u16()) {
            tracing::error!("[outputs.http] dropping batch: {st}: {}", text.trim());
            return Ok(());
        }
        anyhow::bail!(
            "when writing to [{}] received status code: {}: {}",
            self.cfg.url,
            st.as_u16(),
            text.trim()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config() {
        assert!(build(
            &PluginOptions::from_toml(
                "outputs",
                "http",
                "url=\"http://x/y\"\ndata_format=\"json\""
            )
            .unwrap()
        )
        .is_ok());
        assert!(
            build(&PluginOptions::from_toml("outputs", "http", "url=\"ftp://x\"").unwrap())
                .is_err()
        );
        assert!(build(
            &PluginOptions::from_toml("outputs", "http", "method=\"BAD METHOD\"").unwrap()
        )
        .is_err());
    }

    #[tokio::test]
    async fn posts_json_batches_and_retries_on_5xx() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        let calls = Arc::new(AtomicUsize::new(0));
        let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
        let (c2, b2) = (calls.clone(), bodies.clone());
        let app = axum::Router::new().route(
            "/in",
            axum::routing::post(move |h: axum::http::HeaderMap, body: String| {
                let (c2, b2) = (c2.clone(), b2.clone());
                async move {
                    assert_eq!(h.get("content-type").unwrap(), "application/json");
                    assert_eq!(h.get("x-api-key").unwrap(), "k");
                    if c2.fetch_add(1, Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::BAD_GATEWAY;
                    }
                    b2.lock().unwrap().push(body);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.ok() });
        let toml = format!("url=\"http://{addr}/in\"\ndata_format=\"json\"\nuse_batch_format=true\n[outputs.http.headers]\nX-Api-Key=\"k\"");
        let mut o = build(&PluginOptions::from_toml("outputs", "http", &toml).unwrap()).unwrap();
        let ms = [Metric::new("m", 1_000_000_000).with_field("v", 1.5)];
        assert!(
            o.write(&ms).await.is_err(),
            "502 is an error (retried by the runtime)"
        );
        o.write(&ms).await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&bodies.lock().unwrap()[0]).unwrap();
        assert_eq!(v["metrics"][0]["fields"]["v"], 1.5);
        assert_eq!(v["metrics"][0]["timestamp"], 1);
    }
}
