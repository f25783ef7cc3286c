//! `telegram` handler: the Bot API's `sendMessage`, posted to
//! `<url><token>/sendMessage`. Options (handler, over the `[telegram]`
//! section): `chat-id`, `parse-mode` (`Markdown` or `HTML`),
//! `disable-web-page-preview`, `disable-notification`; section: `url`, `token`.

use super::opts::Opts;
use crate::alert::AlertEvent;

/// Telegram handler options.
#[derive(Debug, Clone)]
pub struct TelegramOptions {
    /// Bot API base URL (`https://api.telegram.org/bot`).
    pub url: String,
    /// Bot token.
    pub token: String,
    /// Chat to send to.
    pub chat_id: String,
    /// `Markdown`, `HTML` or empty.
    pub parse_mode: String,
    /// No link previews.
    pub disable_web_page_preview: bool,
    /// Silent message.
    pub disable_notification: bool,
}

impl TelegramOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<TelegramOptions, String> {
        let parse_mode = o.string("parse-mode")?;
        let lower = parse_mode.to_ascii_lowercase();
        if !parse_mode.is_empty() && lower != "markdown" && lower != "html" {
            return Err(format!(
                "telegram handler: parseMode {parse_mode} is not valid, please use 'Markdown' or 'HTML'"
            ));
        }
        Ok(TelegramOptions {
            url: o.string("url")?,
            token: o.string("token")?,
            chat_id: o.string("chat-id")?,
            parse_mode,
            disable_web_page_preview: o.bool("disable-web-page-preview")?,
            disable_notification: o.bool("disable-notification")?,
        })
    }
}

/// The request body for an event.
pub fn payload(opts: &TelegramOptions, event: &AlertEvent) -> serde_json::Value {
    let mut body = serde_json::json!({"chat_id": opts.chat_id, "text": event.state.message});
    if !opts.parse_mode.is_empty() {
        body["parse_mode"] = opts.parse_mode.clone().into();
    }
    if opts.disable_web_page_preview {
        body["disable_web_page_preview"] = true.into();
    }
    if opts.disable_notification {
        body["disable_notification"] = true.into();
    }
    body
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &TelegramOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.token.is_empty() {
        return Err(
            "telegram handler: missing option \"token\" (in the [telegram] section)".into(),
        );
    }
    if opts.chat_id.is_empty() {
        return Err("telegram handler: missing option \"chat-id\" (in the handler or the [telegram] section)".into());
    }
    let url = format!("{}{}/sendMessage", opts.url, opts.token);
    super::http::send(
        client.post(url).json(&payload(opts, event)),
        "telegram",
        &[200],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec, Receiver};
    use crate::alert::Level;
    use serde_json::json;

    #[tokio::test]
    async fn sends_message_to_bot_path() {
        let mut r = Receiver::start(200, "{\"ok\":true}").await;
        let s = spec(
            "telegram",
            json!({"url": format!("{}/bot", r.url), "token": "123:abc", "chat-id": "-100",
                   "parse-mode": "Markdown", "disable-notification": true}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/bot123:abc/sendMessage");
        assert_eq!(
            req.json(),
            json!({"chat_id": "-100", "text": "cpu is high", "parse_mode": "Markdown",
                   "disable_notification": true})
        );
    }

    #[test]
    fn rejects_unknown_parse_mode() {
        let e =
            super::super::validate(&spec("telegram", json!({"parse-mode": "rst"}))).unwrap_err();
        assert!(e.contains("parseMode rst is not valid"), "{e}");
    }
}
