//! `alerta` handler: posts to Alerta's `<url>/alert` with
//! `Authorization: <token-prefix> <token>`. `resource`, `event`,
//! `environment`, `group`, `value` and each of `service`/`correlate` are
//! Go templates over the alert (`.ID`, `.Name`, `.TaskName`, `.Group`,
//! `.Tags`, `.Message`, `.Level`, ...). Options (handler, over the `[alerta]`
//! section): `token`, `token-prefix` (default `Bearer`), `resource`
//! (default `{{ .Name }}`), `event` (default `{{ .ID }}`), `environment`,
//! `group` (default `{{ .Group }}`), `value`, `origin`, `service`,
//! `correlate`, `timeout` (default 24h), `rename-severities`; section: `url`.

use std::collections::BTreeMap;

use super::opts::Opts;
use crate::alert::template::{TValue, Template};
use crate::alert::{AlertEvent, Level};

/// Alerta handler options.
#[derive(Debug, Clone)]
pub struct AlertaOptions {
    /// Alerta API base URL.
    pub url: String,
    /// API token.
    pub token: String,
    /// Authorization scheme.
    pub token_prefix: String,
    /// Templates: resource, event, environment, group, value.
    pub resource: Template,
    /// Event template.
    pub event: Template,
    /// Environment template.
    pub environment: Template,
    /// Group template.
    pub group: Template,
    /// Value template.
    pub value: Template,
    /// Origin.
    pub origin: String,
    /// Service templates (default: the measurement name).
    pub service: Vec<Template>,
    /// Correlate templates (default: the measurement name).
    pub correlate: Vec<Template>,
    /// Timeout, seconds.
    pub timeout_secs: i64,
    /// Severity renames (`info`/`warn`/`crit`/`ok` → Alerta severity).
    pub rename: BTreeMap<String, String>,
}

fn tmpl(o: &Opts, key: &str, default: &str) -> Result<Template, String> {
    let mut src = o.string(key)?;
    if src.is_empty() {
        src = default.to_string();
    }
    Template::parse(&src).map_err(|e| format!("alerta handler: option {key:?}: {e}"))
}

impl AlertaOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<AlertaOptions, String> {
        for k in ["severity-expressions", "severity-names"] {
            if o.map.get(k).is_some_and(|v| !v.is_null()) {
                return Err(format!("not supported yet: alerta handler option {k:?}"));
            }
        }
        let mut token_prefix = o.string("token-prefix")?;
        if token_prefix.is_empty() {
            token_prefix = "Bearer".into();
        }
        let list = |key: &str| -> Result<Vec<Template>, String> {
            o.strings(key)?
                .iter()
                .map(|s| {
                    Template::parse(s).map_err(|e| format!("alerta handler: option {key:?}: {e}"))
                })
                .collect()
        };
        let timeout = o.duration("timeout", 0)?;
        Ok(AlertaOptions {
            url: o.string("url")?,
            token: o.string("token")?,
            token_prefix,
            resource: tmpl(o, "resource", "{{ .Name }}")?,
            event: tmpl(o, "event", "{{ .ID }}")?,
            environment: tmpl(o, "environment", "")?,
            group: tmpl(o, "group", "{{ .Group }}")?,
            value: tmpl(o, "value", "")?,
            origin: o.string("origin")?,
            service: list("service")?,
            correlate: list("correlate")?,
            timeout_secs: if timeout == 0 {
                24 * 3600
            } else {
                timeout / 1_000_000_000
            },
            rename: o.string_map("rename-severities")?.into_iter().collect(),
        })
    }
}

/// Template data of an event (Kapacitor's alert template fields).
pub fn template_data(event: &AlertEvent) -> TValue {
    let d = super::EventData::of(event);
    let mut m = BTreeMap::new();
    m.insert("ID".into(), TValue::Str(event.id.clone()));
    m.insert("Name".into(), TValue::Str(d.name));
    m.insert("TaskName".into(), TValue::Str(event.task.clone()));
    m.insert("Group".into(), TValue::Str(d.group));
    m.insert(
        "Tags".into(),
        TValue::Map(
            d.tags
                .into_iter()
                .map(|(k, v)| (k, TValue::Str(v)))
                .collect(),
        ),
    );
    m.insert("Message".into(), TValue::Str(event.state.message.clone()));
    m.insert("Details".into(), TValue::Str(event.state.details.clone()));
    m.insert(
        "Level".into(),
        TValue::Str(event.state.level.as_str().into()),
    );
    m.insert("Time".into(), TValue::Time(event.state.time));
    m.insert("Duration".into(), TValue::Duration(event.state.duration));
    TValue::Map(m)
}

/// The request body for an event.
pub fn payload(opts: &AlertaOptions, event: &AlertEvent) -> Result<serde_json::Value, String> {
    let td = template_data(event);
    let run = |t: &Template| t.execute(&td).map_err(|e| format!("alerta handler: {e}"));
    let resource = run(&opts.resource)?;
    let ev = run(&opts.event)?;
    if resource.is_empty() || ev.is_empty() {
        return Err("alerta handler: Resource and Event are required to send an alert".into());
    }
    let d = super::EventData::of(event);
    let many = |ts: &[Template]| -> Result<Vec<String>, String> {
        if ts.is_empty() {
            Ok(vec![d.name.clone()])
        } else {
            ts.iter().map(run).collect()
        }
    };
    let (mut severity, key) = match event.state.level {
        Level::Ok => ("ok", "ok"),
        Level::Info => ("informational", "info"),
        Level::Warning => ("warning", "warn"),
        Level::Critical => ("critical", "crit"),
    };
    if let Some(r) = opts.rename.get(key) {
        severity = r;
    }
    let tags: Vec<String> = d.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Ok(serde_json::json!({
        "resource": resource,
        "event": ev,
        "environment": run(&opts.environment)?,
        "severity": severity,
        "group": run(&opts.group)?,
        "value": run(&opts.value)?,
        "text": event.state.message,
        "origin": opts.origin,
        "rawData": event.data,
        "service": many(&opts.service)?,
        "correlate": many(&opts.correlate)?,
        "timeout": opts.timeout_secs,
        "tags": tags,
    }))
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &AlertaOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.url.is_empty() {
        return Err("alerta handler: missing option \"url\" (in the [alerta] section)".into());
    }
    let url = super::http::join_path(&opts.url, &["alert"])?;
    super::http::send(
        client
            .post(url)
            .header(
                "Authorization",
                format!("{} {}", opts.token_prefix, opts.token),
            )
            .json(&payload(opts, event)?),
        "alerta",
        &[201],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use crate::alert::Level;
    use serde_json::json;

    #[tokio::test]
    async fn posts_alert_with_templates() {
        let mut r = Receiver::start(201, "{\"status\":\"ok\"}").await;
        let s = spec(
            "alerta",
            json!({"url": format!("{}/api", r.url), "token": "t0k", "environment": "Production",
                   "origin": "almanac", "value": "{{ .Level }}", "timeout": "1h",
                   "service": ["{{ .TaskName }}"], "rename-severities": {"crit": "major"}}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/api/alert");
        assert_eq!(req.headers["authorization"], "Bearer t0k");
        assert_eq!(
            req.json(),
            json!({
                "resource": "cpu", "event": "cpu:host=serverA", "environment": "Production",
                "severity": "major", "group": "host=serverA", "value": "CRITICAL",
                "text": "cpu is high", "origin": "almanac",
                "rawData": event(Level::Critical).data,
                "service": ["cpu_alert"], "correlate": ["cpu"], "timeout": 3600,
                "tags": ["host=serverA"],
            })
        );
    }
}
