//! `inputs.http_response`: HTTP availability and response time.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "http_response",
    description: "HTTP/HTTPS request given an address a method and a timeout",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.http_response]]
  ## List of urls to query.
  urls = ["http://localhost"]

  ## Set response_timeout (default 5 seconds)
  # response_timeout = "5s"

  ## HTTP Request Method
  # method = "GET"

  ## Whether to follow redirects from the server (defaults to false)
  # follow_redirects = false

  ## Optional HTTP Request Body
  # body = ''

  ## Optional substring or regex match in body of the response (case sensitive)
  # response_string_match = "\"service_status\": \"up\""

  ## Expected response status code.
  # response_status_code = 0

  ## HTTP Request Headers (all values must be strings)
  # [inputs.http_response.headers]
  #   Host = "github.com"

  ## Optional TLS Config
  # tls_ca = "/etc/telegraf/ca.pem"
  # tls_cert = "/etc/telegraf/cert.pem"
  # tls_key = "/etc/telegraf/key.pem"
  ## Use TLS but skip chain & host verification
  # insecure_skip_verify = false
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct HttpResponseConfig {
    urls: Vec<String>,
    address: Option<String>,
    response_timeout: Dur,
    method: String,
    follow_redirects: bool,
    body: String,
    response_string_match: String,
    response_status_code: u16,
    headers: BTreeMap<String, String>,
    username: String,
    password: String,
    http_header_tags: BTreeMap<String, String>,
    response_body_field: String,
    response_body_max_size: Option<crate::config::Size>,
    tls_ca: String,
    tls_cert: String,
    tls_key: String,
    insecure_skip_verify: bool,
}

impl Default for HttpResponseConfig {
    fn default() -> Self {
        HttpResponseConfig {
            urls: vec![],
            address: None,
            response_timeout: Dur(Duration::from_secs(5)),
            method: "GET".into(),
            follow_redirects: false,
            body: String::new(),
            response_string_match: String::new(),
            response_status_code: 0,
            headers: BTreeMap::new(),
            username: String::new(),
            password: String::new(),
            http_header_tags: BTreeMap::new(),
            response_body_field: String::new(),
            response_body_max_size: None,
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

fn tls(c: &HttpResponseConfig) -> crate::tls::ClientTls {
    crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify)
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let mut c: HttpResponseConfig = o.parse()?;
    if let Some(a) = c.address.take() {
        c.urls.push(a);
    }
    if c.urls.is_empty() {
        c.urls.push("http://localhost".into());
    }
    for u in &c.urls {
        crate::outputs::check_url(u).map_err(|m| o.invalid_option("urls", m))?;
    }
    let re = if c.response_string_match.is_empty() {
        None
    } else {
        Some(
            regex::Regex::new(&c.response_string_match)
                .map_err(|e| o.invalid_option("response_string_match", e.to_string()))?,
        )
    };
    let method = reqwest::Method::from_bytes(c.method.to_uppercase().as_bytes())
        .map_err(|_| o.invalid_option("method", "invalid method"))?;
    let builder = tls(&c)
        .apply(reqwest::Client::builder())
        .map_err(|e| o.invalid_option("tls_ca", e.to_string()))?;
    let client = builder
        .timeout(c.response_timeout.0)
        .redirect(if c.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        })
        .build()
        .map_err(|e| o.invalid_option("urls", e.to_string()))?;
    Ok(Box::new(HttpResponse {
        cfg: c,
        re,
        client,
        method,
    }))
}

/// The http_response input.
pub struct HttpResponse {
    cfg: HttpResponseConfig,
    re: Option<regex::Regex>,
    client: reqwest::Client,
    method: reqwest::Method,
}

fn result(m: &mut Metric, r: &str, code: i64) {
    m.add_tag("result", r);
    m.add_field("result_type", r);
    m.add_field("result_code", code);
}

impl HttpResponse {
    async fn check(&self, url: &str) -> Metric {
        let mut m = Metric::new("http_response", now_ns())
            .with_tag("server", url)
            .with_tag("method", self.method.as_str());
        let mut req = self.client.request(self.method.clone(), url);
        for (k, v) in &self.cfg.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if !self.cfg.username.is_empty() {
            req = req.basic_auth(&self.cfg.username, Some(&self.cfg.password));
        }
        if !self.cfg.body.is_empty() {
            req = req.body(self.cfg.body.clone());
        }
        let start = Instant::now();
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                if e.is_timeout() {
                    result(&mut m, "timeout", 4);
                } else if format!("{e:?}").contains("dns error") {
                    result(&mut m, "dns_error", 5);
                } else {
                    result(&mut m, "connection_failed", 3);
                }
                return m;
            }
        };
        let status = resp.status().as_u16();
        m.add_tag("status_code", status.to_string());
        m.add_field("http_response_code", status as i64);
        for (hdr, tag) in &self.cfg.http_header_tags {
            if let Some(v) = resp
                .headers()
                .get(hdr.as_str())
                .and_then(|v| v.to_str().ok())
            {
                m.add_tag(tag.clone(), v);
            }
        }
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(_) => {
                m.add_field("response_time", start.elapsed().as_secs_f64());
                result(&mut m, "body_read_error", 2);
                return m;
            }
        };
        m.add_field("response_time", start.elapsed().as_secs_f64());
        m.add_field("content_length", body.len() as i64);
        if !self.cfg.response_body_field.is_empty() {
            m.add_field(
                self.cfg.response_body_field.clone(),
                String::from_utf8_lossy(&body).into_owned(),
            );
        }
        let mut ok = true;
        if let Some(re) = &self.re {
            let matched = re.is_match(&String::from_utf8_lossy(&body));
            m.add_field("response_string_match", matched as i64);
            if !matched {
                result(&mut m, "response_string_mismatch", 1);
                ok = false;
            }
        }
        if self.cfg.response_status_code != 0 {
            let matched = status == self.cfg.response_status_code;
            m.add_field("response_status_code_match", matched as i64);
            if !matched && ok {
                result(&mut m, "response_status_code_mismatch", 6);
                ok = false;
            }
        }
        if ok {
            result(&mut m, "success", 0);
        }
        m
    }
}

#[async_trait]
impl Input for HttpResponse {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for url in &self.cfg.urls {
            acc.add(self.check(url).await);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[tokio::test]
    async fn checks_a_local_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/ok", axum::routing::get(|| async { "service up" }));
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let toml = format!("urls = [\"http://{addr}/ok\", \"http://{addr}/missing\", \"http://127.0.0.1:1/\"]\nresponse_string_match = \"up\"");
        let mut i =
            build(&PluginOptions::from_toml("inputs", "http_response", &toml).unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        assert_eq!(ms.len(), 3);
        assert_eq!(ms[0].tag("result"), Some("success"));
        assert_eq!(ms[0].field("http_response_code"), Some(&Value::Int(200)));
        assert!(ms[0].field("response_time").is_some());
        assert_eq!(ms[1].tag("status_code"), Some("404"));
        assert_eq!(ms[1].tag("result"), Some("response_string_mismatch"));
        assert_eq!(ms[2].tag("result"), Some("connection_failed"));
        assert_eq!(ms[2].field("result_code"), Some(&Value::Int(3)));
    }
}
