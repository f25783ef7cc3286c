//! `slack` handler: posts the alert message to a Slack incoming webhook in
//! Kapacitor's payload (`attachments` with the message, colored `good`,
//! `warning` or `danger` by level). Options (handler, over the `[slack]`
//! section): `url`, `workspace`, `channel`, `username`, `icon-emoji`.

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// Slack handler options.
#[derive(Debug, Clone)]
pub struct SlackOptions {
    /// Webhook URL.
    pub url: String,
    /// Channel (`#alerts`, `@user`).
    pub channel: String,
    /// Bot user name.
    pub username: String,
    /// Emoji replacing the bot's icon (`:smile:`).
    pub icon_emoji: String,
}

impl SlackOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<SlackOptions, String> {
        // Almanac has one [slack] section: a handler may name its workspace
        // only when it is that one.
        if let Some(serde_json::Value::String(w)) = o.map.get("workspace") {
            let configured = super::config::global()
                .section("slack")
                .and_then(|s| {
                    s.get("workspace")
                        .and_then(|v| v.as_str())
                        .map(String::from)
                })
                .unwrap_or_default();
            if !w.is_empty() && *w != configured {
                return Err(format!(
                    "slack handler: unknown workspace {w:?} (the [slack] section is workspace {configured:?})"
                ));
            }
        }
        Ok(SlackOptions {
            url: o.string("url")?,
            channel: o.string("channel")?,
            username: o.string("username")?,
            icon_emoji: o.string("icon-emoji")?,
        })
    }
}

/// Kapacitor's Slack payload for an event.
pub fn payload(opts: &SlackOptions, event: &AlertEvent) -> serde_json::Value {
    let color = match event.state.level {
        Level::Warning => "warning",
        Level::Critical => "danger",
        _ => "good",
    };
    serde_json::json!({
        "as_user": false,
        "channel": opts.channel,
        "text": "",
        "attachments": [{
            "fallback": event.state.message,
            "color": color,
            "text": event.state.message,
            "mrkdwn_in": ["text"],
        }],
        "username": opts.username,
        "icon_emoji": opts.icon_emoji,
    })
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &SlackOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.url.is_empty() {
        return Err("slack handler: missing option \"url\" (the incoming webhook, in the handler or the [slack] section)".into());
    }
    super::http::send(
        client.post(&opts.url).json(&payload(opts, event)),
        "slack",
        &[200],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use crate::alert::Level;

    #[tokio::test]
    async fn posts_attachment_payload() {
        let mut r = Receiver::start(200, "ok").await;
        let s = spec(
            "slack",
            serde_json::json!({"url": format!("{}/services/T/B/X", r.url), "channel": "#alerts"}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/services/T/B/X")
        );
        assert_eq!(req.headers["content-type"], "application/json");
        assert_eq!(
            req.json(),
            serde_json::json!({
                "as_user": false, "channel": "#alerts", "text": "",
                "attachments": [{"fallback": "cpu is high", "color": "danger",
                    "text": "cpu is high", "mrkdwn_in": ["text"]}],
                "username": "kapacitor", "icon_emoji": "",
            })
        );
    }
}
