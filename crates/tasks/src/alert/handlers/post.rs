//! `post` handler: POSTs the alert data JSON (or a rendered template) to a URL.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::httppost::{self, BasicAuth};
use super::opt_str;
use crate::alert::service::{send_post, HttpPostJob};
use crate::alert::template::{TValue, Template};
use crate::alert::{AlertEvent, HandlerSpec};

/// Options: `url` or `endpoint` (a `[[httppost]]` endpoint giving the url,
/// headers, basic auth and alert template), `headers` (over the endpoint's),
/// `timeout` (duration text, default 10s), `alert-template` (a Go template
/// over the alert data, replacing the JSON body), `capture-response` (put
/// the response body of a failed request in the error),
/// `skipSSLVerification` (accept any server certificate).
#[derive(Debug, Clone)]
pub struct PostOptions {
    /// Target URL.
    pub url: String,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// HTTP basic auth (from the endpoint).
    pub basic_auth: Option<BasicAuth>,
    /// Request timeout, ns.
    pub timeout: i64,
    /// Body template.
    pub template: Option<Arc<Template>>,
    /// Report the response body of failed requests.
    pub capture_response: bool,
    /// Accept any server certificate.
    pub skip_ssl_verification: bool,
}

impl PostOptions {
    /// Reads the options of a spec (an `endpoint` is looked up in the
    /// `[[httppost]]` registry).
    pub fn from_spec(spec: &HandlerSpec) -> Result<PostOptions, String> {
        let endpoint = match spec.options.get("endpoint") {
            None => None,
            Some(serde_json::Value::String(name)) if !name.is_empty() => Some(
                httppost::global()
                    .resolve(name)
                    .map_err(|e| format!("post handler: {e}"))?,
            ),
            Some(_) => return Err("post handler: endpoint must be a non-empty string".into()),
        };
        let url = match (&endpoint, spec.options.get("url")) {
            (Some(e), None) => e.url.clone(),
            _ => opt_str(spec, "url")?,
        };
        if !httppost::valid_url(&url) {
            return Err(format!("post handler: invalid url {url:?}"));
        }
        let mut headers = endpoint
            .as_ref()
            .map(|e| e.headers.clone())
            .unwrap_or_default();
        if let Some(h) = spec.options.get("headers") {
            let obj = h
                .as_object()
                .ok_or("post handler: headers must be an object")?;
            for (k, v) in obj {
                headers.insert(
                    k.clone(),
                    v.as_str()
                        .ok_or("post handler: header values must be strings")?
                        .to_string(),
                );
            }
        }
        let timeout = match spec.options.get("timeout") {
            None => 10_000_000_000,
            Some(serde_json::Value::String(s)) => super::opts::parse_go_duration(s)
                .ok_or_else(|| format!("post handler: invalid timeout {s:?}"))?,
            Some(serde_json::Value::Number(n)) => {
                n.as_i64().ok_or("post handler: invalid timeout")?
            }
            Some(_) => return Err("post handler: invalid timeout".into()),
        };
        let template = match spec.options.get("alert-template") {
            Some(serde_json::Value::String(t)) => {
                Some(Arc::new(Template::parse(t).map_err(|e| e.to_string())?))
            }
            Some(_) => return Err("post handler: alert-template must be a string".into()),
            None => endpoint.as_ref().and_then(|e| e.alert_template.clone()),
        };
        let flag = |key: &str| match spec.options.get(key) {
            None => Ok(false),
            Some(serde_json::Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("post handler: {key} must be a boolean")),
        };
        Ok(PostOptions {
            url,
            headers,
            basic_auth: endpoint.and_then(|e| e.basic_auth),
            timeout,
            template,
            capture_response: flag("capture-response")?,
            skip_ssl_verification: flag("skipSSLVerification")?,
        })
    }
}

/// The client of requests that skip certificate verification (built once).
pub(crate) fn insecure_client() -> Result<&'static reqwest::Client, String> {
    static C: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(c) = C.get() {
        return Ok(c);
    }
    let c = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .map_err(|e| format!("building an HTTP client: {e}"))?;
    Ok(C.get_or_init(|| c))
}

/// JSON as template data (objects as maps, arrays as lists).
fn json_value(v: &serde_json::Value) -> TValue {
    match v {
        serde_json::Value::Null => TValue::Nil,
        serde_json::Value::Bool(b) => TValue::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => TValue::Int(i),
            None => TValue::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => TValue::Str(s.clone()),
        serde_json::Value::Array(a) => TValue::List(a.iter().map(json_value).collect()),
        serde_json::Value::Object(o) => {
            TValue::Map(o.iter().map(|(k, v)| (k.clone(), json_value(v))).collect())
        }
    }
}

/// Template data of an alert (post and kafka bodies): Kapacitor's alert data fields (`.ID`, `.Message`,
/// `.Details`, `.Time`, `.Duration`, `.Level`, `.PreviousLevel`,
/// `.Recoverable`, `.Data.Series` with `.Name .Tags .Columns .Values`).
pub(crate) fn template_data(event: &AlertEvent) -> TValue {
    let series: Vec<TValue> = event.data["series"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let mut m = BTreeMap::new();
            for (go, json) in [
                ("Name", "name"),
                ("Tags", "tags"),
                ("Columns", "columns"),
                ("Values", "values"),
            ] {
                m.insert(go.to_string(), json_value(&s[json]));
            }
            TValue::Map(m)
        })
        .collect();
    let mut data = BTreeMap::new();
    data.insert("Series".to_string(), TValue::List(series));
    let mut m = BTreeMap::new();
    m.insert("ID".into(), TValue::Str(event.id.clone()));
    m.insert("Message".into(), TValue::Str(event.state.message.clone()));
    m.insert("Details".into(), TValue::Str(event.state.details.clone()));
    m.insert("Time".into(), TValue::Time(event.state.time));
    m.insert("Duration".into(), TValue::Duration(event.state.duration));
    m.insert(
        "Level".into(),
        TValue::Str(event.state.level.as_str().into()),
    );
    m.insert(
        "PreviousLevel".into(),
        TValue::Str(event.previous_level.as_str().into()),
    );
    m.insert("Recoverable".into(), TValue::Bool(event.recoverable));
    m.insert("Data".into(), TValue::Map(data));
    TValue::Map(m)
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &PostOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    let body = match &opts.template {
        Some(t) => t
            .execute(&template_data(event))
            .map_err(|e| e.to_string())?,
        None => event.alert_data().to_string(),
    };
    let client = if opts.skip_ssl_verification {
        insecure_client()?
    } else {
        client
    };
    let job = HttpPostJob {
        url: opts.url.clone(),
        headers: opts.headers.clone(),
        basic_auth: opts.basic_auth.clone(),
        timeout: opts.timeout,
        body,
        json: true,
        capture_response: opts.capture_response,
    };
    send_post(client, &job)
        .await
        .1
        .map_err(|e| format!("post handler {}: {e}", opts.url))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use super::*;
    use crate::alert::Level;
    use serde_json::json;

    #[tokio::test]
    async fn endpoint_from_the_configuration_gives_url_headers_auth_and_template() {
        let mut r = Receiver::start(200, "{}").await;
        httppost::global()
            .add(
                json!({
                    "endpoint": "post-test-api",
                    "url": format!("{}/api/alerts", r.url),
                    "headers": {"From": "alerts@example.com", "X-Both": "endpoint"},
                    "basic-auth": {"username": "u", "password": "p"},
                    "alert-template": "{{.Level}}: {{.Message}}",
                })
                .as_object()
                .unwrap(),
            )
            .unwrap();
        let s = spec(
            "post",
            json!({"endpoint": "post-test-api", "headers": {"X-Both": "spec"}}),
        );
        super::super::validate(&s).unwrap();
        let client = reqwest::Client::new();
        super::super::deliver(&client, &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/api/alerts");
        assert_eq!(req.headers["from"], "alerts@example.com");
        assert_eq!(req.headers["x-both"], "spec");
        // "u:p" in base64.
        assert_eq!(req.headers["authorization"], "Basic dTpw");
        assert!(req.body.starts_with("CRITICAL: "), "{}", req.body);

        let unknown = spec("post", json!({"endpoint": "post-test-missing"}));
        let e = super::super::validate(&unknown).unwrap_err();
        assert!(
            e.starts_with("post handler: unknown httppost endpoint \"post-test-missing\""),
            "{e}"
        );
    }

    #[test]
    fn url_is_required_without_an_endpoint() {
        let e = PostOptions::from_spec(&spec("post", json!({}))).unwrap_err();
        assert_eq!(e, "post handler: missing option \"url\"");
        let o = PostOptions::from_spec(&spec(
            "post",
            json!({"url": "https://x/y", "skipSSLVerification": true}),
        ))
        .unwrap();
        assert!(o.skip_ssl_verification && o.basic_auth.is_none());
    }
}
