//! `post` handler: POSTs the alert data JSON (or a rendered template) to a URL.

use std::collections::BTreeMap;

use super::opt_str;
use crate::alert::template::{TValue, Template};
use crate::alert::{AlertEvent, HandlerSpec};

/// Options: `url` (required), `headers`, `timeout` (duration text, default 10s),
/// `alert-template` (a Go template over the alert data, replacing the JSON body),
/// `capture-response` (put the response body of a failed request in the error).
#[derive(Debug, Clone)]
pub struct PostOptions {
    /// Target URL.
    pub url: String,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Request timeout, ns.
    pub timeout: i64,
    /// Body template.
    pub template: Option<Template>,
    /// Report the response body of failed requests.
    pub capture_response: bool,
}

impl PostOptions {
    /// Reads the options of a spec.
    pub fn from_spec(spec: &HandlerSpec) -> Result<PostOptions, String> {
        if spec.options.contains_key("endpoint") {
            return Err(
                "not supported yet: post endpoints from the configuration; give a url".into(),
            );
        }
        let url = opt_str(spec, "url")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("post handler: invalid url {url:?}"));
        }
        let mut headers = BTreeMap::new();
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
                Some(Template::parse(t).map_err(|e| e.to_string())?)
            }
            Some(_) => return Err("post handler: alert-template must be a string".into()),
            None => None,
        };
        let capture_response = match spec.options.get("capture-response") {
            None => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(_) => return Err("post handler: capture-response must be a boolean".into()),
        };
        Ok(PostOptions {
            url,
            headers,
            timeout,
            template,
            capture_response,
        })
    }
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
    let mut req = client
        .post(&opts.url)
        .timeout(std::time::Duration::from_nanos(opts.timeout.max(1) as u64))
        .header("Content-Type", "application/json")
        .body(body);
    for (k, v) in &opts.headers {
        req = req.header(k, v);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("post handler {}: {e}", opts.url))?;
    let status = resp.status();
    if !status.is_success() {
        if opts.capture_response {
            let body = resp.text().await.unwrap_or_default();
            return Err(format!(
                "post handler {}: status {status}: {}",
                opts.url,
                body.trim()
            ));
        }
        return Err(format!("post handler {}: status {status}", opts.url));
    }
    Ok(())
}
