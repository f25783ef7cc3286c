//! `opsgenie2` handler: OpsGenie Alert API v2. A non-OK event creates an
//! alert (alias: the URL-safe base64 of the alert id); an OK event posts the
//! recovery action (`close` or `notes`) to that alias. Options (handler,
//! over the `[opsgenie2]` section): `teams-list`, `recipients-list`,
//! `recovery-action`; section: `api-key`, `url`, `teams`, `recipients`,
//! `recovery_action`.

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// OpsGenie v2 handler options.
#[derive(Debug, Clone)]
pub struct OpsGenie2Options {
    /// Alerts API URL.
    pub url: String,
    /// API key (`Authorization: GenieKey <key>`).
    pub api_key: String,
    /// Responder teams.
    pub teams: Vec<String>,
    /// Responder users.
    pub recipients: Vec<String>,
    /// `close` or `notes`.
    pub recovery_action: String,
}

impl OpsGenie2Options {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<OpsGenie2Options, String> {
        let mut teams = o.strings("teams-list")?;
        if teams.is_empty() {
            teams = o.strings("teams")?;
        }
        let mut recipients = o.strings("recipients-list")?;
        if recipients.is_empty() {
            recipients = o.strings("recipients")?;
        }
        let valid = |a: &str| a == "close" || a == "notes";
        let handler_action = o.string("recovery-action")?;
        let config_action = o.string("recovery_action")?;
        let recovery_action = if valid(&handler_action) {
            handler_action
        } else if valid(&config_action) {
            config_action
        } else {
            "notes".to_string()
        };
        Ok(OpsGenie2Options {
            url: o.string("url")?,
            api_key: o.string("api-key")?,
            teams,
            recipients,
            recovery_action,
        })
    }
}

/// URL-safe base64 with padding (Go's `base64.URLEncoding`).
pub fn base64_url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (c.get(1).copied().unwrap_or(0) as u32) << 8
            | c.get(2).copied().unwrap_or(0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The request URL and body for an event.
pub fn request(
    opts: &OpsGenie2Options,
    event: &AlertEvent,
) -> Result<(String, serde_json::Value), String> {
    let alias = base64_url(event.id.as_bytes());
    if event.state.level == Level::Ok {
        let mut url = super::http::join_path(&opts.url, &[&alias, &opts.recovery_action])?;
        url.push_str("?identifierType=alias");
        return Ok((url, serde_json::json!({"note": event.state.message})));
    }
    let priority = match event.state.level {
        Level::Info => "P5",
        Level::Warning => "P3",
        _ => "P1",
    };
    let mut details = serde_json::Map::new();
    details.insert("Monitoring Tool".into(), "Kapacitor".into());
    details.insert("Level".into(), event.state.level.as_str().into());
    if let Some(first) = event.data["series"].get(0) {
        if let Some(tags) = first["tags"].as_object() {
            for (k, v) in tags {
                details.insert(k.clone(), v.clone());
            }
        }
        details.insert(
            "Kapacitor Task Name".into(),
            first["name"].as_str().unwrap_or_default().into(),
        );
    }
    let mut body = serde_json::json!({
        "entity": event.id,
        "alias": alias,
        "message": event.state.message,
        "note": "",
        "priority": priority,
        "description": event.data.to_string(),
        "details": details,
    });
    let responders: Vec<serde_json::Value> = opts
        .teams
        .iter()
        .map(|t| serde_json::json!({"name": t, "type": "team"}))
        .chain(
            opts.recipients
                .iter()
                .map(|u| serde_json::json!({"username": u, "type": "user"})),
        )
        .collect();
    if !responders.is_empty() {
        body["responders"] = responders.into();
    }
    Ok((opts.url.clone(), body))
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &OpsGenie2Options,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.api_key.is_empty() {
        return Err("opsgenie2 handler: missing option \"api-key\" (in the handler or the [opsgenie2] section)".into());
    }
    let (url, body) = request(opts, event)?;
    super::http::send(
        client
            .post(url)
            .header("Authorization", format!("GenieKey {}", opts.api_key))
            .json(&body),
        "opsgenie2",
        &[202],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use super::base64_url;
    use crate::alert::Level;
    use serde_json::json;

    #[test]
    fn base64_matches_go_url_encoding() {
        assert_eq!(base64_url(b"cpu:host=serverA"), "Y3B1Omhvc3Q9c2VydmVyQQ==");
        assert_eq!(base64_url(b"a?>"), "YT8-");
        assert_eq!(base64_url(b""), "");
    }

    #[tokio::test]
    async fn creates_then_closes_by_alias() {
        let mut r = Receiver::start(202, "{}").await;
        let s = spec(
            "opsgenie2",
            json!({"url": format!("{}/v2/alerts", r.url), "api-key": "k1",
                   "teams-list": ["ops"], "recipients-list": ["bob"], "recovery-action": "close"}),
        );
        let client = reqwest::Client::new();
        super::super::deliver(&client, &s, &event(Level::Warning))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/v2/alerts");
        assert_eq!(req.headers["authorization"], "GenieKey k1");
        assert_eq!(
            req.json(),
            json!({
                "entity": "cpu:host=serverA", "alias": "Y3B1Omhvc3Q9c2VydmVyQQ==",
                "message": "cpu is high", "note": "", "priority": "P3",
                "description": event(Level::Warning).data.to_string(),
                "details": {"Monitoring Tool": "Kapacitor", "Level": "WARNING",
                            "host": "serverA", "Kapacitor Task Name": "cpu"},
                "responders": [{"name": "ops", "type": "team"}, {"username": "bob", "type": "user"}],
            })
        );
        super::super::deliver(&client, &s, &event(Level::Ok))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(
            req.path,
            "/v2/alerts/Y3B1Omhvc3Q9c2VydmVyQQ==/close?identifierType=alias"
        );
        assert_eq!(req.json(), json!({"note": "cpu is high"}));
    }
}
