//! `slack` handler: posts the alert message to a Slack incoming webhook in
//! Kapacitor's payload (`attachments` with the message, colored `good`,
//! `warning` or `danger` by level). Almanac has no `[slack]` configuration
//! section yet, so the webhook `url` is a handler option.

use super::opt_str;
use crate::alert::{AlertEvent, HandlerSpec, Level};

/// Options: `url` (required), `channel`, `username`, `icon-emoji`.
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

fn opt(spec: &HandlerSpec, key: &str) -> Result<String, String> {
    match spec.options.get(key) {
        None => Ok(String::new()),
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("slack handler: option {key:?} must be a string")),
    }
}

impl SlackOptions {
    /// Reads the options of a spec.
    pub fn from_spec(spec: &HandlerSpec) -> Result<SlackOptions, String> {
        if spec.options.contains_key("workspace") {
            return Err(
                "not supported yet: slack workspaces from the configuration; give a url".into(),
            );
        }
        let url = opt_str(spec, "url")
            .map_err(|_| "slack handler: missing option \"url\" (the incoming webhook; Almanac has no [slack] configuration yet)".to_string())?;
        Ok(SlackOptions {
            url,
            channel: opt(spec, "channel")?,
            username: opt(spec, "username")?,
            icon_emoji: opt(spec, "icon-emoji")?,
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
    let resp = client
        .post(&opts.url)
        .timeout(std::time::Duration::from_secs(30))
        .json(&payload(opts, event))
        .send()
        .await
        .map_err(|e| format!("slack handler: {e}"))?;
    let status = resp.status();
    if status != reqwest::StatusCode::OK {
        let body = resp.text().await.unwrap_or_default();
        return Err(format!(
            "slack handler: failed to understand Slack response. code: {} content: {body}",
            status.as_u16()
        ));
    }
    Ok(())
}
