//! Alert handlers, one module each, behind a small registry: [`validate`]
//! checks a spec's options when it is defined, [`deliver`] sends an event,
//! [`test_event`] sends a test alert through a service.
//!
//! `log`, `post`, `tcp` and `exec` send Kapacitor's alert data JSON
//! ([`AlertEvent::alert_data`]); the service handlers (`smtp`, `slack`,
//! `teams`, `pagerduty2`, `opsgenie2`, `victorops`, `telegram`, `discord`,
//! `pushover`, `sensu`, `alerta`, `mqtt`, `kafka`) send the payload each
//! service's API expects, with options merged from their [`config`] section. The
//! TICKscript methods that create handlers (`.email()`, `.pagerDuty2()`,
//! ...) are in [`tick`].

pub mod alerta;
pub mod config;
pub mod discord;
pub mod exec;
mod http;
pub mod httppost;
pub mod kafka;
pub mod log;
pub mod matcher;
pub mod mqtt;
pub mod opsgenie2;
pub mod opts;
pub mod pagerduty2;
pub mod post;
pub mod pushover;
pub mod sensu;
pub mod slack;
pub mod smtp;
pub mod tcp;
pub mod teams;
pub mod telegram;
pub mod tick;
pub mod victorops;

#[cfg(test)]
pub(crate) mod kafka_testbroker;
#[cfg(test)]
pub(crate) mod testutil;

use super::{AlertEvent, EventState, HandlerSpec, Level};
use opts::Opts;

/// Handler kinds this engine implements.
pub const KINDS: &[&str] = &[
    "log",
    "post",
    "tcp",
    "exec",
    "slack",
    "smtp",
    "teams",
    "pagerduty2",
    "opsgenie2",
    "victorops",
    "telegram",
    "discord",
    "pushover",
    "sensu",
    "alerta",
    "mqtt",
    "kafka",
];

/// Checks a handler spec (kind known, options typed; options that may come
/// from the service configuration are checked when an event is sent).
pub fn validate(spec: &HandlerSpec) -> Result<(), String> {
    if !spec.match_expr.is_empty() {
        matcher::Match::parse(&spec.match_expr)?;
    }
    match spec.kind.as_str() {
        "log" => log::LogOptions::from_spec(spec).map(|_| ()),
        "post" => post::PostOptions::from_spec(spec).map(|_| ()),
        "tcp" => tcp::TcpOptions::from_spec(spec).map(|_| ()),
        "exec" => exec::ExecOptions::from_spec(spec).map(|_| ()),
        kind if KINDS.contains(&kind) => {
            let m = config::global().merged(spec)?;
            parse_service(&Opts::new(kind, &m)).map(|_| ())
        }
        other => Err(format!("not supported yet: alert handler kind {other:?}")),
    }
}

/// A service handler's parsed options.
enum Service {
    Slack(slack::SlackOptions),
    Smtp(smtp::SmtpOptions),
    Teams(teams::TeamsOptions),
    PagerDuty2(pagerduty2::PagerDuty2Options),
    OpsGenie2(opsgenie2::OpsGenie2Options),
    VictorOps(victorops::VictorOpsOptions),
    Telegram(telegram::TelegramOptions),
    Discord(discord::DiscordOptions),
    Pushover(pushover::PushoverOptions),
    Sensu(sensu::SensuOptions),
    Alerta(alerta::AlertaOptions),
    Mqtt(mqtt::MqttOptions),
    Kafka(kafka::KafkaOptions),
}

fn parse_service(o: &Opts) -> Result<Service, String> {
    Ok(match o.kind {
        "slack" => Service::Slack(slack::SlackOptions::parse(o)?),
        "smtp" => Service::Smtp(smtp::SmtpOptions::parse(o)?),
        "teams" => Service::Teams(teams::TeamsOptions::parse(o)?),
        "pagerduty2" => Service::PagerDuty2(pagerduty2::PagerDuty2Options::parse(o)?),
        "opsgenie2" => Service::OpsGenie2(opsgenie2::OpsGenie2Options::parse(o)?),
        "victorops" => Service::VictorOps(victorops::VictorOpsOptions::parse(o)?),
        "telegram" => Service::Telegram(telegram::TelegramOptions::parse(o)?),
        "discord" => Service::Discord(discord::DiscordOptions::parse(o)?),
        "pushover" => Service::Pushover(pushover::PushoverOptions::parse(o)?),
        "sensu" => Service::Sensu(sensu::SensuOptions::parse(o)?),
        "alerta" => Service::Alerta(alerta::AlertaOptions::parse(o)?),
        "mqtt" => Service::Mqtt(mqtt::MqttOptions::parse(o)?),
        "kafka" => Service::Kafka(kafka::KafkaOptions::parse(o)?),
        other => return Err(format!("not supported yet: alert handler kind {other:?}")),
    })
}

/// Whether delivery of this kind must run on the async runtime.
pub fn is_async(kind: &str) -> bool {
    kind != "log"
}

/// Delivers synchronously (only `log`).
pub fn deliver_sync(spec: &HandlerSpec, event: &AlertEvent) -> Result<(), String> {
    if !matches(spec, event)? {
        return Ok(());
    }
    match spec.kind.as_str() {
        "log" => log::deliver(&log::LogOptions::from_spec(spec)?, event),
        other => Err(format!("handler {other} is asynchronous")),
    }
}

/// Delivers one event through one handler.
pub async fn deliver(
    client: &reqwest::Client,
    spec: &HandlerSpec,
    event: &AlertEvent,
) -> Result<(), String> {
    if !matches(spec, event)? {
        return Ok(());
    }
    match spec.kind.as_str() {
        "log" => log::deliver(&log::LogOptions::from_spec(spec)?, event),
        "post" => post::deliver(client, &post::PostOptions::from_spec(spec)?, event).await,
        "tcp" => tcp::deliver(&tcp::TcpOptions::from_spec(spec)?, event).await,
        "exec" => exec::deliver(&exec::ExecOptions::from_spec(spec)?, event).await,
        kind => {
            let m = config::global().merged(spec)?;
            match parse_service(&Opts::new(kind, &m))? {
                Service::Slack(o) => slack::deliver(client, &o, event).await,
                Service::Smtp(o) => smtp::deliver(&o, event).await,
                Service::Teams(o) => teams::deliver(client, &o, event).await,
                Service::PagerDuty2(o) => pagerduty2::deliver(client, &o, event).await,
                Service::OpsGenie2(o) => opsgenie2::deliver(client, &o, event).await,
                Service::VictorOps(o) => victorops::deliver(client, &o, event).await,
                Service::Telegram(o) => telegram::deliver(client, &o, event).await,
                Service::Discord(o) => discord::deliver(client, &o, event).await,
                Service::Pushover(o) => pushover::deliver(client, &o, event).await,
                Service::Sensu(o) => sensu::deliver(&o, event).await,
                Service::Alerta(o) => alerta::deliver(client, &o, event).await,
                Service::Mqtt(o) => mqtt::deliver(&o, event).await,
                Service::Kafka(o) => kafka::deliver(&o, event).await,
            }
        }
    }
}

/// Whether the spec's `match` expression (if any) accepts the event.
fn matches(spec: &HandlerSpec, event: &AlertEvent) -> Result<bool, String> {
    if spec.match_expr.is_empty() {
        return Ok(true);
    }
    matcher::Match::parse(&spec.match_expr)?.matches(event)
}

/// Default options of a service test (`/kapacitor/v1/service-tests/<service>`):
/// the test alert's `id`, `message`, `level` and `details` (and for
/// `kafka`, Kapacitor's test `topic`, `test`); any other option given to
/// [`test_event`] is a handler option of that service.
pub fn test_options(service: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    if !config::SERVICES.contains(&service) {
        return None;
    }
    let mut v = serde_json::json!({
        "id": "testAlertID",
        "message": format!("test {service} message"),
        "details": "",
        "level": "CRITICAL",
    });
    if service == "kafka" {
        v["topic"] = "test".into();
    }
    v.as_object().cloned()
}

/// Sends a test alert through a service with its configuration and the
/// given options (see [`test_options`]); the error says why it failed.
pub async fn test_event(
    service: &str,
    options: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    let mut all = test_options(service).ok_or_else(|| format!("unknown service {service:?}"))?;
    for (k, v) in options {
        all.insert(k.clone(), v.clone());
    }
    let text = |k: &str| -> Result<String, String> {
        match all.get(k) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            _ => Err(format!("service test option {k:?} must be a string")),
        }
    };
    let level_text = text("level")?;
    let level = Level::parse(&level_text)
        .ok_or_else(|| format!("service test: invalid level {level_text:?}"))?;
    let (id, message, details) = (text("id")?, text("message")?, text("details")?);
    let mut handler_options = all.clone();
    for k in ["id", "message", "details", "level"] {
        handler_options.remove(k);
    }
    let spec = HandlerSpec {
        id: format!("test-{service}"),
        kind: service.into(),
        options: handler_options,
        match_expr: String::new(),
    };
    validate(&spec)?;
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let event = AlertEvent {
        topic: "test".into(),
        id,
        state: EventState {
            message,
            details,
            time: now,
            duration: 0,
            level,
        },
        previous_level: Level::Ok,
        recoverable: true,
        data: serde_json::json!({ "series": [] }),
        task: "testTask".into(),
        category: String::new(),
        tags: Default::default(),
    };
    let client = reqwest::Client::new();
    deliver(&client, &spec, &event).await
}

/// Reads a required string option.
pub(crate) fn opt_str(spec: &HandlerSpec, key: &str) -> Result<String, String> {
    match spec.options.get(key) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(format!(
            "{} handler: option {key:?} must be a non-empty string",
            spec.kind
        )),
        None => Err(format!("{} handler: missing option {key:?}", spec.kind)),
    }
}

/// The event data Kapacitor's service handlers read: the measurement name,
/// the group (`k=v,...` of the group-by tags, `nil` without) and tags of
/// the first series of the triggering data.
pub(crate) struct EventData {
    /// Measurement name.
    pub name: String,
    /// Group key text.
    pub group: String,
    /// Tags.
    pub tags: std::collections::BTreeMap<String, String>,
}

impl EventData {
    /// Extracts it from an event.
    pub fn of(event: &AlertEvent) -> EventData {
        let first = event.data["series"].get(0);
        let name = first
            .and_then(|s| s["name"].as_str())
            .unwrap_or_default()
            .to_string();
        let mut tags: std::collections::BTreeMap<String, String> = event.tags.clone();
        if let Some(t) = first.and_then(|s| s["tags"].as_object()) {
            for (k, v) in t {
                if let Some(v) = v.as_str() {
                    tags.entry(k.clone()).or_insert_with(|| v.to_string());
                }
            }
        }
        let group = if tags.is_empty() {
            "nil".to_string()
        } else {
            tags.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        EventData { name, group, tags }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::{event, spec, Receiver};
    use crate::alert::Level;
    use serde_json::json;

    #[tokio::test]
    async fn test_event_sends_through_a_service() {
        let mut r = Receiver::start(200, "1").await;
        let opts = json!({"channel-url": format!("{}/hook", r.url), "level": "WARNING"});
        super::test_event("teams", opts.as_object().unwrap())
            .await
            .unwrap();
        let body = r.next().await.json();
        assert_eq!(body["title"], "WARNING: [testAlertID]");
        assert_eq!(body["text"], "test teams message");
        let e = super::test_event("nope", &Default::default())
            .await
            .unwrap_err();
        assert_eq!(e, "unknown service \"nope\"");
        let bad = json!({"level": "LOUD"});
        let e = super::test_event("teams", bad.as_object().unwrap())
            .await
            .unwrap_err();
        assert_eq!(e, "service test: invalid level \"LOUD\"");
    }

    #[tokio::test]
    async fn match_expression_skips_handlers() {
        let mut r = Receiver::start(200, "1").await;
        let mut s = spec("teams", json!({"channel-url": r.url}));
        s.match_expr = "level() == CRITICAL".into();
        let client = reqwest::Client::new();
        super::deliver(&client, &s, &event(Level::Warning))
            .await
            .unwrap();
        super::deliver(&client, &s, &event(Level::Critical))
            .await
            .unwrap();
        assert_eq!(r.next().await.json()["themeColor"], "CC4A31");
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(200), r.next())
                .await
                .is_err()
        );
    }
}
