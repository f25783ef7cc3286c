//! `discord` handler: posts an embed to a Discord webhook. Options
//! (handler, over the `[discord]` section): `workspace`, `username`,
//! `avatar-url`, `embed-title`, `timestamp` (show the alert time);
//! section: `url`.

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// Discord handler options.
#[derive(Debug, Clone)]
pub struct DiscordOptions {
    /// Webhook URL.
    pub url: String,
    /// Webhook user name override.
    pub username: String,
    /// Webhook avatar override.
    pub avatar_url: String,
    /// Embed title.
    pub embed_title: String,
    /// Put the alert time in the embed.
    pub timestamp: bool,
}

impl DiscordOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<DiscordOptions, String> {
        let w = o.string("workspace")?;
        let configured = super::config::global()
            .section("discord")
            .and_then(|s| {
                s.get("workspace")
                    .and_then(|v| v.as_str())
                    .map(String::from)
            })
            .unwrap_or_default();
        if !w.is_empty() && w != configured {
            return Err(format!(
                "discord handler: workspace id not found: {w:?} (the [discord] section is workspace {configured:?})"
            ));
        }
        Ok(DiscordOptions {
            url: o.string("url")?,
            username: o.string("username")?,
            avatar_url: o.string("avatar-url")?,
            embed_title: o.string("embed-title")?,
            timestamp: o.bool("timestamp")?,
        })
    }
}

/// The request body for an event.
pub fn payload(opts: &DiscordOptions, event: &AlertEvent) -> serde_json::Value {
    let color = match event.state.level {
        Level::Critical => 0xF95F53,
        Level::Warning => 0xF48D38,
        _ => 0x7A65F2,
    };
    let timestamp = if opts.timestamp {
        chrono::DateTime::from_timestamp_nanos(event.state.time)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    } else {
        String::new()
    };
    let mut body = serde_json::json!({
        "embeds": [{
            "color": color,
            "title": opts.embed_title,
            "description": event.state.message,
            "timestamp": timestamp,
        }],
    });
    if !opts.username.is_empty() {
        body["username"] = opts.username.clone().into();
    }
    if !opts.avatar_url.is_empty() {
        body["avatar_url"] = opts.avatar_url.clone().into();
    }
    body
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &DiscordOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.url.is_empty() {
        return Err("discord handler: missing option \"url\" (the webhook, in the handler or the [discord] section)".into());
    }
    super::http::send(
        client.post(&opts.url).json(&payload(opts, event)),
        "discord",
        &[200, 204],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use crate::alert::Level;
    use serde_json::json;

    #[tokio::test]
    async fn posts_embed() {
        let mut r = Receiver::start(204, "").await;
        let s = spec(
            "discord",
            json!({"url": format!("{}/api/webhooks/1/t", r.url), "username": "kap",
                   "embed-title": "Alert", "timestamp": true}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/api/webhooks/1/t");
        assert_eq!(
            req.json(),
            json!({"username": "kap", "embeds": [{"color": 0xF95F53, "title": "Alert",
                   "description": "cpu is high", "timestamp": "2023-11-14T22:13:20Z"}]})
        );
    }
}
