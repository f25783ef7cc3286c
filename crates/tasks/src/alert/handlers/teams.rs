//! `teams` handler: posts a Microsoft Teams MessageCard to a channel's
//! incoming webhook. Options (handler, over the `[teams]` section):
//! `channel-url`.

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// Teams handler options.
#[derive(Debug, Clone)]
pub struct TeamsOptions {
    /// The channel's webhook URL.
    pub channel_url: String,
}

impl TeamsOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<TeamsOptions, String> {
        Ok(TeamsOptions {
            channel_url: o.string("channel-url")?,
        })
    }
}

/// The MessageCard Kapacitor sends: title `LEVEL: [id]`, the message as
/// text, a summary cut to 70 characters plus `...`, and a theme color by level.
pub fn payload(event: &AlertEvent) -> serde_json::Value {
    let level = event.state.level.as_str();
    let message = &event.state.message;
    let (title, summary) = if event.id.is_empty() && event.topic.is_empty() {
        (level.to_string(), format!("{level}: {message}"))
    } else {
        let t = if event.id.is_empty() {
            &event.topic
        } else {
            &event.id
        };
        let title = format!("{level}: [{t}]");
        let summary = format!("{title} - {message}");
        (title, summary)
    };
    // Kapacitor cuts the summary at 70 bytes; cut at a character boundary.
    let mut cut = String::new();
    for c in summary.chars() {
        if cut.len() + c.len_utf8() > 70 {
            break;
        }
        cut.push(c);
    }
    let color = match event.state.level {
        Level::Warning => "FFA533",
        Level::Critical => "CC4A31",
        _ => "34CC25",
    };
    serde_json::json!({
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "title": title,
        "text": message,
        "summary": format!("{cut}..."),
        "themeColor": color,
    })
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &TeamsOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    if !(opts.channel_url.starts_with("http://") || opts.channel_url.starts_with("https://")) {
        return Err(format!(
            "teams handler: option \"channel-url\" must be the channel's webhook URL, got {:?}",
            opts.channel_url
        ));
    }
    super::http::send(
        client.post(&opts.channel_url).json(&payload(event)),
        "teams",
        &[200, 204],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use crate::alert::Level;

    #[tokio::test]
    async fn posts_message_card() {
        let mut r = Receiver::start(200, "1").await;
        let s = spec(
            "teams",
            serde_json::json!({"channel-url": format!("{}/webhook/abc", r.url)}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Warning))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/webhook/abc");
        assert_eq!(
            req.json(),
            serde_json::json!({
                "@type": "MessageCard",
                "@context": "http://schema.org/extensions",
                "title": "WARNING: [cpu:host=serverA]",
                "text": "cpu is high",
                "summary": "WARNING: [cpu:host=serverA] - cpu is high...",
                "themeColor": "FFA533",
            })
        );
    }

    #[tokio::test]
    async fn reports_service_errors() {
        let r = Receiver::start(400, "{\"error\":\"bad card\"}").await;
        let s = spec("teams", serde_json::json!({"channel-url": r.url}));
        let e = super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap_err();
        assert_eq!(e, "teams: status 400: bad card");
    }
}
