//! `outputs.prometheus_client`: serves the latest value of every series on `/metrics`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};
use crate::serializers::prometheus_render;

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "prometheus_client",
    description: "Configuration for the Prometheus client to spawn",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[outputs.prometheus_client]]
  ## Address to listen on.
  listen = ":9273"

  ## Path to publish the metrics on.
  # path = "/metrics"

  ## Expiration interval for each metric. 0 == no expiration
  # expiration_interval = "60s"

  ## Send string metrics as Prometheus labels.
  # string_as_label = false

  ## If set, enable TLS with the given certificate (not supported yet).
  # tls_cert = ""

  ## Export metric collection time.
  # export_timestamp = false
"#;

/// Options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PromClientConfig {
    /// Listen address (`:9273` = all interfaces).
    pub listen: String,
    /// Metrics path.
    pub path: String,
    /// Series expire after this long without updates.
    pub expiration_interval: Dur,
    /// String fields as labels.
    pub string_as_label: bool,
    /// Export timestamps.
    pub export_timestamp: bool,
    /// Metric version (1 or 2; both render the same here).
    pub metric_version: i64,
    /// Go collectors to exclude (accepted).
    pub collectors_exclude: Vec<String>,
    /// Basic auth (not supported).
    pub basic_username: String,
    /// Basic auth.
    pub basic_password: String,
    /// IP ranges (not supported).
    pub ip_range: Vec<String>,
    /// TLS (not supported).
    pub tls_cert: String,
    /// TLS.
    pub tls_key: String,
}

impl Default for PromClientConfig {
    fn default() -> Self {
        PromClientConfig {
            listen: ":9273".into(),
            path: "/metrics".into(),
            expiration_interval: Dur(Duration::from_secs(60)),
            string_as_label: false,
            export_timestamp: false,
            metric_version: 1,
            collectors_exclude: vec![],
            basic_username: String::new(),
            basic_password: String::new(),
            ip_range: vec![],
            tls_cert: String::new(),
            tls_key: String::new(),
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let c: PromClientConfig = o.parse()?;
    if !c.tls_cert.is_empty() || !c.basic_username.is_empty() || !c.ip_range.is_empty() {
        return Err(o.not_supported("TLS / basic auth / ip_range"));
    }
    Ok(Box::new(PromClient {
        cfg: c,
        state: Arc::new(Mutex::new(HashMap::new())),
        server: None,
        bound: None,
    }))
}

type State = Arc<Mutex<HashMap<String, (Metric, Instant)>>>;

/// The prometheus_client output.
pub struct PromClient {
    cfg: PromClientConfig,
    state: State,
    server: Option<tokio::task::JoinHandle<()>>,
    /// Address actually bound (after connect).
    pub bound: Option<std::net::SocketAddr>,
}

fn render(state: &State, cfg: &PromClientConfig) -> String {
    let mut g = state.lock().unwrap_or_else(|e| e.into_inner());
    let exp = cfg.expiration_interval.0;
    if !exp.is_zero() {
        g.retain(|_, (_, t)| t.elapsed() < exp);
    }
    let ms: Vec<Metric> = g.values().map(|(m, _)| m.clone()).collect();
    prometheus_render(&ms, cfg.export_timestamp, cfg.string_as_label)
}

#[async_trait]
impl Output for PromClient {
    async fn connect(&mut self) -> Result<(), PluginError> {
        if self.server.is_some() {
            return Ok(());
        }
        let addr = if self.cfg.listen.starts_with(':') {
            format!("0.0.0.0{}", self.cfg.listen)
        } else {
            self.cfg.listen.clone()
        };
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        self.bound = listener.local_addr().ok();
        let state = self.state.clone();
        let cfg = self.cfg.clone();
        let app = axum::Router::new().route(
            &self.cfg.path,
            axum::routing::get(move || {
                let state = state.clone();
                let cfg = cfg.clone();
                async move {
                    (
                        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
                        render(&state, &cfg),
                    )
                }
            }),
        );
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
        Ok(())
    }

    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        for m in metrics {
            // one entry per series and field so partial updates keep other fields
            for (k, v) in &m.fields {
                let mut one = Metric::new(m.name.clone(), m.time);
                one.tags = m.tags.clone();
                one.kind = m.kind;
                one.fields.insert(k.clone(), v.clone());
                g.insert(format!("{}\u{1}{k}", m.series_key()), (one, now));
            }
        }
        Ok(())
    }

    async fn close(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_metrics() {
        let o =
            PluginOptions::from_toml("outputs", "prometheus_client", "listen = \"127.0.0.1:0\"")
                .unwrap();
        let c: PromClientConfig = o.parse().unwrap();
        let mut p = PromClient {
            cfg: c,
            state: Default::default(),
            server: None,
            bound: None,
        };
        p.connect().await.unwrap();
        p.write(&[Metric::new("cpu", 1)
            .with_tag("cpu", "cpu0")
            .with_field("usage_idle", 99.5)])
            .await
            .unwrap();
        let url = format!("http://{}/metrics", p.bound.unwrap());
        let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
        assert!(body.contains("cpu_usage_idle{cpu=\"cpu0\"} 99.5"), "{body}");
        p.close().await;
    }
}
