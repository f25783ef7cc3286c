//! `pagerduty2` handler: PagerDuty Events API v2. A non-OK event is a
//! `trigger` with the alert id as `dedup_key`; an OK event `resolve`s it.
//! Options (handler, over the `[pagerduty2]` section): `routing-key`,
//! `links` (list of `{"href", "text"}`), `url` (default the events API).

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// PagerDuty v2 handler options.
#[derive(Debug, Clone)]
pub struct PagerDuty2Options {
    /// Events API URL.
    pub url: String,
    /// Integration (routing) key.
    pub routing_key: String,
    /// Links added to triggered incidents: (href, text).
    pub links: Vec<(String, String)>,
}

impl PagerDuty2Options {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<PagerDuty2Options, String> {
        let mut links = Vec::new();
        match o.map.get("links") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Array(a)) => {
                for l in a {
                    let href = l
                        .get("href")
                        .and_then(|v| v.as_str())
                        .ok_or("pagerduty2 handler: each link needs an \"href\" string")?;
                    let text = match l.get("text") {
                        None => "",
                        Some(v) => v
                            .as_str()
                            .ok_or("pagerduty2 handler: a link's \"text\" must be a string")?,
                    };
                    links.push((href.to_string(), text.to_string()));
                }
            }
            Some(_) => return Err("pagerduty2 handler: option \"links\" must be a list".into()),
        }
        Ok(PagerDuty2Options {
            url: o.string("url")?,
            routing_key: o.string("routing-key")?,
            links,
        })
    }
}

/// The request body for an event.
pub fn payload(opts: &PagerDuty2Options, event: &AlertEvent) -> serde_json::Value {
    let severity = match event.state.level {
        Level::Ok => {
            return serde_json::json!({
                "routing_key": opts.routing_key,
                "dedup_key": event.id,
                "event_action": "resolve",
            })
        }
        Level::Info => "info",
        Level::Warning => "warning",
        Level::Critical => "critical",
    };
    let data = super::EventData::of(event);
    let timestamp = chrono::DateTime::from_timestamp_nanos(event.state.time)
        .format("%Y-%m-%dT%H:%M:%S%.9fZ")
        .to_string();
    let links: Vec<serde_json::Value> = opts
        .links
        .iter()
        .map(|(href, text)| serde_json::json!({"href": href, "text": text}))
        .collect();
    serde_json::json!({
        "routing_key": opts.routing_key,
        "event_action": "trigger",
        "dedup_key": event.id,
        "payload": {
            "summary": event.state.message,
            "source": data.tags.get("host").cloned().unwrap_or_else(|| "unknown".into()),
            "severity": severity,
            "timestamp": timestamp,
            "class": event.task,
            "component": "",
            "group": "",
            "custom_details": {"result": event.data},
        },
        "images": null,
        "links": if links.is_empty() { serde_json::Value::Null } else { links.into() },
        "client": "kapacitor",
        "client_url": "",
    })
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &PagerDuty2Options,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.routing_key.is_empty() {
        return Err("pagerduty2 handler: missing option \"routing-key\" (in the handler or the [pagerduty2] section)".into());
    }
    super::http::send(
        client
            .post(&opts.url)
            .header("Accept", "application/vnd.pagerduty+json;version=2")
            .json(&payload(opts, event)),
        "pagerduty2",
        &[200, 202],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use crate::alert::Level;
    use serde_json::json;

    #[tokio::test]
    async fn triggers_then_resolves_with_dedup_key() {
        let mut r = Receiver::start(202, "{\"status\":\"success\"}").await;
        let s = spec(
            "pagerduty2",
            json!({"url": format!("{}/v2/enqueue", r.url), "routing-key": "rk1",
                   "links": [{"href": "http://dash/cpu", "text": "dashboard"}]}),
        );
        let client = reqwest::Client::new();
        super::super::deliver(&client, &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/v2/enqueue");
        assert_eq!(
            req.headers["accept"],
            "application/vnd.pagerduty+json;version=2"
        );
        assert_eq!(
            req.json(),
            json!({
                "routing_key": "rk1", "event_action": "trigger", "dedup_key": "cpu:host=serverA",
                "payload": {
                    "summary": "cpu is high", "source": "serverA", "severity": "critical",
                    "timestamp": "2023-11-14T22:13:20.123000000Z", "class": "cpu_alert",
                    "component": "", "group": "",
                    "custom_details": {"result": event(Level::Critical).data},
                },
                "images": null,
                "links": [{"href": "http://dash/cpu", "text": "dashboard"}],
                "client": "kapacitor", "client_url": "",
            })
        );
        super::super::deliver(&client, &s, &event(Level::Ok))
            .await
            .unwrap();
        assert_eq!(
            r.next().await.json(),
            json!({"routing_key": "rk1", "dedup_key": "cpu:host=serverA", "event_action": "resolve"})
        );
    }

    #[tokio::test]
    async fn missing_routing_key_is_an_error() {
        let s = spec("pagerduty2", json!({}));
        let e = super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap_err();
        assert!(e.contains("routing-key"), "{e}");
    }
}
