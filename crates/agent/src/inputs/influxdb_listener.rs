//! `inputs.influxdb_listener`: accepts InfluxDB v1 writes (`/write`, `/ping`, `/query`).

use std::collections::HashMap;
use std::io::Read;

use async_trait::async_trait;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::config::{ConfigError, PluginOptions, Size};
use crate::metric::{now_ns, Metric, Value};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "influxdb_listener",
    description: "Accept metrics over InfluxDB 1.x HTTP API",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.influxdb_listener]]
  ## Address and port to host HTTP listener on
  service_address = ":8186"

  ## Maximum allowed HTTP request body size in bytes.
  # max_body_size = "32MiB"

  ## Optional tag name used to store the database name.
  # database_tag = ""

  ## Optional tag name used to store the retention policy name.
  # retention_policy_tag = ""

  ## Optional username and password to accept for HTTP basic authentication.
  # basic_username = "foobar"
  # basic_password = "barfoo"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ListenerConfig {
    service_address: String,
    max_body_size: Size,
    database_tag: String,
    retention_policy_tag: String,
    basic_username: String,
    basic_password: String,
    parser_type: String,
    read_timeout: Option<crate::config::Dur>,
    write_timeout: Option<crate::config::Dur>,
    max_line_size: Option<Size>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            service_address: ":8186".into(),
            max_body_size: Size(32 << 20),
            database_tag: String::new(),
            retention_policy_tag: String::new(),
            basic_username: String::new(),
            basic_password: String::new(),
            parser_type: String::new(),
            read_timeout: None,
            write_timeout: None,
            max_line_size: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: ListenerConfig = o.parse()?;
    if c.tls_cert.is_some() || c.tls_key.is_some() {
        return Err(o.not_supported("TLS"));
    }
    Ok(Box::new(InfluxDbListener {
        cfg: c,
        task: None,
        bound: None,
    }))
}

/// Normalises `:8186` to `0.0.0.0:8186`.
pub fn listen_addr(s: &str) -> String {
    if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    }
}

/// Checks HTTP basic auth against the configured user (no user = open).
pub fn authorized(headers: &HeaderMap, user: &str, pass: &str) -> bool {
    if user.is_empty() && pass.is_empty() {
        return true;
    }
    let Some(h) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(b64) = h.strip_prefix("Basic ") else {
        return false;
    };
    decode_base64(b64.trim()).is_some_and(|d| d == format!("{user}:{pass}").as_bytes())
}

/// Minimal standard base64 decoder (for Basic auth headers).
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            acc |= val(*b)? << (18 - 6 * i);
        }
        let n = chunk.len();
        if n < 2 {
            return None;
        }
        out.push((acc >> 16) as u8);
        if n > 2 {
            out.push((acc >> 8) as u8);
        }
        if n > 3 {
            out.push(acc as u8);
        }
    }
    Some(out)
}

/// Decodes a request body (gzip when the header says so), bounded by `max`.
pub fn decode_body(headers: &HeaderMap, body: &[u8], max: u64) -> Result<Vec<u8>, String> {
    let gz = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    if !gz {
        return Ok(body.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("invalid gzip body: {e}"))?;
    if out.len() as u64 > max {
        return Err("body too large".into());
    }
    Ok(out)
}

struct Ctx {
    acc: Accumulator,
    cfg: ListenerConfig,
}

fn json_error(code: StatusCode, msg: &str) -> Response {
    (
        code,
        [("content-type", "application/json")],
        serde_json::json!({ "error": msg }).to_string(),
    )
        .into_response()
}

async fn write(
    State(ctx): State<std::sync::Arc<Ctx>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !authorized(&headers, &ctx.cfg.basic_username, &ctx.cfg.basic_password) {
        return json_error(StatusCode::UNAUTHORIZED, "authorization failed");
    }
    if body.len() as u64 > ctx.cfg.max_body_size.0 {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "http: request body too large",
        );
    }
    let data = match decode_body(&headers, &body, ctx.cfg.max_body_size.0) {
        Ok(d) => d,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e),
    };
    let precision = match almanac_lineproto::Precision::parse(
        q.get("precision").map(String::as_str).unwrap_or(""),
    ) {
        Some(p) => p,
        None => return json_error(StatusCode::BAD_REQUEST, "invalid precision"),
    };
    let now = now_ns();
    let mut first_err = None;
    let mut bad = 0usize;
    for line in almanac_lineproto::parse_lines(&data) {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                bad += 1;
                first_err.get_or_insert(e.to_string());
                continue;
            }
        };
        let t = match line.timestamp_ns(precision, now) {
            Ok(t) => t,
            Err(e) => {
                bad += 1;
                first_err.get_or_insert(e.to_string());
                continue;
            }
        };
        let mut m = Metric::new(line.measurement.as_ref(), t);
        for (k, v) in &line.tags {
            m.tags.insert(k.to_string(), v.to_string());
        }
        for (k, v) in &line.fields {
            m.fields.insert(k.to_string(), Value::from_lp(v));
        }
        if !ctx.cfg.database_tag.is_empty() {
            if let Some(db) = q.get("db") {
                m.tags.insert(ctx.cfg.database_tag.clone(), db.clone());
            }
        }
        if !ctx.cfg.retention_policy_tag.is_empty() {
            if let Some(rp) = q.get("rp") {
                m.tags
                    .insert(ctx.cfg.retention_policy_tag.clone(), rp.clone());
            }
        }
        ctx.acc.add(m);
    }
    match first_err {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(e) => json_error(
            StatusCode::BAD_REQUEST,
            &format!("partial write: {e} dropped={bad}"),
        ),
    }
}

/// The influxdb_listener input.
pub struct InfluxDbListener {
    cfg: ListenerConfig,
    task: Option<JoinHandle<()>>,
    /// Bound address after start.
    pub bound: Option<std::net::SocketAddr>,
}

#[async_trait]
impl Input for InfluxDbListener {
    async fn gather(&mut self, _acc: &Accumulator) -> Result<(), PluginError> {
        Ok(())
    }
    fn is_service(&self) -> bool {
        true
    }
    async fn start(&mut self, acc: Accumulator) -> Result<(), PluginError> {
        let l = tokio::net::TcpListener::bind(listen_addr(&self.cfg.service_address)).await?;
        self.bound = l.local_addr().ok();
        let ctx = std::sync::Arc::new(Ctx {
            acc,
            cfg: self.cfg.clone(),
        });
        let app = axum::Router::new()
            .route("/write", axum::routing::post(write))
            .route(
                "/ping",
                axum::routing::get(|| async { StatusCode::NO_CONTENT })
                    .head(|| async { StatusCode::NO_CONTENT }),
            )
            .route(
                "/query",
                axum::routing::get(|| async { axum::Json(serde_json::json!({"results": []})) })
                    .post(|| async { axum::Json(serde_json::json!({"results": []})) }),
            )
            .layer(axum::extract::DefaultBodyLimit::max(
                self.cfg.max_body_size.0.min(usize::MAX as u64) as usize + 1,
            ))
            .with_state(ctx);
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

    #[test]
    fn base64_and_auth() {
        assert_eq!(decode_base64("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert!(decode_base64("!!!").is_none());
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, "user", "pass"));
        h.insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
        assert!(authorized(&h, "user", "pass"));
        assert!(authorized(&HeaderMap::new(), "", ""));
    }

    #[tokio::test]
    async fn accepts_v1_writes() {
        let o = PluginOptions::from_toml(
            "inputs",
            "influxdb_listener",
            "service_address = \"127.0.0.1:0\"\ndatabase_tag = \"db\"",
        )
        .unwrap();
        let c: ListenerConfig = o.parse().unwrap();
        let mut l = InfluxDbListener {
            cfg: c,
            task: None,
            bound: None,
        };
        let (acc, mut rx) = Accumulator::collecting();
        l.start(acc).await.unwrap();
        let base = format!("http://{}", l.bound.unwrap());
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{base}/write?db=mydb&precision=s"))
            .body("cpu,host=a v=1 10\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        let m = rx.recv().await.unwrap();
        assert_eq!(m.time, 10_000_000_000);
        assert_eq!(m.tag("db"), Some("mydb"));
        let r = client
            .post(format!("{base}/write"))
            .body("ok v=1 1\nbad\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        assert!(r.text().await.unwrap().contains("partial write"));
        assert_eq!(rx.recv().await.unwrap().name, "ok");
        let gz = crate::outputs::gzip(b"gz v=1i 1\n").unwrap();
        let r = client
            .post(format!("{base}/write"))
            .header("Content-Encoding", "gzip")
            .body(gz)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        assert_eq!(rx.recv().await.unwrap().name, "gz");
        assert_eq!(
            client
                .get(format!("{base}/ping"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            204
        );
        l.stop().await;
    }
}
