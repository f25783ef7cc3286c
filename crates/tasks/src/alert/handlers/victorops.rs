//! `victorops` handler: VictorOps (Splunk On-Call) REST endpoint, posting
//! to `<url>/<api-key>/<routing-key>`. Options (handler, over the
//! `[victorops]` section): `routing-key`; section: `api-key`, `url`, `json-data`.

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// VictorOps handler options.
#[derive(Debug, Clone)]
pub struct VictorOpsOptions {
    /// REST endpoint base URL.
    pub url: String,
    /// API key.
    pub api_key: String,
    /// Routing key.
    pub routing_key: String,
    /// Send the data as JSON instead of JSON text.
    pub json_data: bool,
}

impl VictorOpsOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<VictorOpsOptions, String> {
        Ok(VictorOpsOptions {
            url: o.string("url")?,
            api_key: o.string("api-key")?,
            routing_key: o.string("routing-key")?,
            json_data: o.bool("json-data")?,
        })
    }
}

/// The request body for an event.
pub fn payload(opts: &VictorOpsOptions, event: &AlertEvent) -> serde_json::Value {
    let message_type = match event.state.level {
        Level::Ok => "RECOVERY",
        l => l.as_str(),
    };
    serde_json::json!({
        "message_type": message_type,
        "entity_id": event.id,
        "state_message": event.state.message,
        "timestamp": event.state.time.div_euclid(1_000_000_000),
        "monitoring_tool": "kapacitor",
        "data": if opts.json_data { event.data.clone() } else { event.data.to_string().into() },
    })
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &VictorOpsOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.api_key.is_empty() {
        return Err(
            "victorops handler: missing option \"api-key\" (in the [victorops] section)".into(),
        );
    }
    let url = super::http::join_path(&opts.url, &[&opts.api_key, &opts.routing_key])?;
    let resp = client
        .post(url)
        .json(&payload(opts, event))
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| format!("victorops: {e}"))?;
    match resp.status().as_u16() {
        200 => Ok(()),
        404 => Err("victorops: URL or API key not found: 404".into()),
        code => Err(format!(
            "victorops: failed to understand VictorOps response. code: {code} content: {}",
            resp.text().await.unwrap_or_default().trim()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use crate::alert::Level;
    use serde_json::json;

    #[tokio::test]
    async fn posts_to_api_and_routing_key_path() {
        let mut r = Receiver::start(200, "{\"result\":\"success\"}").await;
        let s = spec(
            "victorops",
            json!({"url": format!("{}/integrations/generic/20131114/alert", r.url),
                   "api-key": "api1", "routing-key": "team-a"}),
        );
        let client = reqwest::Client::new();
        super::super::deliver(&client, &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/integrations/generic/20131114/alert/api1/team-a");
        assert_eq!(
            req.json(),
            json!({
                "message_type": "CRITICAL", "entity_id": "cpu:host=serverA",
                "state_message": "cpu is high", "timestamp": 1_700_000_000i64,
                "monitoring_tool": "kapacitor",
                "data": event(Level::Critical).data.to_string(),
            })
        );
        super::super::deliver(&client, &s, &event(Level::Ok))
            .await
            .unwrap();
        assert_eq!(r.next().await.json()["message_type"], "RECOVERY");
    }
}
