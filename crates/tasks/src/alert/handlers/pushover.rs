//! `pushover` handler: Pushover's messages API, a form POST with the
//! priority taken from the level (OK -2, INFO -1, WARNING 0, CRITICAL 1).
//! Options (handler, over the `[pushover]` section): `user-key`, `device`,
//! `title`, `url`, `url-title`, `sound`; section: `token`, `user-key`, `url`
//! (the API endpoint; a handler's `url` is the supplementary URL shown with
//! the message).

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// Pushover handler options.
#[derive(Debug, Clone)]
pub struct PushoverOptions {
    /// API endpoint.
    pub api_url: String,
    /// Application token.
    pub token: String,
    /// User or group key.
    pub user_key: String,
    /// Device names (comma-separated).
    pub device: String,
    /// Message title.
    pub title: String,
    /// Supplementary URL.
    pub url: String,
    /// Its title.
    pub url_title: String,
    /// Notification sound.
    pub sound: String,
}

impl PushoverOptions {
    /// Reads the merged options: the section's `url` is the API endpoint,
    /// so the handler's supplementary `url` is read from the spec alone.
    pub fn parse(o: &Opts) -> Result<PushoverOptions, String> {
        let section = super::config::global()
            .section("pushover")
            .unwrap_or_default();
        let api_url = match section.get("url") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let url = o.string("url")?;
        Ok(PushoverOptions {
            // A spec's `url` equal to the endpoint came from the section.
            url: if url == api_url { String::new() } else { url },
            api_url,
            token: o.string("token")?,
            user_key: o.string("user-key")?,
            device: o.string("device")?,
            title: o.string("title")?,
            url_title: o.string("url-title")?,
            sound: o.string("sound")?,
        })
    }
}

/// Pushover's priority for a level.
pub fn priority(level: Level) -> i32 {
    match level {
        Level::Ok => -2,
        Level::Info => -1,
        Level::Warning => 0,
        Level::Critical => 1,
    }
}

/// The form fields for an event.
pub fn form(opts: &PushoverOptions, event: &AlertEvent) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("token", opts.token.clone()),
        ("user", opts.user_key.clone()),
        ("message", event.state.message.clone()),
        ("priority", priority(event.state.level).to_string()),
    ];
    for (k, v) in [
        ("device", &opts.device),
        ("title", &opts.title),
        ("url", &opts.url),
        ("url_title", &opts.url_title),
        ("sound", &opts.sound),
    ] {
        if !v.is_empty() {
            f.push((k, v.clone()));
        }
    }
    f
}

/// Sends the event.
pub async fn deliver(
    client: &reqwest::Client,
    opts: &PushoverOptions,
    event: &AlertEvent,
) -> Result<(), String> {
    if opts.token.is_empty() || opts.user_key.is_empty() {
        return Err("pushover handler: missing option \"token\" or \"user-key\" (in the [pushover] section)".into());
    }
    super::http::send(
        client.post(&opts.api_url).form(&form(opts, event)),
        "pushover",
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
    async fn posts_form_with_priority() {
        let mut r = Receiver::start(200, "{\"status\":1}").await;
        // The API endpoint is the [pushover] section's url (only this test sets it).
        let set = json!({"url": format!("{}/1/messages.json", r.url), "token": "tok"});
        super::super::config::global()
            .update("pushover", set.as_object().unwrap(), &[])
            .unwrap();
        let s = spec(
            "pushover",
            json!({"user-key": "usr", "title": "CPU", "url": "http://dash", "sound": "siren"}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap();
        let req = r.next().await;
        assert_eq!(req.path, "/1/messages.json");
        assert_eq!(
            req.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            req.body,
            "token=tok&user=usr&message=cpu+is+high&priority=1&title=CPU&url=http%3A%2F%2Fdash&sound=siren"
        );
    }
}
