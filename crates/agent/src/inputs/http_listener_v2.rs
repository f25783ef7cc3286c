//! `inputs.http_listener_v2`: accepts payloads in any `data_format` over HTTP.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::config::{ConfigError, PluginOptions, Size};
use crate::metric::now_ns;
use crate::parsers::Parser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "http_listener_v2",
    description: "Generic HTTP write listener",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.http_listener_v2]]
  ## Address and port to host HTTP listener on
  service_address = ":8080"

  ## Paths to listen to.
  # paths = ["/telegraf"]

  ## HTTP methods to accept.
  # methods = ["POST", "PUT"]

  ## Maximum allowed http request body size in bytes.
  # max_body_size = "500MB"

  ## Part of the request to consume.  Available options are "body" and "query".
  # data_source = "body"

  ## Optional username and password to accept for HTTP basic authentication.
  # basic_username = "foobar"
  # basic_password = "barfoo"

  ## Optional setting to map http headers into tags
  # http_header_tags = {"HTTP_HEADER" = "TAG_NAME"}

  ## Data format to consume.
  data_format = "influx"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ListenerConfig {
    service_address: String,
    paths: Vec<String>,
    path: Option<String>,
    methods: Vec<String>,
    max_body_size: Size,
    data_source: String,
    basic_username: String,
    basic_password: String,
    http_header_tags: BTreeMap<String, String>,
    http_success_code: Option<u16>,
    read_timeout: Option<crate::config::Dur>,
    write_timeout: Option<crate::config::Dur>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            service_address: ":8080".into(),
            paths: vec![],
            path: None,
            methods: vec!["POST".into(), "PUT".into()],
            max_body_size: Size(500_000_000),
            data_source: "body".into(),
            basic_username: String::new(),
            basic_password: String::new(),
            http_header_tags: BTreeMap::new(),
            http_success_code: None,
            read_timeout: None,
            write_timeout: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let mut c: ListenerConfig = o.parse()?;
    if c.tls_cert.is_some() || c.tls_key.is_some() {
        return Err(o.not_supported("TLS"));
    }
    if let Some(p) = c.path.take() {
        c.paths.push(p);
    }
    if c.paths.is_empty() {
        c.paths.push("/telegraf".into());
    }
    if !matches!(c.data_source.as_str(), "body" | "query") {
        return Err(o.invalid_option("data_source", "must be \"body\" or \"query\""));
    }
    Ok(Box::new(HttpListenerV2 {
        parser: Arc::from(o.parser()?),
        cfg: c,
        task: None,
        bound: None,
    }))
}

/// The http_listener_v2 input.
pub struct HttpListenerV2 {
    cfg: ListenerConfig,
    parser: Arc<dyn Parser>,
    task: Option<JoinHandle<()>>,
    /// Bound address after start.
    pub bound: Option<std::net::SocketAddr>,
}

#[async_trait]
impl Input for HttpListenerV2 {
    async fn gather(&mut self, _acc: &Accumulator) -> Result<(), PluginError> {
        Ok(())
    }
    fn is_service(&self) -> bool {
        true
    }
    async fn start(&mut self, acc: Accumulator) -> Result<(), PluginError> {
        let l = tokio::net::TcpListener::bind(super::influxdb_listener::listen_addr(
            &self.cfg.service_address,
        ))
        .await?;
        self.bound = l.local_addr().ok();
        let cfg = Arc::new(self.cfg.clone());
        let parser = self.parser.clone();
        let mut app = axum::Router::new();
        for p in &self.cfg.paths {
            let (cfg, parser, acc) = (cfg.clone(), parser.clone(), acc.clone());
            app = app.route(
                p,
                axum::routing::any(
                    move |method: Method,
                          uri: axum::http::Uri,
                          headers: HeaderMap,
                          body: axum::body::Bytes| {
                        let (cfg, parser, acc) = (cfg.clone(), parser.clone(), acc.clone());
                        async move {
                            if !cfg
                                .methods
                                .iter()
                                .any(|m| m.eq_ignore_ascii_case(method.as_str()))
                            {
                                return StatusCode::METHOD_NOT_ALLOWED.into_response();
                            }
                            if !super::influxdb_listener::authorized(
                                &headers,
                                &cfg.basic_username,
                                &cfg.basic_password,
                            ) {
                                return StatusCode::UNAUTHORIZED.into_response();
                            }
                            let data = if cfg.data_source == "query" {
                                uri.query().unwrap_or("").replace('&', "\n").into_bytes()
                            } else {
                                match super::influxdb_listener::decode_body(
                                    &headers,
                                    &body,
                                    cfg.max_body_size.0,
                                ) {
                                    Ok(d) => d,
                                    Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
                                }
                            };
                            match parser.parse(&data, now_ns()) {
                                Ok(ms) => {
                                    for mut m in ms {
                                        for (h, tag) in &cfg.http_header_tags {
                                            if let Some(v) = headers
                                                .get(h.as_str())
                                                .and_then(|v| v.to_str().ok())
                                            {
                                                m.add_tag(tag.clone(), v);
                                            }
                                        }
                                        acc.add(m);
                                    }
                                    StatusCode::from_u16(cfg.http_success_code.unwrap_or(204))
                                        .unwrap_or(StatusCode::NO_CONTENT)
                                        .into_response()
                                }
                                Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
                            }
                        }
                    },
                ),
            );
        }
        let app = app.layer(axum::extract::DefaultBodyLimit::max(
            self.cfg.max_body_size.0.min(usize::MAX as u64) as usize + 1,
        ));
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        }));
        Ok(())
    }
    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[tokio::test]
    async fn accepts_json() {
        let o = PluginOptions::from_toml(
            "inputs",
            "http_listener_v2",
            "service_address = \"127.0.0.1:0\"\npaths = [\"/in\"]\ndata_format = \"json\"\ntag_keys = [\"host\"]\n[inputs.http_listener_v2.http_header_tags]\nX-Env = \"env\"",
        )
        .unwrap();
        let c: ListenerConfig = o.parse().unwrap();
        let mut l = HttpListenerV2 {
            parser: Arc::from(o.parser().unwrap()),
            cfg: c,
            task: None,
            bound: None,
        };
        let (acc, mut rx) = Accumulator::collecting();
        l.start(acc).await.unwrap();
        let url = format!("http://{}/in", l.bound.unwrap());
        let r = reqwest::Client::new()
            .post(&url)
            .header("X-Env", "prod")
            .body(r#"{"host":"h","v":2}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        let m = rx.recv().await.unwrap();
        assert_eq!(m.name, "http_listener_v2");
        assert_eq!(m.tag("env"), Some("prod"));
        assert_eq!(m.field("v"), Some(&Value::Float(2.0)));
        let r = reqwest::Client::new().get(&url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 405);
        l.stop().await;
    }
}
