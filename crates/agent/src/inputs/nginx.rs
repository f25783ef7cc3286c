//! `inputs.nginx`: reads the `stub_status` page.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "nginx",
    description: "Read Nginx's basic status information (ngx_http_stub_status_module)",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.nginx]]
  ## An array of Nginx stub_status URI to gather stats.
  urls = ["http://localhost/server_status"]

  ## HTTP response timeout (default: 5s)
  response_timeout = "5s"

  ## Optional TLS Config
  # tls_ca = "/etc/telegraf/ca.pem"
  # tls_cert = "/etc/telegraf/cert.pem"
  # tls_key = "/etc/telegraf/key.pem"
  ## Use TLS but skip chain & host verification
  # insecure_skip_verify = false
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct NginxConfig {
    urls: Vec<String>,
    response_timeout: Dur,
    tls_ca: String,
    tls_cert: String,
    tls_key: String,
    insecure_skip_verify: bool,
}

impl Default for NginxConfig {
    fn default() -> Self {
        NginxConfig {
            urls: vec![],
            response_timeout: Dur(Duration::from_secs(5)),
            tls_ca: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            insecure_skip_verify: false,
        }
    }
}

fn tls(c: &NginxConfig) -> crate::tls::ClientTls {
    crate::tls::ClientTls::new(&c.tls_ca, &c.tls_cert, &c.tls_key, c.insecure_skip_verify)
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: NginxConfig = o.parse()?;
    for u in &c.urls {
        crate::outputs::check_url(u).map_err(|m| o.invalid_option("urls", m))?;
    }
    let client = crate::outputs::client(
        c.response_timeout.0,
        &Default::default(),
        crate::outputs::USER_AGENT,
        &tls(&c),
    )
    .map_err(|m| o.invalid_option("urls", m))?;
    Ok(Box::new(Nginx {
        urls: c.urls,
        client,
    }))
}

/// The nginx input.
pub struct Nginx {
    urls: Vec<String>,
    client: reqwest::Client,
}

/// Parses a stub_status body.
pub fn parse_stub_status(
    body: &str,
    server: &str,
    port: &str,
    time: i64,
) -> Result<Metric, String> {
    let nums: Vec<i64> = body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    if nums.len() < 7 || !body.contains("Active connections") {
        return Err(format!(
            "unexpected stub_status body: {:?}",
            body.chars().take(80).collect::<String>()
        ));
    }
    Ok(Metric::new("nginx", time)
        .with_tag("server", server)
        .with_tag("port", port)
        .with_field("active", nums[0])
        .with_field("accepts", nums[1])
        .with_field("handled", nums[2])
        .with_field("requests", nums[3])
        .with_field("reading", nums[4])
        .with_field("writing", nums[5])
        .with_field("waiting", nums[6]))
}

fn host_port(url: &str) -> (String, String) {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let hp = rest.split('/').next().unwrap_or(rest);
    match hp.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.to_string()),
        None => (
            hp.to_string(),
            if url.starts_with("https") {
                "443".into()
            } else {
                "80".into()
            },
        ),
    }
}

#[async_trait]
impl Input for Nginx {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for url in &self.urls {
            let body = match self
                .client
                .get(url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
            {
                Ok(r) => r.text().await?,
                Err(e) => {
                    acc.add_error(format!("error making HTTP request to {url}: {e}"));
                    continue;
                }
            };
            let (h, p) = host_port(url);
            match parse_stub_status(&body, &h, &p, now_ns()) {
                Ok(m) => acc.add(m),
                Err(e) => acc.add_error(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn stub_status() {
        let body = "Active connections: 291 \nserver accepts handled requests\n 16630948 16630948 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n";
        let m = parse_stub_status(body, "localhost", "80", 1).unwrap();
        assert_eq!(m.field("active"), Some(&Value::Int(291)));
        assert_eq!(m.field("requests"), Some(&Value::Int(31070465)));
        assert_eq!(m.field("waiting"), Some(&Value::Int(106)));
        assert!(parse_stub_status("<html>", "h", "80", 1).is_err());
        assert_eq!(
            host_port("http://localhost:8080/status"),
            ("localhost".into(), "8080".into())
        );
        assert_eq!(
            host_port("http://example.com/status"),
            ("example.com".into(), "80".into())
        );
    }
}
